/**
 * The last failed sync step of a clone (`<git common dir>/track/sync/failure.json`), for the
 * dashboard's "offline since" banner and `track remote show`: written by every sync step that
 * ends in an error (src/operations/sync.ts), never removed. A step that completed after it
 * (the engine's `synced_at` is later than `last`) means the clone is not offline.
 */
import { join } from "../model/path.ts";
import { TrackError } from "../model/errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import type { SyncPaths } from "./sync_config.ts";

/** What failure.json holds. */
export interface SyncFailure {
  /** The first failure since the last completed step (wall clock ms): "offline since". */
  since: number;
  /** The latest failure (wall clock ms). */
  last: number;
  /** The error's kind and exit code (`remote` = 8: unreachable, no answer). */
  kind: string;
  exit: number;
  message: string;
}

/** Where the record of a clone's last failed sync step is. */
export function syncFailureFile(paths: SyncPaths): string {
  return join(paths.private, "failure.json");
}

/** The clone's last failed sync step, or null (none, or unreadable). Reads only. */
export function readSyncFailure(paths: SyncPaths): SyncFailure | null {
  try {
    const v = JSON.parse(Deno.readTextFileSync(syncFailureFile(paths)));
    if (typeof v?.since !== "number" || typeof v?.last !== "number") return null;
    return {
      since: v.since,
      last: v.last,
      kind: String(v.kind ?? "internal"),
      exit: Number(v.exit ?? 1),
      message: String(v.message ?? ""),
    };
  } catch {
    return null;
  }
}

/**
 * Records a failed sync step (best effort: the step's own error is what the caller reports).
 * `syncedAt` is the engine's last completed step: a failure after it starts a new "since".
 * Waiting for another sync of this clone (exit 5) is not a failure of the remote: not recorded.
 */
export function recordSyncFailure(
  paths: SyncPaths,
  error: unknown,
  syncedAt: number | null,
  now: number = Date.now(),
): void {
  const e = error instanceof TrackError ? error : null;
  if (e?.kind === "lockBusy") return;
  try {
    const prev = readSyncFailure(paths);
    const since = prev !== null && prev.last >= (syncedAt ?? 0) ? prev.since : now;
    const record: SyncFailure = {
      since,
      last: now,
      kind: e?.kind ?? "internal",
      exit: e?.exitCode ?? 1,
      message: error instanceof Error ? error.message : String(error),
    };
    Deno.mkdirSync(paths.private, { recursive: true });
    const file = syncFailureFile(paths);
    writeFileAtomic(file, JSON.stringify(record) + "\n", file);
  } catch {
    // Only what the dashboard shows.
  }
}

/**
 * Since when the clone has been offline: the first failure after the last completed step, or
 * null when the last step completed (or none failed).
 */
export function offlineSince(failure: SyncFailure | null, syncedAt: number | null): number | null {
  if (failure === null) return null;
  return failure.last > (syncedAt ?? 0) ? failure.since : null;
}
