/**
 * The sync step (docs/sync.md; design sync.md §3.1 as corrected by §7.2 and §7.5): fetch the
 * remote's state into a scratch ref, check it never went backwards, merge this clone's store
 * into it (`mergeStores`, base from `git merge-base`), publish the result with a
 * compare-and-swap push, then write what the remote holds into the store in small batches.
 *
 * - One sync step per clone at a time: flock on `sync.lock`; a second waits its turn, then
 *   piggybacks on the first when the store holds nothing new since (no fetch, no push).
 * - No network I/O under the store lock: the lock is held only to take the snapshot and to
 *   apply each batch of at most {@linkcode APPLY_BATCH} paths. The batches write each file
 *   atomically (temp file, rename) without fsync; one barrier (`syncfs` on Linux) follows the
 *   last, and only then does `refs/track/local` move: a crash before it leaves the old state
 *   named, so the next sync applies again whatever did not reach the disk.
 * - A state commit's only parent is the remote tip it was built on (R); the push names R as the
 *   expected old value (`--force-with-lease=<ref>:<R>`), so it lands only on R.
 * - `refs/track/remote-state` holds the highest remote tip this clone has seen and moves only
 *   forward: a remote that lost the ref or went back to an ancestor is restored (our next state
 *   is built on the known tip); one that moved to another history is refused (exit 6).
 * - A rejected push is retried on the fetched state (backoff with jitter) within the budget
 *   (`TRACK_SYNC_TIMEOUT`, default 30 s); a rejection after which the remote did not move is
 *   not a lost race (a stale ref lock, a hook, a permission): at most two more tries, then exit
 *   8 with git's reason. Anything unreachable or unconfirmed is exit 8 with nothing lost: the
 *   store is changed only after the remote accepted (or for `--fetch-only`).
 */
import { badDataError, remoteError, TrackError } from "../model/errors.ts";
import { basename, dirname, join } from "../model/path.ts";
import { type FileValue, type MergeReport, mergeStores } from "../model/sync_merge.ts";
import {
  checkMeta,
  inboxAgentOf,
  mergeInboxTexts,
  META_PATH,
  META_TEXT,
  storePathOf,
  wirePathOf,
} from "../model/sync_wire.ts";
import { parseTicket } from "../model/ticket.ts";
import { claimGroupOf, sameClaimGroup } from "../model/decision.ts";
import { formatId, idNumber } from "../model/ids.ts";
import { SEQUENCE_PATH } from "../model/id_blocks.ts";
import { drawForRenumber, planIdGrab } from "./id_blocks.ts";
import {
  gitCommonDirOf,
  readSyncConfig,
  SYNC_HOME,
  type SyncConfig,
  type SyncPaths,
  syncPaths,
} from "../store/sync_config.ts";
import {
  blobsInRange,
  buildTree,
  commitTree,
  fetchState,
  isAncestor,
  LOCAL_REF,
  lsTree,
  mergeBase,
  pushState,
  readBlobs,
  REMOTE_STATE_REF,
  remoteUrl,
  revParse,
  updateRef,
  withBlobMemo,
  writeBlobs,
} from "../store/sync_repo.ts";
import { snapshotStore, type StoreSnapshot } from "../store/sync_snapshot.ts";
import {
  type DecisionOutcome,
  readWithdrawn,
  replayClaims,
  replayOthers,
  replayTickets,
  settleDecisions,
  type TicketSides,
  type WithdrawnClaim,
  writeWithdrawn,
} from "./replay.ts";
import type { OplogEntry } from "../store/oplog.ts";
import { replayMoves } from "./replay_moves.ts";
import { readCloneId, trackOpTrailer, trimOplog, unpublishedOplog } from "../store/oplog.ts";
import { writeFileAtomic } from "../store/atomic.ts";
import { lstatPath, type Stat } from "../store/native_fs.ts";
import { syncFilesystem } from "../store/durability.ts";
import { recordSyncFailure } from "../store/sync_failure.ts";
import { monotonicNow } from "../store/clock.ts";
import type { MonoStamp } from "../model/clock.ts";
import { afterPush, parseStamp, type PublishedLease } from "../model/lease.ts";
import { isoSeconds } from "../model/time.ts";
import { leaseStep } from "./lease_sync.ts";
import { parseLeases } from "./leases.ts";
import type { Store, Tx } from "../store/store.ts";

/** Most paths written into the store per hold of its lock when applying a fetched state. */
export const APPLY_BATCH = 200;

/**
 * In the engine's private directory while an apply's files may not all be on disk yet (made
 * before its first batch, removed after its barrier).
 */
const APPLY_PENDING = "apply-pending";

/** Default budget of one sync step, in milliseconds (`TRACK_SYNC_TIMEOUT` overrides). */
export const DEFAULT_SYNC_TIMEOUT_MS = 30_000;

/** Tries after a rejection that did not move the remote, before exit 8. */
const MAX_UNMOVED_RETRIES = 2;

/** Where a store's sync files are: the git common dir of its repository, or null (no git). */
export function syncPathsOfStore(storeDir: string): SyncPaths | null {
  const parent = dirname(storeDir);
  // A relocated store: <common>/track/store.
  if (basename(storeDir) === "store" && basename(parent) === SYNC_HOME) {
    return syncPaths(dirname(parent));
  }
  const common = gitCommonDirOf(dirname(storeDir));
  return common === null ? null : syncPaths(common);
}

/** A store with sync on: where its files are and what sync.json says. */
export interface SyncSetup {
  paths: SyncPaths;
  config: SyncConfig;
}

/** The sync setup of a store, or null when sync is off (reads one small file; runs no git). */
export function syncSetupOf(store: Store): SyncSetup | null {
  const paths = syncPathsOfStore(store.dir);
  if (paths === null) return null;
  const config = readSyncConfig(paths);
  return config === null ? null : { paths, config };
}

/** Options of {@linkcode syncStore}. */
export interface SyncOptions {
  now: () => Date;
  /** Fetch and apply the remote's state; publish nothing. */
  fetchOnly?: boolean;
  /** Budget of the whole step in milliseconds (default {@linkcode DEFAULT_SYNC_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * Run git's automatic maintenance after the fetch (default true). A decision's sync passes
   * false (its caller waits for it); every other sync, background ones included, runs it.
   */
  maintenance?: boolean;
  /** Randomness for the backoff jitter (tests). */
  random?: () => number;
  /** Publish even an empty store when the remote has no state (`track remote add`). */
  create?: boolean;
  /** Keep pushes of this clone `sync.interval` apart (wait, or leave the push to a later sync). */
  paced?: boolean;
  /** Follow a remote rewound to another history, merging this clone's content into it. */
  acceptRewind?: boolean;
  /** A create found no ticket number: reserve an id block even if nothing else is published. */
  grabIds?: boolean;
  /**
   * Called between steps (tests and fault injection): "fetched", "pushed" (the push returned),
   * "recorded" (an accepted push recorded, the store not yet written).
   */
  onStep?: (step: string) => void | Promise<void>;
  /**
   * Checked once the sync lock is held: true when what the caller waits for (its decision) was
   * already carried by the step that held the lock before (design §3.1: a waiter first checks
   * whether the previous push carried its decision); then no git runs (`piggybacked`).
   */
  settled?: () => boolean | Promise<boolean>;
}

/** What a sync step did (`track sync --json`). */
export interface SyncResult {
  remote: string;
  ref: string;
  /** The remote tip fetched last, or null when the remote had no state. */
  fetched: string | null;
  /** Whether a new state was published. */
  pushed: boolean;
  /** The state the store now holds (refs/track/local). */
  state: string | null;
  /** Publish attempts (pushes run). */
  attempts: number;
  /** Store files the published state changed (ours published). */
  published: number;
  /** Store files written or removed from the remote's state. */
  applied: number;
  /** Local writes made during the sync, merged with the remote's version of the same file. */
  merged_local: number;
  /** The remote had lost history this clone knew: it was published again on top of it. */
  restored: { from: string | null; to: string } | null;
  /** Not published now because of pacing: the next sync after this many ms publishes it. */
  deferred_ms: number | null;
  /** Why: `interval` (sync.interval since the last push), `heartbeat` (only heartbeats changed). */
  deferred_reason: "interval" | "heartbeat" | null;
  /** Merge outcome: what of ours was not kept, each recorded on the board or in a ticket. */
  losses: MergeReport["losses"];
  renumbered: MergeReport["renumbered"];
  /** Files hashed for the snapshot (the rest were unchanged by the stat cache). */
  hashed: number;
  /**
   * Files the remote refused by name (a hook, a size limit; design §7.2): kept on this clone,
   * not published, noted on the board (`sync-quarantine`); the next sync tries them again.
   */
  quarantined: Array<{ path: string; reason: string }>;
  /**
   * This step waited for another sync of this clone, which left nothing to publish: its result
   * stands (`fetched`, `state` are its), and no git fetch or push was run here.
   */
  piggybacked: boolean;
  /** Pending decisions this step's accepted push settled (replay.ts). */
  decisions: DecisionOutcome[];
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** A blob's value for the merge: text when it is UTF-8 (so equal files compare as strings). */
function valueOf(bytes: Uint8Array): FileValue {
  try {
    return decoder.decode(bytes);
  } catch {
    return bytes;
  }
}

function bytesOf(v: FileValue): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v;
}

/** A tree of wire paths as store paths (entries that are not wire paths are left out). */
function toStorePaths(wire: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [w, oid] of wire) {
    const p = storePathOf(w);
    if (p !== null) out.set(p, oid);
  }
  return out;
}

function sameOids(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [p, oid] of a) if (b.get(p) !== oid) return false;
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Holds the clone's sync lock until released; exit 5 when another sync keeps it too long. */
export async function acquireSyncLock(
  path: string,
  timeoutMs: number,
  retry = "track sync",
): Promise<{ release(): void; waited: boolean }> {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const file = Deno.openSync(path, { read: true, write: true, create: true });
  let ok = file.tryLockSync(true);
  const waited = !ok;
  if (!ok) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waiting = file.lock(true).then(() => true);
    ok = await Promise.race([
      waiting,
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (!ok) {
      waiting.then(() => file.close(), () => file.close());
      throw new TrackError(
        "lockBusy",
        `Timed out after ${timeoutMs} ms waiting for "${path}": another track sync of this ` +
          "clone is running; nothing was changed",
        { hint: `retry in a moment: ${retry}` },
      );
    }
  }
  return {
    waited,
    release() {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

/** The merge of one step: the result as blob ids by store path, and what the merge reported. */
interface Merged {
  out: Map<string, string>;
  report: MergeReport | null;
}

/**
 * Merges ours into theirs (all three as blob ids by store path). When ours holds nothing new
 * since base the result is theirs without reading a blob; otherwise every blob is read and
 * `mergeStores` decides; new files (merged tickets, events) are written as blobs.
 */
async function mergeTrees(
  gitDir: string,
  scratch: string,
  sides: { base: Map<string, string>; ours: Map<string, string>; theirs: Map<string, string> },
  now: Date,
): Promise<Merged> {
  const { base, ours, theirs } = sides;
  if (sameOids(ours, base) || sameOids(ours, theirs)) return { out: theirs, report: null };
  if (sameOids(theirs, base)) {
    // Only this clone changed anything (the usual sync): the merge needs only what ours
    // changed and the tickets a cycle through a new dependency edge could pass; every other
    // file is the same on all three sides and stays as it is.
    const keys = await oursOnlyKeys(gitDir, base, ours);
    const pick = (m: Map<string, string>) => new Map([...m].filter(([p]) => keys.has(p)));
    const lean = await mergeAll(gitDir, scratch, {
      base: pick(base),
      ours: pick(ours),
      theirs: pick(theirs),
    }, now);
    const out = new Map(theirs);
    for (const p of keys) out.delete(p);
    for (const [p, oid] of lean.out) {
      // A new file (an event) under a name an unchanged file holds: merge everything instead.
      if (!keys.has(p) && theirs.has(p)) return await mergeAll(gitDir, scratch, sides, now);
      out.set(p, oid);
    }
    return { out, report: lean.report };
  }
  return await mergeAll(gitDir, scratch, sides, now);
}

/**
 * The paths a merge of ours into an unchanged theirs needs: those ours changed, both folders of
 * each changed ticket, and every ticket reachable through `depends_on` from the targets of the
 * edges ours added (a cycle closed by such an edge runs through them only).
 */
async function oursOnlyKeys(
  gitDir: string,
  base: Map<string, string>,
  ours: Map<string, string>,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const [p, oid] of ours) if (base.get(p) !== oid) keys.add(p);
  for (const p of base.keys()) if (!ours.has(p)) keys.add(p);
  for (const p of [...keys]) for (const q of ticketFolders(p)) keys.add(q);
  // One read for what this and the merge after it need (the step's blob memo keeps them).
  await readBlobs(
    gitDir,
    [...keys].flatMap((p) => [base.get(p), ours.get(p)].filter((o) => o !== undefined)),
  );
  const depsOf = async (ids: string[], side: Map<string, string>) => {
    const paths = ids.map((id) => `tickets/${id}.md`).filter((p) => side.has(p));
    const blobs = await readBlobs(gitDir, paths.map((p) => side.get(p)!));
    const out = new Map<string, string[]>();
    for (const p of paths) {
      const id = p.slice("tickets/".length, -3);
      try {
        out.set(id, parseTicket(decoder.decode(blobs.get(side.get(p)!)!), id).depends_on);
      } catch {
        out.set(id, []); // Does not parse: the merge keeps theirs' and says so.
      }
    }
    return out;
  };
  const changed = [...keys].flatMap((p) => /^tickets\/(T-\d+)\.md$/.exec(p)?.[1] ?? []);
  const now = await depsOf(changed, ours);
  const was = await depsOf(changed, base);
  let frontier = [
    ...new Set([...now].flatMap(([id, deps]) => {
      const old = new Set(was.get(id) ?? []);
      return deps.filter((d) => !old.has(d));
    })),
  ];
  const seen = new Set<string>(changed);
  while (frontier.length > 0) {
    const next = frontier.filter((id) => !seen.has(id));
    for (const id of next) {
      seen.add(id);
      if (ours.has(`tickets/${id}.md`)) keys.add(`tickets/${id}.md`);
    }
    const deps = await depsOf(next, ours);
    frontier = [...new Set([...deps.values()].flat())];
  }
  return keys;
}

/** {@linkcode mergeTrees} over every file of the three trees. */
async function mergeAll(
  gitDir: string,
  scratch: string,
  sides: { base: Map<string, string>; ours: Map<string, string>; theirs: Map<string, string> },
  now: Date,
): Promise<Merged> {
  const { base, ours, theirs } = sides;
  const blobs = await readBlobs(gitDir, [...base.values(), ...ours.values(), ...theirs.values()]);
  const values = new Map<string, FileValue>();
  for (const [oid, bytes] of blobs) values.set(oid, valueOf(bytes));
  const tree = (m: Map<string, string>) => {
    const t = new Map<string, FileValue>();
    for (const [p, oid] of m) t.set(p, values.get(oid)!);
    return t;
  };
  const b = tree(base);
  const o = tree(ours);
  const t = tree(theirs);
  // Inbox records are grow-only sets: their union, never a conflict (docs/format.md "Inbox").
  const inboxes = new Map<string, string>();
  for (const [p, ov] of o) {
    const agent = inboxAgentOf(p);
    const tv = t.get(p);
    if (agent === null || tv === undefined || ov === tv || typeof ov !== "string") continue;
    if (typeof tv !== "string") continue;
    const u = mergeInboxTexts(agent, ov, tv);
    if (u !== null) {
      inboxes.set(p, u);
      o.set(p, tv);
    }
  }
  const result = mergeStores({ base: b, ours: o, theirs: t }, { now });
  for (const [p, u] of inboxes) result.tree.set(p, u);
  // Blob ids of the result: each value that is an input's keeps its id; the rest are new.
  const byValue = new Map<FileValue, string>();
  for (const [oid, v] of values) byValue.set(v, oid);
  const out = new Map<string, string>();
  const fresh: Array<[string, FileValue]> = [];
  for (const [p, v] of result.tree) {
    const known = byValue.get(v);
    if (known !== undefined) out.set(p, known);
    else fresh.push([p, v]);
  }
  const oids = await writeBlobs(gitDir, scratch, fresh.map(([, v]) => bytesOf(v)));
  fresh.forEach(([p], i) => out.set(p, oids[i]));
  return { out, report: result.report };
}

/** Claim fields of a ticket file's text, for the rewind report. */
function claimOf(text: string, id: string): string | null {
  try {
    const t = parseTicket(text, id);
    return JSON.stringify([t.status, t.claimed_by, t.claimed_at, t.claim_epoch]);
  } catch {
    return null;
  }
}

/** Tickets whose claim differs between the known history `known` and the remote's `remote`. */
async function claimsDiffering(gitDir: string, known: string, remote: string): Promise<string[]> {
  const [k, r] = await Promise.all([lsTree(gitDir, known), lsTree(gitDir, remote)]);
  const ks = toStorePaths(k);
  const rs = toStorePaths(r);
  const pairs: Array<[string, string, string]> = [];
  for (const [p, oid] of ks) {
    const m = /^tickets\/(T-\d+)\.md$/.exec(p);
    const other = rs.get(p);
    if (m !== null && other !== undefined && other !== oid) pairs.push([m[1], oid, other]);
  }
  const blobs = await readBlobs(gitDir, pairs.flatMap(([, a, b]) => [a, b]));
  const out: string[] = [];
  for (const [id, a, b] of pairs) {
    // A file that is not UTF-8 (a hostile or broken history) has no claim to compare: null.
    const ta = valueOf(blobs.get(a)!);
    const tb = valueOf(blobs.get(b)!);
    const ca = typeof ta === "string" ? claimOf(ta, id) : null;
    const cb = typeof tb === "string" ? claimOf(tb, id) : null;
    if (ca !== cb) out.push(id);
  }
  return out.sort();
}

/**
 * Checks the layout of the state commit `commit` before anything is changed for it (`track
 * remote add` adopting a state): exit 6 for a newer or broken one.
 */
export async function checkStateLayout(
  gitDir: string,
  commit: string,
  config: { remote: string; ref: string },
): Promise<void> {
  const metaOid = (await lsTree(gitDir, commit)).get(META_PATH) ?? null;
  await checkLayout(gitDir, metaOid, { config });
}

/** Checks the layout of a state tree from its `meta.json` blob (exit 6 for a newer or broken one). */
async function checkLayout(
  gitDir: string,
  metaOid: string | null,
  setup: { config: { remote: string; ref: string } },
): Promise<void> {
  const text = metaOid === null
    ? null
    : new TextDecoder().decode((await readBlobs(gitDir, [metaOid])).get(metaOid)!);
  const check = checkMeta(text);
  if (check.ok) return;
  throw badDataError(`${setup.config.remote} ${setup.config.ref}`, check.reason, {
    hint: check.newer
      ? "upgrade track on this machine (track --version shows this one); nothing was changed"
      : "track doctor (the remote's state is not one track wrote); nothing was changed",
  });
}

/** The files of a state commit's tree as store paths, and its `meta.json` blob. */
interface StateTree {
  commit: string | null;
  files: Map<string, string>;
  meta: string | null;
}

const EMPTY_TREE: StateTree = { commit: null, files: new Map(), meta: null };

/** The tree of `commit` (from `cached` when it is that commit's: no git run). */
async function stateTree(
  gitDir: string,
  commit: string,
  cached: StateTree | null,
): Promise<StateTree> {
  if (cached !== null && cached.commit === commit) return cached;
  const wire = await lsTree(gitDir, commit);
  return { commit, files: toStorePaths(wire), meta: wire.get(META_PATH) ?? null };
}

/** The cached tree of the state the store holds (`local-tree.json`), or null. */
function readStateTree(path: string): StateTree | null {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path)) as {
      commit?: unknown;
      meta?: unknown;
      files?: unknown;
    };
    if (
      typeof v.commit !== "string" || typeof v.meta !== "string" || v.files === null ||
      typeof v.files !== "object"
    ) return null;
    return {
      commit: v.commit,
      meta: v.meta,
      files: new Map(Object.entries(v.files as Record<string, string>)),
    };
  } catch {
    return null; // Only a cache: the tree is read from git.
  }
}

function writeStateTree(path: string, tree: StateTree): void {
  if (tree.commit === null || tree.meta === null) return;
  try {
    writeFileAtomic(
      path,
      JSON.stringify({
        commit: tree.commit,
        meta: tree.meta,
        files: Object.fromEntries(tree.files),
      }),
      path,
      { durable: false },
    );
  } catch {
    // A cache: the next sync reads the tree from git.
  }
}

/**
 * Applies `target` (store path → blob id) to the store, from the state of the snapshot `snap`:
 * each file whose target differs from what the snapshot read. Under the store lock, at most
 * {@linkcode APPLY_BATCH} paths per hold. A file written locally since the snapshot (its stat
 * changed) is never overwritten: the snapshot's version, the local one and the target merge
 * (`mergeStores` on that file), and the result stays for the next sync to publish.
 */
async function applyTarget(
  store: Store,
  gitDir: string,
  snap: StoreSnapshot<unknown>,
  target: ReadonlyMap<string, string>,
  now: Date,
  renumbered: ReadonlyArray<{ from: string; to: string }> = [],
): Promise<{ applied: number; merged_local: number }> {
  // Our tickets the merge moved to a new number (the target holds theirs at the old path and
  // ours at the new one): store path → its new path.
  const movedTo = new Map<string, string>();
  for (const { from, to } of renumbered) {
    for (const folder of ["tickets", "archive"]) {
      if (target.has(`${folder}/${to}.md`) && snap.oids.has(`${folder}/${from}.md`)) {
        movedTo.set(`${folder}/${from}.md`, `${folder}/${to}.md`);
      }
    }
  }
  const paths: string[] = [];
  for (const [p, oid] of target) if (snap.oids.get(p) !== oid) paths.push(p);
  for (const p of snap.oids.keys()) if (!target.has(p)) paths.push(p);
  // An apply whose barrier was not reached (killed, or the flush failed) left its files in
  // place but maybe not on disk: this step finds nothing to write for them, so it runs the
  // barrier before its caller moves refs/track/local past them.
  const pending = store.home === null ? null : join(store.home.paths.private, APPLY_PENDING);
  if (paths.length === 0) {
    if (pending !== null && lstatPath(pending) !== null) {
      syncFilesystem(store.dir, "all", store.display(store.dir));
      removePending(pending);
    }
    return { applied: 0, merged_local: 0 };
  }
  if (pending !== null) {
    Deno.mkdirSync(dirname(pending), { recursive: true });
    writeFileAtomic(pending, `${Deno.pid}\n`, pending);
  }
  // A ticket's two folders side by side, and in one batch: a ticket archived or restored
  // changes in one transaction (the store journals it), never in both folders or in neither.
  const groupOf = (p: string) => ticketFolders(p)[0];
  paths.sort((a, b) => {
    const ga = groupOf(a), gb = groupOf(b);
    return ga < gb ? -1 : ga > gb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  const batches: string[][] = [];
  for (let i = 0; i < paths.length;) {
    let end = Math.min(i + APPLY_BATCH, paths.length);
    if (end < paths.length && end > i + 1 && groupOf(paths[end - 1]) === groupOf(paths[end])) {
      end--;
    }
    batches.push(paths.slice(i, end));
    i = end;
  }
  const blobs = await readBlobs(gitDir, paths.flatMap((p) => target.get(p) ?? []));
  let applied = 0;
  let merged_local = 0;
  // A ticket created here after the snapshot under a number the target holds is renumbered
  // above every number of the target and of the store (and of earlier renumbers): the merge
  // below sees one path only and would otherwise hand out a number the target fills next.
  const targetMax = maxTicketNumber(target.keys());
  const handedOut = new Set<string>();
  const allocateId = (_ours: string, taken: (id: string) => boolean): string => {
    // A clone with id blocks renumbers into them (a number there may be published).
    const drawn = drawForRenumber(store, target, (id) => taken(id) || handedOut.has(id));
    if (drawn !== null) {
      handedOut.add(drawn);
      return drawn;
    }
    let n = Math.max(targetMax, maxTicketNumber(listTicketPaths(store)));
    let id: string;
    do id = formatId(++n); while (taken(id) || handedOut.has(id));
    handedOut.add(id);
    return id;
  };
  // Each file atomically but without fsync; one barrier at the end (the caller moves
  // refs/track/local only after it: a crash before leaves the old state named, and the next
  // sync applies again whatever did not reach the disk).
  const touched = { files: new Set<string>(), dirs: new Set<string>() };
  for (const batch of batches) {
    // Changed locally since the snapshot: read what the snapshot saw before taking the lock.
    const changed = batch.filter((p) => !unchangedSince(store, p, snap.stats.get(p)));
    const before = await readBlobs(gitDir, changed.flatMap((p) => snap.oids.get(p) ?? []));
    await store.mutate("sync (apply)", async (tx) => {
      tx.skipOplog(); // The remote's state is no operation of this clone.
      tx.writeLazily(touched);
      const done = new Set<string>();
      /** A blob's bytes: read before the lock when foreseen, else now (a local git read). */
      const blob = async (oid: string | undefined) =>
        oid === undefined
          ? undefined
          : blobs.get(oid) ?? before.get(oid) ?? (await readBlobs(gitDir, [oid])).get(oid);
      for (const p of batch) {
        if (done.has(p)) continue;
        const want = target.get(p);
        const data = want === undefined ? null : blobs.get(want)!;
        if (unchangedSince(store, p, snap.stats.get(p))) {
          write(tx, store, p, data);
          applied++;
          continue;
        }
        // Written locally after the snapshot (also while this batch waited for the lock):
        // merge, never overwrite, never skip (refs/track/local moves past the remote's version,
        // so a skipped file would be published later as a revert of the remote's change). A
        // ticket merges with both of its folders, so an archive here and a change there keep
        // it in one folder.
        const q = movedTo.get(p);
        if (q !== undefined && data !== null && !done.has(q)) {
          // Ours, renumbered by the merge, was changed here meanwhile: the published ticket
          // takes this path, and the change goes to ours at its new number (not into theirs).
          write(tx, store, p, data);
          const asQ = (v: Uint8Array | undefined) =>
            v === undefined ? new Map() : new Map([[q, valueOf(renumberText(v, p, q))]]);
          const m = mergeStores({
            base: asQ(await blob(snap.oids.get(p))),
            ours: asQ(readLocal(store, p)),
            theirs: new Map([[q, valueOf((await blob(target.get(q)))!)]]),
          }, { now, allocateId });
          const v = m.tree.get(q);
          if (v !== undefined) write(tx, store, q, bytesOf(v));
          done.add(q);
          merged_local++;
          continue;
        }
        const group = ticketFolders(p);
        const base = new Map<string, FileValue>();
        const ours = new Map<string, FileValue>();
        const theirs = new Map<string, FileValue>();
        const local = new Map<string, Uint8Array | undefined>();
        for (const q of group) {
          const b = await blob(snap.oids.get(q));
          const t = await blob(target.get(q));
          const l = readLocal(store, q);
          local.set(q, l);
          if (b !== undefined) base.set(q, valueOf(b));
          if (t !== undefined) theirs.set(q, valueOf(t));
          if (l !== undefined) ours.set(q, valueOf(l));
          done.add(q);
        }
        const m = mergeStores({ base, ours, theirs }, { now, allocateId });
        for (const [q, v] of m.tree) {
          const prev = local.has(q) ? local.get(q) : readLocal(store, q);
          if (prev === undefined || !sameBytes(bytesOf(v), prev)) write(tx, store, q, bytesOf(v));
        }
        for (const q of group) {
          if (!m.tree.has(q) && local.get(q) !== undefined) write(tx, store, q, null);
        }
        merged_local++;
      }
    });
  }
  syncFilesystem(store.dir, touched, store.display(store.dir));
  if (pending !== null) removePending(pending);
  return { applied, merged_local };
}

/**
 * The barrier was reached: the marker goes (not durably: a marker back after a crash costs
 * one more barrier).
 */
function removePending(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** The highest ticket number among store paths (`tickets/T-0042.md`, `archive/…`), or 0. */
function maxTicketNumber(paths: Iterable<string>): number {
  let max = 0;
  for (const p of paths) {
    const m = /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(p);
    const n = m === null ? null : idNumber(m[1]);
    if (n !== null && n > max) max = n;
  }
  return max;
}

/** The ticket files in the store now (tickets/ and archive/), as store paths. */
function listTicketPaths(store: Store): string[] {
  const out: string[] = [];
  for (const folder of ["tickets", "archive"]) {
    try {
      for (const e of Deno.readDirSync(join(store.dir, folder))) out.push(`${folder}/${e.name}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return out;
}

/** The paths a file merges with: a ticket's file in both folders, else the file alone. */
function ticketFolders(path: string): string[] {
  const m = /^(tickets|archive)\/(T-\d+\.md)$/.exec(path);
  return m === null ? [path] : [`tickets/${m[2]}`, `archive/${m[2]}`];
}

/** A ticket file's bytes with the id of path `from` in its front matter made that of `to`. */
function renumberText(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const v = valueOf(bytes);
  const a = /T-\d+/.exec(basename(from))?.[0];
  const b = /T-\d+/.exec(basename(to))?.[0];
  if (typeof v !== "string" || a === undefined || b === undefined) return bytes;
  return encoder.encode(v.replace(new RegExp(`^id: ${a}$`, "m"), `id: ${b}`));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function readLocal(store: Store, path: string): Uint8Array | undefined {
  try {
    const full = join(store.dir, path);
    if (!Deno.lstatSync(full).isFile) return undefined;
    return Deno.readFileSync(full);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

/** Whether the file at `path` still has the stat the snapshot saw (absent then and now too). */
function unchangedSince(store: Store, path: string, seen: Stat | undefined): boolean {
  const now = lstatPath(join(store.dir, path));
  if (seen === undefined || now === null) return seen === undefined && now === null;
  return now.isFile && now.ino === seen.ino && now.size === seen.size &&
    now.mtime === seen.mtime && now.ctime === seen.ctime;
}

function write(tx: Tx, store: Store, path: string, data: Uint8Array | null): void {
  const full = join(store.dir, path);
  if (data === null) {
    if (lstatPath(full) !== null) tx.removeFile(full);
  } else tx.writeFile(full, data);
}

/** The budget of one sync step from `TRACK_SYNC_TIMEOUT` (milliseconds), if set. */
export function syncTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_SYNC_TIMEOUT_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new TrackError(
      "usage",
      `Invalid TRACK_SYNC_TIMEOUT ${JSON.stringify(raw)}: expected milliseconds`,
    );
  }
  return n;
}

/**
 * Scratch files a killed sync left (its private index, blob temp dirs): only under the sync
 * lock, so none belongs to a running sync.
 */
function removeLeftovers(dir: string): void {
  for (const e of Deno.readDirSync(dir)) {
    if (/^(index\.\d+|blobs-.*)$/.test(e.name)) {
      Deno.removeSync(join(dir, e.name), { recursive: true });
    }
  }
}

/** A rewind of the remote's state this clone detected (`track remote show`). */
export interface RewindSeen {
  /** `restored`: the remote lost history this clone knew (published again on top of it);
   * `diverged`: it moved to another history (refused until `track sync --accept-rewind`). */
  kind: "restored" | "diverged";
  /** When it was detected (wall clock ms). */
  at: number;
  /** The remote's tip then (null: the ref was gone). */
  remote_state: string | null;
  /** The highest tip this clone had seen. */
  known_state: string;
  /** Not yet settled by a sync step that completed. */
  open: boolean;
}

/** The engine's own record of this clone (`<sync home>/sync/state.json`). */
export interface EngineState {
  /** The highest oplog seq carried into an accepted state commit. */
  published_seq: number;
  /** When this clone's last push was accepted (wall clock ms), for pacing. */
  pushed_at: number | null;
  /** The commit that push published. */
  pushed: string | null;
  /** When this clone last fetched the remote's state (wall clock ms). */
  fetched_at: number | null;
  /** What that fetch found (null: the remote had no state). */
  fetched: string | null;
  /** When a sync step of this clone last completed (wall clock ms), and the state it left. */
  synced_at: number | null;
  synced: string | null;
  /** The last rewind of the remote detected here. */
  rewind: RewindSeen | null;
  /** Remote tips already announced on the board as a rewind (once each). */
  alarmed: string[];
  /** Wire paths the last step kept back because the remote refused them (noted once). */
  quarantined: string[];
  /** Boot-clock reading of the last fetch (leases: a reclaim needs a fetch younger than T/10). */
  fetched_clock: MonoStamp | null;
  /** This clone's agents' latest accepted heartbeat tokens, from the start of their push. */
  leases: Record<string, PublishedLease>;
  /**
   * What the latest accepted pushes settled (at most {@linkcode KEPT_OUTCOMES}): a command
   * whose decision another command's sync carried reads its outcome here.
   */
  outcomes: DecisionOutcome[];
}

/** Settled decisions kept in the engine's record. */
const KEPT_OUTCOMES = 200;

function outcomesOf(x: unknown): DecisionOutcome[] {
  if (!Array.isArray(x)) return [];
  return x.filter((o): o is DecisionOutcome =>
    o !== null && typeof o === "object" && Number.isSafeInteger(o.seq) &&
    (o.outcome === "confirmed" || o.outcome === "lost") && typeof o.kind === "string"
  ).slice(-KEPT_OUTCOMES);
}

const str = (x: unknown): string | null => typeof x === "string" ? x : null;
const num = (x: unknown): number | null => typeof x === "number" ? x : null;

function rewindOf(x: unknown): RewindSeen | null {
  if (x === null || typeof x !== "object") return null;
  const v = x as Record<string, unknown>;
  if (
    (v.kind !== "restored" && v.kind !== "diverged") || num(v.at) === null ||
    str(v.known_state) === null
  ) return null;
  return {
    kind: v.kind,
    at: v.at as number,
    remote_state: str(v.remote_state),
    known_state: v.known_state as string,
    open: v.open === true,
  };
}

/** The engine's record at `path` (an empty one when missing or unreadable). Reads only. */
export function readEngineState(path: string): EngineState {
  const empty: EngineState = {
    published_seq: 0,
    pushed_at: null,
    pushed: null,
    fetched_at: null,
    fetched: null,
    synced_at: null,
    synced: null,
    rewind: null,
    alarmed: [],
    quarantined: [],
    fetched_clock: null,
    leases: {},
    outcomes: [],
  };
  try {
    const v = JSON.parse(Deno.readTextFileSync(path)) as Record<string, unknown>;
    return {
      published_seq: Number.isInteger(v.published_seq) ? v.published_seq as number : 0,
      pushed_at: num(v.pushed_at),
      pushed: str(v.pushed),
      fetched_at: num(v.fetched_at),
      fetched: str(v.fetched),
      synced_at: num(v.synced_at),
      synced: str(v.synced),
      rewind: rewindOf(v.rewind),
      alarmed: Array.isArray(v.alarmed) ? v.alarmed.filter((x) => typeof x === "string") : [],
      quarantined: Array.isArray(v.quarantined)
        ? v.quarantined.filter((x) => typeof x === "string")
        : [],
      fetched_clock: parseStamp(v.fetched_clock ?? null),
      leases: parseLeases(v.leases),
      outcomes: outcomesOf(v.outcomes),
    };
  } catch {
    // Missing or unreadable: the worst case is one repeated trailer or an earlier push.
    return empty;
  }
}

/** Where the engine keeps its record of a clone. */
export function engineStateFile(paths: SyncPaths): string {
  return join(paths.private, "state.json");
}

function writeEngineState(path: string, state: EngineState): void {
  writeFileAtomic(path, JSON.stringify(state) + "\n", path);
}

/** Whether a remote (its URL) is a path on this machine: paced at 1 s instead of 60 s. */
export function isPathRemote(url: string): boolean {
  return url.startsWith("/") || url.startsWith("file://") ||
    !(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]*:/.test(url));
}

/** Least milliseconds between two pushes of this clone (`interval_ms`, else by remote kind). */
export async function pushInterval(gitDir: string, config: SyncConfig): Promise<number> {
  if (config.interval_ms !== null) return config.interval_ms;
  const url = await remoteUrl(gitDir, config.remote) ?? config.remote;
  return isPathRemote(url) ? 1_000 : 60_000;
}

/**
 * A remote as it may be shown in the shared state (board posts reach everyone with access to
 * the remote): a password in a URL (`https://user:token@host/…`) is masked.
 */
export function shownRemote(remote: string): string {
  return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, "$1:***@");
}

/**
 * Posts the rewind alarm on the local board once per remote tip (the next accepted push
 * publishes it): every agent reading the board learns that the remote went back.
 */
async function postAlarm(
  store: Store,
  state: EngineState,
  key: string,
  message: string,
  now: Date,
): Promise<void> {
  if (state.alarmed.includes(key)) return;
  const { postEntry } = await import("./board.ts");
  await store.mutate("sync (alarm)", (tx) => {
    tx.skipOplog();
    postEntry(tx, {
      at: now,
      agent: "track",
      ticket: null,
      tag: "remote-rewound",
      kind: "event",
      message,
    });
  });
  state.alarmed = [...state.alarmed.slice(-20), key];
}

/**
 * The merge base `base` (blob ids by store path), with each path this clone's snapshot `ours`
 * holds at a version the remote's history `from..to` wrote there taken as unchanged here: a sync
 * killed after it wrote the remote's state (or its own accepted push) into the store, before it
 * moved refs/track/local, leaves such files; they are the remote's, not this clone's changes
 * (without this, a later change on the remote conflicts with them, and a claim among them reads
 * as made by hand). Only paths all three sides disagree on are looked up.
 */
async function rebaseMaterialized(
  gitDir: string,
  from: string,
  to: string,
  sides: {
    base: Map<string, string>;
    ours: ReadonlyMap<string, string>;
    theirs: ReadonlyMap<string, string>;
  },
): Promise<Map<string, string>> {
  const { base, ours, theirs } = sides;
  const candidates: Array<[string, string]> = [];
  for (const [p, oid] of ours) {
    const was = base.get(p);
    const wire = wirePathOf(p);
    if (wire === null || was === oid || theirs.get(p) === oid || theirs.get(p) === was) continue;
    candidates.push([p, wire]);
  }
  if (candidates.length === 0) return base;
  const written = await blobsInRange(gitDir, from, to, candidates.map(([, w]) => w));
  let out: Map<string, string> | null = null;
  for (const [p, wire] of candidates) {
    const oid = ours.get(p)!;
    if (written.get(wire)?.has(oid) !== true) continue;
    out ??= new Map(base);
    out.set(p, oid);
  }
  return out ?? base;
}

/**
 * Exit 6 naming the file when a ticket's claim group (status, holder, epoch, tenure) differs
 * between `base` and this clone's snapshot `ours` with no unpublished oplog line naming that
 * ticket: a claim made by editing the file, which no decision covers, is never published.
 */
async function refuseUnjournaledClaims(
  gitDir: string,
  base: ReadonlyMap<string, string>,
  ours: ReadonlyMap<string, string>,
  theirs: ReadonlyMap<string, string>,
  ops: readonly OplogEntry[],
  store: Store,
): Promise<void> {
  // The tickets the unpublished oplog names: each line's ticket, and every ticket a decision moved.
  const journaled = new Set<string | null>(ops.map((e) => e.ticket));
  for (const e of ops) for (const m of e.decision?.moves ?? []) journaled.add(m.ticket);
  const changed: Array<[string, string, string, string, string | undefined]> = [];
  for (const [p, oid] of ours) {
    const m = /^(tickets|archive)\/(T-\d+)\.md$/.exec(p);
    if (m === null || journaled.has(m[2])) continue;
    const other = `${m[1] === "tickets" ? "archive" : "tickets"}/${m[2]}.md`;
    const was = base.get(p) ?? base.get(other);
    const published = theirs.get(p) ?? theirs.get(other);
    if (was !== undefined && was !== oid && published !== oid) {
      changed.push([p, m[2], was, oid, published]);
    }
  }
  if (changed.length === 0) return;
  const blobs = await readBlobs(
    gitDir,
    changed.flatMap(([, , a, b, c]) => c === undefined ? [a, b] : [a, b, c]),
  );
  for (const [p, id, was, now, published] of changed) {
    try {
      const group = (oid: string) => claimGroupOf(parseTicket(decoder.decode(blobs.get(oid)!), id));
      const b = group(now);
      if (sameClaimGroup(group(was), b)) continue;
      // Already what the remote has (a push whose bookkeeping a kill cut short).
      if (published !== undefined && sameClaimGroup(group(published), b)) continue;
    } catch {
      continue; // A file that does not parse: the merge reports it.
    }
    throw badDataError(
      store.display(join(store.dir, p)),
      "its claim (status, claimed_by, claim_epoch or claim_id) was changed without a track " +
        "command, so no decision covers it; sync publishes nothing until it is undone",
      {
        hint: `claim through track (track claim ${id} --agent NAME); the last synced copy: ` +
          `git show ${LOCAL_REF}:${wirePathOf(p)}`,
      },
    );
  }
}

/**
 * Replays `ops`' decisions and settles `withdrawn` on the merged tree `sides.out` (blob ids by
 * store path), writing the tickets the replay changes as new blobs: returns the new tree
 * (`sides.out` itself when nothing changed) and the outcomes.
 */
async function replayOnMerged(
  gitDir: string,
  scratch: string,
  ops: readonly OplogEntry[],
  withdrawn: readonly WithdrawnClaim[],
  sides: {
    base: ReadonlyMap<string, string>;
    ours: ReadonlyMap<string, string>;
    theirs: ReadonlyMap<string, string>;
    out: Map<string, string>;
  },
): Promise<{
  out: Map<string, string>;
  outcomes: DecisionOutcome[];
  released: WithdrawnClaim[];
}> {
  const ids = replayTickets(ops, withdrawn);
  if (ids.size === 0) return { out: sides.out, outcomes: [], released: [] };
  const pathIn = (m: ReadonlyMap<string, string>, id: string) =>
    m.has(`tickets/${id}.md`)
      ? `tickets/${id}.md`
      : m.has(`archive/${id}.md`)
      ? `archive/${id}.md`
      : null;
  const wanted: string[] = [];
  for (const id of ids) {
    for (const m of [sides.theirs, sides.ours, sides.out]) {
      const p = pathIn(m, id);
      if (p !== null) wanted.push(m.get(p)!);
    }
  }
  const blobs = await readBlobs(gitDir, wanted);
  const text = (m: ReadonlyMap<string, string>, id: string): string | null => {
    const p = pathIn(m, id);
    const b = p === null ? undefined : blobs.get(m.get(p)!);
    if (b === undefined) return null;
    try {
      return decoder.decode(b);
    } catch {
      return null;
    }
  };
  const sideMap = new Map<string, TicketSides>();
  const deps = new Set<string>();
  for (const id of ids) {
    const merged = text(sides.out, id);
    sideMap.set(id, {
      theirs: text(sides.theirs, id),
      ours: text(sides.ours, id),
      merged,
      inBase: pathIn(sides.base, id) !== null,
    });
    if (merged !== null) {
      try {
        for (const d of parseTicket(merged, id).depends_on) deps.add(d);
      } catch {
        // An unreadable ticket: the replay finds it unreadable too.
      }
    }
  }
  // Dependencies count as done only when the merged state has them done and not archived.
  const depOids = [...deps].map((d) => sides.out.get(`tickets/${d}.md`)).filter((o) =>
    o !== undefined
  ) as string[];
  const depBlobs = await readBlobs(gitDir, depOids);
  const statusOf = (id: string): string | null => {
    const oid = sides.out.get(`tickets/${id}.md`);
    const b = oid === undefined ? undefined : depBlobs.get(oid);
    if (b === undefined) return null;
    try {
      return parseTicket(decoder.decode(b), id).status;
    } catch {
      return null;
    }
  };
  const claims = replayClaims(ops, withdrawn, sideMap, statusOf);
  // The other files releases and reservations are judged on: agents' records, reservations.
  const extra = new Set<string>();
  for (const e of ops) {
    for (const a of Object.keys(e.decision?.tokens ?? {})) extra.add(`agents/${a}.json`);
    for (const m of e.decision?.moves ?? []) {
      if (m.prev.claimed_by !== null) extra.add(`agents/${m.prev.claimed_by}.json`);
    }
    // A reserve, or a reclaim of another clone's agent (its reservations come back if lost).
    if (e.decision?.kind === "reserve" || e.decision?.tokens !== undefined) {
      extra.add("reservations.json");
    }
  }
  const extraBlobs = await readBlobs(
    gitDir,
    [...extra].flatMap((p) => [sides.theirs.get(p), sides.out.get(p)]).filter((o) =>
      o !== undefined
    ) as string[],
  );
  const fileText = (m: ReadonlyMap<string, string>) => (p: string): string | null => {
    const oid = m.get(p);
    const b = oid === undefined ? undefined : extraBlobs.get(oid);
    if (b === undefined) return null;
    try {
      return decoder.decode(b);
    } catch {
      return null;
    }
  };
  const others = replayOthers(ops, sideMap, fileText(sides.theirs), fileText(sides.out));
  const outcomes = [...claims.outcomes, ...others.outcomes].sort((a, b) => a.seq - b.seq);
  const writes = new Map([...claims.writes, ...others.writes]);
  const released = claims.released;
  if (writes.size === 0 && others.files.size === 0) return { out: sides.out, outcomes, released };
  const entries: Array<[string, string]> = [
    ...[...writes].map(([id, t]): [string, string] => [
      pathIn(sides.out, id) ?? `tickets/${id}.md`,
      t,
    ]),
    ...others.files,
  ];
  const oids = await writeBlobs(gitDir, scratch, entries.map(([, t]) => encoder.encode(t)));
  const out = new Map(sides.out);
  entries.forEach(([p], i) => out.set(p, oids[i]));
  return { out, outcomes, released };
}

/**
 * One sync step of `store` through its remote (see the module doc). Exit 8 (remote) when the
 * remote cannot be reached or does not confirm within the budget, 6 when its state went back
 * to another history or has a newer layout, 5 when another sync of this clone holds the sync
 * lock past the budget.
 */
export function syncStore(
  store: Store,
  setup: SyncSetup,
  options: SyncOptions,
): Promise<SyncResult> {
  // Blobs read once per step (the merge, the replay and the lease step read the same tickets).
  return withBlobMemo(() => syncStep(store, setup, options));
}

async function syncStep(
  store: Store,
  setup: SyncSetup,
  options: SyncOptions,
): Promise<SyncResult> {
  const { paths, config } = setup;
  const gitDir = paths.commonDir;
  const budget = options.timeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  const deadline = Date.now() + budget;
  const random = options.random ?? Math.random;
  Deno.mkdirSync(paths.private, { recursive: true });
  const cacheFile = join(paths.private, "stat-cache.json");
  const stateFile = engineStateFile(paths);
  const treeFile = join(paths.private, "local-tree.json");
  const waitedFrom = Date.now();
  const lock = await acquireSyncLock(paths.syncLock, budget);
  let kept: EngineState | null = null;
  try {
    removeLeftovers(paths.private);
    const engine = readEngineState(stateFile);
    kept = engine;
    const result: SyncResult = {
      remote: config.remote,
      ref: config.ref,
      fetched: null,
      pushed: false,
      state: null,
      attempts: 0,
      published: 0,
      applied: 0,
      merged_local: 0,
      restored: null,
      deferred_ms: null,
      deferred_reason: null,
      losses: [],
      renumbered: [],
      hashed: 0,
      piggybacked: false,
      quarantined: [],
      decisions: [],
    };
    if (lock.waited && options.settled !== undefined && await options.settled()) {
      result.fetched = engine.fetched;
      result.state = engine.synced;
      result.piggybacked = true;
      return result;
    }
    // Waiters piggyback (design §3.1): the step that held the lock completed meanwhile and the
    // store holds nothing it did not publish (same files as the state it left, no new oplog
    // line): its fetch and push stand for this one.
    if (
      lock.waited && !options.create && !options.acceptRewind && engine.synced !== null &&
      engine.synced_at !== null && engine.synced_at >= waitedFrom
    ) {
      const cached = readStateTree(treeFile);
      if (
        cached !== null && cached.commit === engine.synced &&
        await revParse(gitDir, LOCAL_REF) === engine.synced
      ) {
        const snap = await snapshotStore(
          store,
          gitDir,
          cacheFile,
          () => unpublishedOplog(store.dir, engine.published_seq),
        );
        result.hashed += snap.hashed;
        if (snap.extra.length === 0 && sameOids(snap.oids, cached.files)) {
          result.fetched = engine.fetched;
          result.state = engine.synced;
          result.piggybacked = true;
          return result;
        }
      }
    }
    let rejected: {
      remote: string | null;
      reason: string;
      stderr: string;
      changes: ReadonlyMap<string, string | null>;
    } | null = null;
    // Wire paths the remote refused by name (§7.2): kept here, left out of this step's pushes.
    const quarantine = new Map<string, string>();
    let unmoved = 0;
    let paced = options.paced === true;
    let rehashed = false;
    for (let round = 0;; round++) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw remoteError(
          `Cannot sync with "${config.remote}": no push was accepted within ${budget} ms` +
            (rejected === null ? "" : ` (last rejection: ${rejected.reason})`) +
            "; nothing was lost, local changes stay queued",
          undefined,
          { attempts: result.attempts },
        );
      }
      const fetched = await fetchState(gitDir, config.remote, config.ref, left, {
        // Read with the fetched ref (one git run): only a sync step moves them, under its lock.
        also: [REMOTE_STATE_REF, LOCAL_REF],
        maintenance: options.maintenance,
      });
      if (fetched.kind === "unreachable") {
        throw remoteError(
          `Cannot reach "${config.remote}" to sync ${config.ref}: ${fetched.reason}; ` +
            "nothing was lost, local changes stay queued",
          undefined,
          { attempts: result.attempts, reason: fetched.reason },
        );
      }
      const remote = fetched.kind === "found" ? fetched.oid : null;
      result.fetched = remote;
      engine.fetched_at = Date.now();
      engine.fetched = remote;
      engine.fetched_clock = monotonicNow();
      await options.onStep?.("fetched");
      if (rejected !== null) {
        // Counted in attempts, never in time: a remote that refuses without moving is not a race.
        const named = remote === rejected.remote
          ? namedPaths(rejected.stderr, rejected.changes).filter(([w]) => !quarantine.has(w))
          : [];
        if (named.length > 0) {
          // git named what it refused (a hook, a size limit): keep that here, publish the rest.
          for (const [w, why] of named) quarantine.set(w, why);
          await postQuarantine(store, engine, named, config.remote, options.now());
        } else if (remote === rejected.remote) {
          unmoved++;
          if (unmoved > MAX_UNMOVED_RETRIES) {
            throw remoteError(
              `The remote "${config.remote}" refused ${config.ref} ${result.attempts} times ` +
                `without moving: ${rejected.reason}; nothing was lost, local changes stay queued`,
              "track doctor (a stale ref lock, a hook or a permission on the remote); then run: track sync",
              { attempts: result.attempts, reason: rejected.reason },
            );
          }
        } else unmoved = 0;
        // Backoff with jitter before building on the new tip (cap 2 s): 10 ms · 2^k after a lost
        // race (the remote moved: another clone published, and a retry already costs a fetch and
        // a push), 50 ms · 2^k when it did not move.
        const base = remote === rejected.remote ? 50 : 10;
        const wait = Math.min(2_000, base * 2 ** Math.min(round, 6)) * (0.5 + random());
        await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      }

      // The remote tip may only move forward from what this clone has seen.
      let known = fetched.refs.get(REMOTE_STATE_REF) ?? null;
      let tip = remote;
      let restoring = false;
      if (known !== null && remote !== known) {
        if (remote === null || await isAncestor(gitDir, remote, known)) {
          // Lost history (a force-push back, or the ref deleted): publish on top of the tip we
          // know, with the lease naming what the remote has now; that restores it.
          tip = known;
          restoring = true;
          if (engine.rewind?.open !== true || engine.rewind.kind !== "restored") {
            engine.rewind = {
              kind: "restored",
              at: Date.now(),
              remote_state: remote,
              known_state: known,
              open: true,
            };
          }
          await postAlarm(
            store,
            engine,
            `restore ${remote ?? "missing"} ${known}`,
            `The remote ${shownRemote(config.remote)} ${config.ref} lost history this clone knew ` +
              `(it is at ${
                remote === null ? "no state: the ref was deleted" : remote.slice(0, 12)
              }, ` +
              `this clone had seen ${known.slice(0, 12)}); this clone publishes it again. ` +
              "Find out who rewound it: data is removed with track commands, never a force-push.",
            options.now(),
          );
        } else if (!(await isAncestor(gitDir, known, remote))) {
          const tickets = await claimsDiffering(gitDir, known, remote);
          if (!options.acceptRewind) {
            if (engine.rewind?.open !== true || engine.rewind.remote_state !== remote) {
              engine.rewind = {
                kind: "diverged",
                at: Date.now(),
                remote_state: remote,
                known_state: known,
                open: true,
              };
            }
            await postAlarm(
              store,
              engine,
              `diverged ${remote}`,
              `The remote ${
                shownRemote(config.remote)
              } ${config.ref} was rewound to another history ` +
                `(${remote.slice(0, 12)}; this clone had seen ${known.slice(0, 12)}). ` +
                "This clone does not sync until someone runs track sync --accept-rewind here" +
                (tickets.length === 0 ? "." : `. Claims differ on ${tickets.join(", ")}.`),
              options.now(),
            );
            writeEngineState(stateFile, engine);
            throw new TrackError(
              "badData",
              `Cannot sync with "${config.remote}": its ${config.ref} was rewound to another ` +
                `history (it is at ${remote.slice(0, 12)}; this clone had seen ` +
                `${known.slice(0, 12)}, which it does not contain); nothing was changed` +
                (tickets.length === 0 ? "" : `; claims differ on ${tickets.join(", ")}`),
              {
                hint:
                  "find out who force-pushed the state ref (the board has the alarm); to keep " +
                  "the remote's history and merge this clone's content into it: " +
                  "track sync --accept-rewind",
                detail: { remote, known, tickets },
              },
            );
          }
          // Accepted: the remote's history is the one from now on; ours merges in as ours.
          await updateRef(gitDir, REMOTE_STATE_REF, remote);
          known = remote;
        }
      }
      if (remote !== null && !restoring && remote !== known) {
        await updateRef(gitDir, REMOTE_STATE_REF, remote);
      }
      const cached = readStateTree(treeFile);
      const tipTree = tip === null ? EMPTY_TREE : await stateTree(gitDir, tip, cached);
      // A tree read from the cache was checked when it was cached.
      if (tip !== null && tipTree !== cached) await checkLayout(gitDir, tipTree.meta, setup);

      // This clone's side (and the oplog lines it covers), and the base both descend from.
      const snap = await snapshotStore(
        store,
        gitDir,
        cacheFile,
        () => ({
          ops: unpublishedOplog(store.dir, engine.published_seq),
          withdrawn: readWithdrawn(store.dir),
        }),
      );
      result.hashed += snap.hashed;
      const { ops, withdrawn } = snap.extra;
      // A push carrying a decision is never delayed (design §7.5).
      const deciding = ops.some((e) => e.decision !== undefined) || withdrawn.length > 0;
      if (deciding) paced = false;
      const local = fetched.refs.get(LOCAL_REF) ?? null;
      const baseCommit = local === null || tip === null
        ? null
        : local === tip
        ? tip
        : await mergeBase(gitDir, local, tip);
      const baseTree = baseCommit === null
        ? EMPTY_TREE
        : baseCommit === tip
        ? tipTree
        : await stateTree(gitDir, baseCommit, cached);
      const theirs = tipTree.files;
      const base = baseCommit === null || tip === null
        ? baseTree.files
        : await rebaseMaterialized(gitDir, baseCommit, tip, {
          base: baseTree.files,
          ours: snap.oids,
          theirs,
        });
      // A claim made by hand (no oplog line for the ticket) is never published (design §7.1).
      // Only against this clone's own last state (not the base of a rewound or lost history).
      if (local !== null && baseCommit === local) {
        await refuseUnjournaledClaims(gitDir, base, snap.oids, theirs, ops, store);
      }
      let merged: Merged;
      try {
        merged = await mergeTrees(
          gitDir,
          paths.private,
          { base, ours: snap.oids, theirs },
          options.now(),
        );
      } catch (e) {
        if (!(e instanceof TrackError) || e.detail?.missing === undefined || rehashed) throw e;
        // A blob id the stat cache gave was pruned (git gc after a sync that published nothing:
        // the blob was reachable from no ref): forget the cache and hash the store again.
        rehashed = true;
        try {
          Deno.removeSync(cacheFile);
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        }
        round--;
        continue;
      }
      if (merged.report !== null) {
        result.losses = merged.report.losses;
        result.renumbered = merged.report.renumbered;
      }
      // Pending decisions, replayed on the fetched state by the same rule (replay.ts).
      const replay = await replayOnMerged(gitDir, paths.private, ops, withdrawn, {
        base,
        ours: snap.oids,
        theirs,
        out: merged.out,
      });
      if (replay.out !== merged.out) merged = { ...merged, out: replay.out };
      // Agents moved here by register --force (replay_moves.ts).
      const moves = await replayMoves(gitDir, ops, theirs, merged.out);
      if (moves.out !== merged.out) merged = { ...merged, out: moves.out };

      // What the new state changes in the tip's tree (wire paths).
      const changes = new Map<string, string | null>();
      for (const [p, oid] of merged.out) {
        if (theirs.get(p) !== oid) changes.set(wirePathOf(p)!, oid);
      }
      for (const p of theirs.keys()) if (!merged.out.has(p)) changes.set(wirePathOf(p)!, null);
      // What is quarantined stays as the tip has it (the store keeps this clone's version).
      const published = new Map(merged.out);
      for (const w of quarantine.keys()) {
        changes.delete(w);
        const p = storePathOf(w)!;
        const was = theirs.get(p);
        if (was === undefined) published.delete(p);
        else published.set(p, was);
      }
      result.quarantined = [...quarantine].map(([w, reason]) => ({
        path: storePathOf(w)!,
        reason,
      }));
      // Id blocks (id_blocks.ts): settle earlier grabs, refuse stray new tickets, maybe grab.
      const idGrab = await planIdGrab({
        store,
        paths,
        tip,
        base,
        ours: snap.oids,
        theirs,
        out: merged.out,
        renumbered: result.renumbered,
        changes,
        ask: options.grabIds === true,
        fetchOnly: options.fetchOnly === true,
      });
      // Leases (lease_sync.ts): this clone's observations ride along; heartbeat-only changes
      // wait until a heartbeat is due (the published token T/3 old): they alone never push.
      const clone = readCloneId({ cloneId: paths.cloneId }, { create: true })!;
      const lease = await leaseStep({
        gitDir,
        privateDir: paths.private,
        store,
        cloneId: clone,
        tip,
        theirs,
        changes,
        leases: engine.leases,
        fetched: engine.fetched_clock,
        paced: options.paced === true && !restoring && !deciding,
      });
      let publish = changes.size > 0 || restoring || (tip === null && options.create === true);
      if (publish && lease.deferMs !== null) {
        publish = false;
        result.deferred_ms = lease.deferMs;
        result.deferred_reason = "heartbeat";
      }

      // Pacing: pushes of this clone at least the interval apart; wait when the rest of the
      // interval fits in half the budget left, otherwise publish at the next sync.
      if (publish && !options.fetchOnly && paced && engine.pushed_at !== null) {
        paced = false; // Once per step: retries after a lost race are not paced.
        const interval = await pushInterval(gitDir, config);
        const since = Date.now() - engine.pushed_at;
        const wait = since < 0 || since >= interval ? 0 : interval - since;
        if (wait > 0 && wait <= (deadline - Date.now()) / 2) {
          await sleep(wait);
          round--;
          continue; // Fetch again: the remote may have moved meanwhile.
        }
        if (wait > 0) {
          result.deferred_ms = wait;
          result.deferred_reason = "interval";
        }
      }

      if (options.fetchOnly || !publish || result.deferred_ms !== null) {
        const done = await applyTarget(
          store,
          gitDir,
          snap,
          merged.out,
          options.now(),
          merged.report?.renumbered,
        );
        result.applied += done.applied;
        result.merged_local += done.merged_local;
        if (tip !== null) {
          await updateRef(gitDir, LOCAL_REF, tip);
          writeStateTree(treeFile, tipTree);
        }
        result.state = tip;
        settled(engine, tip);
        if (!options.fetchOnly) engine.quarantined = [...quarantine.keys()];
        // Nothing to publish: the tip already holds every change of this clone (a push killed
        // after it was accepted carried them), or a replay lost them. Those oplog lines are
        // settled as a push would have settled them; a withdrawn claim stays listed (a push of
        // it still in flight may land).
        const carried = !options.fetchOnly && tip !== null && changes.size === 0 && !restoring &&
          quarantine.size === 0 && ops.length > 0;
        if (carried) {
          engine.published_seq = ops[ops.length - 1].seq;
          engine.outcomes = [...engine.outcomes, ...replay.outcomes].slice(-KEPT_OUTCOMES);
          result.decisions = [...replay.outcomes, ...moves.outcomes];
        }
        writeEngineState(stateFile, engine);
        if (carried) await settleCarried(store, replay, engine.published_seq, [], options.now());
        return result;
      }

      let meta = tipTree.meta;
      if (meta === null) {
        [meta] = await writeBlobs(gitDir, paths.private, [encoder.encode(META_TEXT)]);
        changes.set(META_PATH, meta);
      }
      const tree = await buildTree(gitDir, join(paths.private, `index.${Deno.pid}`), tip, changes);
      const files = [...changes.keys()].filter((p) => p !== META_PATH).length;
      const message = `track sync: ${files} file${files === 1 ? "" : "s"} from clone ${clone}\n` +
        (ops.length === 0 ? "" : "\n" + ops.map(trackOpTrailer).join("\n") + "\n");
      const commit = await commitTree(gitDir, tree, tip, message, options.now());
      idGrab?.carried(commit);
      result.attempts++;
      const pushFrom = monotonicNow();
      const pushAt = isoSeconds(options.now());
      const pushed = await pushState(
        gitDir,
        config.remote,
        config.ref,
        commit,
        remote,
        Math.max(1, deadline - Date.now()),
      );
      await options.onStep?.("pushed");
      if (pushed.kind === "unknown") {
        // It may have landed: an agent with no published lease yet is timed from this push
        // (its holder stops early if it did not; never late).
        const unseen = [...lease.hosted].filter(([a]) => engine.leases[a] === undefined);
        engine.leases = afterPush(engine.leases, new Map(unseen), pushFrom, pushAt);
        throw remoteError(
          `Cannot confirm the push to "${config.remote}" ${config.ref}: ${pushed.reason}; ` +
            "nothing was lost: the next track sync finds out whether it landed",
          undefined,
          { attempts: result.attempts, reason: pushed.reason },
        );
      }
      if (pushed.kind === "rejected") {
        rejected = { remote, reason: pushed.reason, stderr: pushed.stderr, changes };
        continue;
      }
      // Accepted: the remote holds `commit`.
      await updateRef(gitDir, REMOTE_STATE_REF, commit);
      idGrab?.accepted();
      engine.pushed_at = Date.now();
      engine.pushed = commit;
      engine.leases = afterPush(engine.leases, lease.hosted, pushFrom, pushAt);
      settled(engine, commit);
      engine.quarantined = [...quarantine.keys()];
      engine.outcomes = [...engine.outcomes, ...replay.outcomes].slice(-KEPT_OUTCOMES);
      writeEngineState(stateFile, engine);
      await options.onStep?.("recorded");
      if (restoring) result.restored = { from: remote, to: commit };
      result.pushed = true;
      result.published = files;
      const done = await applyTarget(
        store,
        gitDir,
        snap,
        merged.out,
        options.now(),
        merged.report?.renumbered,
      );
      result.applied += done.applied;
      result.merged_local += done.merged_local;
      await updateRef(gitDir, LOCAL_REF, commit);
      writeStateTree(treeFile, { commit, files: published, meta });
      // Only now are this step's oplog lines published: a step cut short before the store held
      // the merged state (killed, or an I/O error) leaves them pending, and the next step
      // replays them (a replay of a carried decision gives the same outcome), never reading the
      // store's copy of a lost claim as a claim made by hand.
      if (ops.length > 0) {
        engine.published_seq = ops[ops.length - 1].seq;
        writeEngineState(stateFile, engine);
      }
      result.state = commit;
      result.decisions = [...replay.outcomes, ...moves.outcomes];
      // Settled: a withdrawn claim's push that landed is an ancestor of the tip this push
      // replaced (and was released above); one that did not land never will.
      if (ops.length > 0 || withdrawn.length > 0) {
        await settleCarried(store, replay, engine.published_seq, withdrawn, options.now());
      }
      return result;
    }
  } catch (e) {
    // For the dashboard's "offline since" (store/sync_failure.ts).
    recordSyncFailure(paths, e, kept?.synced_at ?? null);
    throw e;
  } finally {
    // What this step learnt (its fetch) is kept even when it ends in an error.
    if (kept !== null) {
      try {
        if (JSON.stringify(readEngineState(stateFile)) !== JSON.stringify(kept)) {
          writeEngineState(stateFile, kept);
        }
      } catch {
        // Only the record `track remote show` reads: the step's own outcome stands.
      }
    }
    lock.release();
  }
}

/**
 * After a step settled this clone's oplog through `through` (carried by an accepted push, or
 * already on the tip): the losers of its decisions are told (a lost note, a board event, both
 * published by the next sync), the settled oplog lines and `withdrawn` claims are dropped.
 */
async function settleCarried(
  store: Store,
  replay: { outcomes: readonly DecisionOutcome[]; released: readonly WithdrawnClaim[] },
  through: number,
  withdrawn: readonly WithdrawnClaim[],
  now: Date,
): Promise<void> {
  if (replay.outcomes.some((o) => o.outcome === "lost") || replay.released.length > 0) {
    await store.mutate("sync (decisions)", (tx) => {
      settleDecisions(tx, replay.outcomes, replay.released, now);
    });
  }
  await store.mutate("sync (oplog)", (tx) => {
    tx.skipOplog();
    trimOplog(tx, through);
    if (withdrawn.length === 0) return;
    const settledIds = new Set(withdrawn.map((w) => w.claim_id));
    writeWithdrawn(tx, readWithdrawn(store.dir).filter((w) => !settledIds.has(w.claim_id)));
  });
}

/**
 * The paths of `changes` (wire path → new blob, null: removed) that git's output of a refused
 * push names, by wire path, store path or blob id (full, or abbreviated to 7+ hex digits), each
 * with the lines that name it (git's reason for it).
 */
export function namedPaths(
  stderr: string,
  changes: ReadonlyMap<string, string | null>,
): Array<[string, string]> {
  const lines = stderr.split("\n").map((l) => l.trim().replace(/^remote: */, "")).filter((l) =>
    l !== ""
  );
  const hex = (l: string) => l.match(/\b[0-9a-f]{7,64}\b/g) ?? [];
  const names = (l: string, path: string) => {
    for (let i = l.indexOf(path); i >= 0; i = l.indexOf(path, i + 1)) {
      const before = i === 0 ? "" : l[i - 1];
      const after = l[i + path.length] ?? "";
      if (!/[A-Za-z0-9._\/-]/.test(before) && !/[A-Za-z0-9_\/-]/.test(after)) return true;
    }
    return false;
  };
  const out: Array<[string, string]> = [];
  for (const [wire, oid] of changes) {
    if (wire === META_PATH || wire === SEQUENCE_PATH) continue;
    const store = storePathOf(wire);
    const why = lines.filter((l) =>
      names(l, wire) || (store !== null && names(l, store)) ||
      (oid !== null && hex(l).some((h) => oid.startsWith(h)))
    );
    if (why.length > 0) out.push([wire, why.join("; ")]);
  }
  return out;
}

/** Notes on the board each newly refused path (once while it stays refused). */
async function postQuarantine(
  store: Store,
  state: EngineState,
  named: Array<[string, string]>,
  remote: string,
  now: Date,
): Promise<void> {
  const fresh = named.filter(([w]) => !state.quarantined.includes(w));
  if (fresh.length === 0) return;
  const { postEntry } = await import("./board.ts");
  await store.mutate("sync (quarantine)", (tx) => {
    tx.skipOplog();
    for (const [w, reason] of fresh) {
      const path = storePathOf(w)!;
      postEntry(tx, {
        at: now,
        agent: "track",
        ticket: /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(path)?.[1] ?? null,
        tag: "sync-quarantine",
        kind: "event",
        message: `The remote ${shownRemote(remote)} refused ${path}: ${reason}. It is kept on ` +
          "this clone and not published; the rest was; every track sync tries it again.",
      });
    }
  });
  state.quarantined = [...state.quarantined, ...fresh.map(([w]) => w)];
}

/** A completed step: when, the state it left, and any rewind it ran into settled. */
function settled(engine: EngineState, state: string | null): void {
  engine.synced_at = Date.now();
  engine.synced = state;
  if (engine.rewind !== null) engine.rewind.open = false;
}
