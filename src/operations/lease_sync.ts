/**
 * The sync step's part of leases across machines (docs/sync.md "Leases across machines"; rules
 * in src/model/lease.ts), called by src/operations/sync.ts once per publish attempt:
 *
 * - observations: after each fetch, when this clone first saw the token of each other clone's
 *   agent that holds a ticket
 *   (kept in `<private>/observed.json`, with the largest total for that token already in the
 *   fetched tree as its one predecessor); this clone's totals go out as
 *   `observations/<clone>.json` with every push, and make a push of their own (paced like any)
 *   once one reaches T/3;
 * - heartbeats: a change of heartbeat fields alone is published by the first sync after the
 *   published token is T/3 old on this machine's boot clock, timed from the start of the push
 *   that published it (the engine's `leases`); it never makes a push before that.
 */
import { join } from "../model/path.ts";
import { type Agent, parseAgent } from "../model/agent.ts";
import type { MonoStamp } from "../model/clock.ts";
import {
  elapsed,
  type FirstSeen,
  type HeartbeatToken,
  isForeign,
  leaseTimes,
  type Observation,
  observationsDue,
  observe,
  parseObservations,
  parseToken,
  type PublishedLease,
  sameToken,
  serializeObservations,
  tokenOf,
  totalOf,
} from "../model/lease.ts";
import { observationCloneOf, observationPath, storePathOf } from "../model/sync_wire.ts";
import { holdersOf } from "../model/holding.ts";
import { monotonicNow } from "../store/clock.ts";
import { writeFileAtomic } from "../store/atomic.ts";
import { lsTree, readBlobs, writeBlobs } from "../store/sync_repo.ts";
import type { Store } from "../store/store.ts";
import { configThreshold, OBSERVED_FILE, readLeaseRecords } from "./leases.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Keys of an agent record that a heartbeat changes. */
const HEARTBEAT_FIELDS = ["last_heartbeat", "heartbeat_clock", "heartbeat_seq"];

/** What {@linkcode leaseStep} needs of the sync step. */
export interface LeaseStepInput {
  gitDir: string;
  /** The engine's private directory. */
  privateDir: string;
  store: Store;
  cloneId: string;
  /** The fetched tip the step builds on, and its files (store path → blob id). */
  tip: string | null;
  theirs: ReadonlyMap<string, string>;
  /** What the new state changes in the tip's tree (wire path → blob id, null: removed). */
  changes: Map<string, string | null>;
  /** The engine's published leases and the boot-clock reading of its last fetch. */
  leases: Readonly<Record<string, PublishedLease>>;
  fetched: MonoStamp | null;
  /** A paced sync (heartbeat-only changes may wait). */
  paced: boolean;
}

/** What the sync step does with it. */
export interface LeaseStep {
  /** Heartbeats alone changed and none is due: publish nothing now, due in this many ms. */
  deferMs: number | null;
  /** This clone's agents whose records the push carries, with their tokens. */
  hosted: Map<string, HeartbeatToken>;
}

function textOf(bytes: Uint8Array | undefined): string | null {
  if (bytes === undefined) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

function agentOf(bytes: Uint8Array | undefined, id: string): Agent | null {
  const t = textOf(bytes);
  if (t === null) return null;
  try {
    return parseAgent(t, id);
  } catch {
    return null;
  }
}

/**
 * Adds this clone's observation file to `changes` when it goes out with this attempt, and says
 * whether a change of heartbeats alone waits (see the module doc).
 */
export async function leaseStep(input: LeaseStepInput): Promise<LeaseStep> {
  const { gitDir, store, cloneId, changes } = input;
  const hosted = new Map<string, HeartbeatToken>();
  const t = configThreshold(store);
  if (t === null) return { deferMs: null, hosted }; // A config that does not parse: publish.
  const now = monotonicNow();
  const localBoot = now?.boot ?? null;
  const times = leaseTimes(t);
  const wire = observationPath(cloneId);
  changes.delete(wire); // Never from a snapshot: computed here.

  // The agents whose records this attempt changes, ours and as published.
  const agentChanges: Array<{ id: string; ours: string; published: string | undefined }> = [];
  let other = false;
  for (const [w, oid] of changes) {
    if (observationCloneOf(w) !== null) continue; // Another clone's file: theirs as it is.
    const p = storePathOf(w);
    const m = p === null ? null : /^agents\/(.+)\.json$/.exec(p);
    if (m === null || oid === null) {
      other = true;
      continue;
    }
    agentChanges.push({ id: m[1], ours: oid, published: input.theirs.get(p!) });
  }
  const blobs = await readBlobs(
    gitDir,
    agentChanges.flatMap((c) => c.published === undefined ? [c.ours] : [c.ours, c.published]),
  );
  let heartbeatDue = Infinity;
  for (const c of agentChanges) {
    const ours = agentOf(blobs.get(c.ours), c.id);
    if (ours !== null && !isForeign(ours, cloneId, localBoot)) hosted.set(c.id, tokenOf(ours));
    const published = c.published === undefined ? null : agentOf(blobs.get(c.published), c.id);
    if (ours === null || published === null || !heartbeatOnly(blobs, c.ours, c.published!)) {
      other = true;
      continue;
    }
    // Due once the published token is T/3 old, timed from the push that published it.
    const rec = input.leases[c.id];
    const age = rec !== undefined && sameToken(rec.token, tokenOf(published))
      ? elapsed(rec.pushed_from, now)
      : null;
    heartbeatDue = Math.min(heartbeatDue, age === null ? 0 : Math.max(0, times.publish - age));
  }

  const obs = await observations(input, t, now, localBoot);
  const ride = async () => {
    if (obs.text === obs.published) return;
    if (obs.text === null) {
      changes.set(wire, null);
      return;
    }
    const [oid] = await writeBlobs(gitDir, input.privateDir, [encoder.encode(obs.text)]);
    changes.set(wire, oid);
  };
  if (!input.paced || other || obs.due || heartbeatDue === 0) {
    // Something else is published anyway, or a heartbeat or an observation is due: the file
    // rides along (alone only when due).
    if (other || obs.due || heartbeatDue !== Infinity) await ride();
    return { deferMs: null, hosted };
  }
  return { deferMs: heartbeatDue === Infinity ? null : heartbeatDue, hosted };
}

function heartbeatOnly(blobs: ReadonlyMap<string, Uint8Array>, a: string, b: string): boolean {
  let o: Record<string, unknown>;
  let p: Record<string, unknown>;
  try {
    o = JSON.parse(decoder.decode(blobs.get(a)!));
    p = JSON.parse(decoder.decode(blobs.get(b)!));
  } catch {
    return false;
  }
  if (o === null || p === null || typeof o !== "object" || typeof p !== "object") return false;
  const rest = (r: Record<string, unknown>) =>
    JSON.stringify(Object.entries(r).filter(([k]) => !HEARTBEAT_FIELDS.includes(k)));
  return rest(o) === rest(p);
}

/**
 * This clone's observations now: its first-seen records brought up to the fetched tip (read
 * again only when the tip moved), its totals, the text of its file, and whether it is due.
 */
async function observations(
  input: LeaseStepInput,
  t: number,
  now: MonoStamp | null,
  localBoot: string | null,
): Promise<{ text: string | null; published: string | null; due: boolean }> {
  const { gitDir, store, cloneId } = input;
  const file = join(input.privateDir, OBSERVED_FILE);
  const records = readLeaseRecords(input.privateDir);
  const sameTip = records.tip !== null && records.tip === input.tip;
  // What the tip shows (read again only when it moved): other clones' agents that are not
  // stale and their tokens, the largest relayed total for each of those tokens, and this
  // clone's own published file.
  let kept: { candidates?: unknown; relayed?: unknown; published?: unknown; holders?: unknown } =
    {};
  if (sameTip) {
    try {
      kept = JSON.parse(Deno.readTextFileSync(file));
    } catch {
      kept = {};
    }
  }
  let candidates: Record<string, HeartbeatToken>;
  let relayed: Record<string, Observation>;
  let published: string | null;
  if (sameTip && kept.candidates !== undefined && kept.relayed !== undefined) {
    candidates = Object.fromEntries(
      Object.entries(kept.candidates as Record<string, unknown>).flatMap(([a, v]) => {
        const token = parseToken(v);
        return token === null ? [] : [[a, token]];
      }),
    );
    relayed = Object.fromEntries(parseObservations(JSON.stringify(kept.relayed)));
    published = typeof kept.published === "string" ? kept.published : null;
  } else {
    candidates = {};
    relayed = {};
    published = null;
    if (input.tip !== null) {
      const agentPaths = [...input.theirs].filter(([p]) => /^agents\/.+\.json$/.test(p));
      const obsTree = await lsTree(gitDir, input.tip, "observations");
      const obsFiles = [...obsTree].filter(([w]) => observationCloneOf(w) !== null);
      const blobs = await readBlobs(gitDir, [
        ...agentPaths.map(([, oid]) => oid),
        ...obsFiles.map(([, oid]) => oid),
      ]);
      for (const [p, oid] of agentPaths) {
        const a = agentOf(blobs.get(oid), p.slice("agents/".length, -".json".length));
        if (a === null || !isForeign(a, cloneId, localBoot) || a.status === "stale") continue;
        candidates[a.id] = tokenOf(a);
      }
      for (const [w, oid] of obsFiles) {
        const body = textOf(blobs.get(oid));
        if (body === null) continue;
        if (observationCloneOf(w) === cloneId) published = body;
        for (const [agent, o] of parseObservations(body)) {
          const token = candidates[agent];
          if (token === undefined || !sameToken(token, o.token)) continue;
          if ((relayed[agent]?.total_ms ?? -1) < o.total_ms) relayed[agent] = o;
        }
      }
    }
  }
  // Only those holding a ticket here are observed (nothing else is at stake in a reclaim), so an
  // idle agent elsewhere never makes this clone push; with none, the tickets are not read.
  let holders = new Set<string>();
  if (Object.keys(candidates).length > 0) {
    const { readSummaries } = await import("../store/ticket_cache.ts");
    holders = holdersOf(readSummaries(store).tickets);
  }
  const tokens = new Map(Object.entries(candidates).filter(([a]) => holders.has(a)));
  const holderKey = [...tokens.keys()].sort().join(" ");
  let seen: Record<string, FirstSeen> = records.seen;
  if (!(sameTip && kept.holders === holderKey)) {
    // First seen at the first fetch that showed this tip (the store may have learnt only since
    // that an agent holds a ticket: the tree showed its token from then on).
    const tipAt = sameTip && records.tip_at !== null ? records.tip_at : input.fetched ?? now;
    seen = observe(records.seen, tokens, [new Map(Object.entries(relayed))], tipAt);
    try {
      writeFileAtomic(
        file,
        JSON.stringify({
          tip: input.tip,
          tip_at: tipAt,
          holders: holderKey,
          candidates,
          relayed,
          seen,
          published,
        }) + "\n",
        file,
        { durable: false },
      );
    } catch {
      // Only this clone's records: the next sync computes them again (counting anew).
    }
  }
  const mine = new Map<string, Observation>();
  for (const [agent, s] of Object.entries(seen)) {
    const total = totalOf(s, now);
    if (total !== null) mine.set(agent, { token: s.token, total_ms: total });
  }
  const text = mine.size === 0 ? null : serializeObservations(mine);
  const due = observationsDue(mine, parseObservations(published ?? "{}"), t);
  return { text, published, due };
}
