/**
 * Auto-sync (docs/sync.md "Auto-sync"): after a command wrote to a sync store, and the lines it
 * added to the oplog are not published yet, a detached `track sync --background` is started and
 * the command returns at once. No daemon: the child lives until nothing is left to publish.
 *
 * - At most one per clone: the child holds a flock on `<git common dir>/track/sync/background.pid`
 *   (which also names it) for its whole life. A writer that finds the file locked starts none:
 *   the running child checks for new oplog lines after it has released the file, so a write
 *   committed before that check is published by it, and one after it finds no child and starts
 *   one.
 * - Paced: a step starts at least `sync.interval` after the clone's last fetch, completed step or
 *   failed attempt, and `syncStore` paces its pushes (`paced`), so a busy clone costs the remote
 *   one step per interval, an offline one one attempt per interval.
 * - The child gets no stdin, and its stdout and stderr are /dev/null (it never holds a caller's
 *   pipe open); it runs in its own session and survives its parent. A failed step is recorded in
 *   `sync/failure.json` (the dashboard's "offline since"), the next write tries again.
 * - `TRACK_SYNC=off` (no network at all for that command) or `TRACK_SYNC=manual` (no background
 *   sync; decisions still sync) in the writer's environment starts none.
 */
import { join } from "../model/path.ts";
import type { Store } from "../store/store.ts";
import type { SyncPaths } from "../store/sync_config.ts";
import { selfArgv } from "../store/self_argv.ts";

/** The background sync's pid file (locked while it runs) in the engine's private directory. */
export function backgroundPidFile(paths: SyncPaths): string {
  return join(paths.private, "background.pid");
}

/** What `TRACK_SYNC` asks for: `off` (no network), `manual` (no background sync), `auto`. */
export type SyncMode = "auto" | "manual" | "off";

/**
 * `TRACK_SYNC` read (any case): `off` (also `0`, `false`, `no`, as decide.ts `syncSwitchedOff`
 * reads it), `manual`; unset, empty, `auto`, `on`, `1`, `true`, `yes` are auto; null for
 * anything else.
 */
export function syncMode(raw: string | undefined): SyncMode | null {
  const v = (raw ?? "").toLowerCase();
  if (["", "auto", "on", "1", "true", "yes"].includes(v)) return "auto";
  if (["off", "0", "false", "no"].includes(v)) return "off";
  if (v === "manual") return "manual";
  return null;
}

/** The pid of the background sync of this clone while one runs (its file is locked), or null. */
export function backgroundSyncRunning(paths: SyncPaths): number | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(backgroundPidFile(paths), { read: true, write: true });
  } catch {
    return null;
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return null;
    }
    const pid = Number(Deno.readTextFileSync(backgroundPidFile(paths)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  } finally {
    file.close();
  }
}

function readPublishedSeq(paths: SyncPaths): number {
  try {
    const v = JSON.parse(Deno.readTextFileSync(join(paths.private, "state.json")));
    return Number.isInteger(v?.published_seq) ? v.published_seq : 0;
  } catch {
    return 0;
  }
}

/** The seq of the store's last oplog line (0: none). */
async function lastSeq(storeDir: string): Promise<number> {
  const { oplogTail } = await import("../store/oplog.ts");
  return oplogTail(storeDir).last?.seq ?? 0;
}

/** Why {@linkcode startBackgroundSync} did or did not start one. */
export type BackgroundStart = "started" | "running" | "published" | "off";

/**
 * After a command that wrote to `store`: starts the detached background sync unless sync is
 * off, everything is published already (a decision synced before returning), or one runs.
 * `argv` runs track (default {@linkcode selfArgv}); the child runs in the project root.
 */
export async function startBackgroundSync(
  store: Store,
  options: { argv?: readonly string[]; env?: Record<string, string> } = {},
): Promise<BackgroundStart> {
  const paths = store.home?.paths;
  if (!store.synced || paths === undefined) return "off";
  if (await lastSeq(store.dir) <= readPublishedSeq(paths)) return "published";
  if (backgroundSyncRunning(paths) !== null) return "running";
  // Written before the child starts, so that whoever waits for the file to go away (a test,
  // `track remote show`) never sees a gap; the child takes it over (lock, its own pid).
  Deno.mkdirSync(paths.private, { recursive: true });
  const args = [...(options.argv ?? selfArgv()), "sync", "--background"];
  return spawnDetached(store.root, backgroundPidFile(paths), args, options.env) ? "started" : "off";
}

/**
 * Starts `argv` detached from this process (no stdin, stdout or stderr; it outlives the command),
 * with `pidFile` written first ("starting") so that a waiter never sees a gap; the child takes
 * it over. False, with the pid file removed, when it could not start.
 */
export function spawnDetached(
  cwd: string,
  pidFile: string,
  argv: string[],
  env: Record<string, string> | undefined,
): boolean {
  Deno.writeTextFileSync(pidFile, "starting\n");
  const [cmd, ...args] = argv;
  try {
    const child = new Deno.Command(cmd, {
      args,
      cwd,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
  } catch {
    try {
      Deno.removeSync(pidFile);
    } catch {
      // Gone already.
    }
    return false;
  }
  return true;
}

/** Holds the pid file locked (this process's pid in it), or null when another child has it. */
export function holdPidFile(path: string): Deno.FsFile | null {
  for (let i = 0; i < 10; i++) {
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    if (!file.tryLockSync(true)) {
      file.close();
      return null;
    }
    // Locked, but possibly a file another child removed meanwhile: only the one at the path
    // counts.
    let same = false;
    try {
      same = Deno.statSync(path).ino === file.statSync().ino;
    } catch {
      same = false;
    }
    if (same) {
      file.truncateSync(0);
      file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
      return file;
    }
    file.unlockSync();
    file.close();
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The body of `track sync --background`: sync steps, paced, until no oplog line written since
 * the last step's start is left unpublished, or a step failed (recorded; the next write starts
 * another). Returns without syncing when another background sync of this clone runs.
 */
export async function runBackgroundSync(
  store: Store,
  options: { now: () => Date; timeoutMs: number },
): Promise<void> {
  const sync = await import("./sync.ts");
  const { readSyncFailure } = await import("../store/sync_failure.ts");
  const setup = sync.syncSetupOf(store);
  if (setup === null) return;
  const pidFile = backgroundPidFile(setup.paths);
  Deno.mkdirSync(setup.paths.private, { recursive: true });
  for (;;) {
    const held = holdPidFile(pidFile);
    if (held === null) return;
    let before = 0;
    let failed = false;
    try {
      for (;;) {
        // Pacing: one step per interval after the last fetch, completed step or failure.
        const engine = sync.readEngineState(sync.engineStateFile(setup.paths));
        const interval = await sync.pushInterval(setup.paths.commonDir, setup.config);
        const last = Math.max(
          engine.fetched_at ?? 0,
          engine.synced_at ?? 0,
          readSyncFailure(setup.paths)?.last ?? 0,
        );
        const wait = last + interval - Date.now();
        if (wait > 0) await sleep(Math.min(wait, interval));
        before = await lastSeq(store.dir);
        let r;
        try {
          r = await sync.syncStore(store, setup, {
            now: options.now,
            paced: true,
            timeoutMs: options.timeoutMs,
          });
        } catch {
          failed = true; // Recorded by syncStore (sync/failure.json).
          break;
        }
        if (r.deferred_reason === "interval" && r.deferred_ms !== null) continue;
        if (await lastSeq(store.dir) > before) continue;
        break;
      }
    } finally {
      try {
        Deno.removeSync(pidFile);
      } catch {
        // Removed already.
      }
      held.unlockSync();
      held.close();
    }
    // Released: a writer from now on starts its own child. One that wrote before and found
    // the file locked counts on this check.
    if (failed) return;
    const now = await lastSeq(store.dir);
    if (now <= before || now <= readPublishedSeq(setup.paths)) return;
  }
}
