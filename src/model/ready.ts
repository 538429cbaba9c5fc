/** Which backlog tickets can start now (`ready`), and which wait on others (`blocked`). */
import type { TicketSummary } from "./ticket.ts";
import { idNumber } from "./ids.ts";
import { priorityRank } from "./transitions.ts";

/** Best first: priority, then age (created), then id. */
export function byReadiness(a: TicketSummary, b: TicketSummary): number {
  return priorityRank(a.priority) - priorityRank(b.priority) ||
    (a.created < b.created ? -1 : a.created > b.created ? 1 : 0) ||
    (idNumber(a.id) ?? 0) - (idNumber(b.id) ?? 0);
}

/** Open dependencies of `t` given every ticket by id (missing ones count as open). */
export function openDeps(
  t: TicketSummary,
  byId: ReadonlyMap<string, TicketSummary>,
): Array<{ id: string; status: string }> {
  return t.depends_on
    .map((d) => ({ id: d, status: byId.get(d)?.status ?? "missing" }))
    .filter((d) => d.status !== "done");
}

/** Backlog tickets whose dependencies are all done, best first. */
export function readyTickets<T extends TicketSummary>(all: readonly T[]): T[] {
  const byId = new Map(all.map((t) => [t.id, t]));
  return all.filter((t) => t.status === "backlog" && openDeps(t, byId).length === 0).sort(
    byReadiness,
  );
}

/** Backlog tickets waiting on open dependencies, with what they wait on. */
export function blockedTickets<T extends TicketSummary>(
  all: readonly T[],
): Array<{ ticket: T; waitingOn: Array<{ id: string; status: string }> }> {
  const byId = new Map(all.map((t) => [t.id, t]));
  return all.filter((t) => t.status === "backlog")
    .map((t) => ({ ticket: t, waitingOn: openDeps(t, byId) }))
    .filter((x) => x.waitingOn.length > 0)
    .sort((a, b) => byReadiness(a.ticket, b.ticket));
}
