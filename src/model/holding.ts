/**
 * What "held by an agent" means, the one definition every surface and rule uses: a ticket is
 * held while it is `claimed` or `in-progress` and names its claimer in `claimed_by`. A ticket in
 * `review` or `done` keeps `claimed_by` (who did the work) but is out of its claimer's hands:
 * anyone may move it without `--force`, stale reclaim leaves it where it is, and `agents`,
 * `prime`, the dashboard and the commit-msg hook do not count it. docs/agents.md "Holding".
 */
import type { Status } from "./transitions.ts";

/** The statuses in which a ticket is in its claimer's hands. */
export const HELD_STATUSES: readonly Status[] = ["claimed", "in-progress"];

/** The fields holding depends on. */
type Holdable = { status: Status; claimed_by: string | null };

/** The agent holding `ticket`, or null when nobody does. */
export function holderOf(ticket: Holdable): string | null {
  return ticket.claimed_by !== null && HELD_STATUSES.includes(ticket.status)
    ? ticket.claimed_by
    : null;
}

/** Whether `agent` holds `ticket`. */
export function isHeldBy(ticket: Holdable, agent: string): boolean {
  return holderOf(ticket) === agent;
}

/** The tickets `agent` holds, in the given order. */
export function heldBy<T extends Holdable>(tickets: readonly T[], agent: string): T[] {
  return tickets.filter((t) => isHeldBy(t, agent));
}

/** Every agent holding at least one of `tickets`. */
export function holdersOf(tickets: readonly Holdable[]): Set<string> {
  const out = new Set<string>();
  for (const t of tickets) {
    const h = holderOf(t);
    if (h !== null) out.add(h);
  }
  return out;
}
