/**
 * The write-ahead journal that makes one command one transaction (docs/design.md, "One command,
 * one transaction"). A mutation buffers its writes; on commit, when it touches more than one
 * file, every new file content (and every removal) is first recorded in `.track/journal` and
 * fsynced with its directory, then each file is put in place by an atomic rename, then the
 * journal is removed. A journal left by a killed writer is rolled forward by the next writer,
 * under the lock, before it reads anything (and by `doctor --fix`); a torn journal (its length
 * or checksum does not match) belongs to a command that never committed and is discarded:
 * nothing was renamed before the journal was complete.
 *
 * Format: one header line `track-journal 1 <length> <crc32>` where length and crc32 (8 hex
 * digits) cover everything after that line: a JSON line `{"command":…,"files":[[path, size,
 * mode], …]}` (paths relative to .track/, size -1 for a removal), then the files' bytes in that
 * order. An append (the sync oplog, oplog.ts) is `[path, size, mode, offset]`: its bytes go at
 * `offset` of the file, which is first cut back to `offset`, so applying it again after a crash
 * gives the same file, never the line twice. Nothing is written or removed through a symbolic
 * link (no_follow.ts).
 */
import { badDataError, ioError, TrackError } from "../model/errors.ts";
import { syncDir, TEMP_SUFFIX, tempPathFor, writeFileAtomic } from "./atomic.ts";
import { lstatInside, openInside, removeInside } from "./no_follow.ts";
import { dirname, join } from "../model/path.ts";

/** Name of the journal inside .track/. */
export const JOURNAL_FILE = "journal";

const MAGIC = "track-journal 1";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** One change of a transaction: new bytes for a file, or null to remove it. */
export interface Change {
  /** Absolute path inside the store. */
  path: string;
  data: Uint8Array | null;
  /** Permission of a new file (default 0o644). */
  mode?: number;
  /**
   * Set: `data` is appended at this offset of the file (which is cut back to it first), instead
   * of replacing the file. Idempotent, so a journal is applied again safely.
   */
  appendAt?: number;
}

/** What a store needs to show for the journal to do its work. */
export interface JournalStore {
  readonly dir: string;
  display(path: string): string;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE) of `bytes`: detects a torn or truncated journal. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Path of the journal of `store`. */
export function journalPath(store: JournalStore): string {
  return join(store.dir, JOURNAL_FILE);
}

/** The journal's bytes for `changes` of `command`. */
export function encodeJournal(store: JournalStore, command: string, changes: Change[]): Uint8Array {
  const files = changes.map((c) => {
    const f = [relativeTo(store, c.path), c.data === null ? -1 : c.data.length, c.mode ?? 0o644];
    if (c.appendAt !== undefined) f.push(c.appendAt);
    return f;
  });
  const head = encoder.encode(JSON.stringify({ command, files }) + "\n");
  let length = head.length;
  for (const c of changes) length += c.data?.length ?? 0;
  const body = new Uint8Array(length);
  body.set(head, 0);
  let off = head.length;
  for (const c of changes) {
    if (c.data === null) continue;
    body.set(c.data, off);
    off += c.data.length;
  }
  const crc = crc32(body).toString(16).padStart(8, "0");
  const first = encoder.encode(`${MAGIC} ${length} ${crc}\n`);
  const out = new Uint8Array(first.length + body.length);
  out.set(first, 0);
  out.set(body, first.length);
  return out;
}

/**
 * Decodes a journal: null when it is torn (short, wrong length or checksum), which means its
 * command never committed. Throws exit 6 when it is complete but names a path outside the
 * store (never written by track).
 */
export function decodeJournal(
  store: JournalStore,
  bytes: Uint8Array,
): { command: string; changes: Change[] } | null {
  const nl = bytes.indexOf(10);
  if (nl === -1) return null;
  const m = /^track-journal 1 (\d+) ([0-9a-f]{8})$/.exec(
    new TextDecoder().decode(bytes.subarray(0, nl)),
  );
  if (m === null) return null;
  const body = bytes.subarray(nl + 1);
  if (body.length !== Number(m[1]) || crc32(body).toString(16).padStart(8, "0") !== m[2]) {
    return null;
  }
  const display = store.display(journalPath(store));
  const headEnd = body.indexOf(10);
  let head: { command?: unknown; files?: unknown };
  try {
    head = JSON.parse(decoder.decode(body.subarray(0, headEnd)));
  } catch {
    throw badDataError(display, "has a valid checksum but an unreadable list of files");
  }
  if (typeof head.command !== "string" || !Array.isArray(head.files)) {
    throw badDataError(display, "has a valid checksum but an unreadable list of files");
  }
  const changes: Change[] = [];
  let off = headEnd + 1;
  for (const f of head.files) {
    if (
      !Array.isArray(f) || typeof f[0] !== "string" || !Number.isInteger(f[1]) || f[1] < -1 ||
      !Number.isInteger(f[2]) || f[2] < 0 || f[2] > 0o777 || !safeRelative(f[0]) ||
      off + Math.max(0, f[1]) > body.length ||
      (f.length > 3 && (f.length > 4 || !Number.isSafeInteger(f[3]) || f[3] < 0 || f[1] < 0))
    ) {
      throw badDataError(display, `names a file track never writes: ${JSON.stringify(f)}`, {
        hint:
          "it is not part of the store's data: look at it, move it out of .track/, then run: track doctor",
      });
    }
    const data = f[1] === -1 ? null : body.slice(off, off + f[1]);
    off += Math.max(0, f[1]);
    const change: Change = { path: join(store.dir, f[0]), data, mode: f[2] };
    if (f.length > 3) change.appendAt = f[3];
    changes.push(change);
  }
  return { command: head.command, changes };
}

function relativeTo(store: JournalStore, path: string): string {
  if (!path.startsWith(store.dir + "/")) {
    throw new TrackError("internal", `Not a path inside the store: ${path}`);
  }
  return path.slice(store.dir.length + 1);
}

/** A path relative to .track/ that a transaction may write: no "..", no lock, no journal. */
function safeRelative(rel: string): boolean {
  const parts = rel.split("/");
  return rel !== JOURNAL_FILE && rel !== "lock" && !rel.endsWith(TEMP_SUFFIX) &&
    parts.every((p) => p !== "" && p !== "." && p !== ".." && !p.includes("\0"));
}

/**
 * Creates the missing directories on the way to `path` (inside the store), refusing a symbolic
 * link or a file where a directory should be. Returns the directories whose entries changed
 * (parents of the created ones), to be fsynced.
 */
function ensureParents(store: JournalStore, path: string, changed: Set<string>): void {
  if (dirname(path) === store.dir) return;
  const rel = relativeTo(store, dirname(path));
  let dir = store.dir;
  for (const part of rel.split("/")) {
    const next = `${dir}/${part}`;
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.lstatSync(next);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw ioError("create directory", store.display(next), e);
      }
    }
    if (info === null) {
      try {
        Deno.mkdirSync(next);
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) {
          throw ioError("create directory", store.display(next), e);
        }
      }
      changed.add(dir);
    } else if (!info.isDirectory) {
      throw badDataError(
        store.display(next),
        info.isSymlink
          ? "is a symbolic link; .track/ holds only regular files and directories"
          : "is a file where a directory should be",
      );
    }
    dir = next;
  }
}

/**
 * Writes `data` to a new temp file beside `path`, fdatasyncs it (the data and the size, not the
 * timestamps: about half of fsync's cost here) and renames it over `path`; the directory's fsync
 * in {@linkcode apply} makes the name durable.
 */
function putFile(
  store: JournalStore,
  c: Change & { data: Uint8Array },
  options: { durable?: boolean } = {},
): void {
  const { path, data } = c;
  const display = store.display(path);
  // A link at the target or on the way is refused (exit 6); the temp file is made with
  // createNew and renamed over the name, so nothing is written through a link.
  lstatInside(store.dir, path);
  const tmp = tempPathFor(path);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true, mode: c.mode ?? 0o644 });
  } catch (e) {
    throw ioError("create a temp file for", display, e);
  }
  try {
    let off = 0;
    while (off < data.length) off += file.writeSync(data.subarray(off));
    if (options.durable !== false) file.syncDataSync();
    file.close();
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      file.close();
    } catch {
      // Already closed.
    }
    try {
      Deno.removeSync(tmp);
    } catch {
      // Best effort: doctor --fix removes temp files left behind.
    }
    throw ioError("write", display, e);
  }
}

/**
 * Appends `data` at `appendAt` of the file (created when missing, never through a link): the
 * file is first cut back to that offset, so a second application (recovery after a crash in
 * the middle of the first) leaves the same bytes. A file shorter than the offset (cut by hand
 * meanwhile) gets the data at its end: never a run of zero bytes.
 */
function appendFile(store: JournalStore, c: Change & { data: Uint8Array; appendAt: number }) {
  const display = store.display(c.path);
  const file = openInside(store.dir, c.path, { create: true, mode: c.mode ?? 0o644 })!;
  try {
    const at = Math.min(c.appendAt, file.statSync().size);
    file.truncateSync(at);
    file.seekSync(at, Deno.SeekMode.Start);
    let off = 0;
    while (off < c.data.length) off += file.writeSync(c.data.subarray(off));
    file.syncDataSync();
  } catch (e) {
    throw e instanceof TrackError ? e : ioError("append to", display, e);
  } finally {
    file.close();
  }
}

/**
 * Puts every change in place: temp file, fsync, rename (or removal, or an append), then fsyncs
 * each directory touched. Idempotent: a journal is applied again after a crash or failure.
 */
function apply(store: JournalStore, changes: Change[]): void {
  const dirs = new Set<string>();
  for (const c of changes) {
    if (c.data === null) removeInside(store.dir, c.path);
    else if (c.appendAt !== undefined) {
      ensureParents(store, c.path, dirs);
      appendFile(store, { ...c, data: c.data, appendAt: c.appendAt });
    } else {
      ensureParents(store, c.path, dirs);
      putFile(store, { ...c, data: c.data });
    }
    dirs.add(dirname(c.path));
  }
  // Deepest first: a new directory's own entries before its entry in the parent.
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    syncDir(dir, store.display(dir));
  }
}

function unfinished(store: JournalStore, command: string, e: unknown): TrackError {
  const reason = e instanceof TrackError
    ? e.message.replace(/; nothing was changed$/, "")
    : String(e);
  const journal = store.display(journalPath(store));
  return new TrackError(
    "io",
    `${reason}; "${command}" is recorded in full in "${journal}" and will be completed by the next write command; do not repeat it`,
    {
      hint:
        "check free disk space and permissions of the .track/ directory, then run: track doctor --fix",
      detail: { journal, command, reason },
      cause: e,
    },
  );
}

function removeJournal(store: JournalStore): void {
  Deno.removeSync(journalPath(store));
  syncDir(store.dir, store.display(store.dir));
}

/**
 * Commits `changes` of `command` (under the lock): all of them happen or none do, across kill
 * -9 and I/O errors. One change needs no journal (a rename is all-or-nothing already).
 */
export function commitChanges(store: JournalStore, command: string, changes: Change[]): void {
  if (changes.length === 0) return;
  // Before anything is written: a link at a target or on the way to it is refused (exit 6).
  for (const c of changes) lstatInside(store.dir, c.path);
  // (An append alone still goes through the journal: a torn append is not all-or-nothing.)
  if (changes.length === 1 && changes[0].appendAt === undefined) {
    const [c] = changes;
    const display = store.display(c.path);
    const dirs = new Set<string>();
    if (c.data === null) {
      if (!removeInside(store.dir, c.path)) return;
    } else {
      ensureParents(store, c.path, dirs);
      writeFileAtomic(c.path, c.data, display, { inside: store.dir, mode: c.mode });
    }
    if (c.data === null) syncDir(dirname(c.path), display);
    for (const dir of dirs) syncDir(dir, store.display(dir));
    return;
  }
  const path = journalPath(store);
  const display = store.display(path);
  const bytes = encodeJournal(store, command, changes);
  let file: Deno.FsFile;
  try {
    // createNew never follows a symbolic link and never reuses a file someone planted.
    file = Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
  } catch (e) {
    throw ioError("create the journal", display, e);
  }
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      file.syncDataSync();
    } finally {
      file.close();
    }
    syncDir(store.dir, store.display(store.dir));
  } catch (e) {
    // Not committed: nothing was renamed yet, so removing the journal undoes everything.
    try {
      Deno.removeSync(path);
    } catch (e2) {
      throw new TrackError(
        "io",
        `Cannot write the journal "${display}": ${(e as Error).message}; removing it failed too (${
          (e2 as Error).message
        }), so the next write command may still complete "${command}"`,
        {
          hint:
            "check free disk space and permissions of the .track/ directory, then run: track doctor --fix",
          cause: e,
        },
      );
    }
    throw e instanceof TrackError ? e : ioError("write the journal", display, e);
  }
  try {
    apply(store, changes);
    removeJournal(store);
  } catch (e) {
    throw unfinished(store, command, e);
  }
}

/**
 * Puts each change in place on its own, atomically per file (temp file, rename: a reader sees
 * the old bytes or the new, never a torn file) but with no fsync at all and no journal: the
 * set is not all-or-nothing, and nothing is durable until the caller's one barrier
 * ({@linkcode syncFilesystem} in durability.ts). Only for changes a later step repairs when
 * a crash cuts them short (the sync step materialising a fetched state: `refs/track/local`
 * keeps naming the old state until after the barrier). Appends are refused (torn when cut).
 * Returns the directories whose entries changed.
 */
export function putChangesLazily(store: JournalStore, changes: Change[]): Set<string> {
  for (const c of changes) {
    if (c.appendAt !== undefined) {
      throw new TrackError("internal", `An append cannot skip the journal: ${c.path}`);
    }
  }
  // No pass refusing links up front (the set is not all-or-nothing anyway): each write checks
  // its own path (putFile, removeInside), which spares a failed lstat per new file.
  const dirs = new Set<string>();
  for (const c of changes) {
    if (c.data === null) {
      if (!removeInside(store.dir, c.path)) continue;
    } else {
      ensureParents(store, c.path, dirs);
      putFile(store, { ...c, data: c.data }, { durable: false });
    }
    dirs.add(dirname(c.path));
  }
  return dirs;
}

/** What recovery found in `.track/journal`. */
export interface Recovery {
  /** "completed": rolled forward; "discarded": torn, its command never committed. */
  outcome: "completed" | "discarded";
  command: string | null;
  files: string[];
}

/** Something other than a regular file at the journal's name: not track's, never removed. */
function notRegular(display: string, info: Deno.FileInfo): TrackError {
  return badDataError(
    display,
    info.isSymlink
      ? "is a symbolic link; track's journal is always a regular file"
      : "is not a regular file; track's journal is always one",
    { hint: "move it out of .track/ (it is not data track wrote), then run: track doctor" },
  );
}

/**
 * Rolls a leftover journal forward (or discards a torn one); null when there is none. Only
 * under the lock, before anything is read. Exit 7 when it cannot be completed (it stays for
 * the next try); exit 6 when it is not a regular file or names files track never writes.
 */
export function recoverJournal(store: JournalStore): Recovery | null {
  const path = journalPath(store);
  const display = store.display(path);
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", display, e);
  }
  if (!info.isFile) throw notRegular(display, info);
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw ioError("read", display, e);
  }
  const decoded = decodeJournal(store, bytes);
  if (decoded === null) {
    try {
      removeJournal(store);
    } catch (e) {
      throw ioError("remove the torn journal", display, e);
    }
    return { outcome: "discarded", command: null, files: [] };
  }
  try {
    apply(store, decoded.changes);
    removeJournal(store);
  } catch (e) {
    throw unfinished(store, decoded.command, e);
  }
  return {
    outcome: "completed",
    command: decoded.command,
    files: decoded.changes.map((c) => store.display(c.path)),
  };
}

/**
 * Reads the journal without changing anything (for `doctor`): null when there is none.
 * `complete` says whether it would be rolled forward (true) or discarded as torn (false); exit
 * 6 for what recovery refuses too (not a regular file, names files track never writes).
 */
export function inspectJournal(
  store: JournalStore,
): { complete: boolean; command: string | null; files: string[] } | null {
  const display = store.display(journalPath(store));
  let bytes: Uint8Array;
  try {
    const info = Deno.lstatSync(journalPath(store));
    // Exit 6 as recoverJournal says it (the next writer refuses it): never "torn, discarded".
    if (!info.isFile) throw notRegular(display, info);
    bytes = Deno.readFileSync(journalPath(store));
  } catch (e) {
    if (e instanceof TrackError) throw e;
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", display, e);
  }
  const decoded = decodeJournal(store, bytes);
  if (decoded === null) return { complete: false, command: null, files: [] };
  return {
    complete: true,
    command: decoded.command,
    files: decoded.changes.map((c) => store.display(c.path)),
  };
}
