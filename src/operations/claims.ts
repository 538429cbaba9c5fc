/**
 * The claim rule and fencing. Only backlog tickets can be claimed; open dependencies refuse the
 * claim; under any concurrency exactly one claimant wins because the decision is made on data
 * read under the lock. Every claim bumps the ticket's `claim_epoch`; an agent whose claim was
 * taken (reclaimed as stale, or forced by someone else) gets a `lost` note, and its later
 * writes to that ticket are refused with when and why.
 */
import { conflictError, notFoundError, TrackError } from "../model/errors.ts";
import { formatAge, isoSeconds } from "../model/time.ts";
import { postEntry } from "./board.ts";
import { readReservations, releaseWhere } from "./reservations.ts";
import { patternsOverlap } from "../model/reservation_paths.ts";
import { blockedTickets, byReadiness, readyTickets } from "../model/ready.ts";
import {
  hasNeeds,
  missingNeeds,
  parentOf,
  reviewableBy,
  REVIEWER_KEY,
  reviewerOf,
  submittedByOf,
} from "../model/planning.ts";
import { withExtra } from "../model/verify.ts";
import type { Store, Tx } from "../store/store.ts";
import { openDependencies } from "./dependencies.ts";
import type { LogEntry, Ticket, TicketSummary } from "../model/ticket.ts";
import { readAgent, touchAgent, writeAgent } from "../store/agent_records.ts";
import { latestHandoff, withHandoff, type WorktreeState, worktreeStates } from "./handoff.ts";
import { recordLostClaim } from "./fencing.ts";
import { holderOf, isHeldBy } from "../model/holding.ts";
import { claimGroupOf, claimIdOf, withClaimGroup } from "../model/decision.ts";
import { newClaimId } from "../store/oplog.ts";

/** Result of a claim. */
export interface ClaimResult {
  ticket: Ticket;
  /** True when the agent already held it (nothing changed but its heartbeat). */
  already: boolean;
  /** The agent it was taken from with `--force`, if any. */
  takenFrom: string | null;
  /** The newest handoff note in its Work Log (docs/agents.md "Handoff"), or null. */
  handoff: LogEntry | null;
}

/**
 * The agent working on `ticket` (claimed or in-progress) when that is not `actor` (null: a
 * person, `human`); null otherwise. Moving such a ticket needs force, for everyone: see
 * {@linkcode assertMayMove}. A ticket in review or done is no longer in its claimer's hands.
 */
export function heldByOther(ticket: TicketSummary, actor: string | null): string | null {
  const holder = holderOf(ticket);
  return holder !== actor ? holder : null;
}

/**
 * The one rule for changing the status of a ticket another agent is working on, applied to
 * every surface (CLI `update`, MCP `update`, the dashboard): without `force` it is refused
 * (exit 3) with `detail.needs_force: true` and the holder, so a surface can ask for
 * confirmation and retry with force. With force the holder is fenced by the caller
 * ({@linkcode recordLostClaim}) and the board event names it.
 */
export function assertMayMove(
  ticket: TicketSummary,
  to: string,
  actor: string | null,
  force: boolean,
): void {
  const holder = heldByOther(ticket, actor);
  if (holder === null || force) return;
  const who = actor ?? "human";
  throw conflictError(
    `Cannot move "${ticket.id}" to ${to}: "${holder}" is working on it (${ticket.status}); ` +
      `moving another agent's ticket needs --force, which takes it from "${holder}"`,
    `track board --agent ${actor ?? "NAME"} --ticket ${ticket.id} --tag question -m "..." ` +
      `(ask "${holder}" first)`,
    {
      ticket: ticket.id,
      status: ticket.status,
      to,
      holder,
      actor: who,
      needs_force: true,
    },
  );
}

/**
 * The clone that granted a ticket's tenure: the clone id prefix of its `claim_id`
 * (`<clone id>-<counter>`, written with sync on), or null.
 */
export function tenureClone(ticket: Ticket): string | null {
  const own = (ticket as unknown as Record<string, unknown>).claim_id;
  const v = own ?? ticket.extra.find(([k]) => k === "claim_id")?.[1];
  return typeof v === "string" ? /^([0-9a-f]{12})-/.exec(v)?.[1] ?? null : null;
}

/**
 * Applies a claim to a ticket read under the lock; shared by `claim`, `update --status claimed`
 * and `next`. Throws exit 3 on a conflict.
 */
export function claimLocked(
  tx: Tx,
  ticket: Ticket,
  agent: string,
  options: {
    force: boolean;
    now: Date;
    holderWorktrees?: ReadonlyMap<string, WorktreeState>;
    /**
     * The person handing the ticket to `agent` (the dashboard's "assign"): the board event is
     * theirs, `agent` is told, and its heartbeat is left alone (it did nothing yet).
     */
    assignedBy?: string;
  },
): ClaimResult {
  const { force, now, assignedBy } = options;
  // "Already yours": the same agent, and (with sync on) a tenure granted on this clone.
  const tenure = tenureClone(ticket);
  const elsewhere = tx.clone !== null && tenure !== null && tenure !== tx.clone ? tenure : null;
  if (isHeldBy(ticket, agent) && elsewhere === null) {
    if (assignedBy === undefined) touchAgent(tx, agent, now);
    return { ticket, already: true, takenFrom: null, handoff: latestHandoff(ticket) };
  }
  let takenFrom: string | null = null;
  if (ticket.status !== "backlog") {
    const holder = ticket.claimed_by;
    const age = ticket.claimed_at
      ? ` ${formatAge(now.getTime() - Date.parse(ticket.claimed_at))} ago`
      : "";
    if (!force || ticket.status === "done") {
      const why = holder !== null && ticket.status !== "done"
        ? `claimed by "${holder}"${age} (status ${ticket.status})` +
          (holder === agent && elsewhere !== null ? ` on clone ${elsewhere}, not this one` : "")
        : `its status is ${ticket.status}; only backlog tickets can be claimed`;
      throw conflictError(
        `Cannot claim "${ticket.id}": ${why}`,
        ticket.status === "done" ? "track ready" : "track ready (lists unclaimed tickets)",
        // needs_force: force would take it (a surface may ask the person, then retry).
        { ticket: ticket.id, status: ticket.status, holder, needs_force: ticket.status !== "done" },
      );
    }
    takenFrom = holder !== agent ? holder : null;
  }
  if (!force) {
    const open = openDependencies(tx.store, ticket);
    if (open.length > 0) {
      throw conflictError(
        `Cannot claim "${ticket.id}": it depends on open tickets ${
          open.map((o) => `${o.id} (${o.status})`).join(", ")
        }`,
        `track show ${open[0].id}`,
        { ticket: ticket.id, open: open.map((o) => o.id) },
      );
    }
  }
  let base = ticket;
  if (takenFrom !== null) {
    const reason = assignedBy === undefined
      ? `taken over by "${agent}" with --force`
      : `assigned to "${agent}" by "${assignedBy}" after confirming`;
    recordLostClaim(tx, takenFrom, ticket, reason, now);
    const released = releaseWhere(tx, (r) => r.agent === takenFrom && r.ticket === ticket.id);
    // The new holder learns where the old one stopped (docs/agents.md "Handoff").
    base = withHandoff(
      ticket,
      {
        agent: takenFrom,
        record: tx.readAgent(takenFrom),
        // Only the state of the agent it is taken from now (the holder may have changed since
        // git ran, before the lock).
        state: options.holderWorktrees?.get(takenFrom) ?? null,
      },
      reason,
      released,
      now,
      agent,
    );
  }
  const at = isoSeconds(now);
  // With sync on, the claim is a decision replayed on the remote's state (decision.ts) and its
  // tenure gets an id unique across machines.
  const claimId = newClaimId(tx);
  const claimed: Ticket = withClaimGroup({ ...base, updated: at }, {
    status: "claimed",
    claimed_by: agent,
    claimed_at: at,
    claim_epoch: ticket.claim_epoch + 1,
    claim_id: claimId ?? claimIdOf(base),
  });
  tx.writeTicket(claimed);
  if (claimId !== null) {
    tx.decide({
      kind: "claim",
      ticket: ticket.id,
      agent,
      claim_id: claimId,
      force,
      prev: claimGroupOf(ticket),
    });
  }
  const record = assignedBy === undefined ? touchAgent(tx, agent, now) : tx.readAgent(agent);
  if (record !== null && record.lost.some((l) => l.ticket === ticket.id)) {
    record.lost = record.lost.filter((l) => l.ticket !== ticket.id);
    writeAgent(tx, record);
  }
  postEntry(tx, {
    at: now,
    agent: assignedBy ?? agent,
    ticket: ticket.id,
    tag: "claimed",
    kind: "event",
    message: assignedBy !== undefined
      ? `Assigned ${ticket.id} to ${agent}` +
        (takenFrom ? ` (taken from "${takenFrom}" after confirming)` : "")
      : takenFrom
      ? `Claimed ${ticket.id} (taken from ${takenFrom} with --force)`
      : `Claimed ${ticket.id}`,
    to: assignedBy !== undefined
      ? [agent, ...(takenFrom ? [takenFrom] : [])]
      : takenFrom
      ? [takenFrom]
      : [],
  });
  return { ticket: claimed, already: false, takenFrom, handoff: latestHandoff(claimed) };
}

/** Claims `id` for `agent`. */
export async function claimTicket(
  store: Store,
  id: string,
  agent: string,
  options: { force: boolean; now: Date },
): Promise<ClaimResult> {
  // Taking a held ticket with --force: the holder's worktree status for the handoff note, read
  // before the lock (it runs git); the claim itself is decided under the lock.
  let holderWorktrees = new Map<string, WorktreeState>();
  if (options.force) {
    const seen = store.readTicket(id);
    const holder = holderOf(seen);
    const record = holder !== null && holder !== agent ? readAgent(store, holder) : null;
    if (record !== null) holderWorktrees = await worktreeStates([record]);
  }
  return await store.mutate(
    `claim ${id}`,
    (tx) => claimLocked(tx, tx.readTicket(id), agent, { ...options, holderWorktrees }),
  );
}

/**
 * A person hands ticket `id` to the registered agent `agent` (the dashboard's "assign"): the
 * claim rule of {@linkcode claimTicket} for `agent` (dependencies, backlog only), and with
 * `force` (after the person confirmed) a held ticket is taken from its holder exactly as
 * `track claim --force` takes it: the holder is fenced, its reservations on the ticket released,
 * a handoff note written, and the board event (by `by`) tells both agents.
 */
export async function assignTicket(
  store: Store,
  id: string,
  agent: string,
  options: { by: string; force: boolean; now: Date },
): Promise<ClaimResult> {
  let holderWorktrees = new Map<string, WorktreeState>();
  if (options.force) {
    const holder = holderOf(store.readTicket(id));
    const record = holder !== null && holder !== agent ? readAgent(store, holder) : null;
    if (record !== null) holderWorktrees = await worktreeStates([record]);
  }
  return await store.mutate(`assign ${id}`, (tx) => {
    const record = tx.readAgent(agent);
    if (record === null || record.status === "deregistered") {
      throw notFoundError(
        `Cannot assign "${id}" to "${agent}": no registered agent has that name`,
        "track agents (lists the registered agents)",
      );
    }
    return claimLocked(tx, tx.readTicket(id), agent, {
      force: options.force,
      now: options.now,
      holderWorktrees,
      assignedBy: options.by,
    });
  });
}

/** Why `next` found nothing to claim, by class of candidate (the `detail` of its exit 4). */
export interface NothingReady {
  /** The `--label` asked for, or null. */
  label: string | null;
  /** The `--parent` (epic) asked for, or null. */
  parent?: string | null;
  /** Backlog tickets (with that label). */
  backlog: number;
  /** Backlog tickets waiting on dependencies that are not done. */
  blocked: Array<{ id: string; waiting_on: Array<{ id: string; status: string }> }>;
  /** Ready tickets needing capabilities the agent has not registered (`register --capabilities`). */
  needs?: Array<{ id: string; missing: string[] }>;
  /** Ready tickets whose files overlap another agent's exclusive reservation. */
  reserved: Array<{ id: string; by: Array<{ agent: string; ticket: string; path: string }> }>;
}

const SHOWN = 5;

function some<T>(list: readonly T[], show: (x: T) => string): string {
  const head = list.slice(0, SHOWN).map(show).join("; ");
  return list.length > SHOWN ? `${head}; and ${list.length - SHOWN} more` : head;
}

/** The exit-4 error of `next`, saying for each class of candidate why it was not taken. */
export function nothingReadyError(why: NothingReady): TrackError {
  const parts: string[] = [];
  if (why.backlog === 0) parts.push("no ticket is in backlog");
  if (why.blocked.length > 0) {
    parts.push(
      `blocked by open dependencies: ${
        some(why.blocked, (b) =>
          `${b.id} waits on ${
            b.waiting_on.map((w) => `${w.id} (${w.status})`).join(", ")
          }`)
      }`,
    );
  }
  if ((why.needs ?? []).length > 0) {
    parts.push(
      `needs capabilities you lack: ${
        some(why.needs!, (n) => `${n.id} needs ${n.missing.join(", ")}`)
      }`,
    );
  }
  if (why.reserved.length > 0) {
    parts.push(
      `files reserved by another agent: ${
        some(why.reserved, (r) =>
          `${r.id} (${
            r.by.map((b) => `"${b.path}" by "${b.agent}" for ${b.ticket}`).join(", ")
          })`)
      }`,
    );
  }
  const hint = why.reserved.length > 0
    ? 'track files --list (who holds what; ask on the board: track board -m "...")'
    : (why.needs ?? []).length > 0
    ? "track register --capabilities a,b (or ask on the board for an agent that has them)"
    : why.blocked.length > 0
    ? "track blocked (shows what waits on what)"
    : "track list (what is claimed, in progress or in review)";
  return new TrackError(
    "notFound",
    `Nothing is ready to claim${why.label === null ? "" : ` with label "${why.label}"`}${
      why.parent ? ` under ${why.parent}` : ""
    }: ${parts.join("; ")}`,
    { hint, detail: { ...why } },
  );
}

/**
 * Picks the best ready ticket and claims it for `agent`, atomically: skips tickets whose files
 * overlap another agent's exclusive reservation. When nothing is ready it throws exit 4 saying
 * why, from the same data read under the lock, and writes nothing (not even a heartbeat).
 */
export async function claimNext(
  store: Store,
  agent: string,
  options: { label?: string; parent?: string; now: Date },
): Promise<ClaimResult> {
  const r = await store.mutate("next", (tx): ClaimResult | NothingReady => {
    const capabilities = tx.readAgent(agent)?.capabilities ?? [];
    const reservations = readReservations(tx.store).filter((r) =>
      r.agent !== agent && r.mode === "exclusive"
    );
    const all = tx.readAllTickets().tickets;
    const wanted = (t: Ticket) =>
      (options.label === undefined || t.labels.includes(options.label)) &&
      (options.parent === undefined || parentOf(t) === options.parent);
    const holders = (t: Ticket) =>
      reservations.filter((r) => t.files.some((f) => patternsOverlap(r.path, f)));
    // Dependencies are looked up among all tickets, then the label filters.
    const candidates = readyTickets(all).filter(wanted);
    // Routing: only tickets whose needs the agent has registered.
    const ready = candidates.filter((t) => hasNeeds(t, capabilities));
    const pick = ready.find((t) => holders(t).length === 0);
    if (pick) return claimLocked(tx, pick, agent, { force: false, now: options.now });
    // Nothing ready: the command fails (exit 4), and a failed command writes nothing, not
    // even a heartbeat (which would register a mistyped --agent).
    return {
      label: options.label ?? null,
      parent: options.parent ?? null,
      backlog: all.filter((t) => t.status === "backlog" && wanted(t)).length,
      blocked: blockedTickets(all).filter((b) => wanted(b.ticket)).map((b) => ({
        id: b.ticket.id,
        waiting_on: b.waitingOn,
      })),
      needs: candidates.filter((t) => !hasNeeds(t, capabilities)).map((t) => ({
        id: t.id,
        missing: missingNeeds(t, capabilities),
      })),
      reserved: ready.map((t) => ({
        id: t.id,
        by: holders(t).map((r) => ({ agent: r.agent, ticket: r.ticket, path: r.path })),
      })),
    };
  });
  if ("ticket" in r) return r;
  throw nothingReadyError(r);
}

/** Result of `next --review`. */
export interface ReviewResult {
  ticket: Ticket;
  /** The agent was already reviewing it (the same ticket again). */
  already: boolean;
}

/**
 * `next --review`: hands `agent` the best ticket in review that nobody reviews yet, that it did
 * not submit (a ticket is never offered for review to the agent that moved it there), whose
 * needs it has; records it as the `reviewer` under the lock (two reviewers never get one ticket).
 * Exit 4 saying why when there is none.
 */
export async function claimReview(
  store: Store,
  agent: string,
  options: { label?: string; parent?: string; now: Date },
): Promise<ReviewResult> {
  return await store.mutate("next --review", (tx) => {
    const capabilities = tx.readAgent(agent)?.capabilities ?? [];
    const all = tx.readAllTickets().tickets.filter((t) =>
      t.status === "review" &&
      (options.label === undefined || t.labels.includes(options.label)) &&
      (options.parent === undefined || parentOf(t) === options.parent)
    ).sort(byReadiness);
    const mine = all.find((t) => reviewerOf(t) === agent);
    if (mine) {
      touchAgent(tx, agent, options.now);
      return { ticket: mine, already: true };
    }
    const pick = all.find((t) => reviewableBy(t, agent) && hasNeeds(t, capabilities));
    if (!pick) {
      const own = all.filter((t) => (submittedByOf(t) ?? t.claimed_by) === agent);
      const taken = all.filter((t) => reviewerOf(t) !== null);
      const lacking = all.filter((t) => reviewableBy(t, agent) && !hasNeeds(t, capabilities));
      const parts = [
        all.length === 0 ? "no ticket is in review" : "",
        own.length > 0 ? `submitted by you: ${own.map((t) => t.id).join(", ")}` : "",
        taken.length > 0
          ? `already being reviewed: ${
            taken.map((t) => `${t.id} by "${reviewerOf(t)}"`).join(", ")
          }`
          : "",
        lacking.length > 0
          ? `needs capabilities you lack: ${
            lacking.map((t) => `${t.id} needs ${missingNeeds(t, capabilities).join(", ")}`)
              .join("; ")
          }`
          : "",
      ].filter((p) => p !== "");
      throw new TrackError(
        "notFound",
        `Nothing to review${options.parent ? ` under ${options.parent}` : ""}: ${parts.join("; ")}`,
        { hint: "track list --status review", detail: { review: all.map((t) => t.id) } },
      );
    }
    const at = isoSeconds(options.now);
    const ticket = { ...withExtra(pick, REVIEWER_KEY, agent), updated: at };
    tx.writeTicket(ticket);
    postEntry(tx, {
      at: options.now,
      agent,
      ticket: ticket.id,
      tag: "reviewing",
      kind: "event",
      message: `${agent} reviews ${ticket.id}`,
      to: [submittedByOf(ticket) ?? ticket.claimed_by].filter((a): a is string =>
        a !== null && a !== "human"
      ),
    });
    touchAgent(tx, agent, options.now);
    return { ticket, already: false };
  });
}
