/**
 * Leases across machines, as commands see them (docs/sync.md "Leases across machines"; the rules
 * are src/model/lease.ts). Only for a sync store: with sync off every function here returns at
 * once. Reads small private files of the sync engine (`<git common dir>/track/sync/`): the
 * engine's `state.json` (the holder's published tokens, the last fetch on the boot clock) and
 * `observed.json` (when this clone first saw each other clone's agents' tokens). No git runs here.
 */
import { conflictError } from "../model/errors.ts";
import { join } from "../model/path.ts";
import { formatAge, parseDuration } from "../model/time.ts";
import type { Agent } from "../model/agent.ts";
import type { MonoStamp } from "../model/clock.ts";
import type { Ticket } from "../model/ticket.ts";
import { isHeldBy } from "../model/holding.ts";
import {
  elapsed,
  type FirstSeen,
  formatToken,
  type HolderLease,
  holderLease,
  isForeign,
  leaseTimes,
  parseFirstSeen,
  parsePublishedLease,
  parseStamp,
  type PublishedLease,
  sameToken,
  tokenOf,
  totalOf,
} from "../model/lease.ts";
import { monotonicNow } from "../store/clock.ts";
import { readCloneId } from "../store/oplog.ts";
import type { Store, Tx } from "../store/store.ts";

/** This clone's first-seen records, in the engine's private directory. */
export const OBSERVED_FILE = "observed.json";

/** The published leases of an engine state's `leases` value (bad entries left out). */
export function parseLeases(v: unknown): Record<string, PublishedLease> {
  const out: Record<string, PublishedLease> = {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [agent, e] of Object.entries(v as Record<string, unknown>)) {
    const l = parsePublishedLease(e);
    if (l !== null && agent !== "__proto__") out[agent] = l;
  }
  return out;
}

/** What this clone's private files say about leases. */
export interface LeaseRecords {
  /** The holder's side: this clone's agents' latest accepted tokens. */
  leases: Record<string, PublishedLease>;
  /** Boot-clock reading of this clone's last fetch. */
  fetched_clock: MonoStamp | null;
  /** The observers' side: when this clone first saw each observed token. */
  seen: Record<string, FirstSeen>;
  /** The fetched tip those records are from, and when a fetch first showed it. */
  tip: string | null;
  tip_at: MonoStamp | null;
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null; // Missing or unreadable: nothing recorded (nobody is reclaimed, nothing fenced).
  }
}

/** The first-seen records of an `observed.json` value. */
export function parseSeen(v: unknown): Record<string, FirstSeen> {
  const out: Record<string, FirstSeen> = {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [agent, e] of Object.entries(v as Record<string, unknown>)) {
    const s = parseFirstSeen(e);
    if (s !== null && agent !== "__proto__") out[agent] = s;
  }
  return out;
}

/** Reads the lease records of the engine's private directory `dir`. */
export function readLeaseRecords(dir: string): LeaseRecords {
  const state = readJson(join(dir, "state.json"));
  const observed = readJson(join(dir, OBSERVED_FILE));
  return {
    leases: parseLeases(state?.leases),
    fetched_clock: parseStamp(state?.fetched_clock ?? null),
    seen: parseSeen(observed?.seen),
    tip: typeof observed?.tip === "string" ? observed.tip : null,
    tip_at: parseStamp(observed?.tip_at ?? null),
  };
}

/** The stale threshold of a store's config.json in ms, or null when it does not parse. */
export function configThreshold(store: Store): number | null {
  try {
    return parseDuration(store.readConfig().stale_threshold);
  } catch {
    return null;
  }
}

/** Where `agent`'s lease stands on this clone (null: sync off, or no threshold). */
export function holderLeaseOf(store: Store, agent: string): HolderLease | null {
  if (!store.synced || store.home === null) return null;
  const t = configThreshold(store);
  if (t === null) return null;
  const records = readLeaseRecords(store.home.paths.private);
  return holderLease(records.leases[agent], monotonicNow(), t);
}

function ago(lease: HolderLease): string {
  if (lease.level !== "warn" && lease.level !== "expired") return "";
  return lease.age_ms === null
    ? "before this machine's last reboot"
    : `${formatAge(lease.age_ms)} ago`;
}

/**
 * The warning every command of `agent` prints while its lease is at risk (from T/2 after the
 * push that published its latest heartbeat), or null.
 */
export function leaseWarning(store: Store, agent: string): string | null {
  const lease = holderLeaseOf(store, agent);
  if (lease === null || (lease.level !== "warn" && lease.level !== "expired")) return null;
  const since = `remote unreachable since ${lease.since} (last heartbeat published ${ago(lease)})`;
  return lease.level === "warn"
    ? `warning: lease at risk: ${since}; another machine may take ${agent}'s tickets if this ` +
      "goes on (hint: track sync)"
    : `warning: lease expired: ${since}; writes of ${agent} to its claimed tickets are refused ` +
      `until a heartbeat is published (hint: track heartbeat --agent ${agent} && track sync)`;
}

/**
 * Refuses (exit 3) a write of `agent` to `ticket` it holds once its lease expired (3T/2 - T/20
 * after the push that published its latest heartbeat, before any other machine may reclaim
 * it). Under the lock (fencing.ts calls it).
 */
export function assertLeaseHeld(tx: Tx, agent: string, ticket: Ticket, action: string): void {
  if (!tx.store.synced || !isHeldBy(ticket, agent)) return;
  const lease = holderLeaseOf(tx.store, agent);
  if (lease === null || lease.level !== "expired") return;
  throw conflictError(
    `Cannot ${action} "${ticket.id}" as "${agent}": lease expired: remote unreachable since ` +
      `${lease.since}, stop work on ${ticket.id}, run track sync (the last heartbeat of ` +
      `${agent} was published ${ago(lease)}; another machine may reclaim its tickets)`,
    `track heartbeat --agent ${agent} && track sync (once a heartbeat is published, retry)`,
    { ticket: ticket.id, agent, lease_expired: true, since: lease.since },
  );
}

/** How another clone's agent stands on this clone's observation (for stale / reclaim). */
export interface ForeignView {
  /** This clone's total for the agent's current token (null: not observed). */
  total_ms: number | null;
  /** The agent may be reclaimed here now. */
  reclaimable: boolean;
  token: string;
}

/**
 * A judge of other clones' agents for `findStale`: null when sync is off (every agent is this
 * machine's); else a function that returns null for an agent of this clone (today's rule) and
 * how a foreign agent stands: reclaimable once this clone's total for its current token reaches
 * 3T/2 and the last fetch is younger than T/10 (T: the larger of `thresholdMs` and config.json's).
 */
export function foreignJudge(
  store: Store,
  thresholdMs: number,
): ((a: Agent) => ForeignView | null) | null {
  if (!store.synced || store.home === null) return null;
  const now = monotonicNow();
  const cloneId = readCloneId({ cloneId: store.home.paths.cloneId });
  const t = Math.max(thresholdMs, configThreshold(store) ?? 0);
  let records: LeaseRecords | null = null;
  return (a) => {
    if (!isForeign(a, cloneId, now?.boot ?? null)) return null;
    records ??= readLeaseRecords(store.home!.paths.private);
    const token = tokenOf(a);
    const seen = records.seen[a.id];
    const total = seen !== undefined && sameToken(seen.token, token) ? totalOf(seen, now) : null;
    const fetchAge = elapsed(records.fetched_clock, now);
    const times = leaseTimes(t);
    return {
      total_ms: total,
      reclaimable: total !== null && total >= times.reclaim && fetchAge !== null &&
        fetchAge >= 0 && fetchAge < times.freshFetch,
      token: formatToken(token),
    };
  };
}
