/** The ticket lifecycle: backlog -> claimed -> in-progress -> review -> done, plus the way back. */

/** Every status, in board order. */
export const STATUSES = ["backlog", "claimed", "in-progress", "review", "done"] as const;
/** A ticket status. */
export type Status = typeof STATUSES[number];

/** Priorities, best first. */
export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
/** A ticket priority. */
export type Priority = typeof PRIORITIES[number];

/**
 * Allowed next states for each state. `done -> backlog` reopens a finished ticket (it comes back
 * unclaimed, for anyone to claim).
 */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  "backlog": ["claimed"],
  "claimed": ["in-progress", "backlog"],
  "in-progress": ["review", "backlog"],
  "review": ["done", "in-progress"],
  "done": ["backlog"],
};

/** Whether `from -> to` is allowed without `--force`. */
export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Type guard for statuses. */
export function isStatus(value: unknown): value is Status {
  return (STATUSES as readonly unknown[]).includes(value);
}

/** Type guard for priorities. */
export function isPriority(value: unknown): value is Priority {
  return (PRIORITIES as readonly unknown[]).includes(value);
}

/** Rank of a priority, 0 for critical. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}
