/**
 * Migration of an agent-track 0.1 `.track/` into this format, in place (docs/migrate.md).
 *
 * - tickets/*.md: front matter read leniently (0.1 wrote values unquoted, lists as `[a, b]`,
 *   Python's `None`), then written in our canonical form. Bodies are kept byte for byte.
 * - agents/*.json: rewritten in our key order; 0.1-only keys (current_ticket, files_modified,
 *   history, ...) are kept; a 0.1 status (idle, working) is kept as `agent_track_status`.
 * - BOARD.md: every entry becomes one board file with its timestamp text, author, ticket and
 *   tag kept; ids are derived from the entry, so a second run finds them already there. BOARD.md
 *   itself is left in place (track never reads it).
 * - config.json, .gitignore, .gitattributes and the tickets/agents/board folders are created
 *   when missing.
 *
 * Planning reads everything first; nothing is written when any file cannot be converted.
 */
import { join } from "../model/path.ts";
import { parseJsonObject } from "../store/read.ts";
import { badDataError, ioError, TrackError } from "../model/errors.ts";
import {
  type Agent,
  AGENT_NAME,
  AgentFormatError,
  parseAgent,
  serializeAgent,
} from "../model/agent.ts";
import { agentPath, writeAgent } from "../store/agent_records.ts";
import { entryPath, postEntry, serializeEntry, TAG } from "../operations/board.ts";
import { GITATTRIBUTES, GITIGNORE } from "../store/discovery.ts";
import { ensureDir, writeFileAtomic } from "../store/atomic.ts";
import { ensureDirInside } from "../store/no_follow.ts";
import { LOCK_FILE } from "../store/lock.ts";
import { readTextStrict } from "../store/read.ts";
import { DEFAULT_CONFIG, type Store, type Tx } from "../store/store.ts";
import { formatFrontMatter, type FrontValue } from "../model/front_matter.ts";
import { normalizeId } from "../model/ids.ts";
import { parseTicket, serializeTicket, type Ticket, TicketFormatError } from "../model/ticket.ts";

/** One file the migration creates or rewrites. */
export interface MigrationChange {
  /** Path as shown to users (`.track/tickets/T-0001.md`). */
  file: string;
  action: "create" | "rewrite";
  /** What it is: ticket, agent, board, config, store. */
  what: string;
  /** Absolute path; not part of the JSON shape. */
  path: string;
  /** Writes this change (inside the migration's mutation). */
  apply(tx: Tx): void;
}

/** What a migration would do. */
export interface MigrationPlan {
  changes: MigrationChange[];
  /** Things kept as they were or converted with a loss the user should know about. */
  notes: string[];
}

const LIST_KEYS = new Set(["labels", "files", "depends_on"]);
const NULLABLE_KEYS = new Set(["created_by", "claimed_by", "claimed_at", "branch", "updated"]);
const NULLS = new Set(["", "~", "null", "Null", "NULL", "None"]);
const TICKET_FILE = /^T-\d{4,9}\.md$/;

function unquote(v: string): string {
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') {
    try {
      return JSON.parse(v);
    } catch {
      return v.slice(1, -1);
    }
  }
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") {
    return v.slice(1, -1).replaceAll("''", "'");
  }
  return v;
}

function splitItems(v: string): string[] {
  const inner = v.startsWith("[") && v.endsWith("]") ? v.slice(1, -1) : v;
  return inner.split(",").map((s) => unquote(s.trim())).filter((s) => s !== "");
}

/**
 * Reads agent-track 0.1 front matter leniently: `key: value` split at the first colon, values
 * unquoted only when wrapped in quotes, `[a, b]` or `a, b` lists for list keys, block lists.
 * Returns canonical front matter text plus the body, for the strict parser to validate.
 */
export function legacyTicketText(text: string, display: string): string {
  if (!text.startsWith("---\n")) {
    throw badDataError(display, 'missing front matter: the file must start with a "---" line', {
      line: 1,
    });
  }
  const lines = text.split("\n");
  const entries: Array<[string, FrontValue]> = [];
  let listKey: string | null = null;
  let end = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === "---") {
      end = i;
      break;
    }
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (item && listKey !== null) {
      const list = entries.find((e) => e[0] === listKey)!;
      const value = unquote(item[1].trim());
      if (value !== "") list[1] = [...(list[1] as string[]), value];
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_-]*):(.*)$/.exec(line);
    if (!m) {
      throw badDataError(display, `expected "key: value", got "${line.slice(0, 40)}"`, {
        line: i + 1,
      });
    }
    const [, key, rawValue] = m;
    const raw = rawValue.trim();
    if (entries.some((e) => e[0] === key)) {
      throw badDataError(display, `duplicate key "${key}"`, { line: i + 1 });
    }
    if (LIST_KEYS.has(key)) {
      entries.push([key, NULLS.has(raw) || raw === "[]" ? [] : splitItems(raw)]);
      listKey = key;
    } else if (raw === "") {
      // A key with nothing after it: null, or a block list when items follow.
      entries.push([key, NULLABLE_KEYS.has(key) ? null : []]);
      listKey = key;
    } else {
      entries.push([key, NULLABLE_KEYS.has(key) && NULLS.has(raw) ? null : unquote(raw)]);
      listKey = null;
    }
  }
  if (end === -1) {
    throw badDataError(display, 'truncated front matter: no closing "---" line', {
      line: lines.length,
    });
  }
  const fixed = entries.map(([k, v]): [string, FrontValue] =>
    Array.isArray(v) && v.length === 0 && !LIST_KEYS.has(k) ? [k, null] : [k, v]
  );
  return formatFrontMatter(fixed) + lines.slice(end + 1).join("\n");
}

/** Our canonical ticket for a 0.1 (or already converted) ticket file. */
export function convertTicket(text: string, id: string, display: string): Ticket {
  // Files this version wrote carry claim_epoch and are read strictly. 0.1 files are always read
  // leniently: a strict read would take `claimed_by: None` for an agent named "None".
  if (/^claim_epoch:/m.test(text.slice(0, text.indexOf("\n---", 3) + 1))) {
    try {
      return parseTicket(text, id);
    } catch (e) {
      if (!(e instanceof TicketFormatError)) throw e;
    }
  }
  const again = legacyTicketText(text, display);
  try {
    return parseTicket(again, id);
  } catch (e) {
    if (e instanceof TicketFormatError) {
      throw badDataError(display, e.message, {
        hint:
          "fix that ticket by hand (the migration changed nothing), then run track migrate again",
      });
    }
    throw e;
  }
}

function isoFromEpoch(v: unknown): unknown {
  if (typeof v !== "number" || !Number.isFinite(v)) return v;
  // Python's time.time(): seconds since the epoch.
  return new Date(v * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** Our record for a 0.1 (or already converted) agent file. */
export function convertAgent(text: string, id: string, display: string): Agent {
  const r = { ...parseJsonObject(text, display) };
  r.registered_at = isoFromEpoch(r.registered_at);
  r.last_heartbeat = isoFromEpoch(r.last_heartbeat);
  if (
    typeof r.status === "string" && !["active", "stale", "deregistered"].includes(r.status) &&
    r.agent_track_status === undefined
  ) {
    r.agent_track_status = r.status;
  }
  try {
    return parseAgent(JSON.stringify(r), id);
  } catch (e) {
    if (e instanceof AgentFormatError) throw badDataError(display, e.message);
    throw e;
  }
}

/** One entry of an agent-track 0.1 BOARD.md. */
export interface LegacyBoardEntry {
  /** 1-based line of the header. */
  line: number;
  at: string;
  agent: string;
  ticket: string | null;
  /** The TICKET field when it was not a ticket id (kept in the notes). */
  ticketText: string | null;
  tag: string;
  message: string;
}

const HEADER = /^\*\*\[([^\]\n]+)\]\s*(.*?)\*\*\s*(.*)$/;
const NO_TICKET = new Set(["", "-", "—", "none", "None", "null", "general", "n/a", "N/A"]);

function cleanTag(raw: string): string {
  const t = raw.trim().toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "")
    .slice(0, 32).replace(/-+$/, "");
  return TAG.test(t) ? t : "note";
}

/**
 * Parses BOARD.md. Rule: an entry starts at a line `**[TIMESTAMP] AGENT** | TICKET | TAG` and
 * runs to the next such line. The `---` separator is the last non-blank line before the next
 * header (or the end of the file) and is dropped with the blank lines around the message; a
 * `---` line anywhere else is part of the message. Text before the first header (the title)
 * is not an entry. Returned oldest first (the file is newest first).
 */
export function parseBoardMd(text: string): { entries: LegacyBoardEntry[]; preamble: string } {
  const lines = text.split("\n");
  const entries: LegacyBoardEntry[] = [];
  let preamble: string[] = [];
  let current: { head: RegExpExecArray; line: number; body: string[] } | null = null;
  const finish = () => {
    if (current === null) return;
    const body = current.body;
    const trim = () => {
      while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
      while (body.length > 0 && body[0].trim() === "") body.shift();
    };
    trim();
    if (body.length > 0 && body[body.length - 1].trim() === "---") {
      body.pop();
      trim();
    }
    const [, at, agent, rest] = current.head;
    const fields = rest.split("|").map((s) => s.trim());
    if (fields[0] === "") fields.shift();
    let ticketText: string | null = null;
    let tagText = "note";
    if (fields.length >= 2) {
      ticketText = fields[0];
      tagText = fields[1];
    } else if (fields.length === 1) {
      if (normalizeId(fields[0]) !== null && /^T-/i.test(fields[0])) ticketText = fields[0];
      else tagText = fields[0];
    }
    const ticket = ticketText === null ? null : normalizeId(ticketText);
    entries.push({
      line: current.line,
      at: at.trim(),
      agent: agent.trim(),
      ticket,
      ticketText: ticket === null && ticketText !== null && !NO_TICKET.has(ticketText)
        ? ticketText
        : null,
      tag: cleanTag(tagText),
      message: body.join("\n"),
    });
    current = null;
  };
  lines.forEach((line, i) => {
    const head = HEADER.exec(line);
    if (head) {
      finish();
      current = { head, line: i + 1, body: [] };
    } else if (current === null) preamble.push(line);
    else (current as { body: string[] }).body.push(line);
  });
  finish();
  preamble = preamble.filter((l) => l.trim() !== "" && l.trim() !== "---");
  return { entries: entries.reverse(), preamble: preamble.join("\n") };
}

/** FNV-1a, 32 bit, base 36: a stable short name part. */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** When a 0.1 timestamp happened; a timestamp without a zone is read as UTC. */
export function legacyTime(at: string): number {
  const t = at.trim().replace(" ", "T");
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : t + "Z";
  return Date.parse(zoned);
}

/** The board entry id a 0.1 entry gets: time, its position (oldest first), a content hash. */
export function legacyEntryId(e: LegacyBoardEntry, index: number, ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)}/${iso.slice(11, 23).replace(/[:.]/g, "")}-${
    String(index % 10000).padStart(4, "0")
  }-${fnv(`${e.at}\n${e.agent}\n${e.ticket}\n${e.tag}\n${e.message}`)}`;
}

function listNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw ioError("list", dir, e);
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Works out every change without writing anything. */
export function planMigration(store: Store): MigrationPlan {
  const changes: MigrationChange[] = [];
  const notes: string[] = [];
  const add = (
    path: string,
    what: string,
    create: boolean,
    apply: (tx: Tx) => void,
  ) =>
    changes.push({
      file: store.display(path),
      path,
      action: create ? "create" : "rewrite",
      what,
      apply,
    });

  for (const dir of [store.ticketsDir, store.agentsDir, store.boardDir]) {
    if (!isDir(dir)) {
      add(dir + "/", "store", true, (tx) => ensureDirInside(tx.store.dir, dir));
    }
  }
  const simple: Array<[string, string, string]> = [
    [store.configPath, "config", JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n"],
    [join(store.dir, ".gitignore"), "store", GITIGNORE],
    [join(store.dir, ".gitattributes"), "store", GITATTRIBUTES],
  ];
  for (const [path, what, text] of simple) {
    if (readTextStrict(path, store.display(path)) === null) {
      add(path, what, true, (tx) => tx.writeFile(path, text));
    }
  }

  for (const name of listNames(store.ticketsDir)) {
    if (!TICKET_FILE.test(name)) {
      if (name.endsWith(".md")) {
        notes.push(
          `${store.display(join(store.ticketsDir, name))}: not a ticket file name, left as it is`,
        );
      }
      continue;
    }
    const id = name.slice(0, -3);
    const path = join(store.ticketsDir, name);
    const display = store.display(path);
    const text = readTextStrict(path, display)!;
    const ticket = convertTicket(text, id, display);
    if (serializeTicket(ticket) !== text) {
      add(path, "ticket", false, (tx) => tx.writeTicket(ticket));
    }
  }

  for (const name of listNames(store.agentsDir)) {
    if (!name.endsWith(".json")) continue;
    const id = name.slice(0, -5);
    const path = join(store.agentsDir, name);
    const display = store.display(path);
    if (!AGENT_NAME.test(id)) {
      notes.push(`${display}: "${id}" is not a valid agent name here, left as it is`);
      continue;
    }
    const text = readTextStrict(path, display)!;
    const agent = convertAgent(text, id, display);
    if (serializeAgent(agent) !== text) {
      add(agentPath(store, id), "agent", false, (tx) => writeAgent(tx, agent));
    }
  }

  const boardMd = join(store.dir, "BOARD.md");
  const boardDisplay = store.display(boardMd);
  const boardText = readTextStrict(boardMd, boardDisplay);
  if (boardText !== null) {
    const { entries, preamble } = parseBoardMd(boardText);
    if (/[^#\s]/.test(preamble.replace(/^#.*$/gm, ""))) {
      notes.push(
        `${boardDisplay}: text before the first entry is not a message and was not converted`,
      );
    }
    entries.forEach((e, index) => {
      const ms = legacyTime(e.at);
      if (Number.isNaN(ms)) {
        throw badDataError(
          boardDisplay,
          `invalid timestamp ${JSON.stringify(e.at)} in an entry header`,
          {
            line: e.line,
            hint:
              "fix that header by hand (the migration changed nothing), then run track migrate again",
          },
        );
      }
      if (e.agent === "") {
        throw badDataError(boardDisplay, "an entry header names no agent", { line: e.line });
      }
      if (e.ticketText !== null) {
        notes.push(
          `${boardDisplay}:${e.line}: "${e.ticketText}" is not a ticket id; the entry keeps no ticket`,
        );
      }
      const id = legacyEntryId(e, index, ms);
      const path = entryPath(store, id)!;
      const entry = {
        id,
        at: e.at,
        agent: e.agent,
        ticket: e.ticket,
        tag: e.tag,
        kind: "post" as const,
        message: e.message,
      };
      const existing = readTextStrict(path, store.display(path));
      if (existing === serializeEntry(entry)) return;
      add(
        path,
        "board",
        existing === null,
        (tx) => postEntry(tx, { ...entry, at: new Date(ms), keep: { id, at: e.at } }),
      );
    });
    if (entries.length > 0) notes.push(`${boardDisplay} is left in place; track does not read it`);
  }
  return { changes, notes };
}

/** Name of the backup folder: a sibling of the store, `<store>-backup-<UTC time>`. */
export function backupDirFor(store: Store, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, "") + "Z";
  let dir = `${store.dir}-backup-${stamp}`;
  for (let n = 2; isDir(dir); n++) dir = `${store.dir}-backup-${stamp}-${n}`;
  return dir;
}

/** Copies every file of the store except the lock into `backup` (atomic writes, then fsync). */
export function writeBackup(store: Store, backup: string): number {
  let count = 0;
  const walk = (from: string, to: string) => {
    ensureDir(to);
    for (const e of Deno.readDirSync(from)) {
      const src = join(from, e.name);
      if (from === store.dir && e.name === LOCK_FILE) continue;
      if (e.isDirectory) walk(src, join(to, e.name));
      else if (e.isFile) {
        writeFileAtomic(join(to, e.name), Deno.readFileSync(src));
        count++;
      }
    }
  };
  walk(store.dir, backup);
  return count;
}

/** Result of a migration. */
export interface MigrationResult {
  plan: MigrationPlan;
  /** Backup folder, or null when nothing needed changing (or a dry run). */
  backup: string | null;
}

/**
 * Migrates `store` in place under the lock: plans again under the lock, writes the backup,
 * then applies every change. With `dryRun` only plans (no lock, nothing written).
 */
export async function migrateStore(
  store: Store,
  options: { dryRun: boolean; now: Date },
): Promise<MigrationResult> {
  if (options.dryRun) return { plan: planMigration(store), backup: null };
  return await store.mutate("migrate", (tx) => {
    const plan = planMigration(tx.store);
    if (plan.changes.length === 0) return { plan, backup: null };
    const backup = backupDirFor(tx.store, options.now);
    try {
      writeBackup(tx.store, backup);
    } catch (e) {
      if (e instanceof TrackError) throw e;
      throw new TrackError(
        "io",
        `Cannot write the backup "${backup}": ${(e as Error).message}; nothing was migrated`,
        {
          hint: "check free disk space and permissions next to the .track/ directory, then retry",
        },
      );
    }
    for (const c of plan.changes) c.apply(tx);
    return { plan, backup };
  });
}
