/**
 * Epics and routing, the pure half: a ticket's parent (its epic), the capabilities it needs, who
 * submitted it for review, and the rules over them (parent cycles, an epic's progress, whether an
 * agent may be offered a ticket). All of it lives in optional front matter keys (`parent`,
 * `needs`, `submitted_by`; docs/format.md), kept in `extra` so agent-track 0.1 files and the
 * metadata cache read as before.
 */
import type { FrontValue } from "./front_matter.ts";
import type { TicketSummary } from "./ticket.ts";
import { STATUSES } from "./transitions.ts";

/** Front matter key: the epic this ticket belongs to (a ticket id). */
export const PARENT_KEY = "parent";
/** Front matter key: capabilities an agent needs to be offered this ticket (a list). */
export const NEEDS_KEY = "needs";
/** Front matter key: the agent that moved the ticket to review (never offered it back). */
export const SUBMITTED_KEY = "submitted_by";
/** Front matter key: the agent reviewing it (`next --review`); cleared when it leaves review. */
export const REVIEWER_KEY = "reviewer";

function extraValue(t: TicketSummary, key: string): FrontValue | undefined {
  return t.extra.find(([k]) => k === key)?.[1];
}

/** The parent (epic) of a ticket, or null. */
export function parentOf(t: TicketSummary): string | null {
  const v = extraValue(t, PARENT_KEY);
  return typeof v === "string" ? v : null;
}

/** Capabilities a ticket needs, sorted (empty: any agent). */
export function needsOf(t: TicketSummary): string[] {
  const v = extraValue(t, NEEDS_KEY);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The agent that submitted the ticket for review, or null. */
export function submittedByOf(t: TicketSummary): string | null {
  const v = extraValue(t, SUBMITTED_KEY);
  return typeof v === "string" ? v : null;
}

/** The agent reviewing a ticket in review (`next --review`), or null. */
export function reviewerOf(t: TicketSummary): string | null {
  const v = extraValue(t, REVIEWER_KEY);
  return typeof v === "string" ? v : null;
}

/**
 * Whether `agent` may be offered ticket `t` for review: it is in review, nobody reviews it yet,
 * and `agent` did not submit it (nor, for a ticket from before `submitted_by`, claim it).
 */
export function reviewableBy(t: TicketSummary, agent: string): boolean {
  if (t.status !== "review" || reviewerOf(t) !== null) return false;
  return (submittedByOf(t) ?? t.claimed_by) !== agent;
}

/**
 * The chain `child -> parent -> …` that setting `parent` as the parent of `child` would close
 * into a cycle (ending at `child` again), or null when it stays a tree. `parentOfId` looks up
 * the current parent of any ticket.
 */
export function parentCycle(
  child: string,
  parent: string,
  parentOfId: (id: string) => string | null,
): string[] | null {
  const path = [child];
  const seen = new Set<string>();
  for (let cur: string | null = parent; cur !== null; cur = parentOfId(cur)) {
    path.push(cur);
    if (cur === child) return path;
    if (seen.has(cur)) return null; // A cycle elsewhere (hand-edited): not ours to close.
    seen.add(cur);
  }
  return null;
}

/** An epic's progress: its children counted by status. */
export interface Progress {
  done: number;
  total: number;
  by_status: Record<string, number>;
}

/** The children of `id` among `all`, in the order given. */
export function childrenOf<T extends TicketSummary>(all: readonly T[], id: string): T[] {
  return all.filter((t) => parentOf(t) === id);
}

/** Progress over `children`: done/total and a count per status (every status, fixed order). */
export function progressOf(children: readonly TicketSummary[]): Progress {
  const by: Record<string, number> = {};
  for (const s of STATUSES) by[s] = 0;
  for (const c of children) by[c.status] = (by[c.status] ?? 0) + 1;
  return { done: by.done, total: children.length, by_status: by };
}

/** Whether an agent with `capabilities` may be offered `t` (it has every capability needed). */
export function hasNeeds(t: TicketSummary, capabilities: readonly string[]): boolean {
  return needsOf(t).every((n) => capabilities.includes(n));
}

/** The capabilities `t` needs that an agent with `capabilities` lacks. */
export function missingNeeds(t: TicketSummary, capabilities: readonly string[]): string[] {
  return needsOf(t).filter((n) => !capabilities.includes(n));
}
