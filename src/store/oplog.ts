/**
 * The operation log of a sync store (docs/sync.md, "The operation log"). With sync on (the Store
 * option `oplog`), every `Store.mutate` that commits appends one JSON line to `<store>/oplog`,
 * under the lock and inside the same journaled transaction as the files it describes (an
 * append change of journal.ts), so a kill -9 never leaves one without the other:
 *
 * ```
 * {"seq":12,"at":"2026-11-29T20:01:02.345Z","op":"claim","ticket":"T-0042","agent":"alice","clone":"3f9a0c12b7e4"}
 * ```
 *
 * `seq` rises by one per committed mutation of this clone (never reused: a trim keeps the last
 * line); `op` is the command as one word (`claim`, `files-add`, `hook-post-tool-use`); `ticket`
 * the ticket named by the command, else the one ticket it wrote, else null; `agent` the agent
 * it acted as (the first heartbeat it wrote, or `tx.actAs`), else null; `clone` this clone's id
 * (`<sync home>/clone-id`, 12 hex digits). A command that wrote only files that never leave the
 * machine (`serve`'s server.json) adds no line. The sync step reads the lines after the last one it
 * published ({@linkcode readOplog}) and carries them into its state commit as `Track-Op:`
 * trailers ({@linkcode trackOpTrailer}), so `git log` of the state ref is the audit trail. The
 * oplog never leaves the machine as a file. With sync off there is no oplog and nothing here
 * runs.
 */
import { badDataError, ioError, TrackError } from "../model/errors.ts";
import { AGENT_NAME } from "../model/agent.ts";
import { TICKET_ID } from "../model/ids.ts";
import { type Decision, parseDecision } from "../model/decision.ts";
import { syncs } from "../model/sync_wire.ts";
import { dirname, join } from "../model/path.ts";
import { syncDir, tempPathFor } from "./atomic.ts";
import type { Change } from "./journal.ts";

/** Name of the operation log inside the store. */
export const OPLOG_FILE = "oplog";

/** Name of the clone id file inside the sync home (`syncPaths().cloneId`). */
export const CLONE_ID_FILE = "clone-id";

/** A clone id: 12 lowercase hex digits. */
export const CLONE_ID = /^[0-9a-f]{12}$/;

/** One line of the oplog: one committed mutation. Keys in this order on disk. */
export interface OplogEntry {
  seq: number;
  /** When it committed (ISO 8601 with milliseconds, this machine's wall clock). */
  at: string;
  /** The command as one word: `claim`, `update`, `files-add`, `hook-post-tool-use`. */
  op: string;
  ticket: string | null;
  agent: string | null;
  clone: string;
  /** The coordination decision this mutation made (decision.ts), when it made one. */
  decision?: Decision;
}

const OP = /^[a-z][a-z0-9-]*$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The command string a mutation was given (`claim T-0042`, `files --add`, `hook post-tool-use`,
 * `archive T-0001 --restore`) as one word: its lowercase words and flags, dashes of flags
 * dropped, joined by "-" (`claim`, `files-add`, `hook-post-tool-use`, `archive-restore`).
 * Ticket ids and other values (message ids) are left out.
 */
export function opName(command: string): string {
  const words = command.trim().split(/\s+/);
  const kept = [words[0].toLowerCase()];
  for (const w of words.slice(1)) {
    const m = /^-{0,2}([a-z][a-z-]*)$/.exec(w);
    if (m) kept.push(m[1]);
  }
  const op = kept.join("-").replace(/[^a-z0-9-]/g, "");
  return OP.test(op) ? op : "write";
}

/**
 * The ticket an operation is about: the first ticket id in its command, else the only ticket
 * file (live or archived) it wrote, else null.
 */
export function ticketOf(command: string, storeDir: string, changes: Change[]): string | null {
  for (const w of command.trim().split(/\s+/)) if (TICKET_ID.test(w)) return w;
  let found: string | null = null;
  for (const c of changes) {
    const rel = c.path.slice(storeDir.length + 1);
    const m = /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(rel);
    if (m === null || !TICKET_ID.test(m[1]) || m[1] === found) continue;
    if (found !== null) return null;
    found = m[1];
  }
  return found;
}

/** The oplog line of `entry` (fixed key order, LF). */
export function oplogLine(entry: OplogEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    at: entry.at,
    op: entry.op,
    ticket: entry.ticket,
    agent: entry.agent,
    clone: entry.clone,
    ...(entry.decision === undefined ? {} : { decision: entry.decision }),
  }) + "\n";
}

/** The entry on line `n` of the oplog, or exit 6 naming the file and line. */
function parseLine(text: string, display: string, line: number): OplogEntry {
  let v: Partial<OplogEntry> | null = null;
  try {
    v = JSON.parse(text);
  } catch {
    // Reported below.
  }
  if (
    v === null || typeof v !== "object" || !Number.isSafeInteger(v.seq) || v.seq! < 1 ||
    typeof v.at !== "string" || !ISO.test(v.at) || typeof v.op !== "string" || !OP.test(v.op) ||
    !(v.ticket === null || (typeof v.ticket === "string" && TICKET_ID.test(v.ticket))) ||
    !(v.agent === null || (typeof v.agent === "string" && AGENT_NAME.test(v.agent))) ||
    typeof v.clone !== "string" || !CLONE_ID.test(v.clone) ||
    (v.decision !== undefined && parseDecision(v.decision) === undefined)
  ) {
    throw oplogError(
      display,
      'is not an oplog line {"seq":N,"at":ISO,"op":…,"ticket":…,"agent":…,"clone":…}',
      line || undefined,
    );
  }
  return {
    seq: v.seq!,
    at: v.at,
    op: v.op,
    ticket: v.ticket ?? null,
    agent: v.agent ?? null,
    clone: v.clone,
    ...(v.decision === undefined ? {} : { decision: parseDecision(v.decision)! }),
  };
}

/** The oplog as named in messages: its full path (with sync on it is in the git dir). */
function display(storeDir: string): string {
  return join(storeDir, OPLOG_FILE);
}

/**
 * Exit 6 for an oplog that does not read. It is never rewritten; moving it aside loses only the
 * Track-Op trailers of operations not synced yet (numbering starts again, which the sync step
 * notices: {@linkcode unpublishedOplog}).
 */
function oplogError(shown: string, reason: string, line?: number): TrackError {
  return badDataError(shown, reason, {
    line,
    hint: `every write here is refused until it reads: move it aside (mv '${shown}' ` +
      `'${shown}.broken'; only the audit lines of changes not synced yet are lost), then: track doctor`,
  });
}

/** Reads the oplog's bytes without following a link; null when there is none. */
function readBytes(storeDir: string): Uint8Array | null {
  const path = join(storeDir, OPLOG_FILE);
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", display(storeDir), e);
  }
  if (!info.isFile) {
    throw oplogError(display(storeDir), "is not a regular file; track's oplog always is one");
  }
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", display(storeDir), e);
  }
}

/** Every entry of `text` (the whole oplog), checked: seq strictly rising, whole lines. */
function parseAll(text: string, shown: string): OplogEntry[] {
  if (text !== "" && !text.endsWith("\n")) {
    throw oplogError(shown, "ends in the middle of a line", text.split("\n").length);
  }
  const entries: OplogEntry[] = [];
  const lines = text.split("\n");
  lines.pop();
  for (const [i, line] of lines.entries()) {
    const e = parseLine(line, shown, i + 1);
    if (entries.length > 0 && e.seq <= entries[entries.length - 1].seq) {
      throw oplogError(
        shown,
        `seq ${e.seq} does not follow ${entries[entries.length - 1].seq}`,
        i + 1,
      );
    }
    entries.push(e);
  }
  return entries;
}

/**
 * The oplog entries of the store at `storeDir` with a seq above `afterSeq`, in order (empty
 * when there is no oplog). A line that does not parse is exit 6 naming it. Takes no lock: the
 * oplog only grows by whole lines under the lock; call it under the store lock for a snapshot
 * that matches the files.
 */
export function readOplog(storeDir: string, afterSeq: number): OplogEntry[] {
  const bytes = readBytes(storeDir);
  if (bytes === null) return [];
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw oplogError(display(storeDir), "is not UTF-8");
  }
  return parseAll(text, display(storeDir)).filter((e) => e.seq > afterSeq);
}

/**
 * The entries a sync has not published yet, given the highest seq it published: those above
 * `publishedSeq`, or every entry when the oplog ends below it (the file was moved aside or
 * replaced, so numbering started again: a trim always keeps the last published line, so an
 * oplog that was only trimmed never ends below it).
 */
export function unpublishedOplog(storeDir: string, publishedSeq: number): OplogEntry[] {
  const all = readOplog(storeDir, 0);
  const last = all.length === 0 ? 0 : all[all.length - 1].seq;
  return last < publishedSeq ? all : all.filter((e) => e.seq > publishedSeq);
}

/** The last entry of the oplog and its size in bytes, reading only its tail. */
export function oplogTail(storeDir: string): { last: OplogEntry | null; size: number } {
  const path = join(storeDir, OPLOG_FILE);
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { last: null, size: 0 };
    throw ioError("read", display(storeDir), e);
  }
  if (!info.isFile) {
    throw oplogError(display(storeDir), "is not a regular file; track's oplog always is one");
  }
  if (info.size === 0) return { last: null, size: 0 };
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    throw ioError("read", display(storeDir), e);
  }
  try {
    const size = file.statSync().size;
    for (let chunk = 1024;; chunk *= 4) {
      const from = Math.max(0, size - chunk);
      const buf = new Uint8Array(size - from);
      file.seekSync(from, Deno.SeekMode.Start);
      let off = 0;
      while (off < buf.length) {
        const n = file.readSync(buf.subarray(off));
        if (n === null) break;
        off += n;
      }
      if (buf[buf.length - 1] !== 10) {
        throw oplogError(display(storeDir), "ends in the middle of a line");
      }
      const start = buf.lastIndexOf(10, buf.length - 2);
      if (start === -1 && from > 0) continue;
      let text: string;
      try {
        text = decoder.decode(buf.subarray(start + 1, buf.length - 1));
      } catch {
        throw oplogError(display(storeDir), "is not UTF-8");
      }
      return { last: parseLine(text, display(storeDir), 0), size };
    }
  } catch (e) {
    throw e instanceof TrackError ? e : ioError("read", display(storeDir), e);
  } finally {
    file.close();
  }
}

/**
 * The change that appends the entry of a committing mutation (under the lock), given its
 * other changes. When the mutation rewrote the oplog itself ({@linkcode trimOplog}) the line
 * is added to that new content instead.
 */
export function oplogChange(
  storeDir: string,
  fields: Omit<OplogEntry, "seq">,
  changes: Change[],
): Change {
  const path = join(storeDir, OPLOG_FILE);
  const own = changes.find((c) => c.path === path);
  if (own !== undefined) {
    const text = own.data === null ? "" : decoder.decode(own.data);
    const entries = parseAll(text, display(storeDir));
    const last = entries.length > 0
      ? entries[entries.length - 1].seq
      : oplogTail(storeDir).last?.seq ?? 0;
    const line = encoder.encode(oplogLine({ seq: last + 1, ...fields }));
    const data = new Uint8Array((own.data?.length ?? 0) + line.length);
    if (own.data !== null) data.set(own.data, 0);
    data.set(line, own.data?.length ?? 0);
    own.data = data;
    delete own.appendAt;
    return own;
  }
  const { last, size } = oplogTail(storeDir);
  const line = oplogLine({ seq: (last?.seq ?? 0) + 1, ...fields });
  return { path, data: encoder.encode(line), appendAt: size };
}

/**
 * Adds the oplog line of a committing mutation to its `changes` (called by `Store.mutate` of a
 * sync store, under the lock, just before the commit). The clone id is read from `cloneId`
 * (`syncPaths().cloneId`; default `<storeDir>/../clone-id`, as the store is `<sync home>/store`),
 * made on first use.
 */
export function appendOplog(
  storeDir: string,
  command: string,
  changes: Change[],
  options: { agent: string | null; now: Date; cloneId?: string; decision?: Decision | null },
): void {
  // Only what changes the shared state is an operation of its audit trail: a command that
  // wrote only files that never leave the machine (server.json of `serve`) adds no line.
  if (!changes.some((c) => syncs(c.path.slice(storeDir.length + 1)))) return;
  const cloneId = options.cloneId ?? join(dirname(storeDir), CLONE_ID_FILE);
  const clone = readCloneId({ cloneId }, { create: true })!;
  const change = oplogChange(storeDir, {
    at: options.now.toISOString(),
    op: opName(command),
    ticket: ticketOf(command, storeDir, changes),
    agent: options.agent !== null && AGENT_NAME.test(options.agent) ? options.agent : null,
    clone,
    ...(options.decision == null ? {} : { decision: options.decision }),
  }, changes);
  if (!changes.includes(change)) changes.push(change);
}

/**
 * Inside a mutation: drops the entries up to `throughSeq` (published), keeping at least the
 * last line so the next seq still follows it. Call `tx.skipOplog()` too when the trim is the
 * mutation's only purpose. Writes nothing when there is nothing to drop.
 */
export function trimOplog(
  tx: { store: { dir: string }; writeFile(path: string, data: string): void },
  throughSeq: number,
): number {
  const entries = readOplog(tx.store.dir, 0);
  const keep = entries.filter((e, i) => e.seq > throughSeq || i === entries.length - 1);
  if (keep.length === entries.length) return 0;
  tx.writeFile(join(tx.store.dir, OPLOG_FILE), keep.map(oplogLine).join(""));
  return entries.length - keep.length;
}

/**
 * The git trailer that carries `entry` into a state commit:
 * `Track-Op: <seq> <op> <ticket|-> <agent|-> clone=<id>`.
 */
export function trackOpTrailer(entry: OplogEntry): string {
  // Every field is checked on read (one word each); a stray space or newline could forge a
  // trailer, so anything else is replaced.
  const word = (s: string | null) => s === null ? "-" : s.replace(/[^A-Za-z0-9._-]/g, "_");
  return `Track-Op: ${entry.seq} ${word(entry.op)} ${word(entry.ticket)} ${word(entry.agent)} ` +
    `clone=${word(entry.clone)}`;
}

/** Where a clone id is kept (`syncPaths().cloneId`). */
export interface CloneIdPaths {
  cloneId: string;
}

/**
 * This clone's id: 12 hex digits in `paths.cloneId`. Missing: null, or with `create` a new
 * random one written durably and without replacing one another process wrote meanwhile (a
 * temp file linked into place: link never replaces). Anything but a regular file holding an
 * id is exit 6 (never replaced: it may be a copied clone's, see docs/sync.md).
 */
export function readCloneId(
  paths: CloneIdPaths,
  options: { create?: boolean } = {},
): string | null {
  const path = paths.cloneId;
  const existing = readCloneIdFile(path);
  if (existing !== null || !options.create) return existing;
  const id = [...crypto.getRandomValues(new Uint8Array(6))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const dir = dirname(path);
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw ioError("create directory", dir, e);
  }
  const tmp = tempPathFor(path);
  try {
    const file = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      file.writeSync(encoder.encode(id + "\n"));
      file.syncSync();
    } finally {
      file.close();
    }
    try {
      Deno.linkSync(tmp, path);
    } catch (e) {
      // Another process created it first: its id wins.
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    syncDir(dir, dir);
  } catch (e) {
    throw e instanceof TrackError ? e : ioError("write", path, e);
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch {
      // Already gone, or never made.
    }
  }
  return readCloneIdFile(path)!;
}

/** What to do about a clone id file that does not read (it is never replaced by track). */
const CLONE_ID_HINT = (path: string) =>
  `every write of a sync store is refused until it reads: move it aside (mv '${path}' ` +
  `'${path}.broken'; the next write makes a new id, later audit lines name that one), then: ` +
  "track doctor";

function readCloneIdFile(path: string): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", path, e);
  }
  if (!info.isFile || info.size > 64) {
    throw badDataError(path, "is not a clone id file (a regular file holding 12 hex digits)", {
      hint: CLONE_ID_HINT(path),
    });
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", path, e);
  }
  const id = text.trim();
  if (!CLONE_ID.test(id)) {
    throw badDataError(path, `holds ${JSON.stringify(id)}, not a clone id (12 hex digits)`, {
      line: 1,
      hint: CLONE_ID_HINT(path),
    });
  }
  return id;
}

/** Name of the counter of this clone's claims inside the store (never leaves the machine). */
export const CLAIM_COUNTER_FILE = "claim-counter";

const counters = new WeakMap<object, number>();

/**
 * A new tenure id for a claim made in `tx`: `<clone id>-<counter>`, the counter kept in the
 * store's `claim-counter` file and written with the mutation (so two claims never share one,
 * even after the oplog is moved aside); null when the store does not sync.
 */
export function newClaimId(tx: {
  store: { dir: string; oplog: boolean; home: { paths: { cloneId: string } } | null };
  writeFile(path: string, data: string): void;
}): string | null {
  const home = tx.store.home;
  if (!tx.store.oplog || home === null) return null;
  const path = join(tx.store.dir, CLAIM_COUNTER_FILE);
  let n = counters.get(tx);
  if (n === undefined) {
    let text = "";
    try {
      const info = Deno.lstatSync(path);
      if (!info.isFile) throw badDataError(path, "is not a regular file");
      text = decoder.decode(Deno.readFileSync(path)).trim();
    } catch (e) {
      if (e instanceof TrackError) throw e;
      if (!(e instanceof Deno.errors.NotFound)) {
        if (e instanceof TypeError) {
          throw badDataError(path, "is not UTF-8", { hint: "track doctor" });
        }
        throw ioError("read", path, e);
      }
    }
    n = text === "" ? 0 : Number(text);
    if (!/^\d*$/.test(text) || !Number.isSafeInteger(n)) {
      throw badDataError(path, "is not a claim counter (one whole number)", {
        hint: "it only numbers this clone's claims: track doctor",
      });
    }
  }
  n++;
  counters.set(tx, n);
  tx.writeFile(path, `${n}\n`);
  return `${readCloneId(home.paths, { create: true })}-${n}`;
}
