/**
 * The message board: append-only, one file per message under `.track/board/<YYYY-MM-DD>/`, so
 * two git branches merge without conflict and reading the last N opens only the newest files.
 * A message body is stored verbatim after a small front matter.
 */
import { basename, dirname, join } from "../model/path.ts";
import { badDataError, ioError, notFoundError, TrackError, usageError } from "../model/errors.ts";
import type { Store, Tx } from "../store/store.ts";
import { linkError } from "../store/no_follow.ts";
import { cachedTail, dirMtime, recordPosts } from "../store/board_tail_cache.ts";
import { FrontMatterError, parseFrontMatter } from "../model/front_matter.ts";
import { isoSeconds } from "../model/time.ts";
import { checkAgentName, HUMAN } from "../model/agent.ts";
import { readAgent, touchAgent } from "../store/agent_records.ts";
import { addToInbox, readInbox } from "../store/inbox_records.ts";
import { patternsOverlap } from "../model/reservation_paths.ts";
import { boardEntryText } from "../model/board_entry.ts";
import { readReservations } from "./reservations.ts";

/** `post` is written by someone; `event` by track itself (created, claimed, status, reclaim). */
export type BoardKind = "post" | "event";

/** One board message. */
export interface BoardEntry {
  /** `<day>/<file stem>`, unique and sortable. */
  id: string;
  at: string;
  agent: string;
  ticket: string | null;
  tag: string;
  kind: BoardKind;
  message: string;
  /** Agents (or `human`) the entry is addressed to; empty for a post to everyone. */
  to: string[];
  /** The entry this one answers (a thread), or null. */
  reply_to: string | null;
  /** The author asks for an acknowledgement (`track ack`). */
  ack: boolean;
}

/** Largest message accepted, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Tag pattern: short lowercase words. */
export const TAG = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Tags of the events track writes itself (`kind: "event"`); a post may not use them, so a
 * "claimed" entry on the board is always a real claim. Every event tag in src/ must be listed
 * here (tests/board_test.ts checks).
 */
export const EVENT_TAGS: ReadonlySet<string> = new Set([
  "archived",
  "budget",
  "claimed",
  "claim-lost",
  "clone-copied",
  "created",
  "cycle-dropped",
  "fenced",
  "joined",
  "left",
  "reclaimed",
  "remote-rewound",
  "renumbered",
  "reservation-dropped",
  "restored",
  "reviewing",
  "stale",
  "status",
  "sync-conflict",
  "sync-quarantine",
  "withdrawn",
  "acked",
]);

const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;
const ENTRY_FILE = /^\d{9}-\d{4}-[a-z0-9]+\.md$/;
let sequence = 0;

/** The file text of a board entry: small front matter, then the message verbatim. */
export function serializeEntry(
  e: Omit<BoardEntry, "id" | "to" | "reply_to" | "ack"> & Partial<BoardEntry>,
): string {
  return boardEntryText(e);
}

/** Path of the file holding board entry `id` (`<day>/<stem>`); null when `id` is not one. */
export function entryPath(store: Store, id: string): string | null {
  const slash = id.indexOf("/");
  const day = id.slice(0, slash);
  const name = id.slice(slash + 1) + ".md";
  if (slash === -1 || !DAY_DIR.test(day) || !ENTRY_FILE.test(name)) return null;
  return join(store.boardDir, day, name);
}

/**
 * Writes one board entry (inside a mutation). Returns it. `keep` (import and migrate only)
 * writes the entry under a given id with its timestamp text exactly as recorded.
 */
export function postEntry(
  tx: Tx,
  entry: {
    at: Date;
    agent: string;
    ticket: string | null;
    tag: string;
    kind: BoardKind;
    message: string;
    /** Addressed to these agents (or `human`). */
    to?: readonly string[];
    /** The board entry this one answers; it must exist (exit 4). */
    replyTo?: string | null;
    /** Ask the recipients to acknowledge it (`track ack`). */
    ack?: boolean;
    keep?: { id: string; at: string };
  },
): BoardEntry {
  if (!TAG.test(entry.tag)) {
    throw usageError(
      `Invalid tag ${JSON.stringify(entry.tag)}: use a short lowercase word like note or question`,
    );
  }
  // Imported and migrated entries (keep) stay as they were recorded.
  if (entry.kind === "post" && !entry.keep && EVENT_TAGS.has(entry.tag)) {
    throw usageError(
      `Cannot post with tag ${JSON.stringify(entry.tag)}: the tags ${
        [...EVENT_TAGS].join(", ")
      } are reserved for the events track records itself`,
      `track board --agent ${entry.agent} --tag note -m "..."`,
    );
  }
  if (new TextEncoder().encode(entry.message).length > MAX_MESSAGE_BYTES) {
    throw usageError(`Message is longer than ${MAX_MESSAGE_BYTES} bytes`);
  }
  // Checked before anything is written: a refused post changes nothing.
  const to = [...new Set(entry.to ?? [])].sort();
  for (const name of to) if (name !== HUMAN) checkAgentName(name);
  // An imported or migrated reply keeps its link even when its parent is not (yet) there.
  const parent = entry.replyTo && !entry.keep ? readEntry(tx.store, entry.replyTo) : null;
  if (entry.replyTo && entry.keep && entryPath(tx.store, entry.replyTo) === null) {
    throw usageError(`Invalid reply_to ${JSON.stringify(entry.replyTo)}`);
  }
  let id: string;
  let path: string;
  let at: string;
  if (entry.keep) {
    const kept = entryPath(tx.store, entry.keep.id);
    if (kept === null) throw usageError(`Invalid board entry id ${JSON.stringify(entry.keep.id)}`);
    id = entry.keep.id;
    path = kept;
    at = entry.keep.at;
  } else {
    const iso = entry.at.toISOString();
    const day = iso.slice(0, 10);
    const stem = iso.slice(11, 23).replace(/[:.]/g, "") + "-" +
      String(sequence++ % 10000).padStart(4, "0") + "-" +
      crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
    id = `${day}/${stem}`;
    path = join(tx.store.boardDir, day, `${stem}.md`);
    at = isoSeconds(entry.at);
  }
  const e: BoardEntry = {
    id,
    at,
    agent: entry.agent,
    ticket: entry.ticket,
    tag: entry.tag,
    kind: entry.kind,
    message: entry.message,
    to,
    reply_to: parent?.id ?? entry.replyTo ?? null,
    ack: entry.ack === true,
  };
  // Every recipient's record is read before anything is written: one that does not parse
  // refuses a post (exit 6) with the board unchanged. An event is part of an action already
  // under way (a reclaim, a forced claim): that recipient is skipped, and doctor names its file.
  const told = recipients(tx.store, e, parent, entry.keep !== undefined).filter((agent) => {
    try {
      readInbox(tx.store, agent);
      return true;
    } catch (err) {
      if (err instanceof TrackError && entry.kind === "event") return false;
      throw err;
    }
  });
  tx.writeFile(path, serializeEntry(e));
  for (const agent of told) {
    addToInbox(tx, agent, "messages", [id]);
    // An imported entry is history: listed by `inbox`, never pushed into a context again.
    if (entry.keep) addToInbox(tx, agent, "delivered", [id]);
  }
  notePost(tx, id.slice(0, id.indexOf("/")), dirname(path), basename(path));
  return e;
}

/** Posts of each transaction by day directory, for the tail cache after the commit. */
const posted = new WeakMap<
  Tx,
  Map<string, { day: string; before: number | null; names: string[] }>
>();

function notePost(tx: Tx, day: string, dir: string, name: string): void {
  let dirs = posted.get(tx);
  if (dirs === undefined) {
    const all = new Map<string, { day: string; before: number | null; names: string[] }>();
    dirs = all;
    posted.set(tx, all);
    // Once per transaction, after its commit: the cache may only ever describe what is on disk.
    tx.afterCommit(() => {
      for (const [d, p] of all) {
        recordPosts(
          tx.store,
          { day: p.day, dir: d, names: p.names, before: p.before },
          () => sortedNames(d, ENTRY_FILE),
        );
      }
    });
  }
  let p = dirs.get(dir);
  if (p === undefined) {
    // Measured before the commit renames anything into the directory.
    p = { day, before: dirMtime(dir), names: [] };
    dirs.set(dir, p);
  }
  p.names.push(name);
}

/** What someone posts: `postMessage`'s input. */
export interface PostInput {
  agent: string;
  message: string;
  ticket?: string | null;
  tag?: string;
  /** Addressed to these agents (or `human`). */
  to?: readonly string[];
  replyTo?: string | null;
  ack?: boolean;
}

/**
 * Addressees no agent has registered as (`human` excepted). Not refused: an agent may be
 * addressed before it starts, and its inbox keeps the message; surfaces warn, as for an
 * unregistered acting agent, since it may be a typo.
 */
export function unknownAddressees(store: Store, to: readonly string[]): string[] {
  return to.filter((a) => a !== HUMAN && readAgent(store, a) === null);
}

/**
 * Posts a message (one mutation): the ticket must exist, a reply must name a real message.
 * The author's heartbeat moves, except for `human`. The one posting path of the CLI, MCP and the
 * dashboard.
 */
export async function postMessage(store: Store, input: PostInput, now: Date): Promise<BoardEntry> {
  return await store.mutate("board", (tx) => {
    if (input.ticket) tx.readTicket(input.ticket);
    const e = postEntry(tx, {
      at: now,
      agent: input.agent,
      ticket: input.ticket ?? null,
      tag: input.tag ?? "note",
      kind: "post",
      message: input.message,
      to: input.to,
      replyTo: input.replyTo,
      ack: input.ack,
    });
    if (input.agent !== HUMAN) touchAgent(tx, input.agent, now);
    return e;
  });
}

/**
 * Who an entry concerns besides its author: whom it is addressed to, the author and addressees
 * of the entry it answers, and, for a post, the claimer of its ticket until it is done (wider than
 * held, src/model/holding.ts: review comments reach the author) and every agent whose
 * reservation its ticket holds or its text names. Imported entries reach only their addressees.
 */
function recipients(
  store: Store,
  e: BoardEntry,
  parent: BoardEntry | null,
  kept: boolean,
): string[] {
  const out = new Set(e.to);
  if (parent !== null) {
    out.add(parent.agent);
    for (const a of parent.to) out.add(a);
  }
  if (e.kind === "post" && !kept) {
    if (e.ticket !== null) {
      const t = store.tryReadTicket(e.ticket);
      if (t !== null && t.claimed_by !== null && t.status !== "done" && t.status !== "backlog") {
        out.add(t.claimed_by);
      }
    }
    const reservations = readReservations(store);
    if (reservations.length > 0) {
      const named = pathsNamed(e.message);
      for (const r of reservations) {
        if (r.ticket === e.ticket || named.some((p) => patternsOverlap(r.path, p))) {
          out.add(r.agent);
        }
      }
    }
  }
  out.delete(e.agent);
  return [...out].filter((a) => AGENT_FILE_NAME.test(a)).sort();
}

const AGENT_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Words of a message that look like repository paths (`src/a.ts`, `docs/`), at most 32. */
function pathsNamed(message: string): string[] {
  const out: string[] = [];
  for (const m of message.matchAll(/[A-Za-z0-9_.\-]*\/[A-Za-z0-9_./\-]*[A-Za-z0-9_\-]/g)) {
    const p = m[0].replace(/^\.\//, "");
    if (p.startsWith("/") || p.split("/").includes("..")) continue;
    out.push(p);
    if (out.length >= 32) break;
  }
  return out;
}

/**
 * Reads board entry `id`. Exit 2 when `id` is not an entry id, exit 4 when there is no such
 * entry (a reply or an acknowledgement must name a real message).
 */
export function readEntry(store: Store, id: string): BoardEntry {
  const path = entryPath(store, id);
  if (path === null) {
    throw usageError(
      `Invalid message id ${
        JSON.stringify(id)
      }: expected a board entry id like 2026-11-25/143005123-0000-k3j9a`,
      "track inbox (lists message ids)",
    );
  }
  const display = store.display(path);
  const text = store.readText(path, display);
  if (text === null) {
    throw notFoundError(`No board message ${JSON.stringify(id)}`, "track inbox --all");
  }
  return parseEntry(text, id, display);
}

function parseEntry(text: string, id: string, display: string): BoardEntry {
  let doc;
  try {
    doc = parseFrontMatter(text);
  } catch (e) {
    if (e instanceof FrontMatterError) throw badDataError(display, e.message, { line: e.line });
    throw e;
  }
  const get = (k: string): string | null => {
    const v = doc.data.get(k);
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return null;
    if (Array.isArray(v)) throw badDataError(display, `"${k}" must be a single value`);
    return v;
  };
  const at = get("at");
  const agent = get("agent");
  if (at === null || agent === null) throw badDataError(display, `"at" and "agent" are required`);
  const kind = get("kind") === "event" ? "event" : "post";
  const toRaw = doc.data.get("to") ?? null;
  const to = toRaw === null ? [] : Array.isArray(toRaw) ? toRaw : [toRaw];
  return {
    id,
    at,
    agent,
    ticket: get("ticket"),
    tag: get("tag") ?? "note",
    kind,
    message: doc.body.endsWith("\n") ? doc.body.slice(0, -1) : doc.body,
    to,
    reply_to: get("reply_to"),
    ack: get("ack") === "true",
  };
}

/** Names of a day directory, newest first; a partial tail is followed by the older names. */
function* newestFirst(
  dir: string,
  tail: { names: string[]; complete: boolean } | null,
): Generator<string> {
  if (tail === null) {
    yield* sortedNames(dir, ENTRY_FILE).reverse();
    return;
  }
  yield* tail.names.slice().reverse();
  if (tail.complete || tail.names.length === 0) return;
  const oldest = tail.names[0];
  yield* sortedNames(dir, ENTRY_FILE).filter((n) => n < oldest).reverse();
}

function sortedNames(dir: string, pattern: RegExp): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) if (pattern.test(e.name)) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    if (e instanceof Deno.errors.NotADirectory) {
      throw badDataError(dir, "is a file where a directory should be");
    }
    throw ioError("list", dir, e);
  }
  return names.sort();
}

const linkRead = { action: "read", expected: "directory" } as const;

function isLink(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false; // Missing: the listing says so.
  }
}

/** Filters for reading the board. */
export interface BoardQuery {
  /** At most this many entries (the newest). */
  last: number;
  /** Only entries at or after this time (ms since epoch). */
  since?: number;
  /** Only entries older than the entry with this id (the dashboard pages back with it). */
  before?: string;
  ticket?: string;
  tag?: string;
}

/**
 * Reads the newest entries matching `query`, returned oldest first. Opens day directories from
 * the newest and stops as soon as it has enough.
 */
export function readBoard(
  store: Store,
  query: BoardQuery,
): { entries: BoardEntry[]; warnings: string[] } {
  const picked: BoardEntry[] = [];
  const warnings: string[] = [];
  const sinceDay = query.since === undefined
    ? null
    : new Date(query.since).toISOString().slice(0, 10);
  // Never read through a link out of the store (no_follow.ts): a linked board/ or day
  // directory is reported and skipped.
  if (isLink(store.boardDir)) {
    warnings.push(linkError(store.dir, store.boardDir, linkRead).message);
    return { entries: [], warnings };
  }
  const days = sortedNames(store.boardDir, DAY_DIR).reverse();
  const beforeDay = query.before?.slice(0, query.before.indexOf("/"));
  outer: for (const day of days) {
    if (sinceDay !== null && day < sinceDay) break;
    if (beforeDay !== undefined && day > beforeDay) continue;
    const dir = join(store.boardDir, day);
    if (isLink(dir)) {
      warnings.push(linkError(store.dir, dir, linkRead).message);
      continue;
    }
    // The newest day may hold thousands of messages: its newest names come from the tail cache
    // while that provably matches the directory, and from listing it otherwise.
    const tail = day === days[0] ? cachedTail(store, day, dir) : null;
    const names = newestFirst(dir, tail);
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = names.next();
      } catch (e) {
        // A file where a day directory should be: report it, read the other days.
        // Inside a transaction an I/O error fails the command instead.
        if (!(e instanceof TrackError) || (e.kind === "io" && store.inTransaction)) throw e;
        warnings.push(e.message);
        break;
      }
      if (next.done) break;
      const name = next.value;
      if (query.before !== undefined && `${day}/${name.slice(0, -3)}` >= query.before) continue;
      if (picked.length >= query.last) break outer;
      const path = join(dir, name);
      const display = store.display(path);
      let entry: BoardEntry;
      try {
        const text = store.readText(path, display);
        if (text === null) continue;
        entry = parseEntry(text, `${day}/${name.slice(0, -3)}`, display);
      } catch (e) {
        if (e instanceof TrackError && e.kind === "io" && store.inTransaction) throw e;
        warnings.push((e as Error).message);
        continue;
      }
      if (query.since !== undefined && Date.parse(entry.at) < query.since) {
        // Entries within a day are in time order, so everything older is out too.
        break outer;
      }
      if (query.ticket !== undefined && entry.ticket !== query.ticket) continue;
      if (query.tag !== undefined && entry.tag !== query.tag) continue;
      picked.push(entry);
    }
  }
  return { entries: picked.reverse(), warnings };
}
