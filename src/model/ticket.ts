/**
 * The ticket record and its file form: YAML front matter (keys of agent-track 0.1 first, in
 * its order, then ours, then unknown keys sorted) and a markdown body with `## Description`,
 * `## Acceptance Criteria` and `## Work Log`.
 */
import {
  formatFrontMatter,
  FrontMatterError,
  type FrontValue,
  parseFrontMatter,
} from "./front_matter.ts";
import { normalizeId, TICKET_ID } from "./ids.ts";
import { MAX_TITLE_BYTES } from "./text.ts";
import { isPriority, isStatus, type Priority, type Status } from "./transitions.ts";

/** A ticket as stored. */
export interface Ticket {
  id: string;
  title: string;
  status: Status;
  priority: Priority;
  /** UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`. */
  created: string;
  created_by: string | null;
  claimed_by: string | null;
  claimed_at: string | null;
  labels: string[];
  branch: string | null;
  files: string[];
  depends_on: string[];
  /** When the ticket last changed (not in agent-track 0.1 files until first written). */
  updated: string | null;
  /** Incremented by every claim; a holder acting with an older epoch is fenced off. */
  claim_epoch: number;
  /** Keys this version does not know, kept as they were. */
  extra: Array<[string, FrontValue]>;
  /** Markdown after the front matter. */
  body: string;
}

/** Ticket metadata without the body: what listings need. Never written back to a file. */
export type TicketSummary = Omit<Ticket, "body">;

/** Front matter keys in file order. */
export const TICKET_KEYS = [
  "id",
  "title",
  "status",
  "priority",
  "created",
  "created_by",
  "claimed_by",
  "claimed_at",
  "labels",
  "branch",
  "files",
  "depends_on",
  "updated",
  "claim_epoch",
] as const;

const KNOWN = new Set<string>(TICKET_KEYS);
const ENCODER = new TextEncoder();
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Invalid ticket content; `line` is 1-based within the file when known. */
export class TicketFormatError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = "TicketFormatError";
  }
}

function lineOfKey(text: string, key: string): number | undefined {
  const idx = text.search(new RegExp(`^${key}:`, "m"));
  return idx === -1 ? undefined : text.slice(0, idx).split("\n").length;
}

/**
 * Parses a ticket file. `expectedId` (from the file name) must match the `id` key.
 * Throws {@linkcode TicketFormatError}.
 */
export function parseTicket(text: string, expectedId?: string): Ticket {
  let doc;
  try {
    doc = parseFrontMatter(text);
  } catch (e) {
    if (e instanceof FrontMatterError) throw new TicketFormatError(e.message, e.line);
    throw e;
  }
  const d = doc.data;
  const fail = (key: string, why: string): never => {
    throw new TicketFormatError(`"${key}" ${why}`, lineOfKey(text, key));
  };
  const scalar = (key: string, required: boolean): string | null => {
    let v = d.get(key);
    if (Array.isArray(v) && v.length === 0) v = null; // "key:" with nothing after it
    if (v === undefined || v === null) {
      if (required) fail(key, v === undefined ? "is missing" : "must not be empty");
      return null;
    }
    if (Array.isArray(v)) return fail(key, "must be a single value, not a list");
    return v;
  };
  const list = (key: string): string[] => {
    const v = d.get(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return fail(key, "must be a list");
    return v;
  };
  const timestamp = (key: string, required: boolean): string | null => {
    const v = scalar(key, required);
    if (v !== null && (!TIMESTAMP.test(v) || Number.isNaN(Date.parse(v)))) {
      fail(key, `must be a UTC timestamp like 2026-01-31T12:00:00Z, got ${JSON.stringify(v)}`);
    }
    return v;
  };

  const id = scalar("id", true)!;
  if (!TICKET_ID.test(id)) fail("id", `must look like T-0001, got ${JSON.stringify(id)}`);
  if (expectedId !== undefined && id !== expectedId) {
    fail("id", `is ${JSON.stringify(id)} but the file is named ${expectedId}.md`);
  }
  const title = scalar("title", true)!;
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long titles need encoding to measure.
  if (title.length * 3 > MAX_TITLE_BYTES && ENCODER.encode(title).length > MAX_TITLE_BYTES) {
    fail("title", `is longer than ${MAX_TITLE_BYTES} bytes`);
  }
  const status = scalar("status", true);
  if (!isStatus(status)) {
    fail(
      "status",
      `must be one of backlog, claimed, in-progress, review, done; got ${JSON.stringify(status)}`,
    );
  }
  const priority = scalar("priority", false) ?? "medium";
  if (!isPriority(priority)) {
    fail("priority", `must be one of critical, high, medium, low; got ${JSON.stringify(priority)}`);
  }
  const depends = list("depends_on").map((dep) => {
    const n = normalizeId(dep);
    if (n === null) {
      fail("depends_on", `holds an invalid ticket id ${JSON.stringify(dep.slice(0, 40))}`);
    }
    return n!;
  });
  const epochText = scalar("claim_epoch", false);
  let epoch = 0;
  if (epochText !== null) {
    if (!/^\d{1,9}$/.test(epochText)) fail("claim_epoch", "must be a whole number");
    epoch = Number(epochText);
  }
  const extra: Array<[string, FrontValue]> = [];
  for (const [k, v] of d) if (!KNOWN.has(k)) extra.push([k, v]);
  extra.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  return {
    id,
    title,
    status: status as Status,
    priority: priority as Priority,
    created: timestamp("created", true)!,
    created_by: scalar("created_by", false),
    claimed_by: scalar("claimed_by", false),
    claimed_at: timestamp("claimed_at", false),
    labels: list("labels"),
    branch: scalar("branch", false),
    files: list("files"),
    depends_on: depends,
    updated: timestamp("updated", false),
    claim_epoch: epoch,
    extra,
    body: doc.body,
  };
}

/** Serialises a ticket deterministically (LF, fixed key order, trailing newline). */
export function serializeTicket(t: Ticket): string {
  const entries: Array<[string, FrontValue | number]> = [
    ["id", t.id],
    ["title", t.title],
    ["status", t.status],
    ["priority", t.priority],
    ["created", t.created],
    ["created_by", t.created_by],
    ["claimed_by", t.claimed_by],
    ["claimed_at", t.claimed_at],
    ["labels", t.labels],
    ["branch", t.branch],
    ["files", t.files],
    ["depends_on", t.depends_on],
    ["updated", t.updated],
    ["claim_epoch", t.claim_epoch],
    ...t.extra,
  ];
  const body = t.body === "" || t.body.endsWith("\n") ? t.body : t.body + "\n";
  return formatFrontMatter(entries) + body;
}

const DESCRIPTION = "## Description\n\n";
const CRITERIA = "\n\n## Acceptance Criteria\n";
const WORK_LOG = "## Work Log\n";

/** The body of a new ticket holding `description` (and `acceptance`) verbatim. */
export function newTicketBody(description: string, acceptance = ""): string {
  return `\n${DESCRIPTION}${description}${CRITERIA}${criteriaBlock(acceptance)}${WORK_LOG}`;
}

/** What sits between the Acceptance Criteria heading and the Work Log heading. */
function criteriaBlock(acceptance: string): string {
  return acceptance === "" ? "\n" : `\n${acceptance}\n\n`;
}

/** Index of the `## Work Log` heading at a line start at or after `from`, or -1. */
function workLogAt(body: string, from: number): number {
  for (let i = body.indexOf(WORK_LOG, from); i !== -1; i = body.indexOf(WORK_LOG, i + 1)) {
    if (i === 0 || body[i - 1] === "\n") return i;
  }
  return -1;
}

/**
 * `body` with its description replaced by `description` (verbatim, as `create --body` writes
 * it); the Acceptance Criteria, the Work Log and anything else stay as they are. A body
 * without a `## Description` section (hand-written) has the text before its first section of
 * ours replaced: that text was its description.
 */
export function withDescription(body: string, description: string): string {
  const head = body.indexOf(DESCRIPTION);
  const criteria = body.lastIndexOf(CRITERIA);
  if (head !== -1 && criteria >= head + DESCRIPTION.length) {
    return body.slice(0, head + DESCRIPTION.length) + description + body.slice(criteria);
  }
  const start = head === -1 ? 0 : head + DESCRIPTION.length;
  let end = criteria >= start ? criteria : workLogAt(body, start);
  if (end === -1) end = body.length;
  const tail = body.slice(end);
  const prefix = head === -1 ? `\n${DESCRIPTION}` : body.slice(0, start);
  if (criteria >= start) return prefix + description + tail;
  // No Acceptance Criteria section to end the description: add an empty one (and the Work Log).
  return prefix + description + CRITERIA + criteriaBlock("") + (tail === "" ? WORK_LOG : tail);
}

/** The Acceptance Criteria of a body (trimmed of blank lines around it), or null without one. */
export function acceptanceOf(body: string): string | null {
  const criteria = body.lastIndexOf(CRITERIA);
  if (criteria === -1) return null;
  const start = criteria + CRITERIA.length;
  const end = workLogAt(body, start);
  return body.slice(start, end === -1 ? body.length : end).replace(/^\n+/, "").replace(
    /\n+$/,
    "",
  );
}

/**
 * `body` with its Acceptance Criteria replaced by `acceptance` (empty clears them); the section
 * is added before the Work Log (or at the end) when missing.
 */
export function withAcceptance(body: string, acceptance: string): string {
  const criteria = body.lastIndexOf(CRITERIA);
  if (criteria !== -1) {
    const start = criteria + CRITERIA.length;
    const end = workLogAt(body, start);
    return body.slice(0, start) + criteriaBlock(acceptance) +
      (end === -1 ? WORK_LOG : body.slice(end));
  }
  const log = workLogAt(body, 0);
  const before = (log === -1 ? body : body.slice(0, log)).replace(/\n+$/, "");
  return before + CRITERIA + criteriaBlock(acceptance) + (log === -1 ? WORK_LOG : body.slice(log));
}

/** The description section of a body, exactly as given at creation, or null. */
export function descriptionOf(body: string): string | null {
  const start = body.indexOf(DESCRIPTION);
  const end = body.lastIndexOf(CRITERIA);
  if (start === -1 || end === -1 || end < start + DESCRIPTION.length) {
    return start === -1 ? null : body.slice(start + DESCRIPTION.length).replace(/\n+$/, "");
  }
  return body.slice(start + DESCRIPTION.length, end);
}

/** One Work Log entry. */
export interface LogEntry {
  at: string;
  agent: string;
  message: string;
}

const ENTRY = /^- (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) \[([^\]\n]*)\] ?(.*)$/;

/** Formats a Work Log entry: continuation lines are indented so no line can become a heading. */
export function formatLogEntry(e: LogEntry): string {
  const lines = e.message.split("\n");
  return `- ${e.at} [${e.agent}] ${lines[0]}` +
    lines.slice(1).map((l) => (l === "" ? "\n" : `\n  ${l}`)).join("") + "\n";
}

/** Appends a Work Log entry to a body, adding the section when it is missing. */
export function appendLogEntry(body: string, e: LogEntry): string {
  let out = body === "" || body.endsWith("\n") ? body : body + "\n";
  const idx = out.lastIndexOf(WORK_LOG);
  if (idx === -1) out += `\n${WORK_LOG}\n`;
  else if (idx + WORK_LOG.length === out.length) out += "\n";
  return out + formatLogEntry(e);
}

/** The Work Log entries of a body, oldest first. */
export function logEntriesOf(body: string): LogEntry[] {
  const idx = body.lastIndexOf(WORK_LOG);
  if (idx === -1) return [];
  const entries: LogEntry[] = [];
  for (const line of body.slice(idx + WORK_LOG.length).split("\n")) {
    const m = ENTRY.exec(line);
    if (m) entries.push({ at: m[1], agent: m[2], message: m[3] });
    else if (entries.length > 0 && (line.startsWith("  ") || line === "")) {
      entries[entries.length - 1].message += "\n" + line.slice(2);
    }
  }
  for (const e of entries) e.message = e.message.replace(/\n+$/, "");
  return entries;
}
