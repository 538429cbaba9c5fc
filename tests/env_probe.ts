/**
 * Run only by tests/env_isolation_test.ts, under a hostile environment (TRACK_DIR naming a
 * sentinel store, TRACK_AGENT, fake clocks, a HOME with a git config, GIT_DIR, ...): a sample of
 * the helpers, each asserting it saw none of it. The parent then checks the sentinel is untouched.
 */
import { assert, assertEquals } from "./assert.ts";
import { mainEnv, race, tempStore, testCommand } from "./helpers.ts";
import { WorkerPool } from "./suites/pool.ts";
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";

const year = new Date().getUTCFullYear();

Deno.test("the test process itself no longer holds the hostile variables", () => {
  for (const name of ["TRACK_DIR", "TRACK_AGENT", "TRACK_FAKE_NOW", "TRACK_DEBUG", "GIT_DIR"]) {
    assertEquals(Deno.env.get(name), undefined, name);
  }
});

Deno.test("tempStore and runTrack write only into the temp store, on the real clock", async () => {
  await using s = await tempStore();
  const created = await s.json<{ ticket: { id: string; created: string } }>(["create", "-t", "x"]);
  assertEquals(created.ticket.id, "T-0001");
  assertEquals(Number(created.ticket.created.slice(0, 4)), year);
  assert(s.read("tickets/T-0001.md").includes("title: x"));
  const claim = await s.track(["claim", "1"]);
  assertEquals(claim.code, 2, `no TRACK_AGENT reaches the child: ${claim.stderr}`);
  const busy = await s.track(["heartbeat", "--agent", "a", "--json"]);
  assertEquals(busy.code, 0, busy.stderr);
});

Deno.test("race() and the worker pool run against the temp store", async () => {
  await using s = await tempStore();
  const [[r]] = await race([[["create", "-t", "raced", "--json"]]], { cwd: s.root });
  assertEquals(r.code, 0, r.stderr);
  await using pool = await WorkerPool.start(1);
  const [out] = await pool.round([{ cwd: s.root, runs: [["create", "-t", "pooled", "--json"]] }]);
  assertEquals(out![0].code, 0, out![0].stderr);
  assertEquals(JSON.parse(out![0].stdout).ticket.id, "T-0002");
});

Deno.test("an in-process main() with mainEnv() sees none of the parent's variables", async () => {
  await using s = await tempStore();
  const io = new MemoryIo();
  assertEquals(
    await main(["create", "-t", "inproc", "--json"], { io, cwd: s.root, env: mainEnv() }),
    0,
  );
  assertEquals(Number(JSON.parse(io.stdout).ticket.created.slice(0, 4)), year);
});

Deno.test("git started by a test reads no user config and no GIT_DIR", async () => {
  await using s = await tempStore();
  const out = await testCommand("git", {
    args: ["config", "--global", "user.name"],
    cwd: s.root,
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stdout), "", "the hostile HOME's .gitconfig");
  const init = await testCommand("git", { args: ["init", "-q"], cwd: s.root }).output();
  assert(init.success);
  assert(Deno.statSync(`${s.root}/.git`).isDirectory);
});
