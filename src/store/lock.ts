/**
 * The store lock: one dedicated file `.track/lock`, never renamed and never deleted, locked
 * with flock through `Deno.FsFile`. The holder writes its pid and command into it so a waiter
 * that gives up can name who holds it. After locking we check that the path still names the
 * inode we locked (someone may have deleted or replaced the file); if not, we lock again. Then
 * we also lock the .track directory, so a lock file deleted or replaced while held never makes
 * a second holder (tests/suites/lock_test.ts).
 */
import { dirname } from "../model/path.ts";
import { TrackError } from "../model/errors.ts";
import { lstatInside, openInside } from "./no_follow.ts";

/** Name of the lock file inside .track/. */
export const LOCK_FILE = "lock";

/** Default budget for waiting on the lock, in milliseconds (`TRACK_LOCK_TIMEOUT` overrides). */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** A held lock; release it in `finally`. */
export interface LockHandle {
  release(): void;
}

const encoder = new TextEncoder();

function sameInode(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/**
 * Reads who holds the lock, as written by the holder ("pid command"), or null. A link at the
 * lock's path is not read (see no_follow.ts).
 */
export function readLockHolder(path: string): { pid: number; command: string } | null {
  let text: string;
  try {
    if (Deno.lstatSync(path).isSymlink) return null;
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const m = /^(\d+) (.*)$/m.exec(text);
  return m ? { pid: Number(m[1]), command: m[2] } : null;
}

function busyError(path: string, timeoutMs: number): TrackError {
  const holder = readLockHolder(path);
  const who = holder
    ? `held by pid ${holder.pid} ("${holder.command}")`
    : "held by another process";
  return new TrackError(
    "lockBusy",
    `Timed out after ${timeoutMs} ms waiting for the store lock "${path}": ${who}`,
    {
      hint:
        "retry in a moment; a lock held by a killed process frees itself (track doctor shows the state)",
      detail: { pid: holder?.pid ?? null, command: holder?.command ?? null },
    },
  );
}

async function lockWithin(
  file: Deno.FsFile,
  timeoutMs: number,
  exclusive = true,
): Promise<boolean> {
  if (file.tryLockSync(exclusive)) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waiting = file.lock(exclusive).then(() => true);
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const won = await Promise.race([waiting, timedOut]);
  clearTimeout(timer);
  if (!won) {
    // The blocked flock() may still succeed later; give that lock back at once and close the
    // file, so a long-lived process (the dashboard) never keeps a lock nobody uses.
    waiting.then(() => {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    }, () => file.close());
  }
  return won;
}

/** Opens the lock file, never through a link (see acquireLock). */
function openLockFile(path: string): Deno.FsFile {
  // Never through a link: a committed `.track/lock` -> `~/.bashrc` would otherwise be
  // truncated below. openInside refuses links (exit 6), never truncates, and checks that the
  // file opened is the one lstat saw.
  return openInside(dirname(path), path, { read: true, create: true, mode: 0o644 })!;
}

/**
 * After locking `file`: whether `path` still names it. When not (deleted or replaced while we
 * waited) the lock is given back and the caller locks the file now there instead.
 */
function stillNamed(path: string, file: Deno.FsFile): boolean {
  let current: Deno.FileInfo | null = null;
  try {
    current = lstatInside(dirname(path), path, { action: "lock" });
  } catch (e) {
    file.unlockSync();
    file.close();
    throw e;
  }
  if (current === null || !sameInode(current, file.statSync())) {
    file.unlockSync();
    file.close();
    return false;
  }
  return true;
}

/**
 * The .track directory, opened for the second lock (null on Windows, which cannot open a
 * directory as a file: there the file lock stands alone). A lock file deleted or replaced while
 * held lets a newcomer lock a fresh inode, but the directory cannot be swapped while it holds
 * the store, so the newcomer waits on it. Taken in the same order by everyone: no deadlock.
 */
function openStoreDir(path: string, file: Deno.FsFile): Deno.FsFile | null {
  if (Deno.build.os === "windows") return null;
  try {
    return Deno.openSync(dirname(path), { read: true });
  } catch (e) {
    file.unlockSync();
    file.close();
    throw new TrackError(
      "io",
      `Cannot open "${dirname(path)}" to lock it: ${(e as Error).message}`,
      { hint: "check permissions of the .track/ directory", cause: e },
    );
  }
}

/** Records the holder for waiters and returns the handle that releases both locks. */
function held(file: Deno.FsFile, dir: Deno.FsFile | null, command: string): LockHandle {
  try {
    file.truncateSync(0);
    file.seekSync(0, Deno.SeekMode.Start);
    file.writeSync(encoder.encode(`${Deno.pid} ${command}\n`));
  } catch {
    // Naming the holder is a courtesy for waiters; a full disk must not block the lock.
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        file.truncateSync(0);
      } catch {
        // Same courtesy as above.
      }
      try {
        dir?.unlockSync();
      } finally {
        dir?.close();
      }
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * Takes the store lock at `path`, waiting at most `timeoutMs`; then throws exit 5 naming the
 * holder. `command` is recorded for other waiters.
 */
export async function acquireLock(
  path: string,
  options: { timeoutMs: number; command: string },
): Promise<LockHandle> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const file = openLockFile(path);
    const ok = await lockWithin(file, Math.max(0, deadline - Date.now()));
    if (!ok) throw busyError(path, options.timeoutMs);
    if (!stillNamed(path, file)) continue;
    const dir = openStoreDir(path, file);
    if (dir !== null && !(await lockWithin(dir, Math.max(0, deadline - Date.now())))) {
      file.unlockSync();
      file.close();
      throw busyError(path, options.timeoutMs);
    }
    return held(file, dir, options.command);
  }
}

/**
 * Takes the store lock at `path` only if nobody holds it right now, without waiting: null when
 * it is busy. For work that is worth doing only when free (a reader refreshing a derived cache).
 * The same two locks as {@linkcode acquireLock}.
 */
export function tryAcquireLockSync(path: string, command: string): LockHandle | null {
  for (;;) {
    const file = openLockFile(path);
    if (!file.tryLockSync(true)) {
      file.close();
      return null;
    }
    if (!stillNamed(path, file)) continue;
    const dir = openStoreDir(path, file);
    if (dir !== null && !dir.tryLockSync(true)) {
      dir.close();
      file.unlockSync();
      file.close();
      return null;
    }
    return held(file, dir, command);
  }
}

/**
 * Takes the store lock at `path` shared, for a reader that needs several files from one moment
 * (`export`): writers wait, other readers do not. Opens the lock file read-only and writes
 * nothing, so it works on a read-only store. Null when there is no lock file: no writer has run.
 */
export async function acquireReadLock(
  path: string,
  options: { timeoutMs: number },
): Promise<LockHandle | null> {
  // A link there is refused (exit 6) like everywhere in the store; reading through one would
  // still flock a file of someone else's.
  if (lstatInside(dirname(path), path, { action: "open" }) === null) return null;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new TrackError("io", `Cannot open the lock file "${path}": ${(e as Error).message}`, {
      hint: "check permissions of the .track/ directory",
      cause: e,
    });
  }
  if (!(await lockWithin(file, options.timeoutMs, false))) {
    throw busyError(path, options.timeoutMs);
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}
