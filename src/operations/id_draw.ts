/**
 * `create` with sync on (docs/sync.md "Ticket numbers"): the number is the lowest free one of this
 * clone's confirmed id blocks; with none left a sync reserves a block first (id_blocks.ts
 * `planIdGrab`), or, offline, the create is exit 8 "no id block left: sync once". Loaded only
 * with sync on.
 */
import { TrackError } from "../model/errors.ts";
import { formatId } from "../model/ids.ts";
import { lowestFree } from "../model/id_blocks.ts";
import { markIdBlockWanted, readIdBlocks } from "../store/id_blocks.ts";
import type { Store } from "../store/store.ts";

/** The error of a create that has no number to draw (exit 8, nothing changed). */
function noBlock(why: string): TrackError {
  return new TrackError(
    "remote",
    `Cannot create a ticket: no id block left: sync once (track sync), then create again. ` +
      "With sync on, ticket numbers come from blocks this clone reserved on the remote (so two " +
      `clones never make the same number); ${why}; nothing was changed`,
    { hint: "track sync (it reserves a block), then retry the create" },
  );
}

/** Whether ticket number `n` is held by a file of the store (live or archived). */
function numberTaken(store: Store, n: number): boolean {
  const id = formatId(n);
  for (const path of [store.ticketPath(id), store.archivePath(id)]) {
    try {
      Deno.lstatSync(path);
      return true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) return true;
    }
  }
  return false;
}

/**
 * The lowest free number of this clone's confirmed blocks (under the store lock: `store` is
 * the transaction's), or null when none is left.
 */
export function drawTicketNumber(store: Store): string | null {
  const paths = store.home!.paths;
  const n = lowestFree(readIdBlocks(paths), (k) => numberTaken(store, k));
  return n === null ? null : formatId(n);
}

/** The error of a create that found no number after reserving blocks (exit 8). */
export function noNumberLeft(): TrackError {
  return noBlock("other creates of this clone took the numbers reserved meanwhile");
}

/** Options of {@linkcode ensureIdBlock}. */
export interface EnsureOptions {
  now: Date;
  /** `--offline` or `TRACK_SYNC=off`: never reach the remote. */
  offline: boolean;
  /** `TRACK_SYNC_TIMEOUT` as set (parsed here). */
  syncTimeout?: string;
}

/**
 * Makes sure this clone has a number to draw before a create takes the store lock: when none is
 * left, grabs a block through a sync step (unpaced; it publishes whatever else waits, too).
 * Offline, or with the remote unreachable: exit 8 "no id block left: sync once", and the next
 * `track sync` grabs one.
 */
export async function ensureIdBlock(store: Store, options: EnsureOptions): Promise<void> {
  const paths = store.home!.paths;
  const free = () => lowestFree(readIdBlocks(paths), (k) => numberTaken(store, k)) !== null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (free()) return;
    if (options.offline) {
      markIdBlockWanted(paths);
      throw noBlock("this create may not reach the remote (--offline or TRACK_SYNC=off)");
    }
    const { syncSetupOf, syncStore, syncTimeout } = await import("./sync.ts");
    const setup = syncSetupOf(store);
    if (setup === null) return;
    try {
      await syncStore(store, setup, {
        now: () => options.now,
        timeoutMs: syncTimeout(options.syncTimeout),
        grabIds: true,
      });
    } catch (e) {
      if (e instanceof TrackError && e.kind === "remote") {
        markIdBlockWanted(paths);
        throw noBlock(`reserving one failed: ${e.message}`);
      }
      throw e;
    }
  }
  if (!free()) throw noBlock("the remote confirmed no block in three syncs");
}
