/**
 * `track remote add|show|remove` (docs/sync.md): turning sync on and off for a store. Exactly one
 * remote is named; whether sync is on lives in `<git common dir>/track/sync.json`, written last
 * by `add` (after the store moved there) and removed by `remove` (after it moved back).
 */
import { offlineSince, readSyncFailure } from "../store/sync_failure.ts";
import { backgroundSyncRunning } from "./background_sync.ts";
import {
  conflictError,
  notFoundError,
  remoteError,
  TrackError,
  usageError,
} from "../model/errors.ts";
import { isAbsolute, resolve } from "../model/path.ts";
import {
  DEFAULT_STATE_REF,
  readSyncConfig,
  STATE_REF_PATTERN,
  type SyncConfig,
  type SyncPaths,
} from "../store/sync_config.ts";
import {
  deleteRef,
  FETCHED_REF,
  fetchState,
  gitVersion,
  LOCAL_REF,
  MIN_GIT,
  REMOTE_STATE_REF,
  remoteUrl,
  revParse,
} from "../store/sync_repo.ts";
import { type Store, storeFor } from "../store/store.ts";
import { readCloneId, unpublishedOplog } from "../store/oplog.ts";
import { writeIdBlocks } from "../store/id_blocks.ts";
import { type AdoptBlock, grabAdoptBlock, renumberStore, ticketsOnRemote } from "./id_adopt.ts";
import { storePathOf } from "../model/sync_wire.ts";
import { checkRelocatable, relocateStore, restoreStore } from "../store/sync_home.ts";
import {
  acquireSyncLock,
  checkStateLayout,
  DEFAULT_SYNC_TIMEOUT_MS,
  engineStateFile,
  pushInterval,
  readEngineState,
  shownRemote,
  syncPathsOfStore,
  type SyncResult,
  syncStore,
} from "./sync.ts";

/** Options shared by the remote operations. */
export interface RemoteOptions {
  now: () => Date;
  /** Budget of the network steps in milliseconds. */
  timeoutMs: number;
  /** Directory a relative remote path is resolved against. */
  cwd: string;
}

/**
 * Moves the store into the git common dir (sync-home's `relocateStore`, crash-safe), which
 * writes sync.json once the moved store is complete; returns the store as it now is.
 */
async function relocate(
  store: Store,
  paths: SyncPaths,
  config: SyncConfig,
  now: () => Date,
): Promise<Store> {
  await relocateStore(store.trackDir, paths, config);
  return storeFor({ dir: paths.store, trackDir: store.trackDir, home: { paths, on: true } }, {
    now,
  });
}

/**
 * Moves the store back into the work tree's `.track/` (sync-home's `restoreStore`, crash-safe),
 * which removes sync.json once `.track/` holds the complete store.
 */
async function restore(store: Store, paths: SyncPaths): Promise<void> {
  await restoreStore(paths, store.trackDir);
}

function pathsOf(store: Store): SyncPaths {
  const paths = syncPathsOfStore(store.dir);
  if (paths === null) {
    throw notFoundError(
      `Cannot sync "${store.dir}": it is not inside a git repository, and sync goes through a ` +
        "git remote; nothing was changed",
      "git init (then commit .track/config.json), then: track remote add <remote>",
    );
  }
  return paths;
}

/** Refuses a git older than {@linkcode MIN_GIT}, saying which version is needed. */
async function checkGit(): Promise<void> {
  const v = await gitVersion();
  const [major, minor] = MIN_GIT;
  if (v === null || v[0] < major || (v[0] === major && v[1] < minor)) {
    throw new TrackError(
      "io",
      `Cannot sync: track needs git ${major}.${minor} or newer, found ${
        v === null ? "an unknown version" : `${v[0]}.${v[1]}`
      }; nothing was changed`,
      { hint: `install git ${major}.${minor} or newer, then retry` },
    );
  }
}

/**
 * What `remote` names: a remote name of this repository (kept as the name), a URL (kept), or a
 * path to an existing directory (made absolute, so it works from every worktree).
 */
async function resolveRemote(gitDir: string, remote: string, cwd: string): Promise<string> {
  if (remote === "" || remote.startsWith("-") || /[\0\n]/.test(remote)) {
    throw usageError(`Invalid remote ${JSON.stringify(remote)}`, "track remote add origin");
  }
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote) && await remoteUrl(gitDir, remote) !== null) {
    return remote;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/:]+:/.test(remote)) return remote;
  const path = isAbsolute(remote) ? remote : resolve(cwd, remote);
  try {
    if (Deno.statSync(path).isDirectory) return path;
  } catch {
    // Not a path either: said below.
  }
  throw usageError(
    `Cannot add remote ${JSON.stringify(remote)}: it is not a remote of this repository ` +
      "(git remote -v), a URL, or an existing directory; nothing was changed",
    "git remote -v (then: track remote add <name>)",
  );
}

function hasTickets(store: Store): boolean {
  if (store.ticketIds().length > 0) return true;
  return store.readArchivedTickets().tickets.length > 0;
}

/** What `track remote add` did. */
export interface AddResult {
  remote: string;
  ref: string;
  /** `published`: the remote had no state, ours is now it; `adopted`: ours took the remote's. */
  outcome: "published" | "adopted";
  sync: SyncResult;
  store: string;
  /** `--adopt`: this store's tickets, renumbered into a block reserved on the remote. */
  renumbered: Array<{ from: string; to: string }>;
}

/**
 * Turns sync on: checks git, the remote and its state first (nothing changes when the remote
 * cannot be reached or both sides have tickets), moves the store, writes sync.json last, then
 * runs the first sync step (publishing ours, or adopting the remote's state).
 */
export async function addRemote(
  store: Store,
  input: {
    remote: string;
    ref?: string;
    /**
     * Joining through the tracked config.json's hint (operations/join.ts): the repository says
     * a shared state exists, so a remote without it lost it and is never given a new one.
     */
    join?: boolean;
    /**
     * The remote holds a state and this store has tickets: renumber ours once into a block
     * reserved on the remote (id_blocks.ts), then join.
     */
    adopt?: boolean;
  },
  options: RemoteOptions,
): Promise<AddResult> {
  const ref = input.ref ?? DEFAULT_STATE_REF;
  if (!STATE_REF_PATTERN.test(ref)) {
    throw usageError(
      `Invalid --ref ${JSON.stringify(ref)}: the state lives under refs/track/ ` +
        "(lowercase letters, digits, . _ / -), never on a code branch",
      `track remote add ${input.remote} --ref ${DEFAULT_STATE_REF}`,
    );
  }
  const paths = pathsOf(store);
  const existing = readSyncConfig(paths);
  if (existing !== null) {
    throw conflictError(
      `Cannot add remote "${input.remote}": this repository already syncs through ` +
        `"${existing.remote}" (${existing.ref}); exactly one remote is named; nothing was changed`,
      "track remote show (to change it: track remote remove, then track remote add)",
    );
  }
  // Anything that would stop the move is refused before the network is touched.
  checkRelocatable(store.trackDir, paths);
  await checkGit();
  const gitDir = paths.commonDir;
  const remote = await resolveRemote(gitDir, input.remote, options.cwd);
  const fetched = await fetchState(gitDir, remote, ref, options.timeoutMs);
  if (fetched.kind === "unreachable") {
    throw remoteError(
      `Cannot reach "${remote}" to read ${ref}: ${fetched.reason}; nothing was changed`,
      "check the remote (git ls-remote " + remote + "), then retry: track remote add " +
        input.remote,
    );
  }
  if (fetched.kind === "missing" && input.join === true) {
    throw new TrackError(
      "badData",
      `Cannot join through "${remote}": it has no ${ref}, although this repository's ` +
        "config.json says its tickets sync there (the ref was deleted, e.g. by a git push " +
        "--mirror from a plain clone); joining would start an empty shared state that every " +
        "other clone then refuses as another history; nothing was changed",
      {
        hint: "a clone that synced before restores the state with: track sync; then run " +
          `track sync here again (if no clone ever published one: track remote add ${input.remote})`,
        detail: { remote, ref },
      },
    );
  }
  const adopting = fetched.kind === "found" && hasTickets(store);
  if (adopting && input.adopt !== true) {
    await deleteRef(gitDir, FETCHED_REF);
    throw conflictError(
      `Cannot add remote "${remote}": it already holds a shared state (${ref}) and this store ` +
        "has tickets of its own, whose numbers other clones may use too; nothing was changed",
      `renumber this store's tickets into a block reserved on the remote and join: track remote add ${input.remote} --adopt`,
    );
  }
  if (fetched.kind === "found") {
    // A state this track cannot read is refused before the store moves (nothing changed).
    try {
      await checkStateLayout(gitDir, fetched.oid, { remote, ref });
    } catch (e) {
      await deleteRef(gitDir, FETCHED_REF);
      throw e;
    }
  }
  // Joining with tickets of our own: every ticket must read (they are all rewritten), then a
  // block of numbers for them is reserved on the remote before anything here changes.
  let adopted: AdoptBlock | null = null;
  let keep = new Set<string>();
  if (adopting && fetched.kind === "found") {
    const live = store.readAllTickets();
    const archived = store.readArchivedTickets();
    const problem = live.problems[0] ?? archived.problems[0];
    if (problem !== undefined) throw problem.error;
    const all = [...live.tickets, ...archived.tickets];
    keep = await ticketsOnRemote(gitDir, fetched.oid, all);
    if (keep.size < all.length) {
      adopted = await grabAdoptBlock(paths, remote, ref, fetched.oid, all.length - keep.size, {
        now: options.now,
        timeoutMs: options.timeoutMs,
        clone: readCloneId({ cloneId: paths.cloneId }, { create: true })!,
      });
    }
  }
  // Sync is off: refs and engine files left by a `remote remove` cut short belong to another
  // remote's history (as known tip they would make the first push carry that history here).
  for (const stale of [REMOTE_STATE_REF, LOCAL_REF]) await deleteRef(gitDir, stale);
  try {
    Deno.removeSync(paths.private, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const config: SyncConfig = { schema: 1, remote, ref, interval_ms: null };
  const moved = await relocate(store, paths, config, options.now);
  let renumbered: Array<{ from: string; to: string }> = [];
  if (adopted !== null) {
    renumbered = await renumberStore(moved, adopted.block.start, remote, options.now(), keep);
    // Only now: a blocks file makes sync refuse new tickets outside them (a crash before this
    // leaves the old numbers to the merge's renumbering).
    writeIdBlocks(paths, { schema: 1, grabs: 0, blocks: [adopted.block] });
  }
  const sync = await syncStore(moved, { paths, config }, {
    now: options.now,
    timeoutMs: options.timeoutMs,
    create: true,
  });
  return {
    remote,
    ref,
    outcome: fetched.kind === "found" ? "adopted" : "published",
    sync,
    store: moved.dir,
    renumbered,
  };
}

/** A time and a commit (`track remote show`). */
export interface WhenWhat {
  /** ISO 8601. */
  at: string;
  /** The commit (null: the remote had no state; or not recorded by an older track). */
  commit: string | null;
}

/** What `track remote show` reports (docs/json.md). */
export interface RemoteInfo {
  remote: string | null;
  ref: string | null;
  /** The remote's URL (a configured remote's, a password masked), or the path/URL given. */
  url: string | null;
  /** `sync.interval` set in sync.json, or null (then by remote kind). */
  interval_ms: number | null;
  /** The least time between two pushes of this clone that carry no decision, in force. */
  interval_in_force_ms: number | null;
  /** The highest remote tip seen (refs/track/remote-state). */
  remote_state: string | null;
  /** The state the store holds (refs/track/local). */
  local_state: string | null;
  /** This clone's last fetch of the remote's state, and its last accepted push. */
  last_fetch: WhenWhat | null;
  last_push: WhenWhat | null;
  /** Local changes (oplog lines) not yet published. */
  unpublished_ops: number | null;
  /** Store files the remote refused by name at the last sync, kept here (retried each sync). */
  quarantined: string[] | null;
  /** The last rewind of the remote detected here (`open`: not yet settled by a sync). */
  rewind:
    | {
      kind: "restored" | "diverged";
      detected_at: string;
      remote_state: string | null;
      known_state: string;
      open: boolean;
    }
    | null;
  /**
   * Since when this clone's sync steps fail (the first failure after the last step that
   * completed), and the last failure; null when the last step completed (sync_failure.ts).
   */
  offline_since: string | null;
  last_error: { at: string; kind: string; exit: number; message: string } | null;
  /** The pid of this clone's background sync while one runs (docs/sync.md "Auto-sync"). */
  background_pid: number | null;
  /** The command to run next. */
  next: string;
}

/** Sync settings, the local refs and the engine's record (no network, no git when sync is off,
 * no write). */
export async function showRemote(store: Store): Promise<RemoteInfo> {
  const paths = syncPathsOfStore(store.dir);
  const config = paths === null ? null : readSyncConfig(paths);
  if (paths === null || config === null) {
    return {
      remote: null,
      ref: null,
      url: null,
      interval_ms: null,
      interval_in_force_ms: null,
      remote_state: null,
      local_state: null,
      last_fetch: null,
      last_push: null,
      unpublished_ops: null,
      quarantined: null,
      rewind: null,
      offline_since: null,
      last_error: null,
      background_pid: null,
      next: "track remote add <remote>",
    };
  }
  const gitDir = paths.commonDir;
  const engine = readEngineState(engineStateFile(paths));
  const iso = (ms: number) => new Date(ms).toISOString();
  const pending = unpublishedOplog(store.dir, engine.published_seq).length;
  const rewind = engine.rewind;
  const failure = readSyncFailure(paths);
  const since = offlineSince(failure, engine.synced_at);
  return {
    remote: config.remote,
    ref: config.ref,
    url: shownRemote(await remoteUrl(gitDir, config.remote) ?? config.remote),
    interval_ms: config.interval_ms,
    interval_in_force_ms: await pushInterval(gitDir, config),
    remote_state: await revParse(gitDir, REMOTE_STATE_REF),
    local_state: await revParse(gitDir, LOCAL_REF),
    last_fetch: engine.fetched_at === null
      ? null
      : { at: iso(engine.fetched_at), commit: engine.fetched },
    last_push: engine.pushed_at === null
      ? null
      : { at: iso(engine.pushed_at), commit: engine.pushed },
    unpublished_ops: pending,
    quarantined: engine.quarantined.map((w) => storePathOf(w) ?? w),
    rewind: rewind === null ? null : {
      kind: rewind.kind,
      detected_at: iso(rewind.at),
      remote_state: rewind.remote_state,
      known_state: rewind.known_state,
      open: rewind.open,
    },
    offline_since: since === null ? null : iso(since),
    last_error: since === null || failure === null ? null : {
      at: iso(failure.last),
      kind: failure.kind,
      exit: failure.exit,
      message: failure.message,
    },
    background_pid: backgroundSyncRunning(paths) || null,
    next: rewind?.open === true && rewind.kind === "diverged"
      ? "track sync --accept-rewind (after finding out who rewound the remote: the board has the alarm)"
      : "track sync",
  };
}

/**
 * Turns sync off: the store moves back to the work tree's `.track/`, then sync.json and the
 * engine's local refs and files go. The remote is not touched.
 */
export async function removeRemote(
  store: Store,
  options: { timeoutMs?: number } = {},
): Promise<{ remote: string; ref: string }> {
  const paths = pathsOf(store);
  if (readSyncConfig(paths) === null) throw syncIsOff();
  // A sync of this clone under way finishes first (it would apply into a store that moved, and
  // recreate the refs and files removed below).
  const lock = await acquireSyncLock(
    paths.syncLock,
    options.timeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
    "track remote remove",
  );
  try {
    return await removeLocked(store, paths);
  } finally {
    lock.release();
  }
}

function syncIsOff(): TrackError {
  return notFoundError(
    "Cannot remove the remote: sync is off for this repository (no remote was added)",
    "track remote add <remote>",
  );
}

async function removeLocked(
  store: Store,
  paths: SyncPaths,
): Promise<{ remote: string; ref: string }> {
  const config = readSyncConfig(paths);
  if (config === null) throw syncIsOff();
  await restore(store, paths);
  try {
    Deno.removeSync(paths.config);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for (const ref of [REMOTE_STATE_REF, LOCAL_REF, FETCHED_REF]) {
    await deleteRef(paths.commonDir, ref);
  }
  try {
    Deno.removeSync(paths.private, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return { remote: config.remote, ref: config.ref };
}
