/**
 * Where the store lives when sync is on (docs/sync.md, "Where the data lives"): moving it from
 * the work tree's `.track/` into `<git common dir>/track/store/` (`track remote add`) and back
 * (`track remote remove`), and the hint the tracked `.track/config.json` carries for a fresh
 * clone.
 *
 * Both moves are crash-safe: at every instant there is exactly one store that discovery uses and
 * it is complete. Whether sync is on is `<common>/track/sync.json`; it is written only once the
 * new store is complete and durable, and removed only once the work-tree store is. So:
 *
 * - {@linkcode relocateStore}: under `.track/`'s lock, copy the data to `<home>/store.tmp` (each
 *   file and directory fsynced), rename it to `store`, write sync.json, then rewrite config.json
 *   (`"schema": 2` and the hint) and remove the data from `.track/` (only `config.json`,
 *   `.gitignore` and `.gitattributes` stay). Killed before sync.json: `.track/` is still the
 *   complete store (a `store.tmp` or `store` left behind is an unused copy, removed by the next
 *   call). Killed after: the sync store is complete; `.track/` may still hold an old copy, which
 *   discovery ignores (and reports once), and calling relocateStore again finishes the job.
 * - {@linkcode restoreStore}: under the sync store's lock, copy the data into
 *   `.track/.restore.tmp`, fsync, move each entry into `.track/`, rewrite config.json (schema 1,
 *   no hint), remove sync.json, then remove the sync store. Killed before sync.json is removed:
 *   the sync store is still the store (whatever sits in `.track/` is ignored). Killed after: the
 *   work-tree store is complete and the sync store an unused copy (removed by the next move).
 *
 * A command that waited for the old store's lock while the store moved refuses to write (exit 5,
 * "run it again": Store's `home` option). Nothing is ever copied through a symbolic link: a link
 * in the store being moved refuses the move (exit 6), with nothing changed.
 */
import { basename, dirname, join } from "../model/path.ts";
import { badDataError, conflictError, ioError, TrackError, usageError } from "../model/errors.ts";
import { syncDir, TEMP_SUFFIX, writeFileAtomic } from "./atomic.ts";
import { acquireLock, DEFAULT_LOCK_TIMEOUT_MS, LOCK_FILE } from "./lock.ts";
import { linkError } from "./no_follow.ts";
import { isConfiguredRemote, readTrackConfig, type SyncHint } from "./sync_hint.ts";
import { Store } from "./store.ts";
import { recoverJournal } from "./journal.ts";
import { OPLOG_FILE } from "./oplog.ts";
import {
  gitCommonDirOf,
  readSyncConfig,
  STATE_REF_PATTERN,
  type SyncConfig,
  type SyncPaths,
} from "./sync_config.ts";

/** The config.json schema of a store whose data lives in the git common dir (sync on). */
export const SYNC_SCHEMA = 2;

/** Entries of `.track/` that stay in the work tree when the data moves out. */
const STAYS = new Set(["config.json", ".gitignore", ".gitattributes"]);

/**
 * Runtime files never moved (each clone and each place makes its own): the lock, the journal
 * (completed before the move), caches, pid files, temp files, the dashboard's server.json, the
 * verify key (inside git it lives in `<common>/track/verify-key` anyway) and the sync oplog (its
 * lines not yet published will never be, once sync is off; a work tree's `.track/` must not
 * gain an untracked file).
 */
function isRuntime(name: string, top: boolean): boolean {
  if (name.endsWith(TEMP_SUFFIX) && name.startsWith(".")) return true;
  if (name.endsWith(".pid")) return true;
  return top &&
    (name === LOCK_FILE || name === "journal" || name === "cache" || name === "server.json" ||
      name === "verify-key" || name === OPLOG_FILE);
}

/** A step of a move, for tests that kill the process at each one. */
export type StepHook = (step: string) => void;

/** Options of {@linkcode relocateStore} and {@linkcode restoreStore}. */
export interface MoveOptions {
  /** Lock wait budget (default: the store's). */
  lockTimeoutMs?: number;
  /** Called after each durable step (tests kill the process there). */
  onStep?: StepHook;
}

export type { SyncHint } from "./sync_hint.ts";

/** What a move did. */
export interface MoveResult {
  /** The store directory now in use. */
  store: string;
  /** Files and directories copied. */
  copied: number;
  /** Whether this call only finished a move an earlier (killed) call had made durable. */
  resumed: boolean;
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", path, e);
  }
}

function removeTree(path: string): void {
  // Deno's recursive remove never follows a link: a link is removed, not its target.
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw ioError("remove", path, e);
  }
}

function fsyncFile(path: string): void {
  const f = Deno.openSync(path, { read: true });
  try {
    f.syncSync();
  } finally {
    f.close();
  }
}

/**
 * Copies the store `from` into the new directory `to` (which must not exist): real directories
 * and regular files only, runtime files left out, every file and directory fsynced. A link (or
 * any other kind of file) anywhere in `from` is exit 6 naming it; `to` is then removed.
 */
function copyStore(
  from: string,
  to: string,
  skipTop: (name: string) => boolean,
  step: StepHook,
): number {
  let count = 0;
  // Written first, fsynced after in one pass (files, then directories deepest first): the
  // kernel writes back in bulk meanwhile, several times faster than a sync after each write.
  const files: string[] = [];
  const dirs: string[] = [];
  const copyDir = (src: string, dst: string, top: boolean) => {
    Deno.mkdirSync(dst, { mode: 0o755 });
    const names: string[] = [];
    for (const e of Deno.readDirSync(src)) names.push(e.name);
    names.sort();
    for (const name of names) {
      if (isRuntime(name, top) || (top && skipTop(name))) continue;
      const s = `${src}/${name}`;
      const d = `${dst}/${name}`;
      const info = Deno.lstatSync(s);
      if (info.isSymlink) throw linkError(from, s, { action: "move" });
      if (info.isDirectory) copyDir(s, d, false);
      else if (info.isFile) {
        const data = Deno.readFileSync(s);
        const f = Deno.openSync(d, { write: true, createNew: true, mode: info.mode ?? 0o644 });
        try {
          let off = 0;
          while (off < data.length) off += f.writeSync(data.subarray(off));
        } finally {
          f.close();
        }
        files.push(d);
      } else {
        throw badDataError(
          `${basename(from)}${s.slice(from.length)}`,
          "is neither a regular file nor a directory; nothing was moved",
          { hint: "move it aside by hand, then run: track doctor" },
        );
      }
      count++;
      if (top) step(`copy ${name}`);
    }
    dirs.push(dst);
  };
  try {
    copyDir(from, to, true);
    for (const f of files) fsyncFile(f);
    for (const d of dirs) fsyncFile(d);
  } catch (e) {
    removeTree(to);
    if (e instanceof TrackError) throw e;
    throw ioError("copy the store to", to, e);
  }
  return count;
}

/** The bytes of a sync.json for `config`. */
export function syncConfigText(config: SyncConfig): string {
  return JSON.stringify(
    {
      schema: 1,
      remote: config.remote,
      ref: config.ref,
      interval_ms: config.interval_ms,
    },
    null,
    2,
  ) + "\n";
}

/** Writes `<common>/track/sync.json` atomically and durably (sync is on from then on). */
export function writeSyncConfig(paths: SyncPaths, config: SyncConfig): void {
  if (!STATE_REF_PATTERN.test(config.ref)) {
    throw usageError(`Cannot sync on "${config.ref}": the state ref must be under refs/track/`);
  }
  writeFileAtomic(paths.config, syncConfigText(config), paths.config);
}

/** Rewrites config.json with `schema` and the hint (null: none), other keys kept in order. */
function writeTrackConfig(trackDir: string, schema: number, hint: SyncHint | null): void {
  const { raw, text } = readTrackConfig(trackDir);
  const out: Record<string, unknown> = { schema };
  for (const [k, v] of Object.entries(raw)) if (k !== "schema" && k !== "sync") out[k] = v;
  if (hint !== null) out.sync = { remote: hint.remote, ref: hint.ref };
  const next = JSON.stringify(out, null, 2) + "\n";
  if (next === text) return;
  writeFileAtomic(join(trackDir, "config.json"), next, `${basename(trackDir)}/config.json`, {
    inside: trackDir,
  });
}

/** The hint to record for `config`: the remote only when it is a remote name of this clone. */
function hintFor(config: SyncConfig, paths: SyncPaths): SyncHint {
  return {
    remote: isConfiguredRemote(paths.commonDir, config.remote) ? config.remote : null,
    ref: config.ref,
  };
}

/** Whether `trackDir` still holds store data (anything but what stays in the work tree). */
export function holdsData(trackDir: string): boolean {
  try {
    for (const e of Deno.readDirSync(trackDir)) {
      if (!STAYS.has(e.name) && !isRuntime(e.name, true)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

/** Removes the store data from `.track/` (keeps config.json, .gitignore, .gitattributes). */
function emptyTrackDir(trackDir: string, step: StepHook, keep: Set<string>): void {
  const names = [...Deno.readDirSync(trackDir)].map((e) => e.name).sort();
  for (const name of names) {
    if (STAYS.has(name) || keep.has(name)) continue;
    removeTree(join(trackDir, name));
    step(`remove ${name}`);
  }
  syncDir(trackDir, trackDir);
}

function checkNoDashboard(storeDir: string): void {
  if (lstatOrNull(join(storeDir, "server.json")) !== null) {
    throw conflictError(
      `Cannot move the store "${storeDir}": a dashboard runs on it (server.json); nothing was moved`,
      "stop it first: track stop",
    );
  }
}

function ensureHome(paths: SyncPaths): void {
  for (const dir of [paths.home]) {
    const info = lstatOrNull(dir);
    if (info?.isSymlink) {
      throw badDataError(dir, "is a symbolic link; track never follows one for its store", {
        hint: `replace it with a real directory (or remove the link), then run: track doctor`,
      });
    }
    if (info === null) {
      try {
        Deno.mkdirSync(dir, { mode: 0o755 });
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw ioError("create directory", dir, e);
      }
    } else if (!info.isDirectory) {
      throw badDataError(dir, "is not a directory", { hint: "move it aside, then run it again" });
    }
  }
}

/** The file that says a relocation is under way (from before sync.json until `.track/` is empty). */
export function movingMarker(paths: SyncPaths): string {
  return join(paths.home, "moving");
}

function removeMarker(paths: SyncPaths): void {
  if (lstatOrNull(movingMarker(paths)) === null) return;
  removeTree(movingMarker(paths));
  syncDir(paths.home, paths.home);
}

/**
 * Finishes a relocation a kill cut short (its marker is there): with sync.json written, empties
 * `.track/` of the old copy and records schema 2 (relocateStore again); without, removes the
 * unused copy. True when there was one. Run by `track sync`; a checkout of an old branch (no
 * marker) is never touched.
 */
export async function finishMove(
  trackDir: string,
  paths: SyncPaths,
  config: SyncConfig | null,
): Promise<boolean> {
  if (lstatOrNull(movingMarker(paths)) === null) return false;
  if (config !== null) {
    await relocateStore(trackDir, paths, config);
    return true;
  }
  removeTree(paths.store + ".tmp");
  const info = lstatOrNull(paths.store);
  if (info !== null && lstatOrNull(paths.config) === null) removeTree(paths.store);
  removeMarker(paths);
  return true;
}

/**
 * Refuses, changing nothing, a store {@linkcode relocateStore} would refuse: `.track/` not at the
 * top of a work tree of this repository, an unreadable config.json, a dashboard running on it, a
 * link (or a file) where `<common>/track` or its store should be. For `track remote add` to call
 * before it touches the network.
 */
export function checkRelocatable(trackDir: string, paths: SyncPaths): void {
  if (gitCommonDirOf(dirname(trackDir)) !== paths.commonDir) {
    throw usageError(
      `Cannot sync the store "${trackDir}": sync needs it at the top of a work tree of the ` +
        `repository "${paths.commonDir}"; nothing was changed`,
      "run track remote add from the top of the repository, with .track/ there",
    );
  }
  for (const dir of [paths.home, paths.store]) {
    const info = lstatOrNull(dir);
    if (info !== null && (info.isSymlink || !info.isDirectory)) {
      throw badDataError(
        dir,
        info.isSymlink
          ? "is a symbolic link; track never follows one for its store; nothing was changed"
          : "is not a directory; nothing was changed",
        { hint: "move it aside (rm on a link removes only the link), then run it again" },
      );
    }
  }
  readTrackConfig(trackDir);
  if (lstatOrNull(paths.config) === null) checkNoDashboard(trackDir);
}

/**
 * Moves the store from the work tree's `.track/` (`trackDir`) to `<common>/track/store/` and turns
 * sync on by writing `config` to sync.json once the new store is complete and durable; then
 * records schema 2 and the hint in config.json and removes the data from `.track/`. Crash-safe
 * (see the module doc); calling it again after a kill finishes the move. Exit 5 when the store
 * lock is busy; exit 3 when a dashboard runs on the store; exit 6 on a link in the store.
 */
export async function relocateStore(
  trackDir: string,
  paths: SyncPaths,
  config: SyncConfig,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const step = options.onStep ?? (() => {});
  checkRelocatable(trackDir, paths);
  ensureHome(paths);
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const lock = await acquireLock(join(trackDir, LOCK_FILE), { timeoutMs, command: "remote add" });
  let copied = 0;
  let resumed = false;
  try {
    // Judged under the lock: a second move that waited for the first finds it done.
    const storeInfo = lstatOrNull(paths.store);
    if (storeInfo?.isSymlink) throw linkError(paths.home, paths.store, { expected: "directory" });
    const current = readSyncConfig(paths);
    if (current !== null) {
      // A move made durable by an earlier call (killed, or the one this call waited for):
      // finish it, with the hint of the sync that is on.
      if (storeInfo === null || !storeInfo.isDirectory) {
        throw badDataError(
          paths.config,
          `says sync is on, but its store "${paths.store}" is missing; nothing was changed`,
          { hint: "track doctor" },
        );
      }
      resumed = true;
      writeTrackConfig(trackDir, SYNC_SCHEMA, hintFor(current, paths));
      step("config");
      emptyTrackDir(trackDir, step, new Set([LOCK_FILE]));
    } else {
      checkNoDashboard(trackDir);
      // A transaction left by a killed writer is completed before the data is copied.
      recoverJournal(new Store(trackDir));
      // Leftovers of a killed move are unused copies (sync.json is absent): start afresh.
      const tmp = paths.store + ".tmp";
      removeTree(tmp);
      if (storeInfo !== null) removeTree(paths.store);
      copied = copyStore(trackDir, tmp, (name) => STAYS.has(name), step);
      step("copied");
      Deno.renameSync(tmp, paths.store);
      syncDir(paths.home, paths.home);
      step("renamed");
      // Says "a move is under way" until .track/ is emptied, so a move cut short after
      // sync.json is told apart from an old branch's checked-out copy and finished (finishMove).
      writeFileAtomic(movingMarker(paths), "relocate\n", movingMarker(paths));
      step("marker");
      writeSyncConfig(paths, config);
      step("sync.json");
      writeTrackConfig(trackDir, SYNC_SCHEMA, hintFor(config, paths));
      step("config");
      // The lock file stays until the end: a command waiting on it sees sync.json and refuses.
      emptyTrackDir(trackDir, step, new Set([LOCK_FILE]));
    }
  } finally {
    lock.release();
  }
  removeTree(join(trackDir, LOCK_FILE));
  removeMarker(paths);
  step("done");
  return { store: paths.store, copied, resumed };
}

/**
 * Moves the store back from `<common>/track/store/` into the work tree's `.track/` and turns
 * sync off: sync.json is removed only once `.track/` holds the complete store (config.json back
 * to schema 1, no hint); then the sync store is removed. Crash-safe (see the module doc). Exit 4
 * when sync is off; exit 5 when the store lock is busy; exit 6 on a link in the store.
 */
export async function restoreStore(
  paths: SyncPaths,
  trackDir: string,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const step = options.onStep ?? (() => {});
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (lstatOrNull(paths.config) === null) {
    const info = lstatOrNull(paths.store);
    if (info !== null && !info.isSymlink) {
      // sync.json was removed by a killed call: .track/ is the store; the copy is unused.
      removeTree(paths.store);
      return { store: trackDir, copied: 0, resumed: true };
    }
    throw new TrackError("notFound", "Sync is off: the store already lives in .track/", {
      hint: "track remote show",
    });
  }
  const storeInfo = lstatOrNull(paths.store);
  if (storeInfo?.isSymlink) throw linkError(paths.home, paths.store, { expected: "directory" });
  if (storeInfo === null || !storeInfo.isDirectory) {
    throw badDataError(
      paths.config,
      `says sync is on, but its store "${paths.store}" is missing; nothing was changed`,
      { hint: "track doctor" },
    );
  }
  const trackInfo = lstatOrNull(trackDir);
  if (trackInfo === null || trackInfo.isSymlink || !trackInfo.isDirectory) {
    throw new TrackError(
      "notFound",
      `Cannot move the store back to "${trackDir}": it is not a directory; nothing was changed`,
      { hint: "restore .track/config.json from git (git checkout -- .track/config.json)" },
    );
  }
  readTrackConfig(trackDir);
  const syncOff = () =>
    new TrackError("notFound", "Sync is off: the store already lives in .track/", {
      hint: "track remote show",
    });
  const lock = await acquireLock(join(paths.store, LOCK_FILE), {
    timeoutMs,
    command: "remote remove",
  }).catch((e) => {
    // Another remove that this one waited for took the sync store away.
    if (lstatOrNull(paths.config) === null) throw syncOff();
    throw e;
  });
  let copied: number;
  try {
    // Judged under the lock: a second remove that waited for the first finds sync off.
    if (lstatOrNull(paths.config) === null) throw syncOff();
    checkNoDashboard(paths.store);
    recoverJournal(new Store(paths.store));
    const staging = join(trackDir, ".restore" + TEMP_SUFFIX);
    removeTree(staging);
    // A store never holds its own config.json (it stays in .track/): skip one left by hand.
    copied = copyStore(paths.store, staging, (name) => STAYS.has(name), step);
    step("copied");
    // Whatever data .track/ holds now (an old branch's checkout, a killed move) is replaced.
    emptyTrackDir(trackDir, step, new Set([LOCK_FILE, basename(staging)]));
    for (const name of [...Deno.readDirSync(staging)].map((e) => e.name).sort()) {
      Deno.renameSync(join(staging, name), join(trackDir, name));
    }
    syncDir(trackDir, trackDir);
    removeTree(staging);
    step("moved in");
    writeTrackConfig(trackDir, 1, null);
    step("config");
    Deno.removeSync(paths.config);
    syncDir(paths.home, paths.home);
    step("sync.json");
  } finally {
    lock.release();
  }
  // Commands waiting on the sync store's lock find sync.json gone and refuse (exit 5).
  removeTree(paths.store);
  removeMarker(paths);
  step("done");
  return { store: trackDir, copied, resumed: false };
}
