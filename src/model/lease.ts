/**
 * Leases across machines (docs/sync.md "Leases across machines"; design sync.md §7.3). Pure: the
 * clock readings come from src/store/clock.ts, the records from src/operations/leases.ts.
 *
 * No machine compares its clock with another's. An agent's heartbeat token is (heartbeat_seq,
 * boot id, uptime): only the agent's host clone changes it. Observers time how long they have
 * seen one token unchanged on their own boot clock, relaying totals through the state ref
 * (`observations/<clone>.json`); the holder times its own lease from the start of the push that
 * published its latest token, and stops before any observer may take its work:
 *
 * ```
 * T/3            the holder publishes a new token (riding the first sync after this)
 * T/2            the holder's commands warn: lease at risk
 * 3T/2 - T/20    the holder refuses its writes to its claimed tickets (exit 3), the hook denies
 * 3T/2           an observer (with a fetch younger than T/10) may reclaim
 * ```
 */
import type { Agent } from "./agent.ts";
import type { MonoStamp } from "./clock.ts";

/** A heartbeat token: equal tokens mean no heartbeat of the agent was published in between. */
export interface HeartbeatToken {
  seq: number;
  boot: string | null;
  uptime_ms: number | null;
}

/** The points of a lease for the stale threshold `t` (milliseconds). */
export function leaseTimes(t: number) {
  return {
    /** A heartbeat is published by the first sync after the published one is this old. */
    publish: t / 3,
    /** The holder's commands warn from here. */
    warn: t / 2,
    /** The holder refuses its writes to its claimed tickets from here. */
    refuse: (3 * t) / 2 - t / 20,
    /** An observer may reclaim once it has seen one token this long. */
    reclaim: (3 * t) / 2,
    /** ...with a fetch younger than this. */
    freshFetch: t / 10,
  };
}

/** The heartbeat sequence number of an agent record (0 before its first sync heartbeat). */
export function heartbeatSeq(a: Agent): number {
  const v = a.extra.heartbeat_seq;
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

/** An agent record's heartbeat token. */
export function tokenOf(a: Agent): HeartbeatToken {
  return {
    seq: heartbeatSeq(a),
    boot: a.heartbeat_clock?.boot ?? null,
    uptime_ms: a.heartbeat_clock?.uptime_ms ?? null,
  };
}

/** Whether two tokens are the same heartbeat. */
export function sameToken(a: HeartbeatToken | null, b: HeartbeatToken | null): boolean {
  return a !== null && b !== null && a.seq === b.seq && a.boot === b.boot &&
    a.uptime_ms === b.uptime_ms;
}

/** A token as shown in messages and `--json`: `seq/boot8/uptime`. */
export function formatToken(t: HeartbeatToken): string {
  return `${t.seq}/${t.boot?.slice(0, 8) ?? "-"}/${t.uptime_ms ?? "-"}`;
}

/** A token read from JSON, or null when the value is not one. */
export function parseToken(v: unknown): HeartbeatToken | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0) return null;
  if (r.boot !== null && typeof r.boot !== "string") return null;
  if (r.uptime_ms !== null && !(typeof r.uptime_ms === "number" && Number.isFinite(r.uptime_ms))) {
    return null;
  }
  return { seq: r.seq as number, boot: r.boot as string | null, uptime_ms: r.uptime_ms as number };
}

/** A boot-clock reading read from JSON, or null. */
export function parseStamp(v: unknown): MonoStamp | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.boot !== "string" || typeof r.uptime_ms !== "number") return null;
  if (!Number.isFinite(r.uptime_ms)) return null;
  return { boot: r.boot, uptime_ms: r.uptime_ms };
}

/** Milliseconds from `from` to `now` on one boot clock; null when they are of different boots. */
export function elapsed(from: MonoStamp | null, now: MonoStamp | null): number | null {
  if (from === null || now === null || from.boot !== now.boot) return null;
  return now.uptime_ms - from.uptime_ms;
}

/**
 * Whether an agent record is hosted by another clone: its `host` when it names one, else (a
 * record no clone adopted yet) when its heartbeat came from another boot than this machine's.
 * Without a boot clock here or in the record: not foreign (the single-machine rule applies).
 */
export function isForeign(a: Agent, cloneId: string | null, localBoot: string | null): boolean {
  const host = a.host ?? null;
  if (host !== null && cloneId !== null) return host !== cloneId;
  if (a.heartbeat_clock === null || localBoot === null) return false;
  return a.heartbeat_clock.boot !== localBoot;
}

// ---------------------------------------------------------------------------------------------
// The holder's side.

/** The token of an agent this clone published last, and when the push that carried it began. */
export interface PublishedLease {
  token: HeartbeatToken;
  /** Boot-clock reading at the start of that push. */
  pushed_from: MonoStamp;
  /** Wall-clock time of the same moment (shown, never compared). */
  pushed_at: string;
}

/** A published-lease record read from JSON, or null. */
export function parsePublishedLease(v: unknown): PublishedLease | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const token = parseToken(r.token);
  const from = parseStamp(r.pushed_from);
  if (token === null || from === null || typeof r.pushed_at !== "string") return null;
  return { token, pushed_from: from, pushed_at: r.pushed_at };
}

/**
 * The published leases after an accepted push that began at `from`/`at` carried `tokens` (this
 * clone's agents whose records it changed, as published): an unchanged token keeps the push
 * that first carried it; agents the push did not carry keep their record.
 */
export function afterPush(
  prev: Readonly<Record<string, PublishedLease>>,
  tokens: ReadonlyMap<string, HeartbeatToken>,
  from: MonoStamp | null,
  at: string,
): Record<string, PublishedLease> {
  const out: Record<string, PublishedLease> = { ...prev };
  for (const [agent, token] of tokens) {
    const was = prev[agent];
    if (was !== undefined && sameToken(was.token, token)) continue;
    if (from !== null) out[agent] = { token, pushed_from: from, pushed_at: at };
    else delete out[agent];
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Where a holder's lease stands. */
export type HolderLease =
  | { level: "ok" | "none" }
  | { level: "warn" | "expired"; since: string; age_ms: number | null };

/**
 * The holder's view of its lease: `none` when no token of it was published from here (nobody
 * can time it), else by the age of the push that published its latest token (`expired` too
 * when that age cannot be told: this machine rebooted since).
 */
export function holderLease(
  published: PublishedLease | undefined,
  now: MonoStamp | null,
  thresholdMs: number,
): HolderLease {
  if (published === undefined) return { level: "none" };
  const age = elapsed(published.pushed_from, now);
  const times = leaseTimes(thresholdMs);
  if (age === null || age >= times.refuse) {
    return { level: "expired", since: published.pushed_at, age_ms: age };
  }
  if (age >= times.warn) return { level: "warn", since: published.pushed_at, age_ms: age };
  return { level: "ok" };
}

// ---------------------------------------------------------------------------------------------
// The observers' side.

/** One entry of `observations/<clone>.json`. */
export interface Observation {
  token: HeartbeatToken;
  total_ms: number;
}

/** When this clone first saw an agent's token (kept in its private sync directory). */
export interface FirstSeen {
  token: HeartbeatToken;
  /** Boot-clock reading when the fetch that first showed it completed. */
  first: MonoStamp;
  /** The largest total for the same token in that fetch's tree (one predecessor). */
  pred_ms: number;
}

/** A first-seen record read from JSON, or null. */
export function parseFirstSeen(v: unknown): FirstSeen | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const token = parseToken(r.token);
  const first = parseStamp(r.first);
  const pred = r.pred_ms;
  if (token === null || first === null) return null;
  if (typeof pred !== "number" || !Number.isFinite(pred) || pred < 0) return null;
  return { token, first, pred_ms: pred };
}

/**
 * The entries of an `observations/<clone>.json` text; anything that is not one is left out (it
 * is another clone's file: a broken one only counts for nothing).
 */
export function parseObservations(text: string): Map<string, Observation> {
  const out = new Map<string, Observation>();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return out;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [agent, e] of Object.entries(v as Record<string, unknown>)) {
    if (agent === "__proto__" || e === null || typeof e !== "object") continue;
    const r = e as Record<string, unknown>;
    const token = parseToken(r.token);
    const total = r.total_ms;
    if (token === null || typeof total !== "number" || !Number.isFinite(total) || total < 0) {
      continue;
    }
    out.set(agent, { token, total_ms: total });
  }
  return out;
}

/** The text of an `observations/<clone>.json` (sorted keys, LF). */
export function serializeObservations(obs: ReadonlyMap<string, Observation>): string {
  const obj: Record<string, unknown> = {};
  for (const [agent, o] of [...obs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    obj[agent] = {
      token: { seq: o.token.seq, boot: o.token.boot, uptime_ms: o.token.uptime_ms },
      total_ms: Math.max(0, Math.floor(o.total_ms)),
    };
  }
  return JSON.stringify(obj, null, 2) + "\n";
}

/**
 * First-seen records after a fetch that showed `tokens` (the observed agents' tokens in the
 * fetched tree) and `relayed` (every clone's observation files in that tree), completed at
 * `now`: a token seen before on this boot keeps its record; a new one (or one seen on an
 * earlier boot) starts now, from the largest total for the same token in the tree.
 */
export function observe(
  prev: Readonly<Record<string, FirstSeen>>,
  tokens: ReadonlyMap<string, HeartbeatToken>,
  relayed: ReadonlyArray<ReadonlyMap<string, Observation>>,
  now: MonoStamp | null,
): Record<string, FirstSeen> {
  const out: Record<string, FirstSeen> = {};
  if (now === null) return out; // No boot clock here: this clone observes nothing.
  for (const [agent, token] of [...tokens].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const was = prev[agent];
    if (was !== undefined && sameToken(was.token, token) && was.first.boot === now.boot) {
      out[agent] = was;
      continue;
    }
    let pred = 0;
    for (const file of relayed) {
      const o = file.get(agent);
      if (o !== undefined && sameToken(o.token, token)) pred = Math.max(pred, o.total_ms);
    }
    out[agent] = { token, first: now, pred_ms: pred };
  }
  return out;
}

/** This clone's total for a first-seen token at `now` (null: not on this boot). */
export function totalOf(seen: FirstSeen, now: MonoStamp | null): number | null {
  const own = elapsed(seen.first, now);
  return own === null ? null : seen.pred_ms + Math.max(0, own);
}

/**
 * Whether this clone's observation file needs a push of its own: some total reached T/3 (a
 * token a healthy holder would have replaced by now) and differs from what this clone published.
 */
export function observationsDue(
  mine: ReadonlyMap<string, Observation>,
  published: ReadonlyMap<string, Observation>,
  thresholdMs: number,
): boolean {
  for (const [agent, o] of mine) {
    if (o.total_ms < leaseTimes(thresholdMs).publish) continue;
    const p = published.get(agent);
    if (p === undefined || !sameToken(p.token, o.token) || p.total_ms !== o.total_ms) return true;
  }
  return false;
}
