/**
 * `track export` / `track import`: the whole store (config, tickets with bodies, archived
 * tickets, agents, reservations, board) as one JSON document or as JSON Lines. Import writes the same bytes the
 * exporting store held (every file is serialised deterministically), into a store that holds
 * nothing else: a store whose files all match the archive counts as empty, so an interrupted
 * import can simply be run again. Merging into a store with other content is refused.
 */
import { badDataError, conflictError, TrackError } from "../model/errors.ts";
import {
  type BoardEntry,
  entryPath,
  postEntry,
  readBoard,
  serializeEntry,
  TAG,
} from "../operations/board.ts";
import {
  type Agent,
  AGENT_NAME,
  AgentFormatError,
  agentNameProblem,
  parseAgent,
  serializeAgent,
} from "../model/agent.ts";
import { agentPath, readAllAgents, writeAgent } from "../store/agent_records.ts";
import {
  readReservations,
  type Reservation,
  writeReservations,
} from "../operations/reservations.ts";
import type { Store, Tx } from "../store/store.ts";
import type { FrontValue } from "../model/front_matter.ts";
import { parseTicket, serializeTicket, type Ticket, TicketFormatError } from "../model/ticket.ts";
import { type TicketJson, ticketJson } from "../model/json.ts";

/** Marks a document as a track export. */
export const ARCHIVE_FORMAT = "track-export";
/** Version of the archive layout. */
export const ARCHIVE_SCHEMA = 1;

/** A ticket in an archive: its metadata, unknown front matter keys (in file order) and body. */
export interface TicketRecord extends TicketJson {
  extra: Array<[string, FrontValue]>;
  body: string;
}

/** The whole store as data. */
export interface Archive {
  schema: number;
  format: typeof ARCHIVE_FORMAT;
  /** Version of track that wrote it. */
  version: string;
  exported_at: string;
  /** config.json as stored, or null when the store has none. */
  config: Record<string, unknown> | null;
  tickets: TicketRecord[];
  /** Tickets in `archive/` (`track archive`); absent in exports older than the archive. */
  archived: TicketRecord[];
  agents: Agent[];
  reservations: Reservation[];
  /** Oldest first. */
  board: BoardEntry[];
}

/** Counts per kind of record. */
export interface ArchiveCounts {
  tickets: number;
  archived: number;
  agents: number;
  reservations: number;
  board: number;
}

/** How many records of each kind `a` holds. */
export function countsOf(a: Archive): ArchiveCounts {
  return {
    tickets: a.tickets.length,
    archived: a.archived.length,
    agents: a.agents.length,
    reservations: a.reservations.length,
    board: a.board.length,
  };
}

function ticketRecord(t: Ticket): TicketRecord {
  return { ...ticketJson(t), extra: t.extra, body: t.body };
}

/**
 * Reads the whole store. Any file that does not parse stops the export (exit 6): a backup
 * that silently leaves something out is worse than none.
 */
export function readArchive(store: Store, meta: { version: string; now: Date }): Archive {
  store.readConfig(); // validates
  const configText = store.readText(store.configPath);
  const { tickets, problems } = store.readAllTickets();
  if (problems.length > 0) throw problems[0].error;
  const archived = store.readArchivedTickets();
  if (archived.problems.length > 0) throw archived.problems[0].error;
  const agents = readAllAgents(store);
  if (agents.problems.length > 0) throw agents.problems[0].error;
  const reservations = readReservations(store);
  const board = readBoard(store, { last: Infinity });
  if (board.warnings.length > 0) {
    throw new TrackError("badData", board.warnings[0], {
      hint: "fix or restore that board file by hand (git diff .track/), then export again",
    });
  }
  return {
    schema: ARCHIVE_SCHEMA,
    format: ARCHIVE_FORMAT,
    version: meta.version,
    exported_at: meta.now.toISOString().slice(0, 19) + "Z",
    config: configText === null ? null : JSON.parse(configText),
    tickets: tickets.map(ticketRecord),
    archived: archived.tickets.map(ticketRecord),
    agents: agents.agents,
    reservations,
    board: board.entries,
  };
}

/** The archive as one pretty-printed JSON document. */
export function archiveToJson(a: Archive): string {
  return JSON.stringify(a, null, 2) + "\n";
}

/** The archive as JSON Lines: a header line, then one line per record with a `type`. */
export function archiveToJsonl(a: Archive): string {
  const { tickets, archived, agents, reservations, board, ...header } = a;
  const lines = [JSON.stringify({ type: "header", ...header, counts: countsOf(a) })];
  for (const t of tickets) lines.push(JSON.stringify({ type: "ticket", ...t }));
  for (const t of archived) lines.push(JSON.stringify({ type: "archived", ...t }));
  for (const ag of agents) lines.push(JSON.stringify({ type: "agent", ...ag }));
  for (const r of reservations) lines.push(JSON.stringify({ type: "reservation", ...r }));
  for (const e of board) lines.push(JSON.stringify({ type: "board", ...e }));
  return lines.join("\n") + "\n";
}

function bad(file: string, line: number | undefined, reason: string): TrackError {
  return badDataError(file, reason, {
    line,
    hint: "import a file written by track export (--json or --jsonl), unchanged",
  });
}

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkTicket(r: Raw, file: string, line?: number): TicketRecord {
  if (typeof r.id !== "string") throw bad(file, line, `a ticket has no "id"`);
  const extra = r.extra ?? [];
  if (
    !Array.isArray(extra) ||
    extra.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string")
  ) {
    throw bad(file, line, `ticket ${r.id}: "extra" must be a list of [key, value] pairs`);
  }
  if (typeof r.body !== "string") throw bad(file, line, `ticket ${r.id}: "body" must be text`);
  const t = {
    id: r.id,
    title: r.title,
    status: r.status,
    priority: r.priority,
    created: r.created,
    created_by: r.created_by ?? null,
    claimed_by: r.claimed_by ?? null,
    claimed_at: r.claimed_at ?? null,
    labels: r.labels ?? [],
    branch: r.branch ?? null,
    files: r.files ?? [],
    depends_on: r.depends_on ?? [],
    updated: r.updated ?? null,
    claim_epoch: r.claim_epoch ?? 0,
    extra: extra as Array<[string, FrontValue]>,
    body: r.body,
  } as Ticket;
  // Round-trip through the strict parser: whatever import writes, track can read back.
  let text: string;
  try {
    text = serializeTicket(t);
    return ticketRecord(parseTicket(text, t.id));
  } catch (e) {
    if (e instanceof TicketFormatError || e instanceof TypeError) {
      throw bad(file, line, `ticket ${r.id}: ${e.message}`);
    }
    throw e;
  }
}

function checkAgent(r: Raw, file: string, line?: number): Agent {
  if (typeof r.id !== "string" || !AGENT_NAME.test(r.id)) {
    throw bad(file, line, `an agent has no valid "id"`);
  }
  const problem = agentNameProblem(r.id);
  if (problem !== null) throw bad(file, line, `agent "${r.id}" has an invalid name: ${problem}`);
  const { extra, ...known } = r;
  const flat = { ...(isObject(extra) ? extra : {}), ...known };
  try {
    return parseAgent(JSON.stringify(flat), r.id);
  } catch (e) {
    if (e instanceof AgentFormatError) throw bad(file, line, `agent ${r.id}: ${e.message}`);
    throw e;
  }
}

function checkReservation(r: Raw, file: string, line?: number): Reservation {
  if (
    typeof r.path !== "string" || typeof r.agent !== "string" || typeof r.ticket !== "string" ||
    (r.mode !== "exclusive" && r.mode !== "shared") || typeof r.at !== "string"
  ) {
    throw bad(file, line, "a reservation needs path, agent, ticket, mode and at");
  }
  return { path: r.path, agent: r.agent, ticket: r.ticket, mode: r.mode, at: r.at };
}

const ENTRY_ID = /^\d{4}-\d{2}-\d{2}\/\d{9}-\d{4}-[a-z0-9]+$/;

function checkEntry(r: Raw, file: string, line?: number): BoardEntry {
  const s = (k: string) => typeof r[k] === "string";
  if (!s("id") || !ENTRY_ID.test(r.id as string)) {
    throw bad(file, line, `a board entry has no valid "id"`);
  }
  if (!s("at") || !s("agent") || !s("tag") || !s("message")) {
    throw bad(file, line, `board entry ${r.id}: needs at, agent, tag and message`);
  }
  if (!TAG.test(r.tag as string)) throw bad(file, line, `board entry ${r.id}: invalid tag`);
  if (r.ticket !== null && r.ticket !== undefined && typeof r.ticket !== "string") {
    throw bad(file, line, `board entry ${r.id}: "ticket" must be text or null`);
  }
  return {
    id: r.id as string,
    at: r.at as string,
    agent: r.agent as string,
    ticket: (r.ticket as string | null | undefined) ?? null,
    tag: r.tag as string,
    kind: r.kind === "event" ? "event" : "post",
    message: r.message as string,
    // Archives written before directed posts have none of these.
    to: Array.isArray(r.to)
      ? (r.to as unknown[]).filter((a) => typeof a === "string") as string[]
      : [],
    reply_to: typeof r.reply_to === "string" && ENTRY_ID.test(r.reply_to) ? r.reply_to : null,
    ack: r.ack === true,
  };
}

function checkHeader(r: Raw, file: string, line?: number): Raw {
  if (r.format !== ARCHIVE_FORMAT) {
    throw bad(file, line, `is not a track export (no "format": "${ARCHIVE_FORMAT}")`);
  }
  if (typeof r.schema !== "number" || r.schema > ARCHIVE_SCHEMA) {
    throw bad(
      file,
      line,
      `has archive schema ${JSON.stringify(r.schema)}; this track reads schema ${ARCHIVE_SCHEMA}`,
    );
  }
  if (r.config !== null && r.config !== undefined && !isObject(r.config)) {
    throw bad(file, line, `"config" must be an object or null`);
  }
  return r;
}

/** Parses an export (JSON or JSON Lines, detected from the text); `file` names it in errors. */
export function parseArchive(text: string, file: string): Archive {
  let whole: unknown = undefined;
  try {
    whole = JSON.parse(text);
  } catch {
    // Not one JSON document: read it as JSON Lines below.
  }
  const a: Archive = {
    schema: ARCHIVE_SCHEMA,
    format: ARCHIVE_FORMAT,
    version: "",
    exported_at: "",
    config: null,
    tickets: [],
    archived: [],
    agents: [],
    reservations: [],
    board: [],
  };
  const setHeader = (h: Raw) => {
    a.version = String(h.version ?? "");
    a.exported_at = String(h.exported_at ?? "");
    a.config = (h.config as Raw | null | undefined) ?? null;
  };
  if (isObject(whole)) {
    setHeader(checkHeader(whole, file));
    const list = (k: string): Raw[] => {
      const v = whole[k] ?? [];
      if (!Array.isArray(v) || !v.every(isObject)) {
        throw bad(file, undefined, `"${k}" must be a list of objects`);
      }
      return v;
    };
    a.tickets = list("tickets").map((r) => checkTicket(r, file));
    a.archived = list("archived").map((r) => checkTicket(r, file));
    a.agents = list("agents").map((r) => checkAgent(r, file));
    a.reservations = list("reservations").map((r) => checkReservation(r, file));
    a.board = list("board").map((r) => checkEntry(r, file));
  } else {
    const lines = text.split("\n");
    let sawHeader = false;
    lines.forEach((raw, i) => {
      const line = i + 1;
      if (raw.trim() === "") return;
      let r: unknown;
      try {
        r = JSON.parse(raw);
      } catch (e) {
        throw bad(file, line, `is not JSON or JSON Lines (${(e as Error).message})`);
      }
      if (!isObject(r)) throw bad(file, line, "each line must hold a JSON object");
      const { type, ...rest } = r;
      if (!sawHeader) {
        if (type !== "header") throw bad(file, line, `the first line must be the "header" record`);
        setHeader(checkHeader(rest, file, line));
        sawHeader = true;
        return;
      }
      if (type === "ticket") a.tickets.push(checkTicket(rest, file, line));
      else if (type === "archived") a.archived.push(checkTicket(rest, file, line));
      else if (type === "agent") a.agents.push(checkAgent(rest, file, line));
      else if (type === "reservation") a.reservations.push(checkReservation(rest, file, line));
      else if (type === "board") a.board.push(checkEntry(rest, file, line));
      else throw bad(file, line, `unknown record type ${JSON.stringify(type)}`);
    });
    if (!sawHeader) throw bad(file, undefined, "is empty");
  }
  const dup = (ids: string[], what: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw bad(file, undefined, `holds ${what} ${id} twice`);
      seen.add(id);
    }
  };
  dup([...a.tickets, ...a.archived].map((t) => t.id), "ticket");
  // Names equal but for case would be one file on macOS and Windows.
  dup(a.agents.map((x) => x.id.toLowerCase()), "agent (ignoring case)");
  dup(a.board.map((e) => e.id), "board entry");
  return a;
}

function configText(config: Record<string, unknown>): string {
  return JSON.stringify(config, null, 2) + "\n";
}

function recordTicket(r: TicketRecord): Ticket {
  return { ...r, status: r.status, priority: r.priority } as Ticket;
}

function sameReservations(a: Reservation[], b: Reservation[]): boolean {
  const key = (r: Reservation) => JSON.stringify([r.path, r.agent, r.ticket, r.mode, r.at]);
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** What `importArchive` did. */
export interface ImportResult {
  written: ArchiveCounts;
  /** Records already present with identical content (a re-run of an interrupted import). */
  unchanged: ArchiveCounts;
}

/**
 * Writes `a` into `store` under the lock. Refuses (exit 3, nothing written) when the store holds
 * anything that is not byte-identical to the archive's version of it.
 */
export async function importArchive(store: Store, a: Archive, file: string): Promise<ImportResult> {
  return await store.mutate("import", (tx: Tx) => {
    const clash: string[] = [];
    const zero = (): ArchiveCounts => ({
      tickets: 0,
      archived: 0,
      agents: 0,
      reservations: 0,
      board: 0,
    });
    const unchanged = zero();
    const written = zero();

    const tickets = new Map(a.tickets.map((t) => [t.id, recordTicket(t)]));
    const presentTickets = new Set<string>();
    for (const id of tx.store.ticketIds()) {
      const path = tx.store.ticketPath(id);
      const want = tickets.get(id);
      if (want && tx.store.readText(path) === serializeTicket(want)) {
        presentTickets.add(id);
      } else clash.push(tx.store.display(path));
    }
    const archived = new Map(a.archived.map((t) => [t.id, recordTicket(t)]));
    const presentArchived = new Set<string>();
    const existingArchived = tx.store.readArchivedTickets();
    for (const p of existingArchived.problems) clash.push(p.file);
    for (const t of existingArchived.tickets) {
      const path = tx.store.archivePath(t.id);
      const want = archived.get(t.id);
      if (want && tx.store.readText(path) === serializeTicket(want)) {
        presentArchived.add(t.id);
      } else clash.push(tx.store.display(path));
    }
    const agents = new Map(a.agents.map((x) => [x.id, x]));
    const presentAgents = new Set<string>();
    const existingAgents = readAllAgents(tx.store);
    for (const p of existingAgents.problems) clash.push(p.file);
    for (const ag of existingAgents.agents) {
      const path = agentPath(tx.store, ag.id);
      const want = agents.get(ag.id);
      if (want && tx.store.readText(path) === serializeAgent(want)) {
        presentAgents.add(ag.id);
      } else clash.push(tx.store.display(path));
    }
    const entries = new Map(a.board.map((e) => [e.id, e]));
    const presentEntries = new Set<string>();
    const existingBoard = readBoard(tx.store, { last: Infinity });
    if (existingBoard.warnings.length > 0) clash.push(...existingBoard.warnings);
    for (const e of existingBoard.entries) {
      const path = entryPath(tx.store, e.id)!;
      const want = entries.get(e.id);
      if (want && tx.store.readText(path) === serializeEntry(want)) {
        presentEntries.add(e.id);
      } else clash.push(tx.store.display(path));
    }
    const existingReservations = readReservations(tx.store);
    const reservationsPresent = existingReservations.length > 0;
    if (reservationsPresent && !sameReservations(existingReservations, a.reservations)) {
      clash.push(tx.store.display(tx.store.reservationsPath));
    }
    if (clash.length > 0) {
      throw conflictError(
        `Cannot import "${file}": the store at "${tx.store.dir}" already holds other data (${
          clash.slice(0, 3).join(", ")
        }${clash.length > 3 ? `, and ${clash.length - 3} more` : ""}); nothing was written`,
        "import into a new store: mkdir NEWDIR && cd NEWDIR && track init && track import FILE",
        { files: clash },
      );
    }

    // With sync on, config.json is the tracked file in the work tree (schema 2): never replaced.
    if (a.config !== null && !tx.store.synced) {
      const want = configText(a.config);
      if (tx.store.readText(tx.store.configPath) !== want) {
        tx.writeFile(tx.store.configPath, want);
      }
    }
    for (const t of tickets.values()) {
      if (presentTickets.has(t.id)) unchanged.tickets++;
      else {
        tx.writeTicket(t);
        written.tickets++;
      }
    }
    for (const t of archived.values()) {
      if (presentArchived.has(t.id)) unchanged.archived++;
      else {
        tx.writeFile(tx.store.archivePath(t.id), serializeTicket(t));
        written.archived++;
      }
    }
    for (const ag of agents.values()) {
      if (presentAgents.has(ag.id)) unchanged.agents++;
      else {
        writeAgent(tx, ag);
        written.agents++;
      }
    }
    if (reservationsPresent) unchanged.reservations = a.reservations.length;
    else if (a.reservations.length > 0) {
      writeReservations(tx, a.reservations);
      written.reservations = a.reservations.length;
    }
    for (const e of entries.values()) {
      if (presentEntries.has(e.id)) unchanged.board++;
      else {
        postEntry(tx, {
          ...e,
          at: new Date(0),
          replyTo: e.reply_to,
          keep: { id: e.id, at: e.at },
        });
        written.board++;
      }
    }
    return { written, unchanged };
  });
}
