/** Pure queries over tickets: filtering and ordering. */
import type { TicketSummary } from "./ticket.ts";
import { parentOf } from "./planning.ts";
import { idNumber } from "./ids.ts";
import { PRIORITIES, type Priority, priorityRank, type Status } from "./transitions.ts";

/** Filters of `list`. */
export interface TicketFilter {
  status?: Status;
  agent?: string;
  label?: string;
  priority?: Priority;
  /** Only children of this epic. */
  parent?: string;
  /** Include done tickets (implied by `status: "done"`). */
  all?: boolean;
}

/** Tickets matching `f`. */
export function filterTickets<T extends TicketSummary>(
  tickets: readonly T[],
  f: TicketFilter,
): T[] {
  return tickets.filter((t) =>
    (f.status !== undefined ? t.status === f.status : (f.all || t.status !== "done")) &&
    (f.agent === undefined || t.claimed_by === f.agent) &&
    (f.label === undefined || t.labels.includes(f.label)) &&
    (f.priority === undefined || t.priority === f.priority) &&
    (f.parent === undefined || parentOf(t) === f.parent)
  );
}

/** Sorted by priority (critical first), then id. */
export function sortTickets<T extends TicketSummary>(tickets: readonly T[]): T[] {
  // Tickets usually arrive in id order (every reader lists them so): then sorting is one pass
  // into a bucket per priority. Otherwise one numeric key per ticket, not a regex per comparison.
  const buckets: T[][] = PRIORITIES.map(() => []);
  let ascending = true;
  let last = -1;
  for (const t of tickets) {
    // Ids of read tickets are canonical ("T-" and digits): no regex needed for the number.
    const n = Number(t.id.slice(2));
    if (!(n > last)) ascending = false;
    last = n;
    buckets[priorityRank(t.priority)].push(t);
  }
  if (ascending) return buckets.flat();
  const keyed = tickets.map((t) => ({
    t,
    key: priorityRank(t.priority) * 1e10 + (idNumber(t.id) ?? 0),
  }));
  keyed.sort((a, b) => a.key - b.key);
  return keyed.map((k) => k.t);
}
