/**
 * The dashboard's sync panel (docs/dashboard.md "Sync"): what `GET /api/sync` reports, read from
 * small local files only (sync.json, the engine's state.json, failure.json, the oplog: no git,
 * no network), the Sync button's in-process sync step, and the cheap poll that notices the
 * remote moving.
 *
 * Never on the request path: a request reads files and returns; a sync step (the button, a write
 * made from the page, a remote change the poll noticed) runs in the background of the server,
 * one at a time (a request while one runs asks for one more after it), under the clone's sync
 * lock like any `track sync`. The poll (`git ls-remote` of the state ref, a kill timer of 10 s)
 * runs every `pollMs` while the page may be open, never while a step runs, and only with
 * `TRACK_SYNC` unset or `auto`: `off` and `manual` leave every sync to the button.
 */
import type { Store } from "../store/store.ts";
import { readCloneId } from "../store/oplog.ts";
import { offlineSince, readSyncFailure } from "../store/sync_failure.ts";
import { runGit } from "../store/git.ts";
import {
  engineStateFile,
  readEngineState,
  shownRemote,
  type SyncSetup,
  syncSetupOf,
  syncStore,
} from "../operations/sync.ts";
import { backgroundSyncRunning, type SyncMode } from "../operations/background_sync.ts";
import { isUnconfirmed, readPending, type Unconfirmed } from "../operations/unconfirmed.ts";

/** `GET /api/sync`'s `sync` (null with sync off). */
export interface SyncStatus {
  remote: string;
  /** The remote's URL when known (a password masked), else the name or path given. */
  url: string;
  ref: string;
  /** This clone's id: agents whose `host` it is run on this machine. */
  clone_id: string | null;
  last_fetch: { at: string; commit: string | null } | null;
  last_push: { at: string; commit: string | null } | null;
  /** Local changes (oplog lines) not published yet, and how many of them are decisions. */
  pending_changes: number;
  pending_decisions: number;
  /** Tickets whose claim was granted here and not confirmed by a sync yet. */
  unconfirmed: string[];
  /** The first failed sync step since the last one that completed (ISO), or null. */
  offline_since: string | null;
  last_error: { at: string; kind: string; exit: number; message: string } | null;
  /** A sync step of this dashboard, or a background sync of this clone, is running. */
  running: boolean;
  /** What the last poll found on the remote (null: not polled yet, or no state there). */
  remote_tip: string | null;
  polled_at: string | null;
  /** The remote holds a state this clone has not fetched yet. */
  remote_changed: boolean;
}

/** Options of {@linkcode SyncPanel}. */
export interface SyncPanelOptions {
  now: () => Date;
  /** `TRACK_SYNC` of the server: only `auto` polls and syncs after the page's writes. */
  mode: SyncMode;
  /** Milliseconds between two polls of the remote (default {@linkcode DEFAULT_POLL_MS}). */
  pollMs?: number;
  /** Budget of one sync step (TRACK_SYNC_TIMEOUT). */
  timeoutMs?: number;
}

/** Default time between two `git ls-remote` polls of the dashboard. */
export const DEFAULT_POLL_MS = 30_000;

const iso = (ms: number) => new Date(ms).toISOString();

function cloneIdOf(paths: SyncSetup["paths"]): string | null {
  try {
    return readCloneId(paths);
  } catch {
    return null; // one that does not read: every write says so
  }
}

/** The sync side of one dashboard server. */
export class SyncPanel {
  #store: Store;
  #options: SyncPanelOptions;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #url = new Map<string, string>();
  #tip: { oid: string | null; at: number } | null = null;

  constructor(store: Store, options: SyncPanelOptions) {
    this.#store = store;
    this.#options = options;
  }

  #setup(): SyncSetup | null {
    try {
      return syncSetupOf(this.#store);
    } catch {
      return null; // sync.json that does not read: `track doctor` says why
    }
  }

  /** Tickets held by the agent of their pending claim (each read: there are only a few). */
  #unconfirmed(claims: Unconfirmed): string[] {
    const out: string[] = [];
    for (const id of claims.keys()) {
      try {
        const t = this.#store.tryReadTicket(id);
        if (t !== null && isUnconfirmed(claims, t)) out.push(id);
      } catch {
        // A ticket that does not parse: the snapshot's problems say so.
      }
    }
    return out.sort();
  }

  /** What the panel shows; null with sync off. Reads small files only. */
  status(): SyncStatus | null {
    const setup = this.#setup();
    if (setup === null) return null;
    const { paths, config } = setup;
    const engine = readEngineState(engineStateFile(paths));
    const failure = readSyncFailure(paths);
    const since = offlineSince(failure, engine.synced_at);
    const pending = readPending(this.#store);
    const changed = this.#tip !== null && this.#tip.oid !== null &&
      this.#tip.oid !== engine.fetched && this.#tip.oid !== engine.pushed;
    return {
      remote: config.remote,
      url: shownRemote(this.#url.get(config.remote) ?? config.remote),
      ref: config.ref,
      clone_id: cloneIdOf(paths),
      last_fetch: engine.fetched_at === null
        ? null
        : { at: iso(engine.fetched_at), commit: engine.fetched },
      last_push: engine.pushed_at === null
        ? null
        : { at: iso(engine.pushed_at), commit: engine.pushed },
      pending_changes: pending.changes,
      pending_decisions: pending.decisions,
      unconfirmed: this.#unconfirmed(pending.claims),
      offline_since: since === null ? null : iso(since),
      last_error: since === null || failure === null ? null : {
        at: iso(failure.last),
        kind: failure.kind,
        exit: failure.exit,
        message: failure.message,
      },
      running: this.#running !== null || backgroundSyncRunning(paths) !== null,
      remote_tip: this.#tip?.oid ?? null,
      polled_at: this.#tip === null ? null : iso(this.#tip.at),
      remote_changed: changed,
    };
  }

  /**
   * Starts a sync step in the background (or asks for one more after the running one); never
   * waits for it. False with sync off.
   */
  sync(): boolean {
    const setup = this.#setup();
    if (setup === null || this.#stopped) return false;
    if (this.#running !== null) {
      this.#again = true;
      return true;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          try {
            await syncStore(this.#store, setup, {
              now: this.#options.now,
              paced: true,
              timeoutMs: this.#options.timeoutMs,
            });
          } catch {
            // Recorded in failure.json (the panel's "offline since"); the next one tries again.
          }
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = null;
      }
    })();
    return true;
  }

  /** After a write from the page: a sync step when the server's TRACK_SYNC is auto. */
  afterWrite(): void {
    if (this.#options.mode === "auto" && this.#store.synced) this.sync();
  }

  /** The running step, if any (tests and shutdown). */
  get running(): Promise<void> | null {
    return this.#running;
  }

  /**
   * One poll: `git ls-remote` of the state ref; a tip this clone has not fetched starts a sync
   * step (with auto). Skipped while a step runs.
   */
  async poll(): Promise<void> {
    const setup = this.#setup();
    if (setup === null || this.#running !== null) return;
    const { paths, config } = setup;
    const gitDir = paths.commonDir;
    if (!this.#url.has(config.remote)) {
      const u = await runGit(["config", "--get", `remote.${config.remote}.url`], { gitDir });
      this.#url.set(
        config.remote,
        u.code === 0 ? new TextDecoder().decode(u.stdout).trim() : config.remote,
      );
    }
    const ls = await runGit(["ls-remote", "--refs", config.remote, config.ref], {
      gitDir,
      timeoutMs: 10_000,
    });
    if (ls.code !== 0 || ls.timedOut) return; // unreachable: the next sync step records it
    const line = new TextDecoder().decode(ls.stdout).split("\n")
      .find((l) => l.endsWith(`\t${config.ref}`));
    this.#tip = { oid: line?.split("\t")[0] ?? null, at: Date.now() };
    if (this.status()?.remote_changed && this.#options.mode === "auto") this.sync();
  }

  /** Polls every `pollMs` until {@linkcode stop} (only with TRACK_SYNC auto and sync on). */
  start(): void {
    if (this.#options.mode !== "auto") return;
    const every = this.#options.pollMs ?? DEFAULT_POLL_MS;
    const tick = async () => {
      if (this.#stopped) return;
      try {
        await this.poll();
      } catch {
        // A poll is only a hint.
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, every);
    };
    this.#timer = setTimeout(tick, Math.min(every, 1_000));
  }

  /** Stops polling; waits for a running step (a sync keeps its own guarantees if cut). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }
}
