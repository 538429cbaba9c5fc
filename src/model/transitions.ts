/** The ticket lifecycle: backlog -> claimed -> in-progress -> review -> done, plus the way back. */

import { usageError } from "./errors.ts";

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

/**
 * `value` as a status, or a usage error (exit 2) listing the statuses: the one check every
 * surface applies to a status from outside (CLI flags via `choices`, MCP arguments, the
 * dashboard's requests).
 */
export function parseStatus(value: unknown): Status {
  if (isStatus(value)) return value;
  throw usageError(`Invalid status ${shown(value)}: expected one of ${STATUSES.join(", ")}`);
}

/** `value` as a priority, or a usage error listing the priorities; see {@linkcode parseStatus}. */
export function parsePriority(value: unknown): Priority {
  if (isPriority(value)) return value;
  throw usageError(`Invalid priority ${shown(value)}: expected one of ${PRIORITIES.join(", ")}`);
}

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 70)) : typeof value;
}

/** Type guard for priorities. */
export function isPriority(value: unknown): value is Priority {
  return (PRIORITIES as readonly unknown[]).includes(value);
}

/** Rank of a priority, 0 for critical. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}
