/**
 * `track search`: tickets and board posts by words and id fragments, ranked. Reads only: titles
 * and fields come from the verified metadata cache (src/store/ticket_cache.ts), a ticket's file
 * is read only when its body or Work Log is searched, so the answer is never stale.
 */
import { readSummaries } from "../store/ticket_cache.ts";
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

function bodyOf(store: Store, id: string): string | null {
  let text: string | null;
  try {
    // Listed as a regular file by readSummaries (a link there is a problem, not a ticket).
    const path = store.ticketPath(id);
    text = readKnownFile(path, store.display(path));
  } catch {
    return null; // Unreadable: list and doctor report it.
  }
  if (text === null) return null;
  const end = text.indexOf("\n---\n", 3);
  return end === -1 ? null : text.slice(end + 5);
}

/** Searches the store (reads only; takes no lock). */
export function searchStore(store: Store, input: SearchInput): SearchResult {
  const q = parseQuery(input.query);
  const limit = input.limit ?? 50;
  const warnings: string[] = [];
  const ranked: Array<{ hit: SearchHit; rank: number; order: number }> = [];
  if (q.terms.length === 0) return { hits: [], total: 0, warnings };
  const { tickets, problems } = readSummaries(store);
  for (const p of problems) warnings.push(`skipping ${p.error.message}`);
  const passes = (t: TicketSummary) =>
    (input.status === undefined || t.status === input.status) &&
    (input.label === undefined || t.labels.includes(input.label));
  const needBody = input.fields.has("body") || input.fields.has("log");
  const byId = new Map<string, TicketSummary>();
  for (const t of tickets) {
    byId.set(t.id, t);
    if (!passes(t)) continue;
    let parts: { body?: string; log?: string } = {};
    if (!needBody) {
      if (!mayMatchWithoutBody(q, t)) continue;
    } else {
      const body = bodyOf(store, t.id);
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
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return { hits: ranked.slice(0, limit).map((r) => r.hit), total: ranked.length, warnings };
}
