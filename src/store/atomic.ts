/**
 * The one way anything in .track/ is written: a unique temp file in the same directory, write,
 * fsync, rename over the target, fsync the directory. On any failure the target is left
 * byte-identical to before and the temp file is removed. fsync is never retried after a failure
 * (the kernel may have dropped the dirty pages; a retry would report a false success).
 * Inside the store (`inside`), nothing is written through a symbolic link: see no_follow.ts.
 */
import { basename, dirname } from "../model/path.ts";
import { ioError } from "../model/errors.ts";
import { lstatInside } from "./no_follow.ts";

const encoder = new TextEncoder();

/** Suffix of temp files; anything in .track/ ending with it is debris when no lock is held. */
export const TEMP_SUFFIX = ".tmp";

/** Name of the temp file this process would use for `path` (hidden, unique). */
export function tempPathFor(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${dirname(path)}/.${basename(path)}.${Deno.pid}.${rand}${TEMP_SUFFIX}`;
}

function tryRemove(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Best effort cleanup of our own temp file; the original error is what matters.
  }
}

/** fsyncs a directory so a rename in it is durable. */
export function syncDir(dir: string, display: string): void {
  let f: Deno.FsFile | undefined;
  try {
    f = Deno.openSync(dir, { read: true });
    f.syncSync();
  } catch (e) {
    throw ioError("sync directory", display, e);
  } finally {
    f?.close();
  }
}

/**
 * Atomically replaces `path` with `data` (or creates it). `display` names the file in errors.
 * Throws an exit-7 error on any I/O failure, with the target unchanged. `durable: false` skips
 * the fsyncs (only for derived caches, whose loss costs nothing). `inside` is the .track
 * directory when `path` is in the store: then a symbolic link at `path` or on the way to it is
 * exit 6 and nothing is written (the temp file is made with createNew, which never follows a
 * link, and the rename replaces whatever name it lands on, never a link's target). `mode`
 * (default 0o644) is the new file's permission: the temp file is created with it, so a secret
 * is never readable by others, not even for a moment, and a rewrite fixes an older file's mode.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  display = path,
  options: { durable?: boolean; inside?: string; mode?: number } = {},
): void {
  const durable = options.durable ?? true;
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  if (options.inside !== undefined) lstatInside(options.inside, path);
  const tmp = tempPathFor(path);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true, mode: options.mode ?? 0o644 });
  } catch (e) {
    throw ioError("create a temp file for", display, e);
  }
  try {
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    if (durable) file.syncSync();
  } catch (e) {
    file.close();
    tryRemove(tmp);
    throw ioError("write", display, e);
  }
  file.close();

  // Keep the old version reachable until the directory fsync confirms the new one, so a failed
  // directory fsync can put it back and leave the target as it was.
  const backup = tmp.slice(0, -TEMP_SUFFIX.length) + ".old" + TEMP_SUFFIX;
  let hadOld = true;
  try {
    Deno.linkSync(path, backup);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) hadOld = false;
    else {
      tryRemove(tmp);
      throw ioError("write", display, e);
    }
  }
  try {
    Deno.renameSync(tmp, path);
  } catch (e) {
    tryRemove(tmp);
    if (hadOld) tryRemove(backup);
    throw ioError("replace", display, e);
  }
  try {
    if (durable) syncDir(dirname(path), display);
  } catch (e) {
    try {
      if (hadOld) Deno.renameSync(backup, path);
      else Deno.removeSync(path);
    } catch {
      // Rolling back failed too; the error below still says the write was not confirmed.
    }
    throw e;
  }
  if (hadOld) tryRemove(backup);
}

/** Creates a directory (and parents) if missing. */
export function ensureDir(path: string, display = path): void {
  try {
    Deno.mkdirSync(path, { recursive: true });
  } catch (e) {
    throw ioError("create directory", display, e);
  }
}
