/**
 * The three-way merge of two diverged stores (docs/design.md, "Merging two stores"): pure and
 * deterministic, no I/O. A store is a tree of files keyed by store-relative path, as on disk
 * (docs/format.md): `tickets/T-0042.md`, `agents/<name>.json`, `reservations.json`,
 * `board/<day>/<name>.md`. `theirs` is the state already published; it wins every register both
 * sides changed. Whatever `ours` loses is never silent: it is named in a board event written
 * into the result (and listed in the report), or, for a ticket scalar, in a Work Log line.
 * Merging the same `ours` again into a `theirs` that holds the result (a push accepted whose
 * confirmation was lost) changes nothing and posts nothing.
 *
 * Only the file contents are merged here: git, the journal, the sync step and the replay of
 * pending decisions (design sync.md §7.1) are built on top of {@linkcode mergeStores}.
 */
import { merge3Lines } from "./diff3.ts";
import type { FrontValue } from "./front_matter.ts";
import { formatId, idNumber } from "./ids.ts";
import { isoSeconds } from "./time.ts";
import { boardEntryText } from "./board_entry.ts";

export { boardEntryText };
import {
  descriptionOf,
  formatLogEntry,
  parseTicket,
  serializeTicket,
  type Ticket,
} from "./ticket.ts";
import { type Agent, type LostClaim, parseAgent, serializeAgent } from "./agent.ts";
import { patternsOverlap } from "./reservation_paths.ts";

/** A file's content: bytes, or text (UTF-8). */
export type FileValue = Uint8Array | string;
/** A store as a tree of files keyed by store-relative path (`tickets/T-0042.md`, …). */
export type StoreTree = ReadonlyMap<string, FileValue>;

/** The three trees of a merge. `base` is their common ancestor (empty when there is none). */
export interface MergeSides {
  base: StoreTree;
  /** This clone's state: its changes apply where `theirs` did not change the same thing. */
  ours: StoreTree;
  /** The published state: it wins every register both sides changed. */
  theirs: StoreTree;
}

/** Options of {@linkcode mergeStores}. */
export interface MergeOptions {
  /** When the merge happens: the time of its events and Work Log lines, and their board day. */
  now: Date;
  /** Author of the events and Work Log lines the merge writes (default `track`). */
  agent?: string;
  /**
   * The id for our ticket renumbered after both sides created the same number. `taken` says
   * whether an id is in use on any side or already handed out. Default: one above the highest
   * number on any side (and above every number already handed out).
   */
  allocateId?: (ourId: string, taken: (id: string) => boolean) => string;
  /**
   * Tickets whose change on our side includes a write the journal says was made under a tenure
   * theirs does not hold (design sync.md §7.1), each with that writer. None of our diff of such
   * a ticket applies except other agents' new Work Log entries; our file goes to a `fenced`
   * event. Without it, only the Work Log entries of a holder whose tenure is gone are fenced.
   */
  fenced?: ReadonlyMap<string, string>;
}

/** Tags of the board events a merge writes (`kind: "event"`). */
export type MergeEventTag =
  | "sync-conflict"
  | "fenced"
  | "renumbered"
  | "cycle-dropped"
  | "reservation-dropped";

/** One board event the merge wrote into the result tree at `path`. */
export interface MergeEvent {
  /** `board/<day>/<HHMMSSmmm>-<seq>-<content key>.md`, present in the result tree. */
  path: string;
  at: string;
  agent: string;
  ticket: string | null;
  tag: MergeEventTag;
  kind: "event";
  message: string;
}

/** What a loss was. */
export type LossKind =
  | "claim" // the claim group (status, holder, claimed_at, epoch, claim_id) as one register
  | "field" // a scalar (ticket or agent field)
  | "section" // text of a body section other than the Work Log
  | "log" // a Work Log entry by a holder whose tenure is gone (fenced)
  | "file" // a whole file (both changed, unparseable, or an agent name taken)
  | "deletion" // our deletion of a file the other side changed (the file is kept)
  | "dependency" // a depends_on edge that closed a cycle
  | "reservation"; // an entry overlapping one published since base

/** Something of `ours` (or, with `side: "theirs"`, of theirs) that the result does not hold. */
export interface Loss {
  kind: LossKind;
  /**
   * Whose change was not kept: `theirs` for a published file ours replaced (it did not parse)
   * or a published archive copy undone by a change of ours; `ours` for everything else.
   */
  side: "ours" | "theirs";
  /** The file concerned (for a renumbered ticket of ours: its new path). */
  path: string;
  ticket: string | null;
  agent: string | null;
  /** The field or section, when the loss is part of a file. */
  field: string | null;
  /** What was dropped, as text (JSON for values; base64 for bytes that are not text). */
  dropped: string;
  /** What was kept instead, as text; null when nothing was. */
  kept: string | null;
  /** Where the loss is recorded in the result: a board event's path, or the ticket's file. */
  noted: string;
}

/** What the merge did besides taking files, for the caller to print, journal or act on. */
export interface MergeReport {
  /** Everything not kept, each with the place that records it. */
  losses: Loss[];
  /** Our tickets moved to a new number because theirs created the same one. */
  renumbered: Array<{ from: string; to: string }>;
  /** Our board posts moved to a new name because theirs holds different bytes under it. */
  reposted: Array<{ from: string; to: string }>;
  /** Files theirs deleted and ours changed: kept (ours) and named in an event. */
  revived: string[];
}

/** Result of {@linkcode mergeStores}. */
export interface MergeResult {
  /** The merged store, events included, keys sorted. Files taken whole are the inputs' values. */
  tree: Map<string, FileValue>;
  /** The board events written into `tree`, in order. */
  events: MergeEvent[];
  report: MergeReport;
}

const TICKET_PATH = /^tickets\/(T-\d{4,9})\.md$/;
const ANY_TICKET_PATH = /^(tickets|archive)\/(T-\d{4,9})\.md$/;

/** The folder and id of a ticket file, active (`tickets/`) or archived (`archive/`); else null. */
function ticketFile(path: string): { folder: "tickets" | "archive"; id: string } | null {
  const m = ANY_TICKET_PATH.exec(path);
  if (m === null || idNumber(m[2]) === null) return null;
  return { folder: m[1] as "tickets" | "archive", id: m[2] };
}

/** The ticket file of `id` in either folder of `tree`: its path, or null. */
function findTicket(tree: StoreTree, id: string): string | null {
  return tree.has(`tickets/${id}.md`)
    ? `tickets/${id}.md`
    : tree.has(`archive/${id}.md`)
    ? `archive/${id}.md`
    : null;
}
const AGENT_PATH = /^agents\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.json$/;
const RESERVATIONS_PATH = "reservations.json";
const BOARD_PATH = /^board\/[^/]+\/[^/]+$/;
const WORK_LOG = "## Work Log\n";
const ENTRY = /^- \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \[([^\]\n]*)\]/;

const ENCODER = new TextEncoder();
const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function bytesOf(v: FileValue): Uint8Array {
  return typeof v === "string" ? ENCODER.encode(v) : v;
}

/** Whether two file values hold the same bytes (absent equals absent). */
export function sameFile(a: FileValue | undefined, b: FileValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === "string" && typeof b === "string") return a === b;
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The text of a file under the store's rules (strict UTF-8, no BOM, CR or NUL), or an error. */
function textOf(v: FileValue): { text: string } | { error: string } {
  let text: string;
  if (typeof v === "string") text = v;
  else {
    try {
      text = STRICT.decode(v);
    } catch {
      return { error: "is not valid UTF-8" };
    }
  }
  if (text.startsWith("\ufeff")) return { error: "starts with a byte-order mark" };
  if (text.includes("\0")) return { error: "contains a NUL byte" };
  if (text.includes("\r")) return { error: "has CR line endings" };
  return { text };
}

/** Bytes shown in an event: the text when it is clean text, else base64. */
function shown(v: FileValue): string {
  const t = textOf(v);
  if ("text" in t) return t.text;
  const b = bytesOf(v);
  let bin = "";
  for (let i = 0; i < b.length; i++) bin += String.fromCharCode(b[i]);
  return `(base64 of ${b.length} bytes) ${btoa(bin)}`;
}

function indent(text: string): string {
  return text.replace(/\n$/, "").split("\n").map((l) => (l === "" ? "" : "    " + l)).join(
    "\n",
  );
}

/** FNV-1a of a string, base 36: a short deterministic name part. */
function hash36(text: string, seed = 0x811c9dc5): string {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** Two FNV-1a hashes (64 bits): names an event by its content, so a re-merge finds it. */
function contentKey(text: string): string {
  return hash36(text) + "x" + hash36(text, 0x050c5d1f);
}

/** A Work Log block without its timestamp: the merge's own lines compare this way. */
function untimed(block: string): string {
  return block.replace(/^- \S+ /, "- ");
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `v` parsed by `parse`: what it throws (or why `v` is not text) becomes the error. */
function parseFile<T>(v: FileValue, parse: (text: string) => T): Parsed<T> {
  const t = textOf(v);
  if ("error" in t) return { ok: false, error: t.error };
  try {
    return { ok: true, value: parse(t.text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function parseTicketFile(v: FileValue, id: string): Parsed<Ticket> {
  return parseFile(v, (text) => parseTicket(text, id));
}

function parseAgentFile(v: FileValue, name: string): Parsed<Agent> {
  return parseFile(v, (text) => parseAgent(text, name));
}

/** One reservation entry, as in reservations.json. */
interface Entry {
  path: string;
  agent: string;
  ticket: string;
  mode: "exclusive" | "shared";
  at: string;
}

function parseReservationsFile(v: FileValue): Parsed<Entry[]> {
  const t = textOf(v);
  if ("error" in t) return { ok: false, error: t.error };
  let raw: unknown;
  try {
    raw = JSON.parse(t.text);
  } catch (e) {
    return { ok: false, error: `is not valid JSON (${(e as Error).message})` };
  }
  const list = (raw as { reservations?: unknown } | null)?.reservations;
  if (typeof raw !== "object" || raw === null || !Array.isArray(list)) {
    return { ok: false, error: `must hold {"reservations": [...]}` };
  }
  const out: Entry[] = [];
  for (const r of list) {
    if (
      typeof r !== "object" || r === null || typeof r.path !== "string" ||
      typeof r.agent !== "string" || typeof r.ticket !== "string" ||
      (r.mode !== "exclusive" && r.mode !== "shared") || typeof r.at !== "string"
    ) return { ok: false, error: "a reservation needs path, agent, ticket, mode and at" };
    out.push({ path: r.path, agent: r.agent, ticket: r.ticket, mode: r.mode, at: r.at });
  }
  return { ok: true, value: out };
}

function serializeReservations(list: Entry[]): string {
  return JSON.stringify({ schema: 1, reservations: list }, null, 2) + "\n";
}

const entryKey = (r: Entry) => JSON.stringify([r.path, r.agent, r.ticket]);

// ---------------------------------------------------------------------------------------------
// Notes: losses and the events that record them.

interface Note {
  tag: MergeEventTag;
  ticket: string | null;
  title: string;
  lines: string[];
  losses: Loss[];
}

class Recorder {
  readonly notes: Note[] = [];
  readonly #byKey = new Map<string, Note>();
  /** Losses recorded in a ticket's Work Log (noted = the ticket's path). */
  readonly inLog: Loss[] = [];

  /** The note for (tag, key), created with `title` on first use. */
  note(tag: MergeEventTag, key: string, ticket: string | null, title: string): Note {
    const k = `${tag}\0${key}`;
    let n = this.#byKey.get(k);
    if (!n) {
      n = { tag, ticket, title, lines: [], losses: [] };
      this.#byKey.set(k, n);
      this.notes.push(n);
    }
    return n;
  }
}

type LossInput = Omit<Loss, "noted" | "side"> & { side?: Loss["side"] };

function lose(n: Note, loss: LossInput, line: string): void {
  n.losses.push({ side: "ours", ...loss, noted: "" });
  n.lines.push(line);
}

// ---------------------------------------------------------------------------------------------
// Tickets.

const CLAIM_ID = "claim_id";

function extraOf(t: Ticket): Map<string, FrontValue> {
  return new Map(t.extra);
}

function claimGroup(t: Ticket): string {
  return JSON.stringify([
    t.status,
    t.claimed_by,
    t.claimed_at,
    t.claim_epoch,
    extraOf(t).get(CLAIM_ID) ?? null,
  ]);
}

function tenure(t: Ticket): string {
  return JSON.stringify([t.claimed_by, t.claim_epoch, extraOf(t).get(CLAIM_ID) ?? null]);
}

function describeClaim(t: Ticket): string {
  const id = extraOf(t).get(CLAIM_ID);
  return `status ${t.status}, claimed_by ${t.claimed_by ?? "nobody"}, epoch ${t.claim_epoch}` +
    (id === undefined || id === null ? "" : `, claim_id ${String(id)}`);
}

/** 3-way merge of one value: `conflict` when both changed it differently (theirs kept). */
function pick<T>(
  b: T | undefined,
  o: T,
  t: T,
  hasBase: boolean,
): { value: T; conflict: boolean } {
  const k = (x: T | undefined) => JSON.stringify(x === undefined ? "\0undefined" : x);
  if (k(o) === k(t)) return { value: t, conflict: false };
  if (hasBase && k(t) === k(b)) return { value: o, conflict: false };
  if (hasBase && k(o) === k(b)) return { value: t, conflict: false };
  return { value: t, conflict: true };
}

/** 3-way set: theirs' order, then ours' additions; removed by either side stays removed. */
function mergeSet(b: readonly string[] | null, o: readonly string[], t: readonly string[]) {
  const inB = new Set(b ?? []);
  const inO = new Set(o);
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (x: string) => {
    if (!seen.has(x)) {
      seen.add(x);
      out.push(x);
    }
  };
  for (const x of t) if (inO.has(x) || !inB.has(x)) add(x);
  for (const x of o) if (!inB.has(x) && !seen.has(x)) add(x);
  return out;
}

/** A body split at its Work Log heading (the last one, as src/model/ticket.ts reads it). */
function splitBody(body: string): { pre: string; log: string | null } {
  const idx = body.lastIndexOf(WORK_LOG);
  return idx === -1 ? { pre: body, log: null } : { pre: body.slice(0, idx), log: body.slice(idx) };
}

/** A Work Log's blocks: an entry line (or any other unindented line) and its continuations. */
function logBlocks(log: string | null): string[] {
  if (log === null) return [];
  const lines = log.slice(WORK_LOG.length).split("\n");
  const blocks: string[][] = [];
  for (const line of lines) {
    if (line !== "" && !line.startsWith("  ")) blocks.push([line]);
    else if (blocks.length > 0) blocks[blocks.length - 1].push(line);
  }
  return blocks.map((b) => {
    while (b.length > 1 && b[b.length - 1] === "") b.pop();
    return b.join("\n");
  });
}

/** Appends a block to a body's Work Log, adding the section when missing (as appendLogEntry). */
function appendBlock(body: string, block: string): string {
  let out = body === "" || body.endsWith("\n") ? body : body + "\n";
  const idx = out.lastIndexOf(WORK_LOG);
  if (idx === -1) out += `\n${WORK_LOG}\n`;
  else if (idx + WORK_LOG.length === out.length) out += "\n";
  return out + block + "\n";
}

function count(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** The agent of a Work Log block, or null when it is not an entry. */
function blockAgent(block: string): string | null {
  return ENTRY.exec(block)?.[1] ?? null;
}

interface TicketCtx {
  path: string;
  rec: Recorder;
  now: string;
  agent: string;
}

/** Merges three parsed versions of one ticket (`b` null when base is missing or unparseable). */
function mergeTicket(b: Ticket | null, o: Ticket, t: Ticket, ctx: TicketCtx): Ticket {
  const id = t.id;
  const hasBase = b !== null;
  const conflict = () =>
    ctx.rec.note("sync-conflict", ctx.path, id, `Sync kept the published version of ${id}`);
  const m: Ticket = { ...t, extra: [...t.extra] };
  const logLines: string[] = [];

  // The claim group is one register.
  const gb = b === null ? undefined : claimGroup(b);
  const go = claimGroup(o);
  const gt = claimGroup(t);
  let claimFrom: Ticket = t;
  if (go !== gt) {
    if (hasBase && gt === gb) claimFrom = o;
    else if (!(hasBase && go === gb)) {
      const sameTenure = tenure(o) === tenure(t);
      lose(
        conflict(),
        {
          // Same holder and tenure: only the status differs, no claim was lost.
          kind: sameTenure ? "field" : "claim",
          path: ctx.path,
          ticket: id,
          agent: o.claimed_by,
          field: sameTenure ? "status" : "claim",
          dropped: describeClaim(o),
          kept: describeClaim(t),
        },
        `- ${sameTenure ? "status" : "claim"}: kept ${describeClaim(t)}; dropped ${
          describeClaim(o)
        }`,
      );
    }
  }
  m.status = claimFrom.status;
  m.claimed_by = claimFrom.claimed_by;
  m.claimed_at = claimFrom.claimed_at;
  m.claim_epoch = claimFrom.claim_epoch;
  const claimId = extraOf(claimFrom).get(CLAIM_ID);

  // Other scalars per field; a conflict keeps theirs and says so in the Work Log.
  const scalar = <K extends "title" | "priority" | "created" | "created_by" | "branch">(key: K) => {
    const r = pick(b?.[key], o[key], t[key], hasBase);
    (m as Record<K, Ticket[K]>)[key] = r.value;
    if (r.conflict) {
      const line = `sync kept ${key} ${JSON.stringify(t[key])} (published), dropped ` +
        `${JSON.stringify(o[key])} (this clone)`;
      logLines.push(line);
      ctx.rec.inLog.push({
        kind: "field",
        side: "ours",
        path: ctx.path,
        ticket: id,
        agent: null,
        field: key,
        dropped: JSON.stringify(o[key]),
        kept: JSON.stringify(t[key]),
        noted: ctx.path,
      });
    }
  };
  scalar("title");
  scalar("priority");
  scalar("created");
  scalar("created_by");
  scalar("branch");

  // Unknown keys per key (absent is a value); claim_id belongs to the claim group.
  const eb = b === null ? new Map<string, FrontValue>() : extraOf(b);
  const eo = extraOf(o);
  const et = extraOf(t);
  const keys = [...new Set([...eb.keys(), ...eo.keys(), ...et.keys()])].filter((k) =>
    k !== CLAIM_ID
  ).sort();
  const extra: Array<[string, FrontValue]> = [];
  for (const k of keys) {
    const r = pick(eb.get(k), eo.get(k), et.get(k), hasBase);
    if (r.value !== undefined) extra.push([k, r.value]);
    if (r.conflict) {
      const show = (v: FrontValue | undefined) => (v === undefined ? "(none)" : JSON.stringify(v));
      logLines.push(`sync kept ${k} ${show(et.get(k))} (published), dropped ${show(eo.get(k))}`);
      ctx.rec.inLog.push({
        kind: "field",
        side: "ours",
        path: ctx.path,
        ticket: id,
        agent: null,
        field: k,
        dropped: show(eo.get(k)),
        kept: show(et.get(k)),
        noted: ctx.path,
      });
    }
  }
  if (claimId !== undefined) extra.push([CLAIM_ID, claimId]);
  m.extra = extra.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));

  // Sets.
  m.labels = mergeSet(b?.labels ?? null, o.labels, t.labels).sort();
  m.files = mergeSet(b?.files ?? null, o.files, t.files).sort();
  m.depends_on = mergeSet(b?.depends_on ?? null, o.depends_on, t.depends_on);

  // updated = the later of the two.
  const time = (x: string | null) => (x === null ? -Infinity : Date.parse(x));
  m.updated = time(o.updated) > time(t.updated) ? o.updated : t.updated;

  // Body: sections before the Work Log merge by line; the Work Log is a union.
  const sb = b === null ? null : splitBody(b.body);
  const so = splitBody(o.body);
  const st = splitBody(t.body);
  let pre = st.pre;
  if (so.pre !== st.pre) {
    if (sb !== null && st.pre === sb.pre) pre = so.pre;
    else if (!(sb !== null && so.pre === sb.pre)) {
      const base = sb === null ? [] : sb.pre.split("\n");
      const r = sb === null
        ? { lines: st.pre.split("\n"), conflicts: [{ baseLine: 0, ours: so.pre.split("\n") }] }
        : merge3Lines(base, so.pre.split("\n"), st.pre.split("\n"));
      pre = r.lines.join("\n");
      for (const c of r.conflicts) {
        const text = c.ours.join("\n");
        lose(
          conflict(),
          {
            kind: "section",
            path: ctx.path,
            ticket: id,
            agent: null,
            field: `body line ${c.baseLine + 1}`,
            dropped: text,
            kept: null,
          },
          `- body text at line ${c.baseLine + 1} of the base (before the Work Log), ` +
            `this clone's version:\n${text.trim() === "" ? "    (empty)" : indent(text)}`,
        );
      }
    }
  }

  // The Work Log: theirs as it is, then ours' new blocks in ours' order.
  const inBase = count(logBlocks(sb?.log ?? null));
  const inTheirs = count(logBlocks(st.log));
  const seenOurs = new Map<string, number>();
  const added: string[] = [];
  // A holder whose tenure the result does not carry is fenced: its new entries are not applied.
  const fencedAgent = o.claimed_by !== null &&
      tenure(o) !== JSON.stringify([m.claimed_by, m.claim_epoch, claimId ?? null])
    ? o.claimed_by
    : null;
  for (const block of logBlocks(so.log)) {
    const n = (seenOurs.get(block) ?? 0) + 1;
    seenOurs.set(block, n);
    if (n <= Math.max(inBase.get(block) ?? 0, inTheirs.get(block) ?? 0)) continue;
    if (fencedAgent !== null && blockAgent(block) === fencedAgent) {
      const n = ctx.rec.note(
        "fenced",
        ctx.path,
        id,
        `Sync did not apply ${fencedAgent}'s Work Log entries on ${id}: its claim ` +
          `(epoch ${o.claim_epoch}) is not the published one (${describeClaim(m)})`,
      );
      lose(n, {
        kind: "log",
        path: ctx.path,
        ticket: id,
        agent: fencedAgent,
        field: "Work Log",
        dropped: block,
        kept: null,
      }, indent(block));
      continue;
    }
    added.push(block);
  }
  let body = pre + (st.log ?? "");
  for (const block of added) body = appendBlock(body, block);
  // A line this merge already wrote (a re-merge after a lost confirmation) is not written twice.
  const written = new Set([...logBlocks(st.log), ...added].map(untimed));
  for (const line of logLines) {
    const block = formatLogEntry({ at: ctx.now, agent: ctx.agent, message: line }).slice(0, -1);
    if (written.has(untimed(block))) continue;
    written.add(untimed(block));
    body = appendBlock(body, block);
  }
  m.body = body;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Agents.

/** Lost notes are keyed by (ticket, epoch, claim_id); claim_id comes with part 2 of sync. */
const lostKey = (l: LostClaim) =>
  JSON.stringify([l.ticket, l.epoch, (l as { claim_id?: unknown }).claim_id ?? null]);

function mergeAgent(b: Agent | null, o: Agent, t: Agent, path: string, rec: Recorder): Agent {
  const hasBase = b !== null;
  const m: Agent = { ...t };
  const conflict = () =>
    rec.note("sync-conflict", path, null, `Sync kept the published record of agent ${t.id}`);
  // Heartbeat fields move together, from the side that changed them; both: the higher
  // heartbeat_seq when both carry one (only the agent's own clone increments it), else theirs.
  const hb = (a: Agent) =>
    JSON.stringify([a.last_heartbeat, a.heartbeat_clock, a.extra.heartbeat_seq ?? null]);
  let hbFrom = t;
  if (hb(o) !== hb(t)) {
    if (hasBase && hb(t) === hb(b!)) hbFrom = o;
    else if (!(hasBase && hb(o) === hb(b!))) {
      const so = o.extra.heartbeat_seq;
      const st = t.extra.heartbeat_seq;
      if (typeof so === "number" && typeof st === "number" && so > st) hbFrom = o;
    }
  }
  m.last_heartbeat = hbFrom.last_heartbeat;
  m.heartbeat_clock = hbFrom.heartbeat_clock;
  // Liveness of the session (its process, tool calls, waiting) moves with the heartbeat.
  m.process = hbFrom.process;
  m.busy = hbFrom.busy;
  m.waiting = hbFrom.waiting;
  const seq = hbFrom.extra.heartbeat_seq;

  const field = <K extends "status" | "registered_at" | "capabilities" | "session_id" | "worktree">(
    key: K,
  ) => {
    const r = pick(b?.[key], o[key], t[key], hasBase);
    (m as Record<K, Agent[K]>)[key] = r.value;
    if (r.conflict) {
      lose(conflict(), {
        kind: "field",
        path,
        ticket: null,
        agent: t.id,
        field: key,
        dropped: JSON.stringify(o[key]),
        kept: JSON.stringify(t[key]),
      }, `- ${key}: kept ${JSON.stringify(t[key])}, dropped ${JSON.stringify(o[key])}`);
    }
  };
  field("status");
  field("registered_at");
  field("capabilities");
  field("session_id");
  field("worktree");
  // The clone the agent acts from (docs/sync.md "Identities"): moved only by `register --force`
  // (or a copied clone re-homing it); both sides moved it: theirs.
  const host = pick(b?.host ?? null, o.host ?? null, t.host ?? null, hasBase);
  if (host.value === null) delete m.host;
  else m.host = host.value;
  if (host.conflict) {
    lose(conflict(), {
      kind: "field",
      path,
      ticket: null,
      agent: t.id,
      field: "host",
      dropped: JSON.stringify(o.host ?? null),
      kept: JSON.stringify(t.host ?? null),
    }, `- host: kept ${JSON.stringify(t.host ?? null)}, dropped ${JSON.stringify(o.host ?? null)}`);
  }

  // Lost notes: a 3-way set keyed by (ticket, epoch, claim_id).
  const keys = mergeSet(b?.lost.map(lostKey) ?? null, o.lost.map(lostKey), t.lost.map(lostKey));
  const byKey = new Map<string, LostClaim>();
  for (const l of [...o.lost, ...t.lost]) byKey.set(lostKey(l), l);
  m.lost = keys.map((k) => byKey.get(k)!);

  const extra: Record<string, unknown> = {};
  const ks = [
    ...new Set([
      ...Object.keys(b?.extra ?? {}),
      ...Object.keys(o.extra),
      ...Object.keys(t.extra),
    ]),
  ].filter((k) => k !== "heartbeat_seq").sort();
  for (const k of ks) {
    const r = pick(b?.extra[k], o.extra[k], t.extra[k], hasBase);
    if (r.value !== undefined) extra[k] = r.value;
    if (r.conflict) {
      lose(
        conflict(),
        {
          kind: "field",
          path,
          ticket: null,
          agent: t.id,
          field: k,
          dropped: JSON.stringify(o.extra[k] ?? null),
          kept: JSON.stringify(t.extra[k] ?? null),
        },
        `- ${k}: kept ${JSON.stringify(t.extra[k] ?? null)}, dropped ${
          JSON.stringify(o.extra[k] ?? null)
        }`,
      );
    }
  }
  if (seq !== undefined) extra.heartbeat_seq = seq;
  m.extra = Object.fromEntries(Object.entries(extra).sort(([x], [y]) => (x < y ? -1 : 1)));
  return m;
}

// ---------------------------------------------------------------------------------------------
// The merge.

/**
 * Merges two diverged stores (see the module doc and docs/design.md, "Merging two stores").
 * Pure and deterministic: the same inputs give the same bytes. When `theirs` already holds
 * everything of `ours` (ours equals base, or equals theirs, file by file or field by field),
 * the result is `theirs` and there are no events.
 */
export function mergeStores(sides: MergeSides, options: MergeOptions): MergeResult {
  const rec = new Recorder();
  const now = isoSeconds(options.now);
  const agent = options.agent ?? "track";
  const report: MergeReport = { losses: [], renumbered: [], reposted: [], revived: [] };
  const base = sides.base;
  const theirs = sides.theirs;
  const ours = fenceOurs(sides.base, renumber(sides, options, rec, report, now, agent), {
    fenced: options.fenced,
    rec,
  });

  const out = new Map<string, FileValue>();
  const paths = [...new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])].sort();
  const allNames = new Set(paths);
  const parsedTheirs = new Map<string, Ticket>();

  for (const path of paths) {
    const b = base.get(path);
    const o = ours.get(path);
    const t = theirs.get(path);
    let r: FileValue | undefined;
    if (sameFile(o, t) || sameFile(o, b)) r = t;
    else if (sameFile(t, b)) {
      r = o === undefined || parseError(path, o) === null ? o : unpublished(path, o, t);
    } else r = mergeFile(path, b, o, t);
    if (r !== undefined) out.set(path, r);
  }

  /** Why a ticket, agent or reservations file does not parse; null when it does (or is other). */
  function parseError(path: string, v: FileValue): string | null {
    const id = ticketFile(path)?.id;
    if (id !== undefined) {
      const p = parseTicketFile(v, id);
      return p.ok ? null : p.error;
    }
    const name = AGENT_PATH.exec(path)?.[1];
    if (name !== undefined) {
      const p = parseAgentFile(v, name);
      return p.ok ? null : p.error;
    }
    if (path === RESERVATIONS_PATH) {
      const p = parseReservationsFile(v);
      return p.ok ? null : p.error;
    }
    return null;
  }

  /** Ours changed a file into one that does not parse: never published; its bytes are posted. */
  function unpublished(
    path: string,
    o: FileValue,
    t: FileValue | undefined,
  ): FileValue | undefined {
    const ticket = ticketFile(path)?.id ?? null;
    lose(
      rec.note("sync-conflict", path, ticket, `Sync did not publish this clone's ${path}`),
      {
        kind: "file",
        path,
        ticket,
        agent: AGENT_PATH.exec(path)?.[1] ?? null,
        field: null,
        dropped: shown(o),
        kept: t === undefined ? null : shown(t),
      },
      `- ${path} does not parse on this clone (${parseError(path, o)}); ` +
        `${t === undefined ? "nothing was published" : "the published file stays"}; ` +
        `this clone's file:\n${indent(shown(o))}`,
    );
    return t;
  }

  /** Both sides changed `path` since base, differently. */
  function mergeFile(
    path: string,
    b: FileValue | undefined,
    o: FileValue | undefined,
    t: FileValue | undefined,
  ): FileValue | undefined {
    const ticket = ticketFile(path)?.id ?? null;
    if (o === undefined) {
      // We deleted it, they changed it: keep theirs.
      lose(
        rec.note("sync-conflict", path, ticket, `Sync kept ${path}, changed on the remote`),
        { kind: "deletion", path, ticket, agent: null, field: null, dropped: path, kept: null },
        `- this clone deleted ${path}; the remote changed it, so it stays`,
      );
      return t;
    }
    if (t === undefined) {
      if (parseError(path, o) !== null) return unpublished(path, o, t);
      // They deleted it, we changed it: keep ours, and say it came back.
      report.revived.push(path);
      rec.note("sync-conflict", path, ticket, `Sync kept ${path}, changed on this clone`).lines
        .push(`- the remote deleted ${path}; this clone changed it, so it stays`);
      return o;
    }
    if (BOARD_PATH.test(path)) return repost(path, o, t);
    if (ticket !== null) return mergeTicketFile(path, ticket, b, o, t);
    const agentName = AGENT_PATH.exec(path)?.[1];
    if (agentName !== undefined) return mergeAgentFile(path, agentName, b, o, t);
    if (path === RESERVATIONS_PATH) return mergeReservationsFile(b, o, t);
    return keepTheirs(path, null, o, t, "changed on both sides");
  }

  function keepTheirs(
    path: string,
    ticket: string | null,
    o: FileValue,
    t: FileValue,
    why: string,
    agentName: string | null = null,
  ): FileValue {
    lose(
      rec.note("sync-conflict", path, ticket, `Sync kept the published ${path}`),
      {
        kind: "file",
        path,
        ticket,
        agent: agentName,
        field: null,
        dropped: shown(o),
        kept: shown(t),
      },
      `- ${path} ${why}; this clone's file:\n${indent(shown(o))}`,
    );
    return t;
  }

  /** The published file does not parse: ours replaces it, and its bytes go to the board. */
  function replaceTheirs(
    path: string,
    ticket: string | null,
    o: FileValue,
    t: FileValue,
    error: string,
  ): FileValue {
    const n = rec.note("sync-conflict", path, ticket, `Sync replaced the unparseable ${path}`);
    lose(n, {
      kind: "file",
      side: "theirs",
      path,
      ticket,
      agent: null,
      field: null,
      dropped: shown(t),
      kept: shown(o),
    }, `- the published ${path} does not parse (${error}); it was:\n${indent(shown(t))}`);
    return o;
  }

  /** Board posts never change: ours' different bytes under a taken name get a new name. */
  function repost(path: string, o: FileValue, t: FileValue): FileValue {
    const dot = path.endsWith(".md") ? path.length - 3 : path.length;
    const h = hash36(shown(o));
    let to = `${path.slice(0, dot)}${h}${path.slice(dot)}`;
    for (let i = 0; (allNames.has(to) || out.has(to)) && !sameFile(theirs.get(to), o); i++) {
      to = `${path.slice(0, dot)}${h}${i.toString(36)}${path.slice(dot)}`;
    }
    report.reposted.push({ from: path, to });
    // Already re-posted there by an earlier merge: theirs holds it, the main loop keeps it.
    if (sameFile(theirs.get(to), o)) return t;
    allNames.add(to);
    out.set(to, o);
    return t;
  }

  function mergeTicketFile(
    path: string,
    id: string,
    b: FileValue | undefined,
    o: FileValue,
    t: FileValue,
  ): FileValue {
    const po = parseTicketFile(o, id);
    const pt = parseTicketFile(t, id);
    if (!po.ok) return keepTheirs(path, id, o, t, `does not parse on this clone (${po.error})`);
    if (!pt.ok) return replaceTheirs(path, id, o, t, pt.error);
    const pb = b === undefined ? null : parseTicketFile(b, id);
    const m = mergeTicket(pb?.ok ? pb.value : null, po.value, pt.value, {
      path,
      rec,
      now,
      agent,
    });
    parsedTheirs.set(path, pt.value);
    return canonical(m, o, t, po.value, pt.value);
  }

  function mergeAgentFile(
    path: string,
    name: string,
    b: FileValue | undefined,
    o: FileValue,
    t: FileValue,
  ): FileValue {
    const po = parseAgentFile(o, name);
    const pt = parseAgentFile(t, name);
    if (!po.ok) {
      return keepTheirs(path, null, o, t, `does not parse on this clone (${po.error})`, name);
    }
    if (!pt.ok) {
      return replaceTheirs(path, null, o, t, pt.error);
    }
    if (b === undefined) {
      return keepTheirs(
        path,
        null,
        o,
        t,
        "was registered on both sides: the name stays the remote's",
        name,
      );
    }
    const pb = parseAgentFile(b, name);
    const m = serializeAgent(mergeAgent(pb.ok ? pb.value : null, po.value, pt.value, path, rec));
    if (m === serializeAgent(pt.value)) return t;
    if (m === serializeAgent(po.value)) return o;
    return m;
  }

  function mergeReservationsFile(
    b: FileValue | undefined,
    o: FileValue,
    t: FileValue,
  ): FileValue {
    const path = RESERVATIONS_PATH;
    const po = parseReservationsFile(o);
    const pt = parseReservationsFile(t);
    if (!po.ok) return keepTheirs(path, null, o, t, `does not parse on this clone (${po.error})`);
    if (!pt.ok) return replaceTheirs(path, null, o, t, pt.error);
    const pb = b === undefined ? null : parseReservationsFile(b);
    const lb = pb?.ok ? pb.value : [];
    const keyB = new Set(lb.map(entryKey));
    const keyT = new Set(pt.value.map(entryKey));
    // Published since base, and not ours (a re-merge finds ours' accepted entries in theirs).
    const keyO = new Set(po.value.map(entryKey));
    const theirsNew = pt.value.filter((r) => !keyB.has(entryKey(r)) && !keyO.has(entryKey(r)));
    const byKey = new Map<string, Entry>();
    const keys = mergeSet(lb.map(entryKey), po.value.map(entryKey), pt.value.map(entryKey));
    for (const r of lb) byKey.set(entryKey(r), r);
    const fromO = new Map(po.value.map((r) => [entryKey(r), r]));
    const fromT = new Map(pt.value.map((r) => [entryKey(r), r]));
    const result: Entry[] = [];
    for (const k of keys) {
      let r: Entry;
      if (keyT.has(k)) {
        const o = fromO.get(k) ?? fromT.get(k)!;
        const p = pick(byKey.get(k), o, fromT.get(k)!, keyB.has(k));
        r = p.value;
        if (p.conflict) {
          lose(
            rec.note("sync-conflict", path, null, `Sync kept the published reservations`),
            {
              kind: "reservation",
              path,
              ticket: o.ticket,
              agent: o.agent,
              field: o.path,
              dropped: JSON.stringify(o),
              kept: JSON.stringify(r),
            },
            `- "${o.path}" of ${o.agent} for ${o.ticket}: kept ${r.mode} since ${r.at}, dropped ` +
              `${o.mode} since ${o.at}`,
          );
        }
      } else r = fromO.get(k)!;
      if (!keyT.has(k) && !keyB.has(k)) {
        // Ours, new: dropped when it overlaps one of theirs published since base.
        const clash = theirsNew.find((x) =>
          x.agent !== r.agent && (r.mode === "exclusive" || x.mode === "exclusive") &&
          patternsOverlap(x.path, r.path)
        );
        if (clash) {
          lose(
            rec.note(
              "reservation-dropped",
              path + "\0" + r.agent,
              r.ticket,
              `Sync dropped reservations of ${r.agent}: the remote reserved overlapping paths first`,
            ),
            {
              kind: "reservation",
              path,
              ticket: r.ticket,
              agent: r.agent,
              field: r.path,
              dropped: JSON.stringify(r),
              kept: JSON.stringify(clash),
            },
            `- "${r.path}" (${r.mode}, ${r.ticket}) overlaps "${clash.path}" (${clash.mode}, ` +
              `${clash.agent}, ${clash.ticket})`,
          );
          continue;
        }
      }
      result.push(r);
    }
    const sorted = result.sort((x, y) => {
      const a = entryKey(x);
      const c = entryKey(y);
      return a < c ? -1 : a > c ? 1 : 0;
    });
    const text = serializeReservations(sorted);
    if (text === serializeReservations(pt.value)) return t;
    if (text === serializeReservations(po.value)) return o;
    return text;
  }

  // One ticket, one folder: archived on one side and changed on the other, it stays active
  // (delete vs modify), and the archived copy goes to the board.
  for (const path of [...out.keys()]) {
    const f = ticketFile(path);
    if (f === null || f.folder !== "archive" || !out.has(`tickets/${f.id}.md`)) continue;
    const v = out.get(path)!;
    const ours = !sameFile(theirs.get(path), v);
    const [here, there] = ours ? ["this clone", "the remote"] : ["the remote", "this clone"];
    lose(
      rec.note("sync-conflict", path, f.id, `Sync kept ${f.id} active`),
      {
        kind: "file",
        side: ours ? "ours" : "theirs",
        path,
        ticket: f.id,
        agent: null,
        field: null,
        dropped: shown(v),
        kept: null,
      },
      `- ${f.id} was archived on ${here} and changed on ${there}: it stays in tickets/; ` +
        `the archived copy was:\n${indent(shown(v))}`,
    );
    out.delete(path);
  }

  dropCycles(out, theirs, rec, parsedTheirs);

  // Events, in the order their notes were made, under names no side uses. The name ends with a
  // key of the event's content: one theirs already holds (an earlier merge of the same ours,
  // whose confirmation was lost) is not posted again.
  const events: MergeEvent[] = [];
  const iso = options.now.toISOString();
  const day = iso.slice(0, 10);
  const stamp = iso.slice(11, 23).replace(/[:.]/g, "");
  const published = new Map<string, string>();
  if (rec.notes.length > 0) {
    for (const p of theirs.keys()) {
      if (p.startsWith("board/")) published.set(p.slice(p.lastIndexOf("-") + 1), p);
    }
  }
  let seq = 0;
  for (const n of rec.notes) {
    const message = [n.title + (n.lines.length > 0 ? ":" : ""), ...n.lines].join("\n");
    const e = { at: now, agent, ticket: n.ticket, tag: n.tag, kind: "event" as const, message };
    const text = boardEntryText(e);
    const key = contentKey(`${n.tag}\0${n.ticket}\0${message}`);
    const already = published.get(`${key}.md`);
    if (already !== undefined) {
      for (const l of n.losses) report.losses.push({ ...l, noted: already });
      continue;
    }
    let path: string;
    do {
      path = `board/${day}/${stamp}-${String(seq++ % 10000).padStart(4, "0")}-${key}.md`;
    } while (out.has(path) || allNames.has(path));
    out.set(path, text);
    events.push({ path, ...e });
    for (const l of n.losses) report.losses.push({ ...l, noted: path });
  }
  report.losses.push(...rec.inLog);
  const tree = new Map([...out.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return { tree, events, report };
}

/** The bytes to publish for a merged ticket: a side's own bytes when the merge equals it. */
function canonical(m: Ticket, o: FileValue, t: FileValue, po: Ticket, pt: Ticket): FileValue {
  const text = serializeTicket(m);
  if (text === serializeTicket(pt)) return t;
  if (text === serializeTicket(po)) return o;
  return text;
}

/**
 * Takes back our diff of every ticket the caller names as fenced: the base version, plus other
 * agents' new Work Log entries; our file goes to a `fenced` event.
 */
function fenceOurs(
  base: StoreTree,
  ours: StoreTree,
  options: { fenced: ReadonlyMap<string, string> | undefined; rec: Recorder },
): StoreTree {
  if (options.fenced === undefined || options.fenced.size === 0) return ours;
  const out = new Map(ours);
  for (const [id, writer] of [...options.fenced].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const path = `tickets/${id}.md`;
    const b = base.get(path);
    const o = ours.get(path);
    if (b === undefined || sameFile(o, b)) continue; // New here, or unchanged: nothing to fence.
    let back: FileValue = b;
    const pb = parseTicketFile(b, id);
    const po = o === undefined ? null : parseTicketFile(o, id);
    if (pb.ok && po?.ok) {
      const inBase = count(logBlocks(splitBody(pb.value.body).log));
      const seen = new Map<string, number>();
      let body = pb.value.body;
      for (const block of logBlocks(splitBody(po.value.body).log)) {
        const n = (seen.get(block) ?? 0) + 1;
        seen.set(block, n);
        if (n > (inBase.get(block) ?? 0) && blockAgent(block) !== writer) {
          body = appendBlock(body, block);
        }
      }
      if (body !== pb.value.body) back = serializeTicket({ ...pb.value, body });
    }
    out.set(path, back);
    const n = options.rec.note(
      "fenced",
      path,
      id,
      `Sync did not apply this clone's changes to ${id}: ${writer} made them under a claim ` +
        `the remote no longer holds`,
    );
    lose(
      n,
      {
        kind: "file",
        path,
        ticket: id,
        agent: writer,
        field: null,
        dropped: o === undefined ? "(deleted)" : shown(o),
        kept: null,
      },
      o === undefined
        ? `- this clone deleted ${path}`
        : `- this clone's file:\n${indent(shown(o))}`,
    );
  }
  return out;
}

/**
 * Whether two tickets created without a common base are one ticket: ours published, then
 * changed on the remote, with the confirmation lost (a push killed after the remote accepted
 * it). Same creation second and creator, and the same title or the same (non-empty)
 * description.
 */
function sameCreation(o: Ticket, t: Ticket): boolean {
  if (o.created !== t.created || o.created_by !== t.created_by) return false;
  const d = descriptionOf(o.body);
  return o.title === t.title || (d !== null && d.trim() !== "" && d === descriptionOf(t.body));
}

/**
 * Gives our tickets whose number theirs created too (different bytes, absent in base) a new
 * number, and rewrites what ours added since base that names them: depends_on edges,
 * reservations, lost notes. Returns ours as renumbered.
 */
function renumber(
  sides: MergeSides,
  options: MergeOptions,
  rec: Recorder,
  report: MergeReport,
  now: string,
  agent: string,
): StoreTree {
  const { base, ours, theirs } = sides;
  // A number is ours' new one when base has it in neither folder; theirs may hold it in either.
  const clashes: string[] = [];
  for (const [path, o] of ours) {
    const id = ticketFile(path)?.id;
    if (id === undefined || findTicket(base, id) !== null) continue;
    const tp = findTicket(theirs, id);
    const t = tp === null ? undefined : theirs.get(tp)!;
    if (t === undefined || (tp === path && sameFile(o, t))) continue;
    const po = parseTicketFile(o, id);
    const pt = parseTicketFile(t, id);
    if (po.ok && !(pt.ok && sameCreation(po.value, pt.value))) clashes.push(id);
  }
  if (clashes.length === 0) return ours;
  clashes.sort();
  const used = new Set<string>();
  let max = 0;
  for (const tree of [base, ours, theirs]) {
    for (const path of tree.keys()) {
      const id = ticketFile(path)?.id;
      if (id !== undefined) {
        used.add(id);
        max = Math.max(max, idNumber(id)!);
      }
    }
  }
  const taken = (id: string) => used.has(id);
  const map = new Map<string, string>();
  // Theirs' tickets new since base: one of them may be ours, renumbered by an earlier merge
  // whose confirmation was lost. Then ours takes that number again, not a third one (even when
  // a newer ticket of ours holds that number here: it is a clash itself and moves on).
  const fresh: Ticket[] = [];
  for (const [path, t] of theirs) {
    const id = ticketFile(path)?.id;
    if (id === undefined || findTicket(base, id) !== null) continue;
    const p = parseTicketFile(t, id);
    if (p.ok && (findTicket(ours, id) === null || clashes.includes(id))) fresh.push(p.value);
  }
  fresh.sort((x, y) => (x.id < y.id ? -1 : 1));
  const adopted = new Set<string>();
  for (const from of clashes) {
    let to: string;
    const mine = parseTicketFile(ours.get(findTicket(ours, from)!)!, from);
    const earlier = fresh.find((t) => mine.ok && !adopted.has(t.id) && sameCreation(mine.value, t));
    if (earlier !== undefined) {
      to = earlier.id;
      adopted.add(to);
    } else if (options.allocateId) {
      to = options.allocateId(from, taken);
      if (idNumber(to) === null || used.has(to)) {
        throw new Error(`allocateId gave ${JSON.stringify(to)} for ${from}: not a free ticket id`);
      }
    } else {
      while (used.has(formatId(++max)));
      to = formatId(max);
    }
    used.add(to);
    map.set(from, to);
    report.renumbered.push({ from, to });
  }

  const out = new Map(ours);
  const rename = (id: string) => map.get(id) ?? id;
  // Paths a renumbered ticket moved to: a later ticket moving away from one must not delete it.
  const movedTo = new Set<string>();
  const sorted = [...ours].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (const [path, o] of sorted) {
    const file = ticketFile(path);
    if (file === null) continue;
    const id = file.id;
    const p = parseTicketFile(o, id);
    if (!p.ok) continue;
    const bt = base.get(path);
    const pb = bt === undefined ? null : parseTicketFile(bt, id);
    const baseDeps = new Set(pb?.ok ? pb.value.depends_on : []);
    const deps = p.value.depends_on.map((d) => (baseDeps.has(d) ? d : rename(d)));
    const moved = map.get(id);
    if (moved === undefined && deps.every((d, i) => d === p.value.depends_on[i])) continue;
    let t: Ticket = { ...p.value, depends_on: [...new Set(deps)] };
    if (moved !== undefined) {
      t = { ...t, id: moved };
      if (!adopted.has(moved)) {
        t.body = appendBlock(
          t.body,
          formatLogEntry({
            at: now,
            agent,
            message: `sync renumbered ${id} to ${moved}: the remote created ${id} first`,
          }).slice(0, -1),
        );
      }
      if (!movedTo.has(path)) out.delete(path);
      movedTo.add(`${file.folder}/${moved}.md`);
      out.set(`${file.folder}/${moved}.md`, serializeTicket(t));
      rec.note("renumbered", path, moved, `Sync renumbered this clone's ${id} to ${moved}`).lines
        .push(
          `- ${id} was created on the remote too; this clone's ticket "${t.title}" is now ${moved}`,
        );
    } else out.set(path, serializeTicket(t));
  }
  // Reservations and lost notes ours added since base follow the new numbers.
  const ro = ours.get(RESERVATIONS_PATH);
  const pr = ro === undefined ? null : parseReservationsFile(ro);
  if (pr?.ok && pr.value.some((r) => map.has(r.ticket))) {
    const rb = base.get(RESERVATIONS_PATH);
    const pb = rb === undefined ? null : parseReservationsFile(rb);
    const inBase = new Set(pb?.ok ? pb.value.map(entryKey) : []);
    const list = pr.value.map((r) =>
      inBase.has(entryKey(r)) ? r : { ...r, ticket: rename(r.ticket) }
    );
    out.set(RESERVATIONS_PATH, serializeReservations(list));
  }
  for (const [path, o] of sorted) {
    const name = AGENT_PATH.exec(path)?.[1];
    if (name === undefined) continue;
    const p = parseAgentFile(o, name);
    if (!p.ok || !p.value.lost.some((l) => map.has(l.ticket))) continue;
    const ab = base.get(path);
    const pb = ab === undefined ? null : parseAgentFile(ab, name);
    const inBase = new Set(pb?.ok ? pb.value.lost.map(lostKey) : []);
    const lost = p.value.lost.map((l) =>
      inBase.has(lostKey(l)) ? l : { ...l, ticket: rename(l.ticket) }
    );
    out.set(path, serializeAgent({ ...p.value, lost }));
  }
  return out;
}

/**
 * Drops every depends_on edge of the result that theirs' version of the ticket does not hold
 * and that closes a cycle, in id order, and names each in a `cycle-dropped` event. Only tickets
 * whose result differs from theirs can hold such an edge; others are parsed only when a search
 * reaches them.
 */
function dropCycles(
  out: Map<string, FileValue>,
  theirs: StoreTree,
  rec: Recorder,
  parsedTheirs: Map<string, Ticket>,
): void {
  const cache = new Map<string, Ticket | null>();
  const resultTicket = (id: string): Ticket | null => {
    let t = cache.get(id);
    if (t === undefined) {
      const v = out.get(`tickets/${id}.md`);
      const p = v === undefined ? null : parseTicketFile(v, id);
      t = p?.ok ? p.value : null;
      cache.set(id, t);
    }
    return t;
  };
  const candidates: Array<[string, string]> = [];
  const changed: string[] = [];
  for (const [path, v] of out) {
    const id = TICKET_PATH.exec(path)?.[1];
    if (id === undefined || idNumber(id) === null) continue;
    const tv = theirs.get(path);
    if (tv !== undefined && (tv === v || sameFile(tv, v))) continue;
    changed.push(id);
  }
  for (const id of changed.sort()) {
    const t = resultTicket(id);
    if (t === null) continue;
    const path = `tickets/${id}.md`;
    const tv = theirs.get(path);
    let pt = parsedTheirs.get(path) ?? null;
    if (pt === null && tv !== undefined) {
      const p = parseTicketFile(tv, id);
      pt = p.ok ? p.value : null;
    }
    const known = new Set(pt?.depends_on ?? []);
    for (const d of t.depends_on) if (!known.has(d)) candidates.push([id, d]);
  }
  if (candidates.length === 0) return;
  // Candidate edges not (yet) accepted are left out of the graph.
  const pending = new Set(candidates.map(([id, d]) => `${id}>${d}`));
  const tickets = new Map<string, { path: string; t: Ticket }>();
  for (const [id] of candidates) {
    tickets.set(id, { path: `tickets/${id}.md`, t: resultTicket(id)! });
  }
  /** A dependency path from `from` to `to` over accepted edges, or null. */
  const pathTo = (from: string, to: string): string[] | null => {
    const parent = new Map<string, string | null>([[from, null]]);
    const stack = [from];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (cur === to) {
        const trail: string[] = [];
        for (let c: string | null = cur; c !== null; c = parent.get(c)!) trail.push(c);
        return trail.reverse();
      }
      const deps = resultTicket(cur)?.depends_on ?? [];
      for (const next of [...deps].sort().reverse()) {
        if (parent.has(next) || pending.has(`${cur}>${next}`)) continue;
        parent.set(next, cur);
        stack.push(next);
      }
    }
    return null;
  };
  const dropped = new Map<string, string[]>();
  for (const [id, d] of candidates) {
    const back = d === id ? [id] : pathTo(d, id);
    if (back === null) {
      pending.delete(`${id}>${d}`);
      continue;
    }
    const { path } = tickets.get(id)!;
    dropped.set(id, [...(dropped.get(id) ?? []), d]);
    const cycle = [id, ...back].join(" -> ");
    lose(
      rec.note("cycle-dropped", path, id, `Sync dropped dependencies that closed a cycle`),
      {
        kind: "dependency",
        path,
        ticket: id,
        agent: null,
        field: "depends_on",
        dropped: d,
        kept: null,
      },
      `- ${id} depends on ${d}: dropped, it would close the cycle ${cycle}`,
    );
  }
  for (const [id, ds] of dropped) {
    const { path, t } = tickets.get(id)!;
    const m = { ...t, depends_on: t.depends_on.filter((d) => !ds.includes(d)) };
    const text = serializeTicket(m);
    const tv = theirs.get(path);
    const pt = tv === undefined ? null : parseTicketFile(tv, id);
    out.set(path, pt?.ok && serializeTicket(pt.value) === text ? tv! : text);
  }
}
