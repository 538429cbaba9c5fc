/**
 * `track search`: tickets and board posts by words and id fragments, ranked. Reads only: titles
 * and fields come from the verified metadata cache (src/store/ticket_cache.ts), a ticket's file
 * is read only when its body or Work Log is searched and the word index (src/store/word_index.ts)
 * cannot rule it out; every index entry is checked against the hash of the ticket's current text,
 * so the answer is never stale.
 */
import { CACHE_MIN_TICKETS, READER_REFRESH_MIN, readSummaries } from "../store/ticket_cache.ts";
import {
  bodyOfText,
  loadWordIndex,
  recordFromReader,
  WordMatcher,
  type WordRow,
  wordRow,
} from "../store/word_index.ts";
import type { Store } from "../store/store.ts";
import type { TicketSummary } from "../model/ticket.ts";
import {
  type Match,
  matchBoard,
  matchTicket,
  mayMatch,
  mayMatchWithoutBody,
  parseQuery,
  type SearchField,
  splitBody,
} from "../model/search.ts";
import type { Status } from "../model/transitions.ts";
import { idNumber } from "../model/ids.ts";
import { readBoard } from "./board.ts";
import { readKnownFile } from "../store/read.ts";

/** What to search. */
export interface SearchInput {
  query: string;
  fields: ReadonlySet<SearchField>;
  status?: Status;
  label?: string;
  /** At most this many results (default 50). */
  limit?: number;
}

/** One result: a ticket or a board post, with the matching line. */
export type SearchHit =
  | {
    kind: "ticket";
    id: string;
    title: string;
    status: Status;
    field: Match["field"];
    line: string;
  }
  | {
    kind: "board";
    id: string;
    at: string;
    agent: string;
    ticket: string | null;
    field: "board";
    line: string;
  };

/** Results best first, how many matched in all, and files skipped. */
export interface SearchResult {
  hits: SearchHit[];
  total: number;
  warnings: string[];
}

function textOf(store: Store, id: string): string | null {
  try {
    // Listed as a regular file by readSummaries (a link there is a problem, not a ticket).
    const path = store.ticketPath(id);
    return readKnownFile(path, store.display(path));
  } catch {
    return null; // Unreadable: list and doctor report it.
  }
}

/**
 * What the word index says of ticket `t`, whose current text has the hash `hash`: "out" when
 * some term is in neither its title, its id, nor (by the index) its body, so it cannot match;
 * "maybe" when it may; "unknown" when the index has no entry for that text (the file must be
 * read, and its row is worth recording).
 */
function indexSays(
  q: ReturnType<typeof parseQuery>,
  t: TicketSummary,
  hash: number | undefined,
  matcher: WordMatcher,
): "out" | "maybe" | "unknown" {
  const n = idNumber(t.id);
  if (hash === undefined || n === null) return "unknown";
  const inBody = matcher.termsIn(n, hash);
  if (inBody === null) return "unknown";
  if (q.id === t.id) return "maybe";
  const head = `${t.title}\n${t.id}`.toLowerCase();
  return q.terms.some((term, i) => !inBody[i] && !head.includes(term)) ? "out" : "maybe";
}

/** Searches the store (reads only; takes no lock). */
export function searchStore(store: Store, input: SearchInput): SearchResult {
  const q = parseQuery(input.query);
  const limit = input.limit ?? 50;
  const warnings: string[] = [];
  const ranked: Array<{ hit: SearchHit; rank: number; order: number }> = [];
  if (q.terms.length === 0) return { hits: [], total: 0, warnings };
  const needBody = input.fields.has("body") || input.fields.has("log");
  const hashes: number[] = [];
  const { tickets, problems } = readSummaries(store, { hashes: needBody ? hashes : undefined });
  for (const p of problems) warnings.push(`skipping ${p.error.message}`);
  const passes = (t: TicketSummary) =>
    (input.status === undefined || t.status === input.status) &&
    (input.label === undefined || t.labels.includes(input.label));
  // Hashes of every ticket's current text come only with the metadata cache in use.
  const indexed = needBody && hashes.length === tickets.length;
  const index = indexed ? loadWordIndex(store) : null;
  const matcher = index === null ? null : new WordMatcher(index, q.terms);
  // Rows for the files read here, recorded for the next search when there are many.
  const rows: WordRow[] = [];
  const byId = new Map<string, TicketSummary>();
  for (const [i, t] of tickets.entries()) {
    byId.set(t.id, t);
    if (!passes(t)) continue;
    let parts: { body?: string; log?: string } = {};
    if (!needBody) {
      if (!mayMatchWithoutBody(q, t)) continue;
    } else {
      const says = matcher === null ? "unknown" : indexSays(q, t, hashes[i], matcher);
      if (says === "out") continue;
      const text = textOf(store, t.id);
      const n = idNumber(t.id);
      if (indexed && says === "unknown" && text !== null && n !== null) {
        rows.push(wordRow(n, text));
      }
      const body = text === null ? null : bodyOfText(text);
      // Most tickets hold not every word anywhere: one lowercase pass rules them out.
      if (body !== null && !mayMatch(q, t, body)) continue;
      if (body !== null) {
        const split = splitBody(body);
        parts = {
          body: input.fields.has("body") ? split.body : undefined,
          log: input.fields.has("log") ? split.log : undefined,
        };
      }
    }
    const m = matchTicket(q, t, parts, input.fields);
    if (m === null) continue;
    ranked.push({
      hit: {
        kind: "ticket",
        id: t.id,
        title: t.title,
        status: t.status,
        field: m.field,
        line: m.line,
      },
      rank: m.rank,
      // Newer tickets first within a rank.
      order: -(idNumber(t.id) ?? 0),
    });
  }
  if (input.fields.has("board")) {
    const filtered = input.status !== undefined || input.label !== undefined;
    const board = readBoard(store, { last: Number.MAX_SAFE_INTEGER });
    warnings.push(...board.warnings);
    board.entries.forEach((e, i) => {
      if (e.kind === "event") return; // Events repeat what tickets say.
      if (filtered) {
        const t = e.ticket === null ? undefined : byId.get(e.ticket);
        if (t === undefined || !passes(t)) return;
      }
      const m = matchBoard(q, e.message);
      if (m === null) return;
      ranked.push({
        hit: {
          kind: "board",
          id: e.id,
          at: e.at,
          agent: e.agent,
          ticket: e.ticket,
          field: "board",
          line: m.line,
        },
        rank: m.rank,
        // Newest posts first.
        order: -i,
      });
    });
  }
  if (rows.length >= READER_REFRESH_MIN && tickets.length >= CACHE_MIN_TICKETS) {
    recordFromReader(store, rows, tickets.map((t) => idNumber(t.id) ?? -1));
  }
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return { hits: ranked.slice(0, limit).map((r) => r.hit), total: ranked.length, warnings };
}
