/**
 * "Held by an agent" means one thing everywhere (src/model/holding.ts, docs/agents.md
 * "Holding"): claimed or in-progress. A ticket in review keeps its claimer's name but is out of
 * its hands: `agents`, `prime`, the dashboard and the commit-msg hook leave it out, stale reclaim
 * leaves it in review, and another agent moves it on without --force.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { buildSnapshot } from "../src/dashboard/snapshot.ts";
import { Store } from "../src/store/store.ts";

function ageHeartbeat(dir: string, agent: string, minutes: number): void {
  const path = `${dir}/agents/${agent}.json`;
  const rec = JSON.parse(Deno.readTextFileSync(path));
  rec.last_heartbeat = new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19) + "Z";
  if (rec.heartbeat_clock) rec.heartbeat_clock.uptime_ms -= minutes * 60_000;
  Deno.writeTextFileSync(path, JSON.stringify(rec, null, 2) + "\n");
}

Deno.test("a review ticket is not held: agents, prime, dashboard, commit-msg and stale reclaim agree", async () => {
  await using s = await tempStore();
  for (const t of ["claimed", "working", "in review"]) await s.json(["create", "-t", t]);
  for (const id of ["1", "2", "3"]) await s.json(["claim", id, "--agent", "alpha"]);
  await s.json(["update", "2", "--status", "in-progress", "--agent", "alpha"]);
  await s.json(["update", "3", "--status", "review", "--agent", "alpha"]);
  const held = ["T-0001", "T-0002"];

  const agents = await s.json<{ agents: Array<{ id: string; tickets: string[] }> }>(["agents"]);
  assertEquals(agents.agents.map((a) => [a.id, a.tickets]), [["alpha", held]]);
  const table = await s.track(["agents"]);
  assertStringIncludes(table.stdout, "T-0001,T-0002");
  assertEquals(table.stdout.includes("T-0003"), false, table.stdout);

  const prime = await s.json<{ prime: { held: Array<{ id: string }> } }>([
    "prime",
    "--agent",
    "alpha",
  ]);
  assertEquals(prime.prime.held.map((t) => t.id), held);

  const snap = buildSnapshot(new Store(s.dir), new Date());
  assertEquals(snap.agents.map((a) => [a.id, a.tickets]), [["alpha", held]]);

  const msg = `${s.root}/COMMIT_MSG`;
  Deno.writeTextFileSync(msg, "tidy up\n");
  const hook = await s.track(["hook", "git", "commit-msg", msg], { env: { TRACK_AGENT: "alpha" } });
  assertEquals(hook.code, 0, hook.stderr);
  assertStringIncludes(hook.stderr, `"alpha" holds T-0001, T-0002 (hint`);

  ageHeartbeat(s.dir, "alpha", 45);
  const r = await s.json<{ reclaimed: Array<{ agent: string; tickets: string[] }> }>([
    "stale",
    "--reclaim",
  ]);
  assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets]), [["alpha", held]]);
  const review = await s.json<{ ticket: { status: string; claimed_by: string } }>(["show", "3"]);
  assertEquals([review.ticket.status, review.ticket.claimed_by], ["review", "alpha"]);
  // Out of its claimer's hands: another agent finishes it without --force.
  await s.json(["update", "3", "--status", "done", "--agent", "bravo"]);
});
