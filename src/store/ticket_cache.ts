/**
 * A derived, git-ignored cache of ticket metadata so `list`, `ready`, `blocked` and `agents` on
 * thousands of tickets stat files instead of reading and parsing each one: a snapshot
 * (`.track/cache/tickets.json`) plus an append-only log of later writes (`tickets.log`), so a
 * write costs one appended line, not a rewrite; the log is folded into the snapshot once it
 * grows past an eighth of it. Only writers maintain it, under the lock (a read never writes).
 * Readers trust an entry only when the file's inode, size, mtime and ctime match and either the
 * file was last modified well before the entry was recorded, or its text still has the recorded
 * hash (the "racy git" rule: an edit within the same clock tick could keep the stat identical,
 * so a recently written file is checked by content, which is still much cheaper than parsing
 * it). Anything else is read from the file itself, so a stale, missing or broken cache costs
 * speed, never correctness.
 *
 * The layout is chosen for the reader of 10,000 tickets, where parsing and garbage collection
 * cost as much as the 10,000 lstat calls:
 *
 * ```
 * {"v":3,
 *  "nums":[1,2,…],                             ticket numbers, ascending
 *  "stat":[ino,size,mtime,ctime,seen,hash,…],  six numbers per ticket, one flat array of doubles
 *  "meta":[[title,status,…],…]}                 Meta per ticket, in the same order
 * ```
 *
 * A log line is `[num, ino, size, mtime, ctime, seen, hash, ...Meta]`; the last line for a
 * ticket wins.
 */
import { TrackError } from "../model/errors.ts";
import type { Ticket, TicketSummary } from "../model/ticket.ts";
import { PRIORITIES, STATUSES } from "../model/transitions.ts";
import { join } from "../model/path.ts";
import type { Problem, Store, Tx } from "./store.ts";
import { writeFileAtomic } from "./atomic.ts";
import { type Dir, lstatPath, type Stat } from "./native_fs.ts";
import { ensureDirInside, openInside, removeInside } from "./no_follow.ts";
import { readKnownFile } from "./read.ts";
import { type LockHandle, tryAcquireLockSync } from "./lock.ts";
import { speedSwitches } from "./speed_switches.ts";

const VERSION = 3;
/** Files modified less than this before their entry was recorded are re-read. */
const RACY_MS = 2000;
/** Below this many tickets, reading every file is fast enough: no cache is kept. */
export const CACHE_MIN_TICKETS = 200;
/**
 * ino, size, mtime, ctime (ms), seen (ms, when the stat was recorded) and hash (of the file's
 * text, see {@linkcode textHash}; -1 when unknown).
 */
const STAT_FIELDS = 6;
/** Length of a Meta row. */
const META_FIELDS = 14;

/**
 * A ticket's metadata without its id, as the cache stores it. An empty list is stored as 0:
 * most tickets have no files, dependencies or unknown keys, and tens of thousands of empty
 * arrays are a measurable part of parsing a big snapshot.
 */
type Meta = [
  title: string,
  status: TicketSummary["status"],
  priority: TicketSummary["priority"],
  created: string,
  created_by: string | null,
  claimed_by: string | null,
  claimed_at: string | null,
  labels: string[] | 0,
  branch: string | null,
  files: string[] | 0,
  depends_on: string[] | 0,
  updated: string | null,
  claim_epoch: number,
  extra: TicketSummary["extra"] | 0,
];

/** The snapshot and the log, as read. */
interface Cache {
  nums: number[];
  stat: number[];
  meta: unknown[];
  /** Log lines by ticket number (the last line for a ticket wins). */
  log: Map<number, unknown[]>;
}

/** Path of the cache snapshot. */
export function cachePath(store: Store): string {
  return join(store.dir, "cache", "tickets.json");
}

function logPath(store: Store): string {
  return join(store.dir, "cache", "tickets.log");
}

const STATUS_SET: ReadonlySet<unknown> = new Set(STATUSES);
const PRIORITY_SET: ReadonlySet<unknown> = new Set(PRIORITIES);

function toMeta(t: TicketSummary): Meta {
  return [
    t.title,
    t.status,
    t.priority,
    t.created,
    t.created_by,
    t.claimed_by,
    t.claimed_at,
    t.labels.length === 0 ? 0 : t.labels,
    t.branch,
    t.files.length === 0 ? 0 : t.files,
    t.depends_on.length === 0 ? 0 : t.depends_on,
    t.updated,
    t.claim_epoch,
    t.extra.length === 0 ? 0 : t.extra,
  ];
}

function isText(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

function isList(v: unknown): v is unknown[] | 0 {
  return v === 0 || Array.isArray(v);
}

/**
 * The summary stored at `m[at…]`, or null when the row is not what this version writes (a
 * hand-edited or foreign cache): then the ticket is read from its file.
 */
function summaryOf(id: string, m: unknown[], at: number): TicketSummary | null {
  const title = m[at], status = m[at + 1], priority = m[at + 2], created = m[at + 3];
  const createdBy = m[at + 4], claimedBy = m[at + 5], claimedAt = m[at + 6];
  const labels = m[at + 7], branch = m[at + 8], files = m[at + 9], dependsOn = m[at + 10];
  const updated = m[at + 11], epoch = m[at + 12], extra = m[at + 13];
  if (
    typeof title !== "string" || !STATUS_SET.has(status) || !PRIORITY_SET.has(priority) ||
    typeof created !== "string" || !isText(createdBy) || !isText(claimedBy) ||
    !isText(claimedAt) || !isList(labels) || !isText(branch) || !isList(files) ||
    !isList(dependsOn) || !isText(updated) || typeof epoch !== "number" || !isList(extra)
  ) {
    return null;
  }
  return {
    id,
    title,
    status: status as TicketSummary["status"],
    priority: priority as TicketSummary["priority"],
    created,
    created_by: createdBy,
    claimed_by: claimedBy,
    claimed_at: claimedAt,
    labels: labels === 0 ? [] : labels as string[],
    branch,
    files: files === 0 ? [] : files as string[],
    depends_on: dependsOn === 0 ? [] : dependsOn as string[],
    updated,
    claim_epoch: epoch,
    extra: extra === 0 ? [] : extra as TicketSummary["extra"],
  };
}

/**
 * Reads a file of `.track/cache/` (this cache, the search word index), never through a link: a
 * cache/tickets.json -> /dev/zero would never end. null when missing, not a regular file, or
 * unreadable.
 */
export function readCacheFile(path: string): string | null {
  try {
    if (!Deno.lstatSync(path).isFile) return null;
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** The snapshot and the log, or null when there is no usable snapshot. */
function load(store: Store): Cache | null {
  const text = readCacheFile(cachePath(store));
  if (text === null) return null;
  let cache: Cache;
  try {
    const c = JSON.parse(text);
    const n = Array.isArray(c?.nums) ? c.nums.length : -1;
    if (
      c.v !== VERSION || n < 0 || !Array.isArray(c.stat) || c.stat.length !== n * STAT_FIELDS ||
      !Array.isArray(c.meta) || c.meta.length !== n
    ) {
      return null;
    }
    cache = { nums: c.nums, stat: c.stat, meta: c.meta, log: new Map() };
  } catch {
    return null; // A hand-edited cache is simply ignored.
  }
  // Missing: no writes since the snapshot.
  const log = readCacheFile(logPath(store)) ?? "";
  for (const line of log.split("\n")) {
    if (line === "") continue;
    try {
      const row = JSON.parse(line);
      if (
        Array.isArray(row) && row.length === 1 + STAT_FIELDS + META_FIELDS &&
        typeof row[0] === "number"
      ) {
        cache.log.set(row[0], row);
      }
    } catch {
      // A line torn by a crash: that ticket is read from its file.
    }
  }
  return cache;
}

/**
 * Whether the recorded stat at `s[at…]` still describes the file. mtime can be set by anyone
 * and ctime has one-second granularity here, so both must match.
 */
function sameStat(s: readonly unknown[], at: number, st: Float64Array): boolean {
  return st[0] === 1 && s[at] === st[1] && s[at + 1] === st[2] && s[at + 2] === st[3] &&
    s[at + 3] === st[4];
}

/** Whether the file had been unchanged for a while (both mtime and ctime) when recorded. */
function settled(s: readonly unknown[], at: number): boolean {
  return Math.max(s[at + 2] as number, s[at + 3] as number) < (s[at + 4] as number) - RACY_MS;
}

/**
 * A 53-bit hash of a ticket file's text (two 32-bit multiplicative hashes over its UTF-16 code
 * units). It only has to tell a file apart from an edit of the same size made in the same clock
 * tick; it is no defence against anyone who wants a collision, and needs to be none: whoever
 * can write the cache can write the tickets.
 */
export function textHash(text: string): number {
  let h1 = 0x811c9dc5, h2 = 0x27d4eb2f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 2 ** 21 + ((h2 >>> 0) >>> 11);
}

/** How far an entry was trusted: not at all, on its stat alone, or after checking its text. */
const UNTRUSTED = 0, BY_STAT = 1, BY_HASH = 2;

/**
 * Whether the entry recorded at `s[at…]` still describes the file `name` in `dir` (ending in
 * "/"), whose stat is `st` (as {@linkcode Dir.lstatInto} gives it): the same stat, and either settled when recorded ({@linkcode BY_STAT})
 * or (a file written moments before its entry) the same text hash now ({@linkcode BY_HASH}).
 */
function trusted(
  s: readonly unknown[],
  at: number,
  st: Float64Array,
  dir: string,
  name: string,
): number {
  if (!sameStat(s, at, st)) return UNTRUSTED;
  if (settled(s, at)) return BY_STAT;
  const hash = s[at + 5];
  if (typeof hash !== "number" || hash < 0) return UNTRUSTED;
  try {
    const text = readKnownFile(dir + name, name);
    return text !== null && textHash(text) === hash ? BY_HASH : UNTRUSTED;
  } catch {
    return UNTRUSTED; // The careful read that follows reports what is wrong with it.
  }
}

function summary(t: Ticket): TicketSummary {
  const { body: _body, ...rest } = t;
  return rest;
}

function statRow(st: Stat | null, now: number, text: string): number[] {
  return [st?.ino ?? -1, st?.size ?? -1, st?.mtime ?? -1, st?.ctime ?? -1, now, textHash(text)];
}

/**
 * A reader that had to read at least this many ticket files itself (a fresh clone, a `git pull`
 * or checkout, files written by another tool) records them in the cache for the readers after
 * it, if it can take the lock without waiting.
 */
export const READER_REFRESH_MIN = 32;

/**
 * Every ticket's metadata, ascending by id, from the cache where it is provably current and
 * from the file otherwise. When many entries could not be trusted, the files just read are
 * recorded in the cache (see {@linkcode refreshFromReader}); nothing else is ever written.
 * `hashes`, when given and the cache is in use, receives the {@linkcode textHash} of each
 * ticket's current text, in the order of `tickets` (-1 when unknown); it stays empty when every
 * file was read without the cache (TRACK_NO_CACHE=1, a store too small to keep one).
 */
export function readSummaries(
  store: Store,
  options: { hashes?: number[] } = {},
): { tickets: TicketSummary[]; problems: Problem[] } {
  if (!speedSwitches().cache) return store.readAllTickets();
  // Taken before any stat: entries recorded with it are judged settled conservatively.
  const seen = Date.now();
  const cache = load(store);
  const tickets: TicketSummary[] = [];
  const problems: Problem[] = [];
  const dir = store.openTicketsDir();
  if (dir === null) return { tickets, problems };
  let fresh: unknown[][] = [];
  let listing: { ids: string[]; numbers: number[] };
  try {
    listing = store.listTicketFiles(dir);
    if (cache === null && listing.ids.length < CACHE_MIN_TICKETS) {
      // A small store keeps no cache: read every file, no stat needed.
      return store.readAllTickets();
    }
    fresh = readThrough(
      store,
      cache,
      dir,
      listing,
      { tickets, problems, hashes: options.hashes },
      seen,
    );
  } finally {
    dir.close();
  }
  if (fresh.length >= READER_REFRESH_MIN) refreshFromReader(store, cache, fresh, listing);
  return { tickets, problems };
}

/**
 * Reads every listed ticket through the cache (or, without one, from its file) and returns a
 * cache row `[num, ...stat, ...meta]` for each file it had to read itself, its stat taken before
 * its text was read (so a row can only be too old, never describe a newer file than its text).
 */
function readThrough(
  store: Store,
  cache: Cache | null,
  dir: Dir,
  listing: { ids: string[]; numbers: number[] },
  out: { tickets: TicketSummary[]; problems: Problem[]; hashes?: number[] },
  seen: number,
): unknown[][] {
  const { tickets, problems, hashes } = out;
  const { ids, numbers } = listing;
  const nums = cache?.nums ?? [];
  const stat = cache?.stat ?? [];
  const meta = cache?.meta ?? [];
  const log = cache?.log ?? new Map<number, unknown[]>();
  const prefix = store.ticketsDir + "/";
  const fresh: unknown[][] = [];
  // [isFile, ino, size, mtime, ctime] of the ticket at hand: no object per stat.
  const cur = new Float64Array(5);
  let j = 0; // Both lists ascend: walk the snapshot alongside the listing.
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i], n = numbers[i];
    const name = id + ".md";
    // false when it vanished since the listing, or cannot be stat-ed: the careful read below
    // tells the two apart (skipped, or reported as a problem).
    const stated = dir.lstatInto(name, cur);
    const st = stated ? cur : null;
    let t: TicketSummary | null = null;
    const logged = log.size === 0 ? undefined : log.get(n);
    let how = UNTRUSTED;
    let hash: unknown = -1; // of the entry that was trusted
    if (st === null) {
      // Read below.
    } else if (logged !== undefined) {
      how = trusted(logged, 1, st, prefix, name);
      if (how !== UNTRUSTED) t = summaryOf(id, logged, 1 + STAT_FIELDS);
      hash = logged[1 + 5];
    } else {
      while (j < nums.length && nums[j] < n) j++;
      if (nums[j] === n) {
        how = trusted(stat, j * STAT_FIELDS, st, prefix, name);
        const m = meta[j];
        if (how !== UNTRUSTED && Array.isArray(m) && m.length === META_FIELDS) {
          t = summaryOf(id, m, 0);
        }
        hash = stat[j * STAT_FIELDS + 5];
      }
    }
    if (t !== null) {
      tickets.push(t);
      hashes?.push(typeof hash === "number" ? hash : -1);
      // Checked by its text because it was written moments before its entry, and quiet since:
      // an entry recorded now is settled, and the next reader needs only the stat.
      if (how === BY_HASH && Math.max(cur[3], cur[4]) < seen - RACY_MS) {
        fresh.push([n, cur[1], cur[2], cur[3], cur[4], seen, hash, ...toMeta(t)]);
      }
      continue;
    }
    try {
      const regular = stated && cur[0] === 1;
      const full = store.tryReadTicketFile(id, { knownRegular: regular });
      if (full !== null) {
        tickets.push(summary(full.ticket));
        const row = statRow(
          stated
            ? { isFile: regular, ino: cur[1], size: cur[2], mtime: cur[3], ctime: cur[4] }
            : null,
          seen,
          full.text,
        );
        hashes?.push(row[5]);
        if (regular) fresh.push([n, ...row, ...toMeta(full.ticket)]);
      }
    } catch (err) {
      if (!(err instanceof TrackError)) throw err;
      problems.push({ file: store.display(prefix + name), error: err });
    }
  }
  return fresh;
}

/**
 * Records rows a reader made (see {@linkcode readThrough}) in the cache, the way `git status`
 * refreshes the index: only if the store lock is free right now (never waiting, so a reader
 * never slows a writer down by more than this append), only in `.track/cache/`, never a ticket,
 * agent or board file, and silently skipped on any failure. A row describes its file by stat
 * and hash, so it is as safe to record after the read as during it: readers verify it.
 */
function refreshFromReader(
  store: Store,
  cache: Cache | null,
  rows: unknown[][],
  listing: { ids: string[]; numbers: number[] },
): void {
  let lock: LockHandle | null = null;
  try {
    lock = tryAcquireLockSync(store.lockPath, "cache refresh by a reader");
    if (lock === null) return; // A writer is at work (and refreshes the cache itself).
    const logged = rows.map((r) => JSON.stringify(r) + "\n").join("");
    if (cache === null || logged.length > Math.max(64 * 1024, cache.nums.length * 16)) {
      writeSnapshot(store, mergedRows(cache, rows, listing.numbers));
    } else {
      appendLog(store, logged);
    }
  } catch {
    // Best effort, and never this reader's error: readers verify every entry.
  } finally {
    lock?.release();
  }
}

/** The snapshot's rows, then the log's, then `rows`, by ticket number: the last one wins. */
function mergedRows(cache: Cache | null, rows: unknown[][], listed: number[]): unknown[][] {
  const byNum = new Map<number, unknown[]>();
  if (cache !== null) {
    for (let j = 0; j < cache.nums.length; j++) {
      const m = cache.meta[j];
      if (!Array.isArray(m)) continue;
      byNum.set(cache.nums[j], [
        cache.nums[j],
        ...cache.stat.slice(j * STAT_FIELDS, (j + 1) * STAT_FIELDS),
        ...m,
      ]);
    }
    for (const [n, row] of cache.log) byNum.set(n, row);
  }
  for (const row of rows) byNum.set(row[0] as number, row);
  const out: unknown[][] = [];
  for (const n of listed) {
    const row = byNum.get(n);
    if (row !== undefined) out.push(row);
  }
  return out;
}

function dropCache(store: Store): void {
  for (const p of [cachePath(store), logPath(store)]) {
    try {
      removeInside(store.dir, p);
    } catch {
      // Nothing to remove, or we cannot: readers still verify every entry against the file.
    }
  }
}

/** Rebuilds the snapshot from `old` (settled entries kept, others re-read) and empties the log. */
function compact(store: Store, old: Cache | null, ids: string[], numbers: number[]): void {
  const now = Date.now();
  const out = { v: VERSION, nums: [] as number[], stat: [] as number[], meta: [] as unknown[] };
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    const n = numbers[i];
    if (old !== null) {
      // Cheap path: keep settled entries without a stat; readers check the stat anyway.
      const logged = old.log.get(n);
      while (j < old.nums.length && old.nums[j] < n) j++;
      if (logged !== undefined) {
        if (settled(logged, 1)) {
          out.nums.push(n);
          out.stat.push(...(logged.slice(1, 1 + STAT_FIELDS) as number[]));
          out.meta.push(logged.slice(1 + STAT_FIELDS));
          continue;
        }
      } else if (old.nums[j] === n && settled(old.stat, j * STAT_FIELDS)) {
        out.nums.push(n);
        out.stat.push(...old.stat.slice(j * STAT_FIELDS, (j + 1) * STAT_FIELDS));
        out.meta.push(old.meta[j]);
        continue;
      }
    }
    const st = lstatPath(store.ticketPath(ids[i]));
    if (st === null || !st.isFile) continue;
    // Unknown or racy entry: read the file itself (an edit in the same clock tick can keep the
    // stat identical, so a racy entry's content is never carried forward).
    try {
      const full = store.tryReadTicketFile(ids[i], { knownRegular: true });
      if (full === null) continue;
      out.nums.push(n);
      out.stat.push(...statRow(st, now, full.text));
      out.meta.push(toMeta(full.ticket));
    } catch {
      // Unparseable: readers read it and report it.
    }
  }
  writeSnapshotOf(store, out);
}

/** Writes a snapshot of `rows` (`[num, ...stat, ...meta]`, ascending) and empties the log. */
function writeSnapshot(store: Store, rows: unknown[][]): void {
  const out = { v: VERSION, nums: [] as number[], stat: [] as number[], meta: [] as unknown[] };
  for (const row of rows) {
    out.nums.push(row[0] as number);
    out.stat.push(...(row.slice(1, 1 + STAT_FIELDS) as number[]));
    out.meta.push(row.slice(1 + STAT_FIELDS));
  }
  writeSnapshotOf(store, out);
}

function writeSnapshotOf(
  store: Store,
  out: { v: number; nums: number[]; stat: number[]; meta: unknown[] },
): void {
  ensureDirInside(store.dir, join(store.dir, "cache"));
  const path = cachePath(store);
  const inside = store.dir;
  writeFileAtomic(path, JSON.stringify(out), store.display(path), { durable: false, inside });
  // Emptied rather than removed: readers then read an empty file instead of meeting NotFound,
  // an exception that costs more than the read. A reader that still sees the old lines checks
  // them against the files like any other entry. Replaced, never truncated through a link.
  writeFileAtomic(logPath(store), "", store.display(logPath(store)), { durable: false, inside });
}

/** Appends lines to the log, only to the file itself, never through a link (no_follow.ts). */
function appendLog(store: Store, lines: string): void {
  const f = openInside(store.dir, logPath(store), { append: true, create: true })!;
  try {
    const bytes = new TextEncoder().encode(lines);
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
  } finally {
    f.close();
  }
}

/**
 * Brings the cache up to date after a mutation wrote tickets (`tx.writtenTickets`, inside the
 * lock): one appended log line per ticket, and a compaction when the log has grown past an
 * eighth of the snapshot. Never fails the mutation: on any error the cache is dropped and readers fall back
 * to the files.
 */
export function refreshCache(tx: Tx): void {
  const store = tx.store;
  try {
    let snapshotSize = -1;
    try {
      snapshotSize = Deno.lstatSync(cachePath(store)).size;
    } catch {
      snapshotSize = -1;
    }
    if (snapshotSize < 0) {
      const { ids, numbers } = store.listTicketFiles();
      if (ids.length >= CACHE_MIN_TICKETS) compact(store, null, ids, numbers);
      return;
    }
    let logSize = 0;
    try {
      logSize = Deno.lstatSync(logPath(store)).size;
    } catch {
      logSize = 0;
    }
    if (logSize > Math.max(64 * 1024, snapshotSize / 8)) {
      const { ids, numbers } = store.listTicketFiles();
      if (ids.length < CACHE_MIN_TICKETS) dropCache(store);
      else compact(store, load(store), ids, numbers);
      return;
    }
    const now = Date.now();
    let lines = "";
    for (const { ticket: t, text } of tx.writtenTickets.values()) {
      const st = lstatPath(store.ticketPath(t.id));
      if (st !== null && st.isFile) {
        const row = [Number(t.id.slice(2)), ...statRow(st, now, text), ...toMeta(t)];
        lines += JSON.stringify(row) + "\n";
      }
    }
    appendLog(store, lines);
  } catch {
    dropCache(store);
  }
}
