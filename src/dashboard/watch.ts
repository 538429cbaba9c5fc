/**
 * Watches `.track/` and tells listeners that something changed, debounced so a burst of writes
 * (a ticket, its board event and an agent heartbeat) becomes one notification.
 */
import { basename, join, sep } from "node:path";

/** Default quiet time before a burst of file events is reported. */
export const DEBOUNCE_MS = 25;

/** Files whose changes mean nothing to the page: lock, temp files, runtime files, the cache. */
function ignored(path: string, cacheDir: string): boolean {
  if (path.startsWith(cacheDir)) return true; // derived from the tickets, which we watch
  const name = basename(path);
  return name === "lock" || name === "server.json" || name.endsWith(".pid") ||
    (name.startsWith(".") && name.endsWith(".tmp"));
}

/** A debounced change feed over one directory tree. */
export class ChangeFeed implements Disposable {
  #listeners = new Set<(seq: number) => void>();
  #watcher: Deno.FsWatcher | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;
  #debounceMs: number;
  #cacheDir: string;

  constructor(dir: string, options: { debounceMs?: number } = {}) {
    this.#debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.#cacheDir = join(dir, "cache") + sep;
    this.#watcher = Deno.watchFs(dir, { recursive: true });
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
        if (event.paths.length > 0 && event.paths.every((p) => ignored(p, this.#cacheDir))) {
          continue;
        }
        this.poke();
      }
    } catch (e) {
      // Closing the watcher ends the iteration with BadResource on some platforms.
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }

  /**
   * Reports a change `debounceMs` after the first event of a burst. The timer is not pushed
   * back by later events, so a steady stream of writes cannot delay the page indefinitely.
   */
  poke(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#seq++;
      for (const fn of this.#listeners) fn(this.#seq);
    }, this.#debounceMs);
  }

  /** Calls `fn` on each change until the returned function is called. */
  subscribe(fn: (seq: number) => void): () => void {
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
