/** Agent names: equal but for case, reserved names, and unknown agents a command would register. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";
import { Store } from "../src/store/store.ts";
import { touchAgent } from "../src/store/agent_records.ts";
import { TrackError } from "../src/model/errors.ts";

Deno.test("an agent name equal to a registered one but for case is refused (exit 3) on every path", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["register", "--agent", "bob"]);
  const before = snapshot(s.dir);
  for (
    const args of [
      ["register", "--agent", "Bob"],
      ["register", "--agent", "BOB", "--force"],
      ["claim", "1", "--agent", "Bob"],
      ["next", "--agent", "BOB"],
      ["heartbeat", "--agent", "bOb"],
      ["log", "1", "--agent", "Bob", "-m", "x"],
      ["board", "--agent", "Bob", "-m", "x"],
      ["create", "-t", "u", "--agent", "Bob"],
    ]
  ) {
    const r = await s.track(args);
    assertEquals(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
    assertStringIncludes(r.stderr, `agent "bob" is already registered`, args.join(" "));
    assertStringIncludes(r.stderr, "hint: ", args.join(" "));
  }
  assertEquals(snapshot(s.dir), before);
  // Under the lock too (what MCP and the hooks reach): touchAgent refuses the twin.
  const store = new Store(s.dir);
  let caught: unknown = null;
  try {
    await store.mutate("test", (tx) => touchAgent(tx, "BOB", new Date()));
  } catch (e) {
    caught = e;
  }
  assertEquals(caught instanceof TrackError && caught.exitCode, 3);
  assertEquals(snapshot(s.dir), before);
  // The agent itself, spelt as registered, is fine.
  assertEquals((await s.track(["heartbeat", "--agent", "bob"])).code, 0);
});

Deno.test("human and Windows device names cannot name an agent (exit 2); --by human still can author", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const before = snapshot(s.dir);
  for (const name of ["human", "Human", "CON", "con.txt", "Com1", "LPT9.log", "nul", "aux"]) {
    for (const args of [["register", "--agent", name], ["claim", "1", "--agent", name]]) {
      const r = await s.track(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, `Invalid agent name "${name}"`);
    }
  }
  assertEquals(snapshot(s.dir), before);
  const by = await s.json<{ ticket: { created_by: string } }>([
    "create",
    "-t",
    "u",
    "--by",
    "human",
  ]);
  assertEquals(by.ticket.created_by, "human");
});

Deno.test("import refuses an archive with agents equal but for case, or a reserved name", async () => {
  await using s = await tempStore();
  await s.json(["register", "--agent", "bob"]);
  const archive = JSON.parse((await s.track(["export", "--json"])).stdout);
  const agent = archive.agents[0];
  for (const ids of [["bob", "Bob"], ["CON"], ["human"]]) {
    await using t = await tempStore();
    const file = `${t.root}/a.json`;
    Deno.writeTextFileSync(
      file,
      JSON.stringify({ ...archive, agents: ids.map((id) => ({ ...agent, id })) }),
    );
    const before = snapshot(t.dir);
    const r = await t.track(["import", file]);
    assertEquals(r.code, 6, `${ids}: ${r.stderr}`);
    assertEquals(snapshot(t.dir), before);
  }
});

Deno.test("next with nothing ready and a mistyped --agent: exit 4, a warning, nothing written", async () => {
  await using s = await tempStore();
  await s.json(["register", "--agent", "bob"]);
  const before = snapshot(s.dir);
  const r = await s.track(["next", "--agent", "bobb"]);
  assertEquals(r.code, 4, r.stderr);
  assertStringIncludes(r.stderr, `warning: agent "bobb" is not registered (did you mean "bob"?)`);
  assertStringIncludes(r.stderr, "Nothing is ready");
  assertEquals(snapshot(s.dir), before, "no agent record, no heartbeat");
  // In JSON mode stderr holds exactly the error object.
  const json = await s.track(["next", "--agent", "bobb", "--json"]);
  assertEquals([json.code, JSON.parse(json.stderr).error.kind], [4, "notFound"]);
  // A registered agent's failed next writes nothing either (not even its heartbeat).
  assertEquals((await s.track(["next", "--agent", "bob"])).code, 4);
  assertEquals(snapshot(s.dir), before);
});

Deno.test("a command acting as an unknown agent warns on stderr, then registers it as before", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["register", "--agent", "alice"]);
  const r = await s.track(["claim", "1", "--agent", "alcie", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).ticket.claimed_by, "alcie");
  assertStringIncludes(
    r.stderr,
    `warning: agent "alcie" is not registered (did you mean "alice"?); a successful "track claim" registers it`,
  );
  const agents = await s.json<{ agents: Array<{ id: string }> }>(["agents"]);
  assertEquals(agents.agents.map((a) => a.id), ["alcie", "alice"]);
  // Registered now: no warning the second time; a far-off name gets no "did you mean".
  assertEquals(
    (await s.track(["heartbeat", "--agent", "alcie"])).stderr.includes("warning"),
    false,
  );
  const far = await s.track(["heartbeat", "--agent", "zed"]);
  assertStringIncludes(far.stderr, `warning: agent "zed" is not registered; a successful`);
});
