/** Generated documentation stays in sync with the code. */
import { assertEquals } from "./assert.ts";
import { withTable } from "../scripts/readme_commands.ts";

/** Table cells without the padding `deno fmt` adds. */
function normalizeTables(md: string): string {
  return md.split("\n").map((l) =>
    l.startsWith("|") ? l.replace(/-{3,}/g, "---").replace(/ +/g, "") : l
  ).join("\n");
}

Deno.test("README command table matches the command registry", async () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  assertEquals(
    normalizeTables(readme),
    normalizeTables(await withTable(readme)),
    "run: deno run -A scripts/readme_commands.ts && deno fmt README.md",
  );
});

Deno.test("README exit-code table matches src/model/errors.ts", async () => {
  const { EXIT } = await import("../src/model/errors.ts");
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  for (const code of Object.values(EXIT)) {
    assertEquals(
      new RegExp(`^\\| ${code} +\\|`, "m").test(readme),
      true,
      `exit code ${code} documented`,
    );
  }
});

Deno.test("docs/sync.md's table of what syncs and its list of what never leaves the machine match src/model/sync_wire.ts", async () => {
  const { wirePathOf } = await import("../src/model/sync_wire.ts");
  const doc = Deno.readTextFileSync(new URL("../docs/sync.md", import.meta.url));
  // Rows `| store path | wire path |`, with placeholders filled in with a real name.
  const fill = (s: string) =>
    s.replace("<day>", "2026-11-29").replace("<name>", "ab-post").replace(
      "<first two chars>",
      "ab",
    );
  const rows = [...doc.matchAll(/^\| `([^`]+)` +\| `([^`]+)`/gm)]
    .filter((m) => !m[1].startsWith("track "));
  assertEquals(rows.length >= 6, true, "the table of what syncs");
  for (const [, store, wire] of rows) {
    const path = fill(store).replace("ab-post.json", "alice.json");
    assertEquals(wirePathOf(path), fill(wire).replace("ab-post.json", "alice.json"), store);
  }
  const never = /Everything else never leaves the machine:([\s\S]*?)\n\n/.exec(doc)?.[1] ?? "";
  const names = [...never.matchAll(/`([^`]+)`/g)].map((m) =>
    m[1].replace("*", "server").replace(/\/$/, "/tickets.json")
  );
  assertEquals(names.includes("oplog") && names.includes("lock"), true, "the list of local files");
  for (const name of names) assertEquals(wirePathOf(name), null, `${name} never syncs`);
});
