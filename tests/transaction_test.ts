/**
 * One command is one transaction: a command that fails after deciding to write (here: on a
 * corrupt agent record it must update too) leaves every file as it was, so a retry never
 * duplicates work (issue 12.4).
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";

for (
  const args of [
    ["claim", "T-0001", "--agent", "B"],
    ["next", "--agent", "B"],
    ["log", "T-0001", "--agent", "B", "-m", "hi"],
  ]
) {
  Deno.test(`${args[0]} with a corrupt agent record exits 6 and changes no file`, async () => {
    await using s = await tempStore();
    await s.json(["create", "--title", "one"]);
    if (args[0] === "log") await s.json(["claim", "T-0001", "--agent", "B"]);
    Deno.writeTextFileSync(`${s.dir}/agents/B.json`, "{ not json\n");
    const ticket = Deno.readFileSync(`${s.dir}/tickets/T-0001.md`);
    const before = snapshot(s.dir);
    const r = await s.track(args);
    assertEquals(r.code, 6, r.stderr);
    assertStringIncludes(r.stderr, ".track/agents/B.json");
    assertEquals(Deno.readFileSync(`${s.dir}/tickets/T-0001.md`), ticket, "ticket byte-identical");
    const after = snapshot(s.dir);
    after.delete("lock");
    before.delete("lock");
    assertEquals(after, before, "no file written, none created");
  });
}
