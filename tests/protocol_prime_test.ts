/** `track protocol` and `track prime` end to end. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";

Deno.test("protocol --write puts the block into CLAUDE.md once and keeps the rest", async () => {
  await using s = await tempStore();
  const file = `${s.root}/CLAUDE.md`;
  Deno.writeTextFileSync(file, "# House rules\n\nBe kind.\n");
  const r = await s.track(["protocol", "--write", "CLAUDE.md"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "appended");
  const once = Deno.readTextFileSync(file);
  assert(once.startsWith("# House rules\n\nBe kind.\n\n<!-- track:protocol:begin"));
  assertStringIncludes(once, "track next");
  const again = await s.json<{ action: string }>(["protocol", "--write", "CLAUDE.md"]);
  assertEquals(again.action, "unchanged");
  assertEquals(Deno.readTextFileSync(file), once);
  // User text after the block survives an update in place.
  Deno.writeTextFileSync(file, once.replace("track next", "track OLD") + "\n## Mine\nkeep\n");
  const upd = await s.json<{ action: string }>(["protocol", "--write", "CLAUDE.md"]);
  assertEquals(upd.action, "updated");
  assertEquals(Deno.readTextFileSync(file), once + "\n## Mine\nkeep\n");
  assertEquals(Deno.readTextFileSync(file).split("track:protocol:begin").length, 2);
  const check = await s.track(["protocol", "--write", "CLAUDE.md", "--check"]);
  assertEquals(check.code, 0, check.stderr);
});

Deno.test("protocol picks the agents format for AGENTS.md and prints without --write", async () => {
  await using s = await tempStore();
  const r = await s.json<{ format: string; action: string }>(["protocol", "--write", "AGENTS.md"]);
  assertEquals([r.format, r.action], ["agents", "created"]);
  assertStringIncludes(Deno.readTextFileSync(`${s.root}/AGENTS.md`), "track files --check");
  const printed = await s.track(["protocol", "--format", "claude"]);
  assertEquals(printed.code, 0);
  assertStringIncludes(printed.stdout, "## Agent protocol (track)");
  assert(!printed.stdout.includes("<!--"));
});

Deno.test("protocol --check reports an outdated block with exit 3 and writes nothing", async () => {
  await using s = await tempStore();
  Deno.writeTextFileSync(`${s.root}/CLAUDE.md`, "x\n");
  const r = await s.track(["protocol", "--write", "CLAUDE.md", "--check"]);
  assertEquals(r.code, 3);
  assertStringIncludes(r.stderr, "hint: track protocol --write CLAUDE.md");
  assertEquals(Deno.readTextFileSync(`${s.root}/CLAUDE.md`), "x\n");
});

Deno.test("prime shows identity, held tickets, ready work, posts and reservations", async () => {
  await using s = await tempStore();
  for (let i = 1; i <= 8; i++) await s.track(["create", "--title", `Ticket ${i}`]);
  await s.track(["register", "--agent", "alpha"]);
  await s.track(["claim", "T-0001", "--agent", "alpha"]);
  await s.track(["files", "--add", "src/a/", "--shared", "--agent", "alpha", "--ticket", "T-0001"]);
  await s.track(["claim", "T-0002", "--agent", "bravo"]);
  await s.track([
    "files",
    "--add",
    "src/a/shared.ts",
    "--shared",
    "--agent",
    "bravo",
    "--ticket",
    "T-0002",
  ]);
  await s.track(["board", "--agent", "bravo", "-m", "Heads up: API changed"]);
  const before = snapshot(s.dir);
  const r = await s.track(["prime", "--agent", "alpha"]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert(lines.length <= 40, `${lines.length} lines`);
  assertStringIncludes(lines[0], "you are alpha");
  assertStringIncludes(r.stdout, "T-0001 [claimed]");
  assertStringIncludes(r.stdout, "Ready (6)");
  assertStringIncludes(r.stdout, "Heads up: API changed");
  assertStringIncludes(r.stdout, "held by bravo: src/a/shared.ts");
  assertStringIncludes(r.stdout, "track show T-0001");
  // A read: nothing in .track/ changed.
  assertEquals(snapshot(s.dir), before);
  const j = await s.json<{ prime: { held: unknown[]; ready: unknown[]; ready_total: number } }>([
    "prime",
    "--agent",
    "alpha",
  ]);
  assertEquals([j.prime.held.length, j.prime.ready.length, j.prime.ready_total], [1, 5, 6]);
});

Deno.test("prime --mark-read moves the board marker; later prime shows only newer posts", async () => {
  await using s = await tempStore();
  await s.track(["register", "--agent", "alpha"]);
  await s.track(["board", "--agent", "bravo", "-m", "old news"]);
  const first = await s.track(["prime", "--agent", "alpha", "--mark-read"]);
  assertStringIncludes(first.stdout, "old news");
  await s.track(["board", "--agent", "bravo", "-m", "fresh news"]);
  const second = await s.track(["prime", "--agent", "alpha"]);
  assertStringIncludes(second.stdout, "fresh news");
  assert(!second.stdout.includes("old news"));
});

Deno.test("prime without an identity says how to get one", async () => {
  await using s = await tempStore();
  const r = await s.track(["prime"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "no agent identity");
  assertStringIncludes(r.stdout, "track register");
});

Deno.test("prime suggests work commands only on a ticket the agent holds; otherwise next or claim", async () => {
  await using s = await tempStore();
  for (let i = 1; i <= 3; i++) await s.track(["create", "--title", `Ticket ${i}`]);
  await s.track(["claim", "T-0001", "--agent", "alpha"]);
  const commands = async (agent: string) =>
    (await s.json<{ prime: { commands: string[] } }>(["prime", "--agent", agent])).prime.commands;
  // carol holds nothing: no update, files or log on anyone's ticket, ready or not.
  const carol = await commands("carol");
  assertEquals(carol.filter((c) => /track (update|files|log) /.test(c)), [], carol.join("; "));
  assertEquals(carol.filter((c) => c.includes("T-0001")), [], "alpha's ticket is not suggested");
  assert(carol.includes("track next --agent carol"), carol.join("; "));
  assert(carol.includes("track claim T-0002 --agent carol"), carol.join("; "));
  // alpha holds T-0001: every ticket command is about T-0001 and acts as alpha.
  const alpha = await commands("alpha");
  assert(
    alpha.includes("track update T-0001 --status in-progress --agent alpha"),
    alpha.join("; "),
  );
  for (const c of alpha) {
    for (const id of c.match(/T-\d{4}/g) ?? []) assertEquals(id, "T-0001", c);
    if (/track (update|files|log|board) /.test(c)) assertStringIncludes(c, "--agent alpha");
  }
  await s.track(["update", "T-0001", "--status", "in-progress", "--agent", "alpha"]);
  assert((await commands("alpha")).includes("track update T-0001 --status review --agent alpha"));
});

Deno.test("protocol --write into a missing folder is exit 4 naming the folder, not .track/", async () => {
  await using s = await tempStore();
  const r = await s.track(["protocol", "--write", "docs/agents/CLAUDE.md"]);
  assertEquals(r.code, 4, r.stderr);
  assertStringIncludes(r.stderr, `the folder "docs/agents" does not exist`);
  assertStringIncludes(r.stderr, "then run: track protocol --write docs/agents/CLAUDE.md");
  assertEquals(r.stderr.includes(".track/"), false, r.stderr);
  assertEquals([...Deno.readDirSync(s.root)].map((e) => e.name), [".track"]);
});
