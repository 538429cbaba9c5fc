/**
 * A derived, git-ignored cache of ticket metadata so `list`, `ready`, `blocked` and `agents` on
 * thousands of tickets stat files instead of reading and parsing each one: a snapshot
 * (`.track/cache/tickets.json`) plus an append-only log of later writes (`tickets.log`), so a
 * write costs one appended line, not a rewrite; the log is folded into the snapshot once it
 * grows past an eighth of it. Only writers maintain it, under the lock (a read never writes). Readers trust an entry only when the file's inode, size, mtime and ctime match
 * and the file was last modified well before the entry was recorded (the "racy git" rule: an
 * edit within the same clock tick could keep the stat identical). Anything else is read from the
 * file itself, so a stale, missing or broken cache costs speed, never correctness.
 */
import { TrackError } from "../cli/errors.ts";
import type { Ticket, TicketSummary } from "../tickets/ticket.ts";
import { join } from "./path.ts";
import type { Problem, Store, Tx } from "./store.ts";
import { writeFileAtomic } from "./atomic.ts";

/** One cache row: stat of the file when recorded, when, and the ticket's metadata. */
interface Entry {
  ino: number;
  size: number;
  mtime: number;
  ctime: number;
  /** When this stat was recorded (ms). */
  seen: number;
  t: TicketSummary;
}

const VERSION = 2;
/** Files modified less than this before their entry was recorded are re-read. */
const RACY_MS = 2000;
/** Below this many tickets, reading every file is fast enough: no cache is kept. */
export const CACHE_MIN_TICKETS = 200;

/** Path of the cache snapshot. */
export function cachePath(store: Store): string {
  return join(store.dir, "cache", "tickets.json");
}

function logPath(store: Store): string {
  return join(store.dir, "cache", "tickets.log");
}

// Rows are arrays, not objects: parsing 10,000 of them is about twice as fast without keys.
type Row = [
  id: string,
  ino: number,
  size: number,
  mtime: number,
  ctime: number,
  seen: number,
  title: string,
  status: TicketSummary["status"],
  priority: TicketSummary["priority"],
  created: string,
  created_by: string | null,
  claimed_by: string | null,
  claimed_at: string | null,
  labels: string[],
  branch: string | null,
  files: string[],
  depends_on: string[],
  updated: string | null,
  claim_epoch: number,
  extra: TicketSummary["extra"],
];

function toRow(e: Entry): Row {
  const t = e.t;
  return [
    t.id,
    e.ino,
    e.size,
    e.mtime,
    e.ctime,
    e.seen,
    t.title,
    t.status,
    t.priority,
    t.created,
    t.created_by,
    t.claimed_by,
    t.claimed_at,
    t.labels,
    t.branch,
    t.files,
    t.depends_on,
    t.updated,
    t.claim_epoch,
    t.extra,
  ];
}

function fromRow(r: Row): Entry | null {
  if (!Array.isArray(r) || r.length !== 20 || typeof r[0] !== "string") return null;
  const [id, ino, size, mtime, ctime, seen, title, status, priority, created, created_by] = r;
  const [, , , , , , , , , , , claimed_by, claimed_at, labels, branch, files, depends_on] = r;
  return {
    ino,
    size,
    mtime,
    ctime,
    seen,
    t: {
      id,
      title,
      status,
      priority,
      created,
      created_by,
      claimed_by,
      claimed_at,
      labels,
      branch,
      files,
      depends_on,
      updated: r[17],
      claim_epoch: r[18],
      extra: r[19],
    },
  };
}

/** The snapshot and the log folded together, or null when there is no usable snapshot. */
function load(store: Store): Map<string, Entry> | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(cachePath(store));
  } catch {
    return null;
  }
  const entries = new Map<string, Entry>();
  try {
    const c = JSON.parse(text);
    if (c?.v !== VERSION || !Array.isArray(c.rows)) return null;
    for (const r of c.rows) {
      const e = fromRow(r);
      if (e) entries.set(e.t.id, e);
    }
  } catch {
    return null; // A torn or hand-edited cache is simply ignored.
  }
  let log = "";
  try {
    log = Deno.readTextFileSync(logPath(store));
  } catch {
    // No writes since the snapshot.
  }
  for (const line of log.split("\n")) {
    if (line === "") continue;
    try {
      const e = fromRow(JSON.parse(line));
      if (e) entries.set(e.t.id, e);
    } catch {
      // A line torn by a crash: that ticket is read from its file.
    }
  }
  return entries;
}

function statOf(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Whether the file was last changed well before the entry was recorded. mtime can be set by
 * anyone and ctime has one-second granularity here, so both must be old.
 */
function settled(e: Entry): boolean {
  return Math.max(e.mtime, e.ctime) < e.seen - RACY_MS;
}

function sameStat(e: Entry, st: Deno.FileInfo): boolean {
  return st.isFile && e.ino === st.ino && e.size === st.size &&
    e.mtime === (st.mtime?.getTime() ?? -1) && e.ctime === (st.ctime?.getTime() ?? -1);
}

function matches(e: Entry | undefined, st: Deno.FileInfo | null): e is Entry {
  return e !== undefined && st !== null && sameStat(e, st) && settled(e);
}

function summary(t: Ticket): TicketSummary {
  const { body: _body, ...rest } = t;
  return rest;
}

function entryFor(t: TicketSummary, st: Deno.FileInfo, now: number): Entry {
  return {
    ino: st.ino ?? 0,
    size: st.size,
    mtime: st.mtime?.getTime() ?? -1,
    ctime: st.ctime?.getTime() ?? -1,
    seen: now,
    t,
  };
}

/** Every ticket's metadata, from the cache where it is provably current. */
export function readSummaries(store: Store): { tickets: TicketSummary[]; problems: Problem[] } {
  const cache = load(store);
  if (cache === null) return store.readAllTickets();
  const tickets: TicketSummary[] = [];
  const problems: Problem[] = [];
  for (const id of store.ticketIds()) {
    const path = store.ticketPath(id);
    const e = cache.get(id);
    if (matches(e, statOf(path))) {
      tickets.push(e.t);
      continue;
    }
    try {
      const t = store.tryReadTicket(id);
      if (t !== null) tickets.push(summary(t));
    } catch (err) {
      if (!(err instanceof TrackError)) throw err;
      problems.push({ file: store.display(path), error: err });
    }
  }
  return { tickets, problems };
}

function dropCache(store: Store): void {
  for (const p of [cachePath(store), logPath(store)]) {
    try {
      Deno.removeSync(p);
    } catch {
      // Nothing to remove, or we cannot: readers still verify every entry against the file.
    }
  }
}

/** Rebuilds the snapshot from `old` (trusted rows kept, others re-read) and empties the log. */
function compact(store: Store, old: Map<string, Entry> | null, ids: string[]): void {
  const now = Date.now();
  const rows: Row[] = [];
  for (const id of ids) {
    const prev = old?.get(id);
    // Cheap path: keep settled rows without a stat; readers check the stat anyway.
    if (prev !== undefined && settled(prev)) {
      rows.push(toRow(prev));
      continue;
    }
    const st = statOf(store.ticketPath(id));
    if (st === null || !st.isFile) continue;
    // Unknown or racy row: read the file itself (an edit in the same clock tick can keep the
    // stat identical, so a racy row's content is never carried forward).
    try {
      const full = store.tryReadTicket(id);
      if (full !== null) rows.push(toRow(entryFor(summary(full), st, now)));
    } catch {
      // Unparseable: readers read it and report it.
    }
  }
  Deno.mkdirSync(join(store.dir, "cache"), { recursive: true });
  const path = cachePath(store);
  writeFileAtomic(path, JSON.stringify({ v: VERSION, rows }), store.display(path), {
    durable: false,
  });
  try {
    Deno.removeSync(logPath(store));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Brings the cache up to date after a mutation wrote `written` tickets (inside the lock): one
 * appended log line per ticket, and a compaction when the log has grown past an eighth of the
 * snapshot. Never fails the mutation: on any error the cache is dropped and readers fall back
 * to the files.
 */
export function refreshCache(tx: Tx, written: ReadonlyMap<string, Ticket>): void {
  const store = tx.store;
  try {
    let snapshotSize = -1;
    try {
      snapshotSize = Deno.statSync(cachePath(store)).size;
    } catch {
      snapshotSize = -1;
    }
    if (snapshotSize < 0) {
      const ids = store.ticketIds();
      if (ids.length >= CACHE_MIN_TICKETS) compact(store, null, ids);
      return;
    }
    let logSize = 0;
    try {
      logSize = Deno.statSync(logPath(store)).size;
    } catch {
      logSize = 0;
    }
    if (logSize > Math.max(64 * 1024, snapshotSize / 8)) {
      const ids = store.ticketIds();
      if (ids.length < CACHE_MIN_TICKETS) dropCache(store);
      else compact(store, load(store), ids);
      return;
    }
    const now = Date.now();
    let lines = "";
    for (const t of written.values()) {
      const st = statOf(store.ticketPath(t.id));
      if (st !== null && st.isFile) {
        lines += JSON.stringify(toRow(entryFor(summary(t), st, now))) + "\n";
      }
    }
    const f = Deno.openSync(logPath(store), { append: true, create: true });
    try {
      const bytes = new TextEncoder().encode(lines);
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    } finally {
      f.close();
    }
  } catch {
    dropCache(store);
  }
}
