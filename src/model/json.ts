/**
 * The JSON shapes every surface shares (`--json`, MCP tools, the dashboard API, export): stable
 * key order, explicit nulls, versioned by {@linkcode JSON_SCHEMA}. docs/json.md documents them.
 */
import type { Agent } from "./agent.ts";
import { formatAge } from "./time.ts";
import {
  acceptanceOf,
  descriptionOf,
  logEntriesOf,
  type Ticket,
  type TicketSummary,
} from "./ticket.ts";
import { needsOf, parentOf, reviewerOf, submittedByOf } from "./planning.ts";
import { evidenceOf, unverifiedOf, verifyCommandsOf } from "./verify.ts";

/** Version of every `--json` shape; bumped on any breaking change. */
import { JSON_SCHEMA } from "./json_schema.ts";
export { JSON_SCHEMA };

/** The JSON form of a ticket's metadata (stable key order, explicit nulls). */
export type TicketJson = Omit<TicketSummary, "extra"> & {
  /** Verify commands (`track verify`), in order. */
  verify: string[];
  /** Why a done (or review) ticket was forced past its verify commands, or null. */
  unverified: string | null;
  /** The epic this ticket belongs to, or null. */
  parent: string | null;
  /** Capabilities an agent needs to be offered it by `next` (empty: any agent). */
  needs: string[];
  /** The agent (or "human") that last moved it to review, or null. */
  submitted_by: string | null;
  /** The agent reviewing it (`next --review`), or null. */
  reviewer: string | null;
};

/** Metadata of a ticket for `--json`. */
export function ticketJson(t: TicketSummary): TicketJson {
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    created: t.created,
    created_by: t.created_by,
    claimed_by: t.claimed_by,
    claimed_at: t.claimed_at,
    labels: t.labels,
    branch: t.branch,
    files: t.files,
    depends_on: t.depends_on,
    updated: t.updated,
    claim_epoch: t.claim_epoch,
    verify: verifyCommandsOf(t),
    unverified: unverifiedOf(t),
    parent: parentOf(t),
    needs: needsOf(t),
    submitted_by: submittedByOf(t),
    reviewer: reviewerOf(t),
  };
}

/** A ticket with its body, description, Acceptance Criteria and Work Log, for `show --json`. */
export function ticketDetailJson(t: Ticket) {
  return {
    ...ticketJson(t),
    description: descriptionOf(t.body),
    acceptance: acceptanceOf(t.body),
    log: logEntriesOf(t.body),
    evidence: evidenceOf(t).map((e) =>
      e === null
        ? null
        : { command: e.command, exit: e.exit, ms: e.ms, at: e.at, head: e.head, tree: e.tree }
    ),
    body: t.body,
  };
}

function ageSeconds(now: Date, since: string): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
}

/** What an agent is doing right now, in a few words: waiting for the person, busy, or "". */
export function agentNow(a: { busy: Agent["busy"]; waiting: Agent["waiting"] }, now: Date): string {
  const age = (since: string) => formatAge(ageSeconds(now, since) * 1000);
  if (a.waiting !== null) return `waiting for you: ${a.waiting.reason} (${age(a.waiting.since)})`;
  if (a.busy.length === 0) return "";
  const b = a.busy[0];
  const more = a.busy.length > 1 ? ` (+${a.busy.length - 1} more)` : "";
  return `busy: ${b.tool}${b.what ? ` ${b.what}` : ""}, since ${b.since.slice(11, 19)} (${
    age(b.since)
  })${more}`;
}

/** The JSON form of an agent. */
export function agentJson(a: Agent, now: Date, tickets: string[], reservations: number) {
  return {
    id: a.id,
    status: a.status,
    registered_at: a.registered_at,
    last_heartbeat: a.last_heartbeat,
    heartbeat_age_s: Math.max(0, Math.floor((now.getTime() - Date.parse(a.last_heartbeat)) / 1000)),
    capabilities: a.capabilities,
    session_id: a.session_id,
    worktree: a.worktree,
    tickets,
    reservations,
    // From the Claude Code hooks (docs/agents.md "Liveness", "Waiting for you").
    busy: a.busy.map((b) => ({ ...b, age_s: ageSeconds(now, b.since) })),
    waiting: a.waiting === null ? null : { ...a.waiting, age_s: ageSeconds(now, a.waiting.since) },
    // The clone the agent acts from, with sync on (docs/sync.md "Identities").
    host: a.host ?? null,
  };
}
