/**
 * `track cost`: time and token cost per ticket, agent, label or parent, computed at report time
 * from the board's events (who held which ticket when, status changes) and the Claude Code
 * transcripts recorded on agent records (`transcripts`, by the hooks). A read: it writes nothing.
 * The pure rules are src/model/cost.ts and src/model/prices.ts; docs/agents.md "Time and cost".
 */
import {
  addTokens,
  BUDGET_CROSSED_KEY,
  BUDGET_KEY,
  formatBudget,
  type HoldEvent,
  noTokens,
  overBudget,
  parseBudget,
  parseTranscript,
  spanAt,
  spansOf,
  type StatusEvent,
  statusTimes,
  type Tokens,
  totalTokens,
  type UsageRecord,
} from "../model/cost.ts";
import { badDataError } from "../model/errors.ts";
import { checkPrices, costOf, type Price, priceFor, PRICES } from "../model/prices.ts";
import type { TicketSummary } from "../model/ticket.ts";
import { HELD_STATUSES } from "../model/holding.ts";
import type { Status } from "../model/transitions.ts";
import { readAgent, readAllAgents, writeAgent } from "../store/agent_records.ts";
import { unsafeInLine } from "../model/text.ts";
import { usageError } from "../model/errors.ts";
import { isoSeconds } from "../model/time.ts";
import type { Budget } from "../model/cost.ts";
import { withExtra } from "../model/verify.ts";
import { postEntry } from "./board.ts";
import type { Store, Tx } from "../store/store.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { type BoardEntry, readBoard } from "./board.ts";

/** How `track cost` groups. */
export type CostGrouping = "ticket" | "agent" | "label" | "parent";
/** The groupings, for the flag's choices. */
export const COST_GROUPINGS: readonly CostGrouping[] = ["ticket", "agent", "label", "parent"];

/** One row of the report. */
export interface CostRow {
  key: string;
  tokens: Tokens & { total: number };
  /** Dollars for the priced tokens; null when none could be priced. */
  cost_usd: number | null;
  /** Tokens of models the price table does not know (counted, not priced). */
  unpriced_tokens: number;
  /** Milliseconds in each status (tickets) or held (agents: `held`). */
  time_ms: Record<string, number>;
  /** The ticket's budget (`--by ticket` only), or null. */
  budget: string | null;
  /** Whether the row is past its budget. */
  over_budget: boolean;
}

/** The whole report. */
export interface CostReport {
  by: CostGrouping;
  rows: CostRow[];
  /** Every model call read, attributed or not: rows of `ticket` plus `unattributed` sum to it. */
  total: CostRow;
  /** Calls made while the agent held no ticket. */
  unattributed: CostRow;
  warnings: string[];
}

function emptyRow(key: string): CostRow {
  return {
    key,
    tokens: { ...noTokens(), total: 0 },
    cost_usd: null,
    unpriced_tokens: 0,
    time_ms: {},
    budget: null,
    over_budget: false,
  };
}

function addRecord(row: CostRow, r: UsageRecord, prices: Record<string, Price>): void {
  addTokens(row.tokens, r);
  row.tokens.total += totalTokens(r);
  const price = priceFor(r.model, prices);
  if (price === null) row.unpriced_tokens += totalTokens(r);
  else row.cost_usd = (row.cost_usd ?? 0) + costOf(r, price);
}

/** The price table: the built-in one with config.json's `"prices"` merged over it. */
export function priceTable(store: Store): Record<string, Price> {
  const { raw, display } = store.checkConfig();
  if (raw.prices === undefined) return { ...PRICES };
  const problem = checkPrices(raw.prices);
  if (problem !== null) throw badDataError(display, problem);
  return { ...PRICES, ...(raw.prices as Record<string, Price>) };
}

/**
 * Who held which ticket when, and status changes, from board events (oldest first). Holding is
 * src/model/holding.ts's: a ticket is held by its claimer while \`claimed\` or \`in-progress\`; a
 * move to review, done or backlog (or a reclaim, an archive) ends it, a move back resumes it.
 */
export function historyOf(entries: readonly BoardEntry[]): {
  holds: HoldEvent[];
  statuses: StatusEvent[];
} {
  const holds: HoldEvent[] = [];
  const statuses: StatusEvent[] = [];
  const claimer = new Map<string, string>();
  for (const e of entries) {
    if (e.kind !== "event" || e.ticket === null) continue;
    const at = Date.parse(e.at);
    if (e.tag === "claimed") {
      claimer.set(e.ticket, e.agent);
      holds.push({ at, ticket: e.ticket, agent: e.agent });
      statuses.push({ at, ticket: e.ticket, to: "claimed" });
    } else if (e.tag === "status" || e.tag === "reclaimed") {
      // "T-0001: in-progress -> review" (a pass-through names each step; the last one counts).
      const to = /-> ([a-z-]+)(?: \(|$)/.exec(e.message.split("\n")[0]);
      if (to === null) continue;
      const status = to[1] as Status;
      statuses.push({ at, ticket: e.ticket, to: status });
      const held = HELD_STATUSES.includes(status) ? claimer.get(e.ticket) ?? null : null;
      holds.push({ at, ticket: e.ticket, agent: held });
    } else if (e.tag === "archived") {
      holds.push({ at, ticket: e.ticket, agent: null });
    }
  }
  return { holds, statuses };
}

/** Transcript paths recorded on an agent record (`transcripts`). */
export function transcriptsOf(extra: Record<string, unknown>): string[] {
  const v = extra.transcripts;
  return Array.isArray(v) ? v.filter((p): p is string => typeof p === "string") : [];
}

function parentOf(t: TicketSummary, all: readonly TicketSummary[]): string {
  // The lowest-numbered ticket that depends on it: one parent each, so nothing counts twice.
  const dependents = all.filter((o) => o.depends_on.includes(t.id)).map((o) => o.id).sort();
  return dependents[0] ?? "(none)";
}

/**
 * A transcript's text, or why it was not read. The path comes from an agent record, a file others
 * may commit: only a regular file is read (a directory, /dev/zero or a FIFO named there would
 * fail or never end), and any failure to read it is a reason, never the command's error.
 */
async function readTranscript(path: string): Promise<string | { reason: string }> {
  let file: Deno.FsFile;
  try {
    // Checked before opening too: opening a FIFO waits for a writer.
    if (!(await Deno.stat(path)).isFile) return { reason: "not a regular file" };
    file = await Deno.open(path, { read: true });
  } catch (e) {
    return { reason: e instanceof Deno.errors.NotFound ? "missing" : (e as Error).message };
  }
  try {
    if (!(await file.stat()).isFile) return { reason: "not a regular file" };
    return new TextDecoder().decode(await new Response(file.readable).arrayBuffer());
  } catch (e) {
    return { reason: (e as Error).message };
  } finally {
    try {
      file.close();
    } catch {
      // Closed by reading it to the end.
    }
  }
}

/** Builds the report (reads only). */
export async function costReport(
  store: Store,
  options: { by: CostGrouping; now: Date },
): Promise<CostReport> {
  const warnings: string[] = [];
  const prices = priceTable(store);
  const { tickets, problems } = readSummaries(store);
  for (const p of problems) warnings.push(`warning: ${p.error.message}`);
  const board = readBoard(store, { last: Number.POSITIVE_INFINITY });
  warnings.push(...board.warnings);
  const { holds, statuses } = historyOf(board.entries);
  const spans = spansOf(holds);
  const now = options.now.getTime();

  // Model calls per agent, deduplicated across its transcripts (a resumed session repeats ids).
  const calls: Array<{ agent: string; rec: UsageRecord }> = [];
  for (const agent of readAllAgents(store).agents) {
    const seen = new Set<string>();
    for (const path of transcriptsOf(agent.extra)) {
      const text = await readTranscript(path);
      if (typeof text !== "string") {
        warnings.push(
          `warning: transcript of "${agent.id}" not readable (${text.reason}): ${path}`,
        );
        continue;
      }
      const parsed = parseTranscript(text);
      if (parsed.skipped > 0) {
        warnings.push(`warning: ${parsed.skipped} unreadable line(s) skipped in ${path}`);
      }
      for (const rec of parsed.records) {
        if (seen.has(rec.id)) continue;
        seen.add(rec.id);
        calls.push({ agent: agent.id, rec });
      }
    }
  }

  const byId = new Map(tickets.map((t) => [t.id, t]));
  const keysOf = (ticket: string | null, agent: string): string[] => {
    if (options.by === "agent") return [agent];
    if (ticket === null) return [];
    const t = byId.get(ticket);
    if (options.by === "ticket") return [ticket];
    if (t === undefined) return ["(archived)"];
    if (options.by === "label") return t.labels.length === 0 ? ["(none)"] : t.labels;
    return [parentOf(t, tickets)];
  };
  const rows = new Map<string, CostRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (r === undefined) rows.set(key, r = emptyRow(key));
    return r;
  };
  const total = emptyRow("total");
  const unattributed = emptyRow("unattributed");
  for (const { agent, rec } of calls) {
    addRecord(total, rec, prices);
    const span = spanAt(spans, agent, rec.at);
    if (span === null) addRecord(unattributed, rec, prices);
    for (const key of keysOf(span?.ticket ?? null, agent)) addRecord(row(key), rec, prices);
  }

  // Time: per ticket in each status; per agent the time it held tickets.
  if (options.by === "agent") {
    for (const s of spans) {
      const r = row(s.agent);
      r.time_ms.held = (r.time_ms.held ?? 0) + ((s.to ?? now) - s.from);
    }
  } else {
    const created = new Map(
      tickets.map((t) => [t.id, { at: Date.parse(t.created), status: t.status }]),
    );
    const times = statusTimes(created, statuses, now);
    for (const t of tickets) {
      for (const key of keysOf(t.id, "")) {
        const r = row(key);
        for (const [status, ms] of Object.entries(times.get(t.id) ?? {})) {
          r.time_ms[status] = (r.time_ms[status] ?? 0) + ms;
        }
      }
    }
  }
  if (options.by === "ticket") {
    for (const t of tickets) {
      const b = budgetOf(t);
      if (b === null) continue;
      const r = row(t.id);
      r.budget = formatBudget(b);
      r.over_budget = overBudget(b, r.tokens.total, r.cost_usd);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { by: options.by, rows: sorted, total, unattributed, warnings };
}

/**
 * Records a transcript path on an agent record (`transcripts`), for `track cost` to read later.
 * A no-op when it is there already or the agent is unknown. Called by the Claude Code hooks.
 */
export async function recordTranscript(
  store: Store,
  agent: string,
  path: string,
): Promise<void> {
  const known = (a: { extra: Record<string, unknown> } | null) =>
    a === null || transcriptsOf(a.extra).includes(path);
  if (path === "" || path.length > 4096 || unsafeInLine(path) !== null) return;
  // Cheap check first: most hook calls find the path recorded and take no lock.
  if (known(readAgent(store, agent))) return;
  await store.mutate("hook transcript", (tx: Tx) => {
    const a = tx.readAgent(agent);
    if (a === null || known(a)) return;
    writeAgent(tx, { ...a, extra: { ...a.extra, transcripts: [...transcriptsOf(a.extra), path] } });
  });
}

/** A ticket's budget, or null (also for a stored value that does not parse). */
export function budgetOf(t: TicketSummary): Budget | null {
  const v = t.extra.find(([k]) => k === BUDGET_KEY)?.[1];
  return typeof v === "string" ? parseBudget(v) : null;
}

/**
 * `t` with budget `text` (`--budget`: `200k` tokens, `$5`; `none` removes it). A new budget
 * forgets that an old one was crossed. Throws a usage error on a value that is neither.
 */
export function withBudget<T extends TicketSummary>(t: T, text: string | undefined): T {
  if (text === undefined) return t;
  let next = withExtra(t, BUDGET_CROSSED_KEY, null);
  if (text.trim().toLowerCase() === "none") return withExtra(next, BUDGET_KEY, null);
  const b = parseBudget(text);
  if (b === null) {
    throw usageError(
      `Invalid budget ${
        JSON.stringify(text.slice(0, 40))
      }: give tokens (200000, 200k, 1.5m) or dollars ($5)`,
      `track update ${t.id} --budget 200k`,
    );
  }
  next = withExtra(next, BUDGET_KEY, formatBudget(b));
  return next;
}

/**
 * After an agent's command on ticket `id`: when the ticket has a budget its recorded sessions
 * have now crossed, and that was not yet said, records \`budget_crossed\` on the ticket and posts
 * a \`budget\` event to the board; returns the warning for the agent's stderr (null otherwise, and
 * without reading any transcript when the ticket has no budget).
 */
export async function checkBudget(
  store: Store,
  id: string,
  options: { agent: string | null; now: Date },
): Promise<string | null> {
  const first = store.tryReadTicket(id);
  if (first === null || budgetOf(first) === null) return null;
  if (first.extra.some(([k]) => k === BUDGET_CROSSED_KEY)) return null;
  const report = await costReport(store, { by: "ticket", now: options.now });
  const r = report.rows.find((x) => x.key === id);
  if (r === undefined || !r.over_budget) return null;
  const spent = `${r.tokens.total} tokens` +
    (r.cost_usd === null ? "" : `, $${r.cost_usd.toFixed(2)}`);
  const message = `${id} is over its budget of ${r.budget}: ${spent} so far`;
  const posted = await store.mutate(`budget ${id}`, (tx) => {
    const t = tx.readTicket(id);
    if (t.extra.some(([k]) => k === BUDGET_CROSSED_KEY) || budgetOf(t) === null) return false;
    const at = isoSeconds(options.now);
    tx.writeTicket({ ...withExtra(t, BUDGET_CROSSED_KEY, `${at} ${spent}`), updated: at });
    postEntry(tx, {
      at: options.now,
      agent: options.agent ?? "human",
      ticket: id,
      tag: "budget",
      kind: "event",
      message,
    });
    return true;
  });
  return posted ? `warning: ${message} (hint: track cost --by ticket)` : null;
}
