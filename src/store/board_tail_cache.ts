/**
 * A derived, git-ignored list of the newest board entry names of the newest day
 * (`.track/cache/board-tail.json`), so `board --last 20` does not list a day directory holding
 * thousands of messages. Writers keep it under the lock as they post; readers use it only while
 * the day directory's mtime is exactly the one recorded, so any file added by someone else (a
 * git pull) sends them back to listing the directory.
 */
import { join } from "../model/path.ts";
import { writeFileAtomic } from "./atomic.ts";
import { ensureDirInside, removeInside } from "./no_follow.ts";
import type { Store } from "./store.ts";

/** Most names kept. */
export const TAIL_CAP = 256;

interface Tail {
  v: number;
  day: string;
  /** mtime (ms) of the day directory when the names were recorded. */
  mtime: number;
  /** Newest names of the day, ascending. */
  names: string[];
  /** Whether `names` holds every entry of the day. */
  complete: boolean;
}

function tailPath(store: Store): string {
  return join(store.dir, "cache", "board-tail.json");
}

function load(store: Store): Tail | null {
  try {
    // Never through a link (no_follow.ts): a cache/board-tail.json -> /dev/zero would never end.
    if (!Deno.lstatSync(tailPath(store)).isFile) return null;
    const t = JSON.parse(Deno.readTextFileSync(tailPath(store)));
    if (t?.v !== 1 || typeof t.day !== "string" || !Array.isArray(t.names)) return null;
    return t as Tail;
  } catch {
    return null; // Missing, torn or hand-edited: list the directory instead.
  }
}

/** mtime (ms) of a directory, or null. */
export function dirMtime(dir: string): number | null {
  try {
    return Deno.statSync(dir).mtime?.getTime() ?? null;
  } catch {
    return null;
  }
}

/**
 * The newest names of `day` when the cache provably matches the directory, else null.
 * `complete` says whether they are all of the day's names.
 */
export function cachedTail(
  store: Store,
  day: string,
  dir: string,
): { names: string[]; complete: boolean } | null {
  const t = load(store);
  if (t === null || t.day !== day) return null;
  const m = dirMtime(dir);
  return m !== null && m === t.mtime ? { names: t.names, complete: t.complete === true } : null;
}

/**
 * Records that `names` were just written into `day`'s directory `dir` (under the lock, after
 * the commit that wrote them). `before` is the directory's mtime before that commit. Never
 * fails the post: on error the cache is dropped.
 */
export function recordPosts(
  store: Store,
  posts: { day: string; dir: string; names: string[]; before: number | null },
  listAll: () => string[],
): void {
  const { day, dir, before } = posts;
  const path = tailPath(store);
  try {
    const t = load(store);
    let names: string[];
    let complete: boolean;
    if (t !== null && t.day === day && before !== null && t.mtime === before) {
      names = [...t.names, ...posts.names].sort();
      complete = t.complete === true;
    } else {
      names = listAll();
      complete = true;
    }
    if (names.length > TAIL_CAP) {
      names = names.slice(-TAIL_CAP);
      complete = false;
    }
    const after = dirMtime(dir);
    if (after === null) throw new Error("day directory vanished");
    ensureDirInside(store.dir, join(store.dir, "cache"));
    writeFileAtomic(
      path,
      JSON.stringify({ v: 1, day, mtime: after, names, complete }),
      store.display(path),
      { durable: false, inside: store.dir },
    );
  } catch {
    try {
      removeInside(store.dir, path);
    } catch {
      // Nothing to remove: readers list the directory when the cache is missing.
    }
  }
}
