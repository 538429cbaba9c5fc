/**
 * The store: paths inside .track/, strict reads, and `mutate()`, the only way to change it
 * (lock, roll a leftover journal forward, re-read, validate, buffer the writes, commit them as
 * one transaction through the journal, release in `finally`). Readers take no lock: every file
 * is replaced by rename, so a reader sees either the old or the new version of each file (and
 * may briefly see some files of a committing command before others).
 */
import { basename, dirname, join, relative } from "../model/path.ts";
import { badDataError, ioError, notFoundError, TrackError, usageError } from "../model/errors.ts";
import { formatId, idNumber, TICKET_ID } from "../model/ids.ts";
import { parseTicket, serializeTicket, type Ticket, TicketFormatError } from "../model/ticket.ts";
import { TEMP_SUFFIX } from "./atomic.ts";
import type { Change, Recovery } from "./journal.ts";
import { acquireLock, acquireReadLock, DEFAULT_LOCK_TIMEOUT_MS, LOCK_FILE } from "./lock.ts";
import {
  decodeStrict,
  MAX_FILE_BYTES,
  parseJsonObject,
  readKnownFile,
  readTextStrict,
} from "./read.ts";
import { type Dir, openDir } from "./native_fs.ts";
import { linkError, refuseLinks } from "./no_follow.ts";
import { missingConfigError } from "./discovery.ts";
import { type SyncPaths, unjoinedError } from "./sync_config.ts";
import type { Agent } from "../model/agent.ts";
import type { Decision } from "../model/decision.ts";

/** Version of the on-disk layout, recorded in config.json. */
export const STORE_SCHEMA = 1;

/**
 * The newest config.json schema this track reads: 2 is a store whose data lives in the git
 * common dir (sync on, src/store/sync_home.ts); older versions of track refuse it.
 */
export const MAX_SCHEMA = 2;

/** Where a store sits relative to sync (see {@linkcode StoreOptions.home}). */
export interface StoreHome {
  /** The sync paths of the repository. */
  paths: SyncPaths;
  /** Whether this store is the sync store (`<common>/track/store`) rather than `.track/`. */
  on: boolean;
}

/** How a store was found. */
export interface StoreOptions {
  lockTimeoutMs?: number;
  pending?: ReadonlyMap<string, Uint8Array | null>;
  /** The `.track/` directory holding config.json (default: the store directory itself). */
  trackDir?: string;
  /** The project root paths are relative to (default: the directory holding `trackDir`). */
  root?: string;
  /**
   * The repository's sync paths, when the store is in a git repository: then a writer that got
   * the lock after the store moved (sync turned on or off meanwhile) refuses (exit 5).
   */
  home?: StoreHome | null;
  /** How the store directory is shown in messages (default: its name, `.track`). */
  displayPrefix?: string;
  /**
   * This is a sync store (`<git common dir>/track/store`, set by the context): every mutation
   * that commits appends its line to `<dir>/oplog` in the same transaction, with the clone id of
   * `<dir>/../clone-id` (oplog.ts).
   */
  oplog?: boolean;
  /** The clock of the oplog lines. */
  now?: () => Date;
  /** Tells the person something once (a copied clone got its own id: clone_home.ts). */
  notice?: (message: string) => void;
}

/** Settings in config.json. */
export interface Config {
  schema: number;
  /** Default for `stale --threshold`, e.g. "30m". */
  stale_threshold: string;
}

/** Default config for a new store. */
export const DEFAULT_CONFIG: Config = { schema: STORE_SCHEMA, stale_threshold: "30m" };

const TICKET_FILE = /^T-\d{4,9}\.md$/;

/**
 * The number of a canonical ticket file name (`T-0007.md`: "T-", four to nine digits without
 * a leading zero beyond the fourth, ".md"), or -1 for any other name. `T-00007.md` is not
 * canonical: two files could otherwise name one ticket. (A regular expression: on a cold
 * start it beats a loop over the characters.)
 */
export function canonicalTicketNumber(name: string): number {
  if (!TICKET_FILE.test(name) || (name.length > 9 && name.charCodeAt(2) === 48)) return -1;
  return Number(name.slice(2, -3));
}

/** The 1-based line where `"key"` first appears in `text`, if it does. */
function lineOf(text: string, key: string): number | undefined {
  const at = text.indexOf(`"${key}"`);
  return at === -1 ? undefined : text.slice(0, at).split("\n").length;
}

/** A ticket file that could not be read, for warnings and `doctor`. */
export interface Problem {
  file: string;
  error: TrackError;
}

/** The ticket in `text` (file `display`); a file that does not parse is exit 6 naming its line. */
function parsedTicket(text: string, id: string, display: string): Ticket {
  try {
    return parseTicket(text, id);
  } catch (e) {
    if (e instanceof TicketFormatError) throw badDataError(display, e.message, { line: e.line });
    throw e;
  }
}

/** Access to one store: the .track/ directory, or with sync on `<git common dir>/track/store`. */
export class Store {
  /** Absolute path of the store directory (`.track`, or the sync store). */
  readonly dir: string;
  /** The work tree's `.track/` directory, where config.json is (equal to `dir` with sync off). */
  readonly trackDir: string;
  /**
   * The project root: the directory holding `.track/` (file reservations, verify and hooks are
   * relative to it). Never derive it from `dir`: with sync on the store is in the git dir.
   */
  readonly root: string;
  /** Sync paths and whether this is the sync store; null outside git (or in tests). */
  readonly home: StoreHome | null;
  readonly ticketsDir: string;
  readonly agentsDir: string;
  readonly boardDir: string;
  /** Archived tickets (`track archive`): out of every listing, still shown by `show`. */
  readonly archiveDir: string;
  readonly lockPath: string;
  readonly configPath: string;
  readonly reservationsPath: string;
  #lockTimeoutMs: number;
  #displayPrefix: string;
  /** Writes of the transaction this store is a view of (see {@linkcode Tx.store}), by path. */
  #pending: ReadonlyMap<string, Uint8Array | null> | null;
  /** Whether each committing mutation appends to the sync oplog (oplog.ts). */
  readonly oplog: boolean;
  #oplogAppended = 0;
  #now: () => Date;

  #options: StoreOptions;

  constructor(dir: string, options: StoreOptions = {}) {
    this.dir = dir;
    this.trackDir = options.trackDir ?? dir;
    this.root = options.root ?? dirname(this.trackDir);
    this.home = options.home ?? null;
    this.#options = options;
    this.ticketsDir = join(dir, "tickets");
    this.agentsDir = join(dir, "agents");
    this.boardDir = join(dir, "board");
    this.archiveDir = join(dir, "archive");
    this.lockPath = join(dir, LOCK_FILE);
    this.configPath = join(this.trackDir, "config.json");
    this.reservationsPath = join(dir, "reservations.json");
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#displayPrefix = options.displayPrefix ?? basename(dir);
    this.#pending = options.pending ?? null;
    this.oplog = options.oplog ?? false;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Reads `path` (inside the store) as strict text, or null when it does not exist. Inside a
   * mutation, through `tx.store`, it sees the transaction's own writes.
   */
  readText(path: string, display: string = this.display(path)): string | null {
    if (this.#pending !== null && this.#pending.has(path)) {
      const data = this.#pending.get(path)!;
      return data === null ? null : decodeStrict(data, display);
    }
    // config.json is in .track/, outside the store directory when sync is on.
    const inside = this.trackDir === this.dir || path.startsWith(this.dir + "/")
      ? this.dir
      : this.trackDir;
    return readTextStrict(path, display, inside);
  }

  /**
   * Entries of directory `dir` (as `Deno.readDirSync` gives them, and throwing what it
   * throws), with a transaction's own writes and removals in it when this is `tx.store`.
   */
  listDir(dir: string): Array<{ name: string; isFile: boolean }> {
    let entries: Array<{ name: string; isFile: boolean }> = [];
    try {
      for (const e of Deno.readDirSync(dir)) entries.push({ name: e.name, isFile: e.isFile });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || !this.#pendingIn(dir)) throw e;
    }
    if (this.#pending !== null && this.#pendingIn(dir)) entries = this.#merge(dir, entries);
    return entries;
  }

  #pendingIn(dir: string): boolean {
    if (this.#pending === null) return false;
    for (const path of this.#pending.keys()) if (dirname(path) === dir) return true;
    return false;
  }

  #merge(
    dir: string,
    entries: Iterable<{ name: string; isFile: boolean }>,
  ): Array<{ name: string; isFile: boolean }> {
    const byName = new Map<string, { name: string; isFile: boolean }>();
    for (const e of entries) byName.set(e.name, { name: e.name, isFile: e.isFile });
    for (const [path, data] of this.#pending!) {
      if (dirname(path) !== dir) continue;
      const name = basename(path);
      if (data === null) byName.delete(name);
      else byName.set(name, { name, isFile: true });
    }
    return [...byName.values()];
  }

  /**
   * Oplog lines this object's mutations appended (sync stores only): after a command, more than
   * none starts the background sync (src/operations/background_sync.ts).
   */
  get oplogAppended(): number {
    return this.#oplogAppended;
  }

  /** Whether this is the sync store (`<git common dir>/track/store`). */
  get synced(): boolean {
    return this.home?.on ?? false;
  }

  /** The same store seen with a transaction's pending writes (for {@linkcode Tx.store}). */
  withPending(pending: ReadonlyMap<string, Uint8Array | null>): Store {
    return new Store(this.dir, { ...this.#options, pending });
  }

  /**
   * How a path is shown to users: inside the store `.track/tickets/T-0001.md` (with sync on
   * `.git/track/store/tickets/T-0001.md`), elsewhere relative to the project root.
   */
  display(path: string): string {
    if (path.startsWith(this.dir + "/")) return this.#displayPrefix + path.slice(this.dir.length);
    if (path === this.dir) return this.#displayPrefix;
    const rel = relative(this.root, path);
    return rel.startsWith("..") ? path : rel;
  }

  /** Path of a ticket file. `id` must be canonical. */
  ticketPath(id: string): string {
    if (!TICKET_ID.test(id)) throw new TrackError("internal", `Not a canonical ticket id: ${id}`);
    return `${this.ticketsDir}/${id}.md`;
  }

  /**
   * Checks that config.json says this is a store this track can read: a missing file, one that
   * is not a JSON object, or another schema is bad data (exit 6). Every command that opens the
   * store runs it (`ctx.store()`); settings are checked where they are used ({@linkcode readConfig}).
   * Schema 2 (the data lives in the git common dir) is refused (exit 4, "run track sync to join",
   * or why its hint is not acted on) in a clone where sync is off, unless `unjoined`.
   */
  checkConfig(
    options: { unjoined?: boolean } = {},
  ): { raw: Record<string, unknown>; text: string; display: string } {
    const display = this.display(this.configPath);
    const text = this.readText(this.configPath, display);
    if (text === null) throw missingConfigError(this.trackDir, display);
    const r = parseJsonObject(text, display);
    const line = lineOf(text, "schema");
    if (typeof r.schema !== "number" || !Number.isInteger(r.schema) || r.schema < 1) {
      throw badDataError(
        display,
        r.schema === undefined
          ? `has no "schema" (the layout version, ${STORE_SCHEMA})`
          : `"schema" must be the layout version ${STORE_SCHEMA}, not ${JSON.stringify(r.schema)}`,
        { line },
      );
    }
    if (r.schema > MAX_SCHEMA) {
      throw badDataError(
        display,
        `has schema ${r.schema}, newer than this track understands (schema ${MAX_SCHEMA})`,
        { line, hint: "upgrade track (track --version shows this one)" },
      );
    }
    // Schema 2 says the data lives in the git common dir; a clone without sync.json has none.
    if (r.schema === MAX_SCHEMA && !this.synced && !options.unjoined) {
      throw unjoinedError(this.trackDir, r, this.home?.paths.commonDir ?? null);
    }
    return { raw: r, text, display };
  }

  /** Reads config.json with its settings checked (exit 6 naming the line of a bad one). */
  readConfig(): Config {
    const { raw: r, text, display } = this.checkConfig();
    const threshold = r.stale_threshold === undefined
      ? DEFAULT_CONFIG.stale_threshold
      : r.stale_threshold;
    if (typeof threshold !== "string" || !/^(\d+[smhd])+$/.test(threshold.trim())) {
      throw badDataError(
        display,
        `"stale_threshold" must be a duration like "30m", "4h" or "90s", not ${
          JSON.stringify(threshold)
        }`,
        { line: lineOf(text, "stale_threshold") },
      );
    }
    return { schema: r.schema as number, stale_threshold: threshold };
  }

  /** Reads one ticket; exit 4 when missing, exit 6 when unparseable. */
  readTicket(id: string): Ticket {
    const t = this.tryReadTicket(id);
    if (t === null) {
      if (this.isArchived(id)) {
        throw notFoundError(
          `Ticket "${id}" is archived (${
            this.display(this.archivePath(id))
          }): it can only be shown`,
          `track archive ${id} --restore`,
        );
      }
      throw notFoundError(
        `Ticket "${id}" not found in ${this.display(this.ticketsDir)}`,
        "track list --all",
      );
    }
    return t;
  }

  /** Path of an archived ticket's file. `id` must be canonical. */
  archivePath(id: string): string {
    this.ticketPath(id); // Checks the id.
    return `${this.archiveDir}/${id}.md`;
  }

  /** Reads an archived ticket and its exact text, or null when `id` is not archived. */
  tryReadArchivedFile(id: string): { ticket: Ticket; text: string } | null {
    const path = this.archivePath(id);
    const display = this.display(path);
    const text = this.readText(path, display);
    return text === null ? null : { ticket: parsedTicket(text, id, display), text };
  }

  /** Archived tickets, ascending by id; unreadable ones come back as problems. */
  readArchivedTickets(): { tickets: Ticket[]; problems: Problem[] } {
    const tickets: Ticket[] = [];
    const problems: Problem[] = [];
    for (const n of this.#archivedNumbers().sort((a, b) => a - b)) {
      const id = formatId(n);
      try {
        const found = this.tryReadArchivedFile(id);
        if (found !== null) tickets.push(found.ticket);
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        problems.push({ file: this.display(this.archivePath(id)), error: e });
      }
    }
    return { tickets, problems };
  }

  /** Whether ticket `id` is in the archive. */
  isArchived(id: string): boolean {
    try {
      return Deno.lstatSync(this.archivePath(id)).isFile;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
      throw ioError("read", this.display(this.archivePath(id)), e);
    }
  }

  /** Reads one ticket, or null when its file does not exist. */
  tryReadTicket(id: string, options: { knownRegular?: boolean } = {}): Ticket | null {
    return this.tryReadTicketFile(id, options)?.ticket ?? null;
  }

  /** Reads one ticket and the exact text of its file, or null when it does not exist. */
  tryReadTicketFile(
    id: string,
    options: { knownRegular?: boolean } = {},
  ): { ticket: Ticket; text: string } | null {
    const path = this.ticketPath(id);
    const display = this.display(path);
    const text = this.#pending?.has(path)
      ? this.readText(path, display)
      : options.knownRegular
      ? readKnownFile(path, display)
      : readTextStrict(path, display, this.dir);
    return text === null ? null : { ticket: parsedTicket(text, id, display), text };
  }

  /** Canonical ids of all ticket files, ascending. */
  ticketIds(): string[] {
    return this.listTicketFiles().ids;
  }

  /**
   * The canonical ticket files in tickets/ (or in `dir`, an open listing of it), ascending by
   * number, and whether the listing saw each as a regular file. One pass over the names and a
   * sort of plain numbers: on 10,000 tickets the listing is a good part of what a cached
   * `list` costs.
   */
  listTicketFiles(dir?: Dir): { ids: string[]; numbers: number[]; regular: boolean[] } {
    let entries: Iterable<{ name: string; isFile: boolean }>;
    const pending = this.#pendingIn(this.ticketsDir);
    // A native listing packs them from the names' bytes (native_fs.ts): no string per name.
    const native = pending ? null : dir?.ticketNumbers() ?? null;
    if (native !== null) {
      entries = [];
    } else if (dir !== undefined) {
      entries = dir.entries;
    } else {
      this.#refuseLinkedTicketsDir();
      try {
        entries = Deno.readDirSync(this.ticketsDir);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw this.#listingError(e);
        if (!this.#pendingIn(this.ticketsDir)) return { ids: [], numbers: [], regular: [] };
        entries = [];
      }
    }
    if (pending) entries = this.#merge(this.ticketsDir, entries);
    // Each entry packed as number * 2 + (regular ? 1 : 0), sorted as numbers.
    let packed = native;
    if (packed === null) {
      packed = [];
      for (const entry of entries) {
        const n = canonicalTicketNumber(entry.name);
        if (n >= 0) packed.push(n * 2 + (entry.isFile ? 1 : 0));
      }
    }
    const sorted = new Float64Array(packed).sort();
    const ids = new Array<string>(sorted.length);
    const numbers = new Array<number>(sorted.length);
    const regular = new Array<boolean>(sorted.length);
    for (let i = 0; i < sorted.length; i++) {
      numbers[i] = Math.floor(sorted[i] / 2);
      ids[i] = formatId(numbers[i]);
      regular[i] = sorted[i] % 2 === 1;
    }
    return { ids, numbers, regular };
  }

  /**
   * tickets/ opened for listing and lstat (natively where possible, see native_fs.ts), or null
   * when it does not exist. The caller closes it.
   */
  openTicketsDir(): Dir | null {
    this.#refuseLinkedTicketsDir();
    try {
      return openDir(this.ticketsDir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw this.#listingError(e);
    }
  }

  /** A reader never lists tickets through a link out of the store (no_follow.ts). */
  #refuseLinkedTicketsDir(): void {
    let linked = false;
    try {
      linked = Deno.lstatSync(this.ticketsDir).isSymlink;
    } catch {
      return; // Missing or unreadable: the listing reports it.
    }
    if (linked) {
      throw linkError(this.dir, this.ticketsDir, { action: "read", expected: "directory" });
    }
  }

  #listingError(e: unknown): TrackError {
    if (e instanceof Deno.errors.NotADirectory) {
      return badDataError(this.display(this.ticketsDir), "is a file where a directory should be");
    }
    return ioError("list", this.display(this.ticketsDir), e);
  }

  /**
   * Whether this is a transaction's view (`tx.store`): there an I/O error while reading is never
   * set aside as a problem, it fails the command (exit 7) before anything is written.
   */
  get inTransaction(): boolean {
    return this.#pending !== null;
  }

  /** Reads every ticket; unreadable ones come back as problems instead of failing the read. */
  readAllTickets(): { tickets: Ticket[]; problems: Problem[] } {
    const tickets: Ticket[] = [];
    const problems: Problem[] = [];
    const { ids, regular } = this.listTicketFiles();
    for (const [i, id] of ids.entries()) {
      try {
        // readDir already told us it is a regular file: skip the extra lstat per ticket.
        const t = this.tryReadTicket(id, { knownRegular: regular[i] });
        if (t !== null) tickets.push(t);
      } catch (e) {
        if (!(e instanceof TrackError) || (e.kind === "io" && this.inTransaction)) throw e;
        problems.push({ file: this.display(this.ticketPath(id)), error: e });
      }
    }
    return { tickets, problems };
  }

  /** The id the next `create` gets. Only meaningful under the lock. */
  nextTicketId(): string {
    const ids = this.ticketIds();
    let last = ids.length === 0 ? 0 : idNumber(ids[ids.length - 1])!;
    // An archived ticket keeps its id: it is never given to a new one.
    for (const n of this.#archivedNumbers()) if (n > last) last = n;
    return formatId(last + 1);
  }

  #archivedNumbers(): number[] {
    const numbers: number[] = [];
    try {
      for (const e of Deno.readDirSync(this.archiveDir)) {
        const n = canonicalTicketNumber(e.name);
        if (n >= 0) numbers.push(n);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw ioError("list", this.display(this.archiveDir), e);
    }
    return numbers;
  }

  /**
   * Runs `fn` holding the store lock; `fn` gets the {@linkcode Tx} through which all writes go
   * and must re-read whatever it decides on (through `tx.store`, which sees the writes made so
   * far). When `fn` returns, its writes are committed as one transaction (all or none, across
   * kill -9 and I/O errors: see journal.ts); when it throws, nothing is written. A journal left
   * by a killed writer is rolled forward first. `command` is recorded in the lock file so a
   * waiter that times out can name the holder. Never call `mutate` from inside `fn`.
   */
  async mutate<T>(command: string, fn: (tx: Tx) => T | Promise<T>): Promise<T> {
    // Loaded by writers only: a read command never pays for the journal or the agent records.
    const [{ commitChanges, putChangesLazily, recoverJournal }, agents] = await Promise.all([
      import("./journal.ts"),
      import("./agent_records.ts"),
    ]);
    readAgentRecord = agents.readAgent;
    const lock = await acquireLock(this.lockPath, { timeoutMs: this.#lockTimeoutMs, command })
      .catch((e) => {
        // The sync store removed after sync was turned off: say so, not "cannot open its lock".
        this.#checkNotMoved();
        throw e;
      });
    try {
      this.#checkNotMoved();
      // A link in the store (committed by a cloned repository) is refused before anything is
      // read or written, the journal included; each write checks its own path again
      // (no_follow.ts).
      refuseLinks(this.dir, [join(this.dir, "cache")]);
      const recovered = recoverJournal(this);
      const tx = new Tx(this, recovered);
      let result: T;
      try {
        if (this.synced) {
          // A copied clone gets its own identity before anything is decided (clone_home.ts).
          const { settleCloneHome } = await import("./clone_home.ts");
          const { id, moved } = await settleCloneHome(tx, this.home!.paths, this.#now());
          tx.clone = id;
          if (moved?.copied) this.#options.notice?.(copiedNotice(moved));
        }
        result = await fn(tx);
      } finally {
        tx.close();
      }
      const changes = tx.changes();
      if (this.oplog && changes.length > 0 && !tx.oplogSkipped) {
        // Loaded only by sync stores: with sync off a mutation costs what it did before.
        const { appendOplog } = await import("./oplog.ts");
        appendOplog(this.dir, command, changes, {
          agent: tx.agent,
          now: this.#now(),
          cloneId: this.home?.paths.cloneId,
          decision: tx.decision,
        });
        this.#oplogAppended++;
      }
      const lazy = tx.lazyTarget;
      if (lazy === null) commitChanges(this, command, changes);
      else {
        // A ticket changed in both of its folders (archived or restored) still changes as one
        // (journal, fsync): never in both folders or in neither after a crash. The rest, each
        // file atomically, is made durable by the caller's one barrier.
        const together = this.#bothFolders(changes);
        commitChanges(
          this,
          command,
          changes.filter((c) => together.has(c.path) || c.appendAt !== undefined),
        );
        const rest = changes.filter((c) => !together.has(c.path) && c.appendAt === undefined);
        for (const d of putChangesLazily(this, rest)) lazy.dirs.add(d);
        for (const c of rest) if (c.data !== null) lazy.files.add(c.path);
      }
      // Derived caches: best effort after the commit (readers verify every entry).
      for (const hook of tx.afterCommitHooks()) hook();
      if (tx.writtenTickets.size > 0) {
        const { refreshCache } = await import("./ticket_cache.ts");
        refreshCache(tx);
        const { refreshWordIndex } = await import("./word_index.ts");
        refreshWordIndex(tx);
      }
      return result;
    } finally {
      lock.release();
    }
  }

  /** Paths of `changes` whose ticket also changes in its other folder (tickets/, archive/). */
  #bothFolders(changes: Change[]): Set<string> {
    const inTickets = new Set<string>();
    const inArchive = new Set<string>();
    const tickets = this.ticketsDir + "/", archive = this.archiveDir + "/";
    for (const { path } of changes) {
      // Plain string tests: this runs over thousands of changes per apply.
      if (path.startsWith(tickets) && !path.includes("/", tickets.length)) {
        inTickets.add(path.slice(tickets.length));
      } else if (path.startsWith(archive) && !path.includes("/", archive.length)) {
        inArchive.add(path.slice(archive.length));
      }
    }
    const out = new Set<string>();
    for (const name of inTickets) {
      if (!inArchive.has(name)) continue;
      out.add(join(this.ticketsDir, name));
      out.add(join(this.archiveDir, name));
    }
    return out;
  }

  /**
   * Under the lock: the store did not move while this command waited for it (`track remote add`
   * or `remove` moves it holding the lock, then turns sync on or off). One lstat.
   */
  #checkNotMoved(): void {
    if (this.home === null) return;
    let on = true;
    try {
      Deno.lstatSync(this.home.paths.config);
    } catch {
      on = false;
    }
    if (on === this.home.on) return;
    throw new TrackError(
      "lockBusy",
      `The store moved while this command waited for its lock: sync was turned ${
        on ? "on (the store is now in the git directory)" : "off (the store is back in .track/)"
      }; nothing was changed`,
      { hint: "run the command again (track path shows where the store is)" },
    );
  }

  /**
   * Runs `fn` with the store lock held shared: no writer runs meanwhile, and nothing is written
   * (not even the lock file), so it works on a read-only store. For reads that must see several
   * files from one moment (`export`).
   */
  async readLocked<T>(fn: () => T | Promise<T>): Promise<T> {
    const lock = await acquireReadLock(this.lockPath, { timeoutMs: this.#lockTimeoutMs });
    try {
      this.#checkNotMoved();
      // A journal left by a killed writer means some files are new and others not yet: no
      // moment to copy from until a writer completes it (a shared lock may not write).
      const journal = join(this.dir, "journal");
      if (lstatOrNull(journal)) {
        throw new TrackError(
          "io",
          `Cannot read the store at one moment: "${
            this.display(journal)
          }" holds a command interrupted after it committed; nothing was read`,
          { hint: "track doctor --fix (completes it), then retry" },
        );
      }
      return await fn();
    } finally {
      lock?.release();
    }
  }
}

/** The one stderr line of a clone found copied (clone_home.ts). */
function copiedNotice(
  m: { from: string; to: string; agents: string[]; withdrawn: string[] },
): string {
  return `note: this clone was copied (its id ${m.from} belongs to the clone it was copied ` +
    `from): it is clone ${m.to} now` +
    (m.agents.length > 0 ? `, and agents ${m.agents.join(", ")} act from it` : "") +
    (m.withdrawn.length > 0
      ? `; the original's pending claims of ${m.withdrawn.join(", ")} were undone here`
      : "") +
    "; the original's id blocks and pending decisions are left to it (track remote show)";
}

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

/**
 * The one place a found store becomes a {@linkcode Store}: the `.track/` directory, or with sync
 * on the sync store in the git common dir (its config.json still in `.track/`, its project root
 * the directory holding `.track/`, the oplog on). The sync store is shown as `.git/track/store`
 * to a command run inside the project (`cwd`), by its absolute path elsewhere (a linked
 * worktree, whose `.git` is a file).
 */
export function storeFor(
  found: FoundStore,
  options: {
    lockTimeoutMs?: number;
    now?: () => Date;
    cwd?: string;
    notice?: (message: string) => void;
  } = {},
): Store {
  const synced = found.home?.on ?? false;
  const root = dirname(found.trackDir);
  const inside = options.cwd === undefined || options.cwd === root ||
    options.cwd.startsWith(root + "/");
  return new Store(found.dir, {
    lockTimeoutMs: options.lockTimeoutMs,
    trackDir: found.trackDir,
    root,
    home: found.home,
    displayPrefix: synced ? (inside ? displayOf(found.dir, root) : found.dir) : undefined,
    oplog: synced,
    now: options.now,
    notice: options.notice,
  });
}

const ENCODER = new TextEncoder();

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", path, e);
  }
}

/** agent_records.ts `readAgent`, loaded by {@linkcode Store.mutate} before any Tx exists. */
let readAgentRecord: ((store: Store, id: string) => Agent | null) | null = null;

/**
 * The writes of one mutation, buffered until it returns; valid only while its lock is held.
 * Reads through {@linkcode Tx.store} see them.
 */
export class Tx {
  /** The store as this transaction sees it: its reads include the writes buffered so far. */
  readonly store: Store;
  /**
   * Tickets written in this mutation, by id: the last version written and its exact file text
   * (the cache records a hash of it, without serializing the ticket again).
   */
  readonly writtenTickets: Map<string, { ticket: Ticket; text: string }> = new Map();
  /** The journal found and completed (or discarded as torn) before this mutation, if any. */
  readonly recovered: Recovery | null;
  /**
   * This clone's id in a sync store (the `host` of the agents acting from it, docs/sync.md
   * "Identities"); null with sync off.
   */
  clone: string | null = null;
  #open = true;
  #pending = new Map<string, Uint8Array | null>();
  #modes = new Map<string, number>();
  #afterCommit: Array<() => void> = [];
  #dir: string;
  #agent: string | null = null;
  #skipOplog = false;
  #lazy: { files: Set<string>; dirs: Set<string> } | null = null;
  #decision: Decision | null = null;

  constructor(store: Store, recovered: Recovery | null = null) {
    this.#dir = store.dir;
    this.store = store.withPending(this.#pending);
    this.recovered = recovered;
  }

  /*
   * Reads under the lock, as this transaction sees the store (its own writes included). A
   * decision goes through these (or `tx.store`), never through a Store read before the lock.
   */

  /** Ticket `id` (exit 4 when there is none, 6 when it does not parse). */
  readTicket(id: string): Ticket {
    return this.store.readTicket(id);
  }

  /** Ticket `id`, or null when there is none. */
  tryReadTicket(id: string): Ticket | null {
    return this.store.tryReadTicket(id);
  }

  /** Every ticket, and the files that did not parse. */
  readAllTickets(): ReturnType<Store["readAllTickets"]> {
    return this.store.readAllTickets();
  }

  /** Agent record `id`, or null when there is none (exit 6 when it does not parse). */
  readAgent(id: string): Agent | null {
    return readAgentRecord!(this.store, id);
  }

  /**
   * Names the agent this mutation acts as, for the sync oplog (the first name given wins;
   * `touchAgent` gives it). No effect with sync off.
   */
  actAs(agent: string): void {
    this.#agent ??= agent;
  }

  /** The agent this mutation acts as ({@linkcode actAs}), or null. */
  get agent(): string | null {
    return this.#agent;
  }

  /**
   * This mutation adds no oplog line: for the sync step's own writes (materialising the remote's
   * state, trimming the published oplog), which are not operations of this clone.
   */
  skipOplog(): void {
    this.#skipOplog = true;
  }

  /**
   * Puts this mutation's files in place without fsync (each still atomically: temp file and
   * rename), recording in `touched` the files written and the directories changed; a ticket
   * changed in both of its folders still goes through the journal. Nothing is durable until
   * the caller runs one barrier over `touched` (durability.ts `syncFilesystem`), and the set is
   * not all-or-nothing: only for writes a later step repairs after a crash (the sync step's
   * apply, whose `refs/track/local` moves after the barrier).
   */
  writeLazily(touched: { files: Set<string>; dirs: Set<string> }): void {
    this.#lazy = touched;
  }

  /** The target given to {@linkcode writeLazily}, or null. */
  get lazyTarget(): { files: Set<string>; dirs: Set<string> } | null {
    return this.#lazy;
  }

  /**
   * Records the coordination decision this mutation makes (src/model/decision.ts): its oplog
   * line carries it, and the sync step replays it on the fetched state. No effect with sync off.
   */
  decide(decision: Decision): void {
    const had = this.#decision;
    if (had !== null && had.kind === "release" && decision.kind === "release") {
      // One mutation releasing several tickets (a reclaim of several agents): one decision.
      had.moves = [...had.moves ?? [], ...decision.moves ?? []];
      if (decision.tokens) had.tokens = { ...had.tokens, ...decision.tokens };
      return;
    }
    if (this.#decision !== null) {
      throw new Error(`one decision per mutation (${this.#decision.kind}, then ${decision.kind})`);
    }
    this.#decision = decision;
  }

  /** The decision given to {@linkcode decide}, or null. */
  get decision(): Decision | null {
    return this.#decision;
  }

  /** Whether {@linkcode skipOplog} was called. */
  get oplogSkipped(): boolean {
    return this.#skipOplog;
  }

  /** Ends this transaction: later writes through it throw. */
  close(): void {
    this.#open = false;
  }

  #check(path: string): void {
    if (!this.#open) throw new TrackError("internal", "Store write after its lock was released");
    if (!path.startsWith(this.#dir + "/")) {
      throw new TrackError("internal", `Store write outside the store: ${path}`);
    }
  }

  /** Writes a ticket (at commit). */
  writeTicket(t: Ticket): void {
    const path = this.store.ticketPath(t.id);
    const text = serializeTicket(t);
    const bytes = ENCODER.encode(text);
    // Never write a ticket that readers would then refuse as too large.
    if (bytes.length > MAX_FILE_BYTES) {
      throw usageError(
        `Cannot write "${t.id}": it would be ${bytes.length} bytes, over the ${MAX_FILE_BYTES} bytes a ticket file may hold; nothing was changed`,
        `track create --title "..." (continue in a new ticket)`,
      );
    }
    this.writeFile(path, bytes);
    this.writtenTickets.set(t.id, { ticket: t, text });
  }

  /**
   * Writes any file inside the store (missing directories are created at commit). Nothing
   * reaches the disk before the mutation returns; then all of its writes happen or none do.
   * `mode` 0o600 keeps a file holding a secret (server.json) readable by its owner only.
   */
  writeFile(path: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
    this.#check(path);
    this.#pending.set(path, typeof data === "string" ? ENCODER.encode(data) : data);
    if (options.mode !== undefined) this.#modes.set(path, options.mode);
    else this.#modes.delete(path);
  }

  /** Removes a file inside the store (at commit, with the other writes; never through a link). */
  removeFile(path: string): void {
    this.#check(path);
    this.#pending.set(path, null);
  }

  /** Runs `hook` after a successful commit, still under the lock (derived caches only). */
  afterCommit(hook: () => void): void {
    this.#afterCommit.push(hook);
  }

  /** The buffered changes, in the order first written. */
  changes(): Change[] {
    return [...this.#pending].map(([path, data]) => ({ path, data, mode: this.#modes.get(path) }));
  }

  /** Hooks registered with {@linkcode afterCommit}. */
  afterCommitHooks(): Array<() => void> {
    return this.#afterCommit;
  }

  /**
   * Removes temp files left in `dir` by killed writers. Only under the lock: every writer holds
   * it, so any temp file seen then belongs to nobody.
   */
  removeDebris(dir: string): string[] {
    this.#check(dir + "/");
    const removed: string[] = [];
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(TEMP_SUFFIX)) {
          try {
            Deno.removeSync(join(dir, entry.name));
            removed.push(this.store.display(join(dir, entry.name)));
          } catch (e) {
            if (!(e instanceof Deno.errors.NotFound)) {
              throw ioError("remove", this.store.display(join(dir, entry.name)), e);
            }
          }
        }
      }
    } catch (e) {
      if (e instanceof TrackError) throw e;
      if (!(e instanceof Deno.errors.NotFound)) throw ioError("list", this.store.display(dir), e);
    }
    return removed;
  }
}
