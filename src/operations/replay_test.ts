/**
 * Replaying pending decisions on the fetched state, in process (replay.ts): the claim rule on
 * the remote's claim group and merged dependencies, tenures confirmed by id, withdrawn claims
 * released, releases judged by claim group and heartbeat token, exclusive reservations by
 * overlap.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { type ClaimGroup, claimGroupOf, type Decision } from "../model/decision.ts";
import { parseTicket, serializeTicket, type Ticket } from "../model/ticket.ts";
import type { OplogEntry } from "../store/oplog.ts";
import { sampleTicket } from "../../tests/ticket_fixture.ts";
import { replayClaims, replayOthers, type TicketSides } from "./replay.ts";

const T0 = "2026-11-29T10:00:00Z";

const ticket = sampleTicket;

function claimed(t: Ticket, agent: string, id: string, epoch = t.claim_epoch + 1): Ticket {
  return {
    ...t,
    status: "claimed",
    claimed_by: agent,
    claimed_at: T0,
    claim_epoch: epoch,
    extra: [["claim_id", id]],
  };
}

function op(seq: number, decision: Partial<Decision>): OplogEntry {
  return {
    seq,
    at: "2026-11-29T10:00:00.000Z",
    op: "claim",
    ticket: decision.ticket ?? null,
    agent: decision.agent ?? null,
    clone: "aaaaaaaaaaaa",
    decision: {
      kind: "claim",
      ticket: null,
      agent: null,
      claim_id: null,
      force: false,
      prev: null,
      ...decision,
    },
  };
}

const text = (t: Ticket | null) => t === null ? null : serializeTicket(t);

function sides(
  theirs: Ticket | null,
  ours: Ticket | null,
  merged: Ticket | null,
  inBase = true,
): TicketSides {
  return { theirs: text(theirs), ours: text(ours), merged: text(merged), inBase };
}

const done = () => "done";

Deno.test("replay: a claim on a ticket the remote still has in the backlog is confirmed, its epoch the remote's + 1", () => {
  const base = ticket("T-0001", { claim_epoch: 3 });
  const mine = claimed(base, "alpha", "aaaaaaaaaaaa-1");
  const r = replayClaims(
    [op(1, { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-1" })],
    [],
    new Map([["T-0001", sides(base, mine, mine)]]),
    done,
  );
  assertEquals(r.outcomes.map((o) => o.outcome), ["confirmed"]);
  assertEquals(r.writes.size, 0, "the merged ticket already is the claim");
});

Deno.test("replay: a claim on a ticket the remote shows held by another agent is lost; the remote's ticket is published", () => {
  const base = ticket("T-0001");
  const theirs = claimed(base, "bravo", "bbbbbbbbbbbb-4");
  const mine = claimed(base, "alpha", "aaaaaaaaaaaa-1");
  const r = replayClaims(
    [op(1, { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-1" })],
    [],
    new Map([["T-0001", sides(theirs, mine, mine)]]),
    done,
  );
  assertEquals(r.outcomes[0].outcome, "lost");
  assertEquals(r.outcomes[0].winner, "bravo");
  assertEquals(r.writes.get("T-0001"), serializeTicket(theirs));
});

Deno.test("replay: the remote already holding the claim's tenure confirms it (an earlier push carried it)", () => {
  const mine = claimed(ticket("T-0001"), "alpha", "aaaaaaaaaaaa-1");
  const r = replayClaims(
    [op(1, { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-1" })],
    [],
    new Map([["T-0001", sides(mine, mine, mine)]]),
    done,
  );
  assertEquals(r.outcomes[0].outcome, "confirmed");
  assertEquals(r.writes.size, 0);
});

Deno.test("replay: a dependency open in the merged state refuses a claim; --force overrides it", () => {
  const base = ticket("T-0002", { depends_on: ["T-0001"] });
  const mine = claimed(base, "alpha", "aaaaaaaaaaaa-1");
  const open = (id: string) => id === "T-0001" ? "backlog" : "done";
  const lost = replayClaims(
    [op(1, { ticket: "T-0002", agent: "alpha", claim_id: "aaaaaaaaaaaa-1" })],
    [],
    new Map([["T-0002", sides(base, mine, mine)]]),
    open,
  );
  assertEquals(lost.outcomes[0].outcome, "lost");
  assert(lost.outcomes[0].reason!.includes("T-0001"));
  const forced = replayClaims(
    [op(1, { ticket: "T-0002", agent: "alpha", claim_id: "aaaaaaaaaaaa-1", force: true })],
    [],
    new Map([["T-0002", sides(base, mine, mine)]]),
    open,
  );
  assertEquals(forced.outcomes[0].outcome, "confirmed");
});

Deno.test("replay: a claim of a ticket created here and never published stands on its own pre-claim state", () => {
  const fresh = ticket("T-0009");
  const mine = claimed(fresh, "alpha", "aaaaaaaaaaaa-2");
  const r = replayClaims(
    [op(1, {
      ticket: "T-0009",
      agent: "alpha",
      claim_id: "aaaaaaaaaaaa-2",
      prev: claimGroupOf(fresh),
    })],
    [],
    new Map([["T-0009", sides(null, mine, mine, false)]]),
    done,
  );
  assertEquals(r.outcomes[0].outcome, "confirmed");
});

Deno.test("replay: a withdrawn claim the remote holds after all is released; unless its agent claimed it again", () => {
  const landed = claimed(ticket("T-0001"), "alpha", "aaaaaaaaaaaa-1");
  const w = { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-1" };
  const r = replayClaims([], [w], new Map([["T-0001", sides(landed, landed, landed)]]), done);
  assertEquals(r.released, [w]);
  const out = parseTicket(r.writes.get("T-0001")!, "T-0001");
  assertEquals([out.status, out.claimed_by], ["backlog", null]);
  // The same agent claimed it again meanwhile: that claim holds it, nothing is released.
  const again = claimed(landed, "alpha", "aaaaaaaaaaaa-2");
  const kept = replayClaims(
    [op(2, { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-2" })],
    [w],
    new Map([["T-0001", sides(landed, again, again)]]),
    done,
  );
  assertEquals(kept.released, []);
  assertEquals(kept.outcomes[0].outcome, "confirmed");
});

const group = (t: Ticket): ClaimGroup => claimGroupOf(t);
const agentText = (name: string, seq: number, lost: unknown[] = []) =>
  JSON.stringify({
    id: name,
    status: "active",
    registered_at: T0,
    last_heartbeat: T0,
    capabilities: [],
    session_id: null,
    worktree: null,
    lost,
    heartbeat_clock: { boot: "b00t", uptime_ms: 1000 * seq },
    heartbeat_seq: seq,
  }) + "\n";

Deno.test("replay: a reclaim stands only while the remote has the claim it took and the heartbeat token it saw", () => {
  const held = claimed(ticket("T-0001"), "bravo", "bbbbbbbbbbbb-1");
  const released = { ...held, status: "backlog" as const, claimed_by: null, claimed_at: null };
  const reclaim = (seq: number) =>
    op(1, {
      kind: "release",
      agent: "alpha",
      moves: [{ ticket: "T-0001", prev: group(held) }],
      tokens: { bravo: { seq, boot: "b00t", uptime_ms: 1000 * seq } },
    });
  const s = new Map([["T-0001", sides(held, released, released)]]);
  const files = (seq: number) => (p: string) =>
    p === "agents/bravo.json" ? agentText("bravo", seq) : null;
  const stands = replayOthers([reclaim(7)], s, files(7), () => null);
  assertEquals(stands.outcomes[0].outcome, "confirmed");
  // The holder published a heartbeat after the view the reclaim was decided on: lost.
  // bravo's record as merged carries the lost note the reclaim gave it.
  const noted = agentText("bravo", 8, [{
    ticket: "T-0001",
    epoch: 1,
    at: T0,
    reason: "reclaimed",
    claim_id: "bbbbbbbbbbbb-1",
  }]);
  const moved = replayOthers(
    [reclaim(7)],
    s,
    files(8),
    (p) => p === "agents/bravo.json" ? noted : null,
  );
  assertEquals(moved.outcomes[0].outcome, "lost");
  assertEquals(moved.writes.get("T-0001"), serializeTicket(held));
  // bravo keeps the ticket, so the lost note goes too (its writes are not refused).
  assertEquals(JSON.parse(moved.files.get("agents/bravo.json")!).lost, []);
  // The remote moved the ticket on (bravo started work): lost too.
  const working = { ...held, status: "in-progress" as const };
  const on = replayOthers(
    [reclaim(7)],
    new Map([["T-0001", sides(working, released, released)]]),
    files(7),
    () => null,
  );
  assertEquals(on.outcomes[0].outcome, "lost");
});

Deno.test("replay: an exclusive reservation overlapping another agent's on the remote is lost and left out", () => {
  const res = (entries: Array<[string, string, string]>) =>
    JSON.stringify(
      {
        schema: 1,
        reservations: entries.map(([path, agent, ticket]) => ({
          path,
          agent,
          ticket,
          mode: "exclusive",
          at: T0,
        })),
      },
      null,
      2,
    ) + "\n";
  const theirs = res([["src/x.ts", "alpha", "T-0001"]]);
  const merged = res([["src/x.ts", "alpha", "T-0001"], ["src/**", "bravo", "T-0002"]]);
  const d = op(1, { kind: "reserve", ticket: "T-0002", agent: "bravo", paths: ["src/**"] });
  const r = replayOthers([d], new Map(), () => theirs, () => merged);
  assertEquals(r.outcomes[0].outcome, "lost");
  assertEquals(r.outcomes[0].winner, "alpha");
  assertEquals(JSON.parse(r.files.get("reservations.json")!).reservations.length, 1);
  const free = replayOthers(
    [op(1, { kind: "reserve", ticket: "T-0002", agent: "bravo", paths: ["docs/**"] })],
    new Map(),
    () => theirs,
    () => merged,
  );
  assertEquals(free.outcomes[0].outcome, "confirmed");
  assertEquals(free.files.size, 0);
});

Deno.test("replay: a claim by the agent the remote already shows holding the ticket is adopted under that tenure, never a second one", () => {
  const base = ticket("T-0001");
  const landed = claimed(base, "alpha", "aaaaaaaaaaaa-1");
  const again = claimed(base, "alpha", "aaaaaaaaaaaa-2");
  const r = replayClaims(
    [op(2, { ticket: "T-0001", agent: "alpha", claim_id: "aaaaaaaaaaaa-2" })],
    [],
    new Map([["T-0001", sides(landed, again, again)]]),
    done,
  );
  assertEquals(r.outcomes[0].outcome, "confirmed");
  const out = parseTicket(r.writes.get("T-0001")!, "T-0001");
  assertEquals([out.claimed_by, out.claim_epoch], ["alpha", 1]);
  assertEquals(out.extra.find(([k]) => k === "claim_id")?.[1], "aaaaaaaaaaaa-1");
});
