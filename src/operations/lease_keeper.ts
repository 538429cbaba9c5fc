/**
 * The lease keeper (docs/sync.md "Leases across machines"; design sync.md §7.6): an agent in one
 * long tool call (a 45-minute build) runs no track command, so no heartbeat of it would be
 * published and another machine would reclaim its ticket at 3T/2. While its busy marker is set
 * and its Claude Code process is alive, the PreToolUse hook keeps one detached keeper per agent
 * (`track sync --keep-lease AGENT`): it heartbeats the agent and syncs, paced like any background
 * sync, whenever the agent's published heartbeat is T/3 old, and exits as soon as PostToolUse
 * cleared the marker, the process is gone, or the agent holds no ticket any more. None runs with
 * sync off, nor under `TRACK_SYNC=off` or `manual`.
 */
import { join } from "../model/path.ts";
import { elapsed, leaseTimes } from "../model/lease.ts";
import { isHeldBy } from "../model/holding.ts";
import type { Store } from "../store/store.ts";
import type { SyncPaths } from "../store/sync_config.ts";
import { monotonicNow } from "../store/clock.ts";
import { processState } from "../store/processes.ts";
import { readAgent } from "../store/agent_records.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { holdPidFile, spawnDetached, syncMode } from "./background_sync.ts";
import { selfArgv } from "../store/self_argv.ts";
import { configThreshold, readLeaseRecords } from "./leases.ts";

/** The keeper's pid file for `agent` (locked while it runs). */
export function keeperPidFile(paths: SyncPaths, agent: string): string {
  return join(paths.private, `keeper-${agent}.pid`);
}

/** The pid of the keeper of `agent` while one runs (its file is locked), or null. */
export function keeperRunning(paths: SyncPaths, agent: string): number | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(keeperPidFile(paths, agent), { read: true, write: true });
  } catch {
    return null;
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return null;
    }
    const pid = Number(Deno.readTextFileSync(keeperPidFile(paths, agent)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  } finally {
    file.close();
  }
}

/** Whether `agent` still needs a keeper: busy in a call whose process is alive, holding a ticket. */
function needsKeeper(store: Store, agent: string): boolean {
  const a = readAgent(store, agent);
  if (a === null || a.status !== "active" || a.busy.length === 0) return false;
  if (processState(a.process) !== "alive") return false;
  return readSummaries(store).tickets.some((t) => isHeldBy(t, agent));
}

/** Why {@linkcode startLeaseKeeper} did or did not start one. */
export type KeeperStart = "started" | "running" | "not-needed" | "off";

/**
 * Starts the keeper of `agent` (after PreToolUse recorded a busy call) unless sync is off or
 * manual (`trackSync`: the hook's `TRACK_SYNC`), the agent needs none, or one runs already.
 */
export function startLeaseKeeper(
  store: Store,
  agent: string,
  trackSync: string | undefined,
  options: { argv?: readonly string[]; env?: Record<string, string> } = {},
): KeeperStart {
  const paths = store.home?.paths;
  if (!store.synced || paths === undefined || syncMode(trackSync) !== "auto") return "off";
  if (!needsKeeper(store, agent)) return "not-needed";
  if (keeperRunning(paths, agent) !== null) return "running";
  Deno.mkdirSync(paths.private, { recursive: true });
  const args = [...(options.argv ?? selfArgv()), "sync", "--keep-lease", agent];
  return spawnDetached(store.root, keeperPidFile(paths, agent), args, options.env)
    ? "started"
    : "off";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The body of `track sync --keep-lease AGENT`: while the agent needs a keeper, a heartbeat and a
 * paced sync step whenever its published heartbeat is T/3 old (at most one heartbeat per T/3;
 * a failed step is tried again after the sync interval). Returns at once when another keeper
 * of the agent runs.
 */
export async function runLeaseKeeper(
  store: Store,
  agent: string,
  options: { now: () => Date; timeoutMs: number },
): Promise<void> {
  const sync = await import("./sync.ts");
  const { heartbeat } = await import("./lifecycle.ts");
  const setup = sync.syncSetupOf(store);
  if (setup === null) return;
  Deno.mkdirSync(setup.paths.private, { recursive: true });
  const pidFile = keeperPidFile(setup.paths, agent);
  const held = holdPidFile(pidFile);
  if (held === null) return;
  let beat: number | null = null;
  try {
    for (;;) {
      const t = configThreshold(store);
      if (t === null || !needsKeeper(store, agent)) return;
      const times = leaseTimes(t);
      const poll = Math.min(Math.max(t / 30, 200), 5_000);
      const published = readLeaseRecords(setup.paths.private).leases[agent];
      const age = published === undefined ? null : elapsed(published.pushed_from, monotonicNow());
      if (age === null || age >= times.publish) {
        if (beat === null || Date.now() - beat >= times.publish) {
          await heartbeat(store, agent, options.now());
          beat = Date.now();
        }
        try {
          await sync.syncStore(store, setup, {
            now: options.now,
            paced: true,
            timeoutMs: options.timeoutMs,
          });
        } catch {
          // Offline or refused: the holder's own fencing takes over; try again after a while.
          await sleep(Math.max(poll, await sync.pushInterval(setup.paths.commonDir, setup.config)));
        }
      }
      await sleep(poll);
    }
  } finally {
    try {
      Deno.removeSync(pidFile);
    } catch {
      // Gone already.
    }
    held.close();
  }
}
