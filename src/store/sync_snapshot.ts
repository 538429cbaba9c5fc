/**
 * The snapshot of a store for sync: every file that syncs (sync_wire.ts), as git blob ids. Taken
 * under the store lock (a transaction's files are all in or all out; a journal left by a killed
 * writer is completed first; a link in the store is refused), with no network I/O.
 *
 * Incremental: a stat cache in the engine's private directory records, per file, the inode,
 * size, mtime and ctime at which it had a given blob id. A file whose stat matches a trusted
 * entry is not read again; only new and changed files are hashed (one `git hash-object` for all
 * of them). An entry is trusted only when the file had not changed for two seconds when it was
 * recorded (a write within the same clock tick could otherwise keep its stat), like the ticket
 * cache. Track's own writes replace files by rename, so their inode always changes.
 */
import { join } from "../model/path.ts";
import { syncs } from "../model/sync_wire.ts";
import { ioError } from "../model/errors.ts";
import { lstatPath, openDir, type Stat } from "./native_fs.ts";
import { linkError } from "./no_follow.ts";
import { hashFiles } from "./sync_repo.ts";
import { writeFileAtomic } from "./atomic.ts";
import type { Store } from "./store.ts";

/** How long a file must have been unchanged for its cache entry to be trusted. */
const SETTLED_MS = 2_000;

type CacheEntry = [ino: number, size: number, mtime: number, ctime: number, oid: string, ok: 0 | 1];

/** The syncing files of a store at one moment. */
export interface StoreSnapshot<T = undefined> {
  /** What `during` returned, read under the same hold of the lock. */
  extra: T;
  /** Store-relative path → blob id (the blob is in the repository). */
  oids: Map<string, string>;
  /** Store-relative path → its stat when the snapshot was taken. */
  stats: Map<string, Stat>;
  /** Files hashed this time (not found unchanged in the stat cache). */
  hashed: number;
}

function sameStat(e: CacheEntry, s: Stat): boolean {
  return e[0] === s.ino && e[1] === s.size && e[2] === s.mtime && e[3] === s.ctime;
}

/** Reads the stat cache; a missing or unreadable one is empty (it is only a cache). */
function readCache(path: string): Map<string, CacheEntry> {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path)) as { v?: number; entries?: unknown };
    if (v.v !== 1 || v.entries === null || typeof v.entries !== "object") return new Map();
    return new Map(Object.entries(v.entries as Record<string, CacheEntry>));
  } catch {
    return new Map();
  }
}

/** Writes the stat cache (best effort: losing it costs one rehash). */
export function writeStatCache(
  path: string,
  oids: ReadonlyMap<string, string>,
  stats: ReadonlyMap<string, Stat>,
  now: number,
): void {
  const entries: Record<string, CacheEntry> = {};
  for (const [p, oid] of oids) {
    const s = stats.get(p);
    if (s === undefined) continue;
    const settled = Math.max(s.mtime, s.ctime) + SETTLED_MS < now ? 1 : 0;
    entries[p] = [s.ino, s.size, s.mtime, s.ctime, oid, settled];
  }
  try {
    writeFileAtomic(path, JSON.stringify({ v: 1, entries }), path, { durable: false });
  } catch {
    // A cache: the next snapshot hashes again.
  }
}

/** Exit 6 when `rel` inside the store is a symbolic link (never followed, never published). */
function refuseLink(storeDir: string, rel: string, expected: "file" | "directory"): void {
  const full = join(storeDir, rel);
  let link = false;
  try {
    link = Deno.lstatSync(full).isSymlink;
  } catch {
    return; // Gone meanwhile, or not stat-able: not listed.
  }
  if (link) throw linkError(storeDir, full, { action: "sync", expected });
}

/** Every syncing file of the store with its stat (a link is exit 6; other non-files are left out). */
function listSyncing(storeDir: string): Map<string, Stat> {
  const out = new Map<string, Stat>();
  const scan = (rel: string) => {
    let dir;
    try {
      dir = openDir(join(storeDir, rel));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw ioError("list", join(storeDir, rel), e);
    }
    try {
      for (const entry of dir.entries) {
        const path = `${rel}/${entry.name}`;
        if (rel === "board") {
          if (/^\d{4}-\d{2}-\d{2}$/.test(entry.name)) {
            // opendir follows a link: a linked day would publish files from outside the store.
            refuseLink(storeDir, path, "directory");
            scan(path);
          }
          continue;
        }
        if (!syncs(path)) continue;
        const s = dir.lstat(entry.name);
        if (s !== null && s.isFile) out.set(path, s);
        else refuseLink(storeDir, path, "file");
      }
    } finally {
      dir.close();
    }
  };
  for (const rel of ["tickets", "archive", "agents", "inbox", "board"]) scan(rel);
  const r = lstatPath(join(storeDir, "reservations.json"));
  if (r !== null && r.isFile) out.set("reservations.json", r);
  return out;
}

/**
 * Takes the snapshot under the store lock. `cacheFile` is the stat cache; `gitDir` receives
 * the blobs of new and changed files; `during` runs under the same hold of the lock (the oplog
 * lines the snapshot covers).
 */
export async function snapshotStore<T = undefined>(
  store: Store,
  gitDir: string,
  cacheFile: string,
  during?: () => T,
): Promise<StoreSnapshot<T>> {
  const cache = readCache(cacheFile);
  const snap = await store.mutate("sync (snapshot)", async () => {
    // Trust is judged against the moment of the stat calls, not the end of the hashing.
    const at = Date.now();
    const stats = listSyncing(store.dir);
    const oids = new Map<string, string>();
    const toHash: string[] = [];
    for (const [path, s] of stats) {
      const e = cache.get(path);
      if (e !== undefined && e[5] === 1 && sameStat(e, s)) oids.set(path, e[4]);
      else toHash.push(path);
    }
    const hashed = await hashFiles(gitDir, toHash.map((p) => join(store.dir, p)));
    toHash.forEach((p, i) => oids.set(p, hashed[i]));
    const extra = during?.() as T;
    return { oids, stats, hashed: toHash.length, at, extra };
  });
  // Unchanged (nothing hashed, nothing gone): the cache on disk already says all of it.
  if (snap.hashed > 0 || cache.size !== snap.oids.size) {
    writeStatCache(cacheFile, snap.oids, snap.stats, snap.at);
  }
  return { oids: snap.oids, stats: snap.stats, hashed: snap.hashed, extra: snap.extra };
}
