/**
 * Search, the pure half: a query's terms, where in a ticket they occur (title, body, Work Log),
 * the matching line, and the ranking (an id or title match above a body match above a Work Log
 * match; board posts rank with the Work Log). `track search`, MCP and the dashboard share it.
 */
import { normalizeId } from "./ids.ts";

/** Where a match was found, best first. */
export const SEARCH_FIELDS = ["title", "body", "log", "board"] as const;
/** A searchable field. */
export type SearchField = typeof SEARCH_FIELDS[number];

/** Rank of each field: lower is better (an id match is 0). */
const FIELD_RANK: Record<SearchField | "id", number> = {
  id: 0,
  title: 1,
  body: 2,
  log: 3,
  board: 4,
};

/** A parsed query: lowercase words (all must match), and the ticket id it may name. */
export interface Query {
  terms: string[];
  /** Canonical id when the whole query is one id (`T-12`, `t-0012`, `12`), else null. */
  id: string | null;
}

/** Splits a query into lowercase words (whitespace separated); empty words dropped. */
export function parseQuery(text: string): Query {
  const terms = [...new Set(text.toLowerCase().split(/\s+/).filter((w) => w !== ""))];
  return { terms, id: terms.length === 1 ? normalizeId(terms[0]) : null };
}

/** One match: the field, the line holding the most terms (trimmed), and its rank. */
export interface Match {
  field: SearchField | "id";
  line: string;
  rank: number;
}

const MAX_LINE = 200;

function clip(line: string, at: number): string {
  const t = line.trim();
  if (t.length <= MAX_LINE) return t;
  const start = Math.max(0, Math.min(at - 60, t.length - MAX_LINE));
  return (start > 0 ? "…" : "") + t.slice(start, start + MAX_LINE) + "…";
}

/** The line of `text` holding the most terms (the first such), or null when none holds any. */
export function bestLine(text: string, terms: readonly string[]): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const line of text.split("\n")) {
    const lower = line.toLowerCase();
    let count = 0;
    let at = -1;
    for (const t of terms) {
      const i = lower.indexOf(t);
      if (i !== -1) {
        count++;
        if (at === -1) at = i;
      }
    }
    if (count > bestCount) {
      bestCount = count;
      best = clip(line, at);
      if (count === terms.length) break;
    }
  }
  return best;
}

/** Whether every term occurs in `lower` (already lowercased). */
export function hasAll(lower: string, terms: readonly string[]): boolean {
  return terms.every((t) => lower.includes(t));
}

/**
 * A ticket split for search: the body before the Work Log, and the Work Log without the entries'
 * timestamps (`[agent] message` lines: a digit of a time is no match).
 */
export function splitBody(body: string): { body: string; log: string } {
  const i = body.lastIndexOf("## Work Log\n");
  if (i === -1) return { body, log: "" };
  const log = body.slice(i + 12).replace(/^- \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z /gm, "");
  return { body: body.slice(0, i), log };
}

/**
 * The best match of `q` in a ticket, or null. Every term must occur in the ticket's searched
 * fields taken together; the match is the best-ranked field holding any term. An id match (the
 * query names this ticket, or a term is a fragment of its id like `t-12`) ranks first.
 */
export function matchTicket(
  q: Query,
  t: { id: string; title: string },
  parts: { body?: string; log?: string },
  fields: ReadonlySet<SearchField>,
): Match | null {
  if (q.terms.length === 0) return null;
  const id = t.id.toLowerCase();
  if (
    q.id === t.id || (q.terms.length === 1 && /^t-\d+$/.test(q.terms[0]) && id.includes(q.terms[0]))
  ) {
    return { field: "id", line: t.title, rank: FIELD_RANK.id };
  }
  const texts: Array<[SearchField, string]> = [];
  if (fields.has("title")) texts.push(["title", t.title]);
  if (fields.has("body") && parts.body !== undefined) texts.push(["body", parts.body]);
  if (fields.has("log") && parts.log !== undefined) texts.push(["log", parts.log]);
  const lowered = texts.map(([f, s]) => [f, s, s.toLowerCase()] as const);
  // Every term somewhere (the id counts for terms naming it).
  const all = lowered.map((x) => x[2]).join("\n") + "\n" + id;
  if (!hasAll(all, q.terms)) return null;
  for (const [field, text, lower] of lowered) {
    if (!q.terms.some((term) => lower.includes(term))) continue;
    return { field, line: bestLine(text, q.terms) ?? "", rank: FIELD_RANK[field] };
  }
  return { field: "id", line: t.title, rank: FIELD_RANK.id };
}

/** The match of `q` in a board message, or null (every term must occur in it). */
export function matchBoard(q: Query, message: string): Match | null {
  if (q.terms.length === 0 || !hasAll(message.toLowerCase(), q.terms)) return null;
  return { field: "board", line: bestLine(message, q.terms) ?? "", rank: FIELD_RANK.board };
}

/** Whether a ticket could match on its title and id alone, before any body is read. */
export function mayMatchWithoutBody(q: Query, t: { id: string; title: string }): boolean {
  const lower = t.title.toLowerCase() + "\n" + t.id.toLowerCase();
  return hasAll(lower, q.terms);
}

/**
 * Whether a ticket could match with its body taken whole (a quick test: false means no match
 * whatever fields are searched; an id term is caught by {@linkcode matchTicket}).
 */
export function mayMatch(q: Query, t: { id: string; title: string }, body: string): boolean {
  if (q.id === t.id) return true;
  return hasAll(`${t.title}\n${t.id}\n${body}`.toLowerCase(), q.terms);
}

/** Parses `--in title,body,log,board`; throws a message naming a bad field. */
export function parseFields(list: readonly string[]): Set<SearchField> | string {
  if (list.length === 0) return new Set(SEARCH_FIELDS);
  for (const f of list) {
    if (!(SEARCH_FIELDS as readonly string[]).includes(f)) {
      return `Unknown field "${f}" for --in: expected ${SEARCH_FIELDS.join(", ")}`;
    }
  }
  return new Set(list as SearchField[]);
}
