/** Agent lifecycle: register, heartbeat, deregister, and stale detection with reclaim. */
import { conflictError, notFoundError } from "../model/errors.ts";
import { formatAge, isoSeconds } from "../model/time.ts";
import { postEntry } from "./board.ts";
import { releaseWhere } from "./reservations.ts";
import type { Store, Tx } from "../store/store.ts";
import type { Ticket } from "../model/ticket.ts";
import { type Agent, AGENT_NAMES, type AgentProcess } from "../model/agent.ts";
import {
  hostedElsewhere,
  newAgent,
  readAgent,
  readAgentToWrite,
  readAllAgents,
  touchAgent,
  writeAgent,
} from "../store/agent_records.ts";
import { recordLostClaim } from "./fencing.ts";
import { releaseDecision } from "../model/decision.ts";
import { tokenOf } from "../model/lease.ts";
import { withHandoff, type WorktreeState, worktreeStates } from "./handoff.ts";
import { monotonicNow } from "../store/clock.ts";
import { processState } from "../store/processes.ts";
import { heartbeatAge } from "../model/clock.ts";
import { foreignJudge, type ForeignView } from "./leases.ts";
import { checkLabels, checkLine } from "../model/text.ts";
import { heldBy, holdersOf, isHeldBy } from "../model/holding.ts";

/** Options of `register`. */
export interface RegisterInput {
  /** Wanted name; null picks the first free readable name. */
  agent: string | null;
  capabilities: string[];
  sessionId: string | null;
  worktree: string | null;
  force: boolean;
  /** The Claude Code process of the session (hooks only). */
  process?: AgentProcess | null;
}

function pickFreeName(store: Store): string {
  let taken: Set<string> | null = null;
  for (let round = 1;; round++) {
    for (const base of AGENT_NAMES) {
      const name = round === 1 ? base : `${base}-${round}`;
      if (readAgent(store, name) !== null) continue;
      // Not "Agent-Alpha" either: names equal but for case are one file on macOS.
      taken ??= new Set(readAllAgents(store).agents.map((a) => a.id.toLowerCase()));
      if (!taken.has(name.toLowerCase())) return name;
    }
  }
}

/**
 * With sync on: the first free `<word>-<6 hex of the clone id>` (`alpha-3f9a0c`, then `bravo-…`,
 * then `alpha2-3f9a0c`), so clones registering at the same moment never pick one name and no
 * round trip to the remote is needed (docs/sync.md "Identities").
 */
function pickCloneName(store: Store, clone: string): string {
  const taken = new Set(readAllAgents(store).agents.map((a) => a.id.toLowerCase()));
  for (let round = 1;; round++) {
    for (const base of AGENT_NAMES) {
      const name = `${base.slice("agent-".length)}${round === 1 ? "" : round}-${clone.slice(0, 6)}`;
      if (!taken.has(name) && readAgent(store, name) === null) return name;
    }
  }
}

/**
 * Registers an agent. A name held by an active agent is refused unless `force`. With sync on
 * the agent is hosted by this clone; a name hosted by another clone is refused unless `force`,
 * which moves it here: its tickets there go back to the backlog as lost claims, so the old
 * host's late writes are fenced (docs/sync.md "Identities").
 */
export async function registerAgent(store: Store, input: RegisterInput, now: Date): Promise<Agent> {
  return (await registerLocked(store, input, now)).agent;
}

/** {@linkcode registerAgent}, and the clone the agent was moved from (`--force`), or null. */
async function registerLocked(
  store: Store,
  input: RegisterInput,
  now: Date,
): Promise<{ agent: Agent; movedFrom: string | null }> {
  checkLabels(input.capabilities);
  if (input.sessionId !== null) checkLine(input.sessionId, "session id");
  if (input.worktree !== null) checkLine(input.worktree, "worktree");
  return await store.mutate("register", (tx) => {
    const name = input.agent ??
      (tx.clone === null ? pickFreeName(tx.store) : pickCloneName(tx.store, tx.clone));
    const existing = readAgentToWrite(tx.store, name);
    const movedFrom = existing?.host && tx.clone !== null && existing.host !== tx.clone
      ? existing.host
      : null;
    if (movedFrom !== null) {
      if (!input.force) throw hostedElsewhere(name, movedFrom, tx.clone!);
      // A decision: the release of the old host's tickets (each stands only where the remote
      // still has the claim it took, replay.ts) carrying `from`, the move of the agent itself
      // (replay_moves.ts: lost when the fetched state has it hosted by a third clone since).
      // Made first: the releases below join it.
      tx.decide({ ...releaseDecision(name, null), from: movedFrom });
      const reason = `moved to clone ${tx.clone} by register --force (it was hosted by clone ` +
        `${movedFrom})`;
      for (const t of releasableTickets(tx.store, name)) {
        returnToBacklog(tx, t, name, reason, now, name, null);
      }
      releaseWhere(tx, (r) => r.agent === name);
    } else if (existing && existing.status === "active" && !input.force) {
      const same = input.sessionId !== null && existing.session_id === input.sessionId;
      if (!same) {
        const age = formatAge(now.getTime() - Date.parse(existing.last_heartbeat));
        throw conflictError(
          `Cannot register "${name}": an active agent already holds that name (last heartbeat ${age} ago)`,
          "track register (without --agent, picks a free name)",
          { agent: name, last_heartbeat: existing.last_heartbeat },
        );
      }
    }
    const agent = newAgent(name, now, [...new Set(input.capabilities)].sort());
    if (tx.clone !== null) agent.host = tx.clone;
    if (existing) {
      agent.registered_at = existing.status === "active"
        ? existing.registered_at
        : agent.registered_at;
      agent.extra = existing.extra;
      // Lost claims stay fenced: registering again is not a way back to a reclaimed ticket.
      agent.lost = tx.readAgent(name)?.lost ?? existing.lost;
    }
    agent.session_id = input.sessionId;
    agent.worktree = input.worktree;
    agent.process = input.process ?? null;
    writeAgent(tx, agent);
    postEntry(tx, {
      at: now,
      agent: name,
      ticket: null,
      tag: "joined",
      kind: "event",
      message: movedFrom === null
        ? `${name} registered`
        : `${name} registered on clone ${tx.clone}, moved from clone ${movedFrom}`,
    });
    return { agent, movedFrom };
  });
}

/**
 * {@linkcode registerAgent} for a surface: with sync on, an agent moved here from another clone
 * (`--force`) is a decision settled with the remote right away, as a claim is (docs/sync.md
 * "Identities"): confirmed (true), provisional when `offline` (false, exit 9), exit 3 when
 * the fetched state has it moved elsewhere meanwhile (the store then shows that host). `confirmed`
 * is null when nothing needed settling. Registering never waits for the remote otherwise.
 */
export async function registerSettled(
  store: Store,
  input: RegisterInput,
  options: { now: () => Date; offline: boolean; timeout?: string },
): Promise<{ agent: Agent; confirmed: boolean | null }> {
  const { agent, movedFrom } = await registerLocked(store, input, options.now());
  if (movedFrom === null) return { agent, confirmed: null };
  if (options.offline) return { agent, confirmed: false };
  const { syncSetupOf, syncStore, syncTimeout } = await import("./sync.ts");
  const setup = syncSetupOf(store);
  if (setup === null) return { agent, confirmed: null };
  const result = await syncStore(store, setup, {
    now: options.now,
    paced: false,
    timeoutMs: syncTimeout(options.timeout),
  });
  const lost = result.decisions.find((o) =>
    o.kind === "register" && o.agent === agent.id && o.outcome === "lost"
  );
  if (lost !== undefined) {
    throw conflictError(
      `Cannot move agent "${agent.id}" to this clone: ${lost.reason}; not moved, nothing of ` +
        "the move was published",
      `act as an agent of this clone: track register (picks a free name)`,
      { agent: agent.id, from: movedFrom, host: lost.winner, lost: true },
    );
  }
  return { agent: readAgent(store, agent.id) ?? agent, confirmed: true };
}

/** Records a heartbeat (registering the agent on the spot when unknown). */
export async function heartbeat(store: Store, agent: string, now: Date): Promise<Agent> {
  return await store.mutate("heartbeat", (tx) => touchAgent(tx, agent, now));
}

/** Tickets `agent` holds in claimed or in-progress (what goes back on release). */
export function releasableTickets(store: Store, agent: string): Ticket[] {
  return heldBy(store.readAllTickets().tickets, agent);
}

function returnToBacklog(
  tx: Tx,
  t: Ticket,
  agent: string,
  reason: string,
  now: Date,
  by: string,
  handoff: WorktreeState | null,
): number {
  const at = isoSeconds(now);
  // A ticket back in backlog ends every reservation made for it, whoever made it.
  const removed = releaseWhere(tx, (r) => r.ticket === t.id);
  // The next agent learns where this one stopped (docs/agents.md "Handoff").
  const noted = withHandoff(
    t,
    { agent, record: tx.readAgent(agent), state: handoff },
    reason,
    removed,
    now,
    by,
  );
  tx.writeTicket({ ...noted, status: "backlog", claimed_by: null, claimed_at: null, updated: at });
  // With sync on, a decision: it stands only where the remote still has the claim it took.
  tx.decide(releaseDecision(by, t));
  recordLostClaim(tx, agent, t, reason, now);
  postEntry(tx, {
    at: now,
    agent: by,
    ticket: t.id,
    tag: "reclaimed",
    kind: "event",
    message: `${t.id}: ${t.status} -> backlog (${reason})`,
    // The agent that lost it hears of it (its inbox; the hooks tell it on its next tool call).
    to: [agent],
  });
  // How many of the released reservations were the agent's own.
  return removed.filter((r) => r.agent === agent).length;
}

/** Result of deregistering. */
export interface DeregisterResult {
  agent: Agent;
  released: string[];
  reservationsReleased: number;
}

/** Deregisters `agent`; with `releaseTickets`, its claimed and in-progress tickets go to backlog. */
export async function deregisterAgent(
  store: Store,
  id: string,
  options: { releaseTickets: boolean; now: Date },
): Promise<DeregisterResult> {
  // The worktree's git status for the handoff note, read before the lock (it runs git).
  const before = options.releaseTickets ? readAgent(store, id) : null;
  const states = before !== null && releasableTickets(store, id).length > 0
    ? await worktreeStates([before])
    : new Map<string, WorktreeState>();
  return await store.mutate("deregister", (tx) => {
    const agent = tx.readAgent(id);
    if (!agent) throw notFoundError(`Agent "${id}" is not registered`, "track agents --all");
    // Only its host clone deregisters it (docs/sync.md "Identities").
    if (agent.host && tx.clone !== null && agent.host !== tx.clone) {
      throw hostedElsewhere(id, agent.host, tx.clone);
    }
    const released: string[] = [];
    let ownReleased = 0;
    if (options.releaseTickets) {
      for (const t of releasableTickets(tx.store, id)) {
        // Reread under the lock: releasableTickets read it moments ago in this same mutation.
        ownReleased += returnToBacklog(
          tx,
          t,
          id,
          `released by ${id} on deregister`,
          options.now,
          id,
          states.get(id) ?? null,
        );
        released.push(t.id);
      }
    }
    const removed = releaseWhere(tx, (r) => r.agent === id);
    const updated = {
      ...tx.readAgent(id)!,
      status: "deregistered" as const,
      busy: [],
      waiting: null,
    };
    writeAgent(tx, updated);
    postEntry(tx, {
      at: options.now,
      agent: id,
      ticket: null,
      tag: "left",
      kind: "event",
      message: `${id} deregistered` + (released.length ? `; released ${released.join(", ")}` : ""),
    });
    return { agent: updated, released, reservationsReleased: ownReleased + removed.length };
  });
}

/**
 * An agent whose recorded Claude Code process is gone (this boot: the pid is free or reused) is
 * stale once its last heartbeat is this old, whatever the threshold: long enough for a session
 * resumed in a new process to run its SessionStart hook, short enough that the work comes back
 * in about a minute rather than after the full threshold.
 */
export const PROCESS_GONE_GRACE_MS = 60_000;

/** One agent found stale. */
export interface StaleAgent {
  agent: Agent;
  ageMs: number;
  /** The heartbeat is dated in the future (its age is unknown): stale whatever the threshold. */
  future: boolean;
  /** Its recorded Claude Code process is gone (reclaimed after the short grace). */
  processGone: boolean;
  /** Tickets returned to backlog (only with reclaim). */
  reclaimed: string[];
  reservationsReleased: number;
}

/**
 * Active agents whose last heartbeat is older than `thresholdMs` in real elapsed time: measured
 * on the boot clock when the heartbeat came from this boot of this machine, so a wall clock
 * stepped forward or back never makes a heart-beating agent look stale (docs/design.md, "Clock").
 * A heartbeat dated in the future (`future`) counts as stale: a live agent's next heartbeat
 * replaces it, a dead one's never would.
 *
 * Liveness from the Claude Code hooks (docs/agents.md "Liveness"): an agent inside a tool call
 * (`busy`) whose Claude Code process is alive on this boot is never stale, however long the call
 * runs; one whose process is gone (pid free or reused on this boot) is stale once its heartbeat is
 * older than {@linkcode PROCESS_GONE_GRACE_MS} (or the threshold, when that is shorter).
 */
export function findStale(
  store: Store,
  thresholdMs: number,
  now: Date,
  options: { holders?: ReadonlySet<string>; agents?: readonly Agent[] } = {},
): Array<
  {
    agent: Agent;
    ageMs: number;
    future: boolean;
    processGone: boolean;
    /** Another clone's agent: how this clone observed its heartbeat token (leases.ts). */
    observed?: ForeignView;
  }
> {
  const mono = monotonicNow();
  // With sync on, another clone's agent is judged by this clone's observation of its heartbeat
  // token (leases.ts), never by comparing clocks; this clone's agents keep the rule below.
  const foreign = foreignJudge(store, thresholdMs);
  // The dashboard passes the records it keeps in memory instead of reading them all again.
  return (options.agents ?? readAllAgents(store).agents)
    // Deregistered agents that still hold tickets (they left without --release-tickets) count
    // too, so their work does not stay claimed forever.
    .filter((a) =>
      a.status === "active" || (a.status === "deregistered" && options.holders?.has(a.id))
    )
    .map((a) => {
      const seen = foreign?.(a) ?? null;
      if (seen !== null) {
        return { agent: a, ageMs: seen.total_ms ?? 0, future: false, proc: null, seen };
      }
      const age = heartbeatAge({ wall: a.last_heartbeat, mono: a.heartbeat_clock }, {
        wall: now,
        mono,
      });
      const proc = processState(a.process);
      return { agent: a, ageMs: age.ms, future: age.future, proc, seen };
    })
    .filter((x) => {
      if (x.seen !== null) return x.seen.reclaimable;
      if (x.proc === "alive" && x.agent.busy.length > 0) return false;
      const limit = x.proc === "gone" ? Math.min(thresholdMs, PROCESS_GONE_GRACE_MS) : thresholdMs;
      return x.future || !(x.ageMs <= limit);
    })
    .map(({ agent, ageMs, future, proc, seen }) => ({
      agent,
      ageMs,
      future,
      processGone: proc === "gone",
      ...(seen === null ? {} : { observed: seen }),
    }));
}

/**
 * Marks stale agents and returns their claimed/in-progress tickets to backlog, releasing their
 * reservations. Decided under the lock on freshly read records, so an agent that heart-beat
 * after the decision (its heartbeat needs the same lock) is never touched.
 */
export async function reclaimStale(
  store: Store,
  options: { thresholdMs: number; now: Date; by: string; agent?: string | null },
): Promise<StaleAgent[]> {
  // The candidates' worktrees, for the handoff notes: git runs before the lock is taken. The
  // decision is made again under the lock; an agent found only then gets a note without them.
  const seen = store.readAllTickets().tickets;
  const candidates = findStale(store, options.thresholdMs, options.now, {
    holders: holdersOf(seen),
  }).map((s) => s.agent).filter((a) => heldBy(seen, a.id).length > 0);
  const states = await worktreeStates(candidates);
  return await store.mutate("stale --reclaim", (tx) => {
    const out: StaleAgent[] = [];
    // Running the reclaim is the agent's heartbeat, so it never reclaims itself.
    if (options.agent) touchAgent(tx, options.agent, options.now);
    const tickets = tx.readAllTickets().tickets;
    const holders = holdersOf(tickets);
    const stale = findStale(tx.store, options.thresholdMs, options.now, { holders });
    if (stale.length === 0) return out;
    for (const { agent, ageMs, future, processGone, observed } of stale) {
      // Another clone's agent: the reclaim fails on replay if its token moved on the remote.
      if (observed !== undefined && heldBy(tickets, agent.id).length > 0) {
        tx.decide({ ...releaseDecision(options.by, null), tokens: { [agent.id]: tokenOf(agent) } });
      }
      const reason = observed !== undefined
        ? `reclaimed: its heartbeat (token ${observed.token}) was seen unchanged for ` +
          `${formatAge(ageMs)} from this machine`
        : future
        ? "reclaimed: its last heartbeat is dated in the future"
        : processGone
        ? `reclaimed: its Claude Code process ${agent.process!.pid} is gone ` +
          `(no heartbeat for ${formatAge(ageMs)})`
        : `reclaimed: no heartbeat for ${formatAge(ageMs)}`;
      const reclaimed: string[] = [];
      let ownReleased = 0;
      for (const t of tickets) {
        if (isHeldBy(t, agent.id)) {
          ownReleased += returnToBacklog(
            tx,
            t,
            agent.id,
            reason,
            options.now,
            options.by,
            states.get(agent.id) ?? null,
          );
          reclaimed.push(t.id);
        }
      }
      const released = ownReleased + releaseWhere(tx, (r) => r.agent === agent.id).length;
      const record = tx.readAgent(agent.id)!;
      // A deregistered agent stays deregistered; only its orphaned work goes back.
      const status = record.status === "deregistered" ? "deregistered" : "stale";
      // Nothing runs for it any more: no tool call in progress, nobody to wait for.
      writeAgent(tx, { ...record, status, busy: [], waiting: null });
      postEntry(tx, {
        at: options.now,
        agent: options.by,
        ticket: null,
        tag: "stale",
        kind: "event",
        message:
          `${agent.id} is ${status} (last heartbeat ${
            future ? "dated in the future" : `${formatAge(ageMs)} ago`
          })` +
          (reclaimed.length ? `; returned ${reclaimed.join(", ")} to backlog` : "") +
          (released ? `; released ${released} reservation(s)` : ""),
      });
      out.push({
        agent: { ...record, status },
        ageMs,
        future,
        processGone,
        reclaimed,
        reservationsReleased: released,
      });
    }
    return out;
  });
}
