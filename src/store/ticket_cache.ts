/**
 * A derived, git-ignored cache of ticket metadata (`.track/cache/tickets.json`) so `list`,
 * `ready`, `blocked` and `agents` on thousands of tickets stat files instead of reading and
 * parsing each one. Only writers maintain it, under the lock, after they write tickets (a read
 * never writes). Readers trust an entry only when the file's inode, size, mtime and ctime match
 * and the file was last modified well before the entry was recorded (the "racy git" rule: an
 * edit within the same clock tick could keep the stat identical). Anything else is read from the
 * file itself, so a stale, missing or broken cache costs speed, never correctness.
 */
import { TrackError } from "../cli/errors.ts";
import type { Ticket, TicketSummary } from "../tickets/ticket.ts";
import { join } from "./path.ts";
import type { Problem, Store, Tx } from "./store.ts";
import { writeFileAtomic } from "./atomic.ts";

interface Entry {
  ino: number;
  size: number;
  mtime: number;
  ctime: number;
  /** When this stat was recorded (ms). */
  seen: number;
  t: TicketSummary;
}

interface CacheFile {
  v: number;
  entries: Record<string, Entry>;
}

const VERSION = 1;
/** Files modified less than this before their entry was recorded are re-read. */
const RACY_MS = 2000;
/** Below this many tickets, reading every file is fast enough: no cache is kept. */
export const CACHE_MIN_TICKETS = 200;

/** Path of the cache file. */
export function cachePath(store: Store): string {
  return join(store.dir, "cache", "tickets.json");
}

function load(store: Store): CacheFile | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(cachePath(store));
  } catch {
    return null;
  }
  try {
    const c = JSON.parse(text);
    if (c?.v !== VERSION || typeof c.entries !== "object" || c.entries === null) return null;
    return c as CacheFile;
  } catch {
    return null; // A torn or hand-edited cache is simply ignored.
  }
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

/** Every ticket's metadata, from the cache where it is provably current. */
export function readSummaries(store: Store): { tickets: TicketSummary[]; problems: Problem[] } {
  const cache = load(store);
  if (cache === null) return store.readAllTickets();
  const tickets: TicketSummary[] = [];
  const problems: Problem[] = [];
  for (const id of store.ticketIds()) {
    const path = store.ticketPath(id);
    const e = cache.entries[id];
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

/**
 * Brings the cache up to date after a mutation wrote `written` tickets (inside the lock). Never
 * fails the mutation: on any error the cache is removed and readers fall back to the files.
 */
export function refreshCache(tx: Tx, written: ReadonlyMap<string, Ticket>): void {
  const store = tx.store;
  const path = cachePath(store);
  try {
    const ids = store.ticketIds();
    if (ids.length < CACHE_MIN_TICKETS) {
      Deno.removeSync(path);
      return;
    }
    const old = load(store);
    const now = Date.now();
    const entries: Record<string, Entry> = {};
    for (const id of ids) {
      const file = store.ticketPath(id);
      const prev = old?.entries[id];
      const mine = written.get(id);
      // Cheap path: keep trusted entries without a stat; the reader checks the stat anyway.
      if (mine === undefined && prev !== undefined && settled(prev)) {
        entries[id] = prev;
        continue;
      }
      const st = statOf(file);
      if (st === null || !st.isFile) continue;
      let t: TicketSummary | null = null;
      if (mine !== undefined) t = summary(mine);
      else {
        // Unknown or racy entry: read the file itself (an edit in the same clock tick can keep
        // the stat identical, so a racy entry's content is never carried forward).
        try {
          const full = store.tryReadTicket(id);
          t = full === null ? null : summary(full);
        } catch {
          t = null; // Unparseable: readers read it and report it.
        }
      }
      if (t === null) continue;
      entries[id] = {
        ino: st.ino ?? 0,
        size: st.size,
        mtime: st.mtime?.getTime() ?? -1,
        ctime: st.ctime?.getTime() ?? -1,
        seen: now,
        t,
      };
    }
    Deno.mkdirSync(join(store.dir, "cache"), { recursive: true });
    writeFileAtomic(path, JSON.stringify({ v: VERSION, entries }), store.display(path), {
      durable: false,
    });
  } catch {
    try {
      Deno.removeSync(path);
    } catch {
      // Nothing to remove, or we cannot: readers still verify every entry against the file.
    }
  }
}
