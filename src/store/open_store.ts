/**
 * The one place a found store becomes a {@linkcode Store}: the `.track/` directory, or with sync
 * on the sync store in the git common dir (its config.json still in `.track/`, its project root
 * the directory holding `.track/`, shown as `.git/track/store`, with the oplog on).
 */
import { dirname, relative } from "../model/path.ts";
import { Store, type StoreHome } from "./store.ts";

/** What {@linkcode storeFor} needs of a discovery. */
export interface FoundStore {
  /** The store directory. */
  dir: string;
  /** The `.track/` directory (config.json). */
  trackDir: string;
  home: StoreHome | null;
}

/** How the sync store is shown: relative to the project when inside it (`.git/track/store`). */
function displayOf(dir: string, root: string): string {
  const rel = relative(root, dir);
  return rel === "" || rel.startsWith("..") ? dir : rel;
}

/** The Store of a found store (see the module doc). */
export function storeFor(
  found: FoundStore,
  options: { lockTimeoutMs?: number; now?: () => Date } = {},
): Store {
  const synced = found.home?.on ?? false;
  const root = dirname(found.trackDir);
  return new Store(found.dir, {
    lockTimeoutMs: options.lockTimeoutMs,
    trackDir: found.trackDir,
    root,
    home: found.home,
    displayPrefix: synced ? displayOf(found.dir, root) : undefined,
    oplog: synced,
    now: options.now,
  });
}
