import { assertEquals } from "../../tests/assert.ts";
import { spansOf } from "../model/cost.ts";
import type { BoardEntry } from "./board.ts";
import { historyOf } from "./cost.ts";

function event(at: string, tag: string, ticket: string, agent: string, message: string) {
  return {
    id: at,
    at: `2026-11-29T${at}Z`,
    agent,
    ticket,
    tag,
    kind: "event",
    message,
    to: [],
    reply_to: null,
    ack: false,
  } as unknown as BoardEntry;
}

Deno.test("historyOf(): holding is claimed or in-progress; review ends it, a move back resumes it", () => {
  const { holds, statuses } = historyOf([
    event("10:00:00", "claimed", "T-0001", "a", "Claimed T-0001"),
    event("10:01:00", "status", "T-0001", "a", "T-0001: claimed -> in-progress -> review"),
    event("10:02:00", "status", "T-0001", "human", "T-0001: review -> in-progress"),
    event("10:03:00", "reclaimed", "T-0001", "b", "T-0001: in-progress -> backlog (stale)"),
  ]);
  assertEquals(statuses.map((s) => s.to), ["claimed", "review", "in-progress", "backlog"]);
  const min = (hh: number) => Date.parse(`2026-11-29T10:0${hh}:00Z`);
  assertEquals(spansOf(holds), [
    { agent: "a", ticket: "T-0001", from: min(0), to: min(1) },
    { agent: "a", ticket: "T-0001", from: min(2), to: min(3) },
  ]);
});
