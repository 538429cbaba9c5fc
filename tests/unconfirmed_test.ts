/**
 * Unconfirmed claims in the views (docs/sync.md "Unconfirmed claims";
 * src/operations/unconfirmed.ts): a claim decision this clone has not published marks its ticket
 * "unconfirmed" in `list`, `show`, `agents` and `prime` (`"confirmed": false` in `--json`); once a
 * sync publishes it, the mark is gone. `prime` of a sync store says what exits 8 and 9 mean.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { type Clone, SyncWorld } from "./sync_world.ts";
import { runTrack, tempStore } from "./helpers.ts";

/**
 * Replaces the decision of the last oplog line (the `"decision"` key a claim's line carries):
 * pending decisions of shapes a single claim does not leave.
 */
function decideLastLine(c: Clone, decision: Record<string, unknown>): void {
  const file = `${c.storeDir}/oplog`;
  const lines = Deno.readTextFileSync(file).split("\n").filter((l) => l !== "");
  const last = JSON.parse(lines.pop()!);
  lines.push(JSON.stringify({ ...last, decision }));
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
}

interface TicketJ {
  id: string;
  claimed_by: string | null;
  confirmed?: boolean;
}

async function views(a: Clone) {
  const list = await a.ok(["list"]);
  const listJ = await a.json<{ tickets: TicketJ[] }>(["list"]);
  const show = await a.ok(["show", "T-0001"]);
  const showJ = await a.json<{ ticket: TicketJ }>(["show", "T-0001"]);
  const agents = await a.ok(["agents"]);
  const agentsJ = await a.json<{ agents: Array<{ id: string; unconfirmed?: string[] }> }>([
    "agents",
  ]);
  const prime = await a.ok(["prime", "--agent", "alice"]);
  const primeJ = await a.json<{ prime: { held: Array<{ id: string; confirmed?: boolean }> } }>([
    "prime",
    "--agent",
    "alice",
  ]);
  return { list, listJ, show, showJ, agents, agentsJ, prime, primeJ };
}

Deno.test("unconfirmed claims: list, show, agents and prime mark a claim not yet published (confirmed: false); a sync clears the mark", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  await a.ok(["create", "--title", "two"]);
  await a.ok(["claim", "T-0002", "--agent", "bob"]);
  await a.ok(["sync"]); // bob's claim is published: confirmed.
  // Provisional (exit 9): the claim decision stays pending until a sync publishes it.
  assertEquals((await a.track(["claim", "T-0001", "--agent", "alice", "--offline"])).code, 9);

  let v = await views(a);
  const row = (text: string, id: string) => text.split("\n").find((l) => l.startsWith(id)) ?? "";
  assertStringIncludes(row(v.list.stdout, "T-0001"), "alice (unconfirmed)");
  assert(!row(v.list.stdout, "T-0002").includes("unconfirmed"), v.list.stdout);
  const byId = new Map(v.listJ.tickets.map((t) => [t.id, t]));
  assertEquals(byId.get("T-0001")!.confirmed, false);
  assertEquals("confirmed" in byId.get("T-0002")!, false);
  assertEquals(v.showJ.ticket.confirmed, false);
  assertStringIncludes(v.show.stderr, "alice's claim of T-0001 is unconfirmed");
  assertStringIncludes(row(v.agents.stdout, "alice"), "T-0001 (unconfirmed)");
  assert(!row(v.agents.stdout, "bob").includes("unconfirmed"), v.agents.stdout);
  const agent = new Map(v.agentsJ.agents.map((x) => [x.id, x]));
  assertEquals(agent.get("alice")!.unconfirmed, ["T-0001"]);
  assertEquals("unconfirmed" in agent.get("bob")!, false);
  assertStringIncludes(v.prime.stdout, "T-0001 [claimed, unconfirmed]");
  assertStringIncludes(v.prime.stdout, "exit 8 on claim/next = not granted: do not start");
  assertStringIncludes(v.prime.stdout, "exit 9 = granted on this machine, not confirmed");
  assertEquals(v.primeJ.prime.held.map((h) => [h.id, h.confirmed]), [["T-0001", false]]);

  // Published: the decision is confirmed, every mark is gone. (The oplog keeps its last
  // published line, decision and all: it is at or below published_seq.)
  await a.ok(["sync"]);
  v = await views(a);
  assert(!v.list.stdout.includes("unconfirmed"), v.list.stdout);
  assertEquals(v.listJ.tickets.some((t) => "confirmed" in t), false);
  assertEquals("confirmed" in v.showJ.ticket, false);
  assertEquals(v.show.stderr.includes("unconfirmed"), false);
  assert(!v.agents.stdout.includes("unconfirmed"), v.agents.stdout);
  assertEquals(v.agentsJ.agents.some((x) => "unconfirmed" in x), false);
  assertStringIncludes(v.prime.stdout, "T-0001 [claimed] one");
  assertEquals(v.primeJ.prime.held.map((h) => [h.id, h.confirmed]), [["T-0001", undefined]]);
});

Deno.test("unconfirmed claims: a pending claim of another agent, or one that is no longer the ticket's claim, marks nothing", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  assertEquals((await a.track(["claim", "T-0001", "--agent", "alice", "--offline"])).code, 9);
  // The pending decision was carol's (her claim withdrawn since); alice holds the ticket.
  decideLastLine(a, { kind: "claim", ticket: "T-0001", agent: "carol", claim_id: "c0ffee-2" });
  const listJ = await a.json<{ tickets: TicketJ[] }>(["list"]);
  assertEquals(listJ.tickets.map((t) => [t.id, t.claimed_by, t.confirmed]), [
    ["T-0001", "alice", undefined],
  ]);
  // A ticket whose claim_id differs from the pending one's: another claim since.
  const file = `${a.storeDir}/tickets/T-0001.md`;
  Deno.writeTextFileSync(
    file,
    Deno.readTextFileSync(file).replace(/^claim_id: .*$/m, "claim_id: other-7"),
  );
  decideLastLine(a, { kind: "claim", ticket: "T-0001", agent: "alice", claim_id: "c0ffee-3" });
  const showJ = await a.json<{ ticket: TicketJ }>(["show", "T-0001"]);
  assertEquals("confirmed" in showJ.ticket, false);
});

Deno.test("unconfirmed claims: prime of a store without sync says nothing about exits 8 and 9", async () => {
  await using s = await tempStore();
  const r = await runTrack(["prime", "--agent", "alice"], { cwd: s.root });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.includes("exit 8"), false);
  const j = JSON.parse(
    (await runTrack(["prime", "--agent", "alice", "--json"], { cwd: s.root })).stdout,
  );
  assertEquals(j.prime.synced, false);
});

Deno.test("unconfirmed claims: a claim the engine granted offline (exit 9) is marked until a sync confirms it", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  const claimed = await a.track(["claim", "T-0001", "--agent", "alice", "--json"], {
    env: { TRACK_SYNC: "off" },
  });
  assertEquals(claimed.code, 9, claimed.stderr);
  assertEquals(JSON.parse(claimed.stdout).confirmed, false);
  const before = await a.json<{ tickets: TicketJ[] }>(["list"]);
  assertEquals(before.tickets.map((t) => [t.id, t.confirmed]), [["T-0001", false]]);
  assertStringIncludes((await a.ok(["agents"])).stdout, "T-0001 (unconfirmed)");
  await a.ok(["sync"]);
  const after = await a.json<{ tickets: TicketJ[] }>(["list"]);
  assertEquals(after.tickets.map((t) => [t.id, t.claimed_by, t.confirmed]), [
    ["T-0001", "alice", undefined],
  ]);
});
