import { assertEquals } from "../../tests/assert.ts";
import { newAgent } from "../store/agent_records.ts";
import { serializeAgent } from "../model/agent.ts";
import { releaseDecision } from "../model/decision.ts";
import type { OplogEntry } from "../store/oplog.ts";
import { moveOutcomes } from "./replay_moves.ts";

const [A, B, C] = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"];

function move(seq: number, agent: string, from: string): OplogEntry {
  return {
    seq,
    at: "2026-11-29T23:00:00.000Z",
    op: "register",
    ticket: null,
    agent,
    clone: B,
    decision: { ...releaseDecision(agent, null), from },
  };
}

function record(host: string | null): string {
  const a = newAgent("builder", new Date("2026-11-29T23:00:00Z"));
  return serializeAgent(host === null ? a : { ...a, host });
}

Deno.test("moveOutcomes(): a move stands while the remote has the agent on its old host, or here, or not at all", () => {
  const ops = [move(1, "builder", A)];
  const outcome = (theirs: string | null) => moveOutcomes(ops, () => theirs);
  for (const theirs of [record(A), record(B), null, record(null)]) {
    const r = outcome(theirs);
    assertEquals(r.outcomes.map((o) => [o.kind, o.outcome]), [["register", "confirmed"]]);
    assertEquals([...r.lost], []);
  }
  // Moved to a third clone meanwhile: lost, naming it.
  const lost = outcome(record(C));
  assertEquals(lost.outcomes[0].outcome, "lost");
  assertEquals(lost.outcomes[0].winner, C);
  assertEquals([...lost.lost], ["builder"]);
  // Other decisions are not moves.
  assertEquals(moveOutcomes([{ ...ops[0], decision: releaseDecision("x", null) }], () => null), {
    outcomes: [],
    lost: new Set<string>(),
  });
});
