/**
 * Watches `.track/` and tells listeners which files changed, debounced so a burst of writes
 * (a ticket, its board event and an agent heartbeat) becomes one batch. live.ts reads only the
 * files a batch names; `rescan` asks it to read everything (the kernel dropped events).
 */
import { basename, join, relative, sep } from "node:path";

/** Default quiet time before a burst of file events is reported. */
export const DEBOUNCE_MS = 25;

/** Files whose changes mean nothing to the page: lock, temp files, runtime files, the cache. */
function ignored(path: string, cacheDir: string): boolean {
  if (path.startsWith(cacheDir)) return true; // derived from the tickets, which we watch
  const name = basename(path);
  return name === "lock" || name === "server.json" || name.endsWith(".pid") ||
    (name.startsWith(".") && name.endsWith(".tmp"));
}

/** Most paths one batch names; past that it asks for a rescan instead (bounded memory). */
export const MAX_BATCH_PATHS = 4096;

/** One debounced batch of changes. */
export interface ChangeBatch {
  /** Counts batches from 1. */
  seq: number;
  /** Changed paths relative to the watched directory, POSIX separators. */
  paths: string[];
  /** Events were lost (kernel queue overflow, too many paths): read everything again. */
  rescan: boolean;
}

/** A debounced change feed over one directory tree. */
export class ChangeFeed implements Disposable {
  #listeners = new Set<(batch: ChangeBatch) => void>();
  #watcher: Deno.FsWatcher | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;
  #debounceMs: number;
  #dir: string;
  #cacheDir: string;
  /** config.json of a sync store: `<dir of .track>/config.json`, outside `dir`; else null. */
  #configFile: string | null;
  #paths = new Set<string>();
  #rescan = false;

  /**
   * Watches `dir` (the store). `configDir` is the `.track/` holding config.json when that is not
   * `dir` (sync on: the store is in the git directory): its config.json is reported as
   * `config.json`, and nothing else of it.
   */
  constructor(dir: string, options: { debounceMs?: number; configDir?: string } = {}) {
    this.#debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.#dir = dir;
    this.#cacheDir = join(dir, "cache") + sep;
    const conf = options.configDir;
    this.#configFile = conf === undefined || conf === dir ? null : join(conf, "config.json");
    this.#watcher = Deno.watchFs(this.#configFile === null ? dir : [dir, conf!], {
      recursive: true,
    });
    this.#pump(this.#watcher);
  }

  /** How many changes were reported so far. */
  get seq(): number {
    return this.#seq;
  }

  async #pump(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        // A rename names both ends: the temp file (ignored) and the file it became.
        const names = event.paths.map((p) => this.#name(p)).filter((n) => n !== null);
        if (event.flag === "rescan") this.#rescan = true;
        else if (event.paths.length > 0 && names.length === 0) continue;
        for (const n of names) this.#note(n);
        this.poke();
      }
    } catch (e) {
      // Closing the watcher ends the iteration with BadResource on some platforms.
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }

  /** How a batch names `path` (relative to the store, POSIX separators), or null: ignored. */
  #name(path: string): string | null {
    if (this.#configFile !== null && path !== this.#dir && !path.startsWith(this.#dir + sep)) {
      return path === this.#configFile ? "config.json" : null;
    }
    if (ignored(path, this.#cacheDir)) return null;
    return relative(this.#dir, path).split(sep).join("/");
  }

  #note(name: string): void {
    if (this.#rescan) return;
    if (this.#paths.size >= MAX_BATCH_PATHS) {
      this.#rescan = true;
      this.#paths.clear();
      return;
    }
    this.#paths.add(name);
  }

  /**
   * Reports a batch `debounceMs` after the first event of a burst, naming `paths` (relative to
   * the watched directory) too. The timer is not pushed back by later events, so a steady
   * stream of writes cannot delay the page indefinitely.
   */
  poke(paths: readonly string[] = []): void {
    for (const p of paths) this.#note(p);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#seq++;
      const batch = { seq: this.#seq, paths: [...this.#paths], rescan: this.#rescan };
      this.#paths.clear();
      this.#rescan = false;
      for (const fn of this.#listeners) fn(batch);
    }, this.#debounceMs);
  }

  /** Calls `fn` on each batch until the returned function is called. */
  subscribe(fn: (batch: ChangeBatch) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Number of current listeners (open pages). */
  get listeners(): number {
    return this.#listeners.size;
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watcher?.close();
    this.#watcher = null;
    this.#listeners.clear();
  }
}
