/**
 * Time and cost per ticket, the pure half (docs/agents.md "Time and cost"): token use read from
 * Claude Code transcripts, the spans during which an agent held a ticket (from the board's
 * events), the attribution of each model call to exactly one span, and time in each status.
 */

/** Token counts of model calls. */
export interface Tokens {
  input: number;
  output: number;
  cache_write: number;
  cache_read: number;
}

/** One model call read from a transcript (after deduplication). */
export interface UsageRecord extends Tokens {
  /** `message.id`, else `requestId`, else `line:<n>`. */
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  model: string;
}

/** Zero tokens. */
export function noTokens(): Tokens {
  return { input: 0, output: 0, cache_write: 0, cache_read: 0 };
}

/** Adds `b` into `a`. */
export function addTokens(a: Tokens, b: Tokens): void {
  a.input += b.input;
  a.output += b.output;
  a.cache_write += b.cache_write;
  a.cache_read += b.cache_read;
}

/** Every token counted, of any kind. */
export function totalTokens(t: Tokens): number {
  return t.input + t.output + t.cache_write + t.cache_read;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

/**
 * The model calls of a Claude Code transcript (JSONL, one JSON object per line). Lines whose
 * `message.usage` is an object count; streaming writes one line per content block of a message,
 * each repeating its usage, so lines are grouped by `message.id` (else `requestId`) and one line
 * per group counts: the last one with a `stop_reason`, else the last one. `<synthetic>` messages
 * (written by Claude Code itself, no call made) and unparseable lines are skipped.
 */
export function parseTranscript(text: string): { records: UsageRecord[]; skipped: number } {
  const byId = new Map<string, { rec: UsageRecord; stopped: boolean }>();
  let skipped = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "" || !line.includes('"usage"')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      skipped++; // a line cut short by a crash, or not JSON: never fatal
      continue;
    }
    const msg = o?.message as Record<string, unknown> | undefined;
    const usage = msg?.usage as Record<string, unknown> | undefined;
    if (typeof usage !== "object" || usage === null) continue;
    const model = typeof msg!.model === "string" ? msg!.model : "unknown";
    if (model === "<synthetic>") continue;
    const at = typeof o.timestamp === "string" ? Date.parse(o.timestamp) : NaN;
    if (Number.isNaN(at)) {
      skipped++;
      continue;
    }
    const id = typeof msg!.id === "string"
      ? msg!.id
      : typeof o.requestId === "string"
      ? `req:${o.requestId}`
      : `line:${i + 1}`;
    const rec: UsageRecord = {
      id,
      at,
      model,
      input: count(usage.input_tokens),
      output: count(usage.output_tokens),
      cache_write: count(usage.cache_creation_input_tokens),
      cache_read: count(usage.cache_read_input_tokens),
    };
    const stopped = typeof msg!.stop_reason === "string";
    const prev = byId.get(id);
    if (prev === undefined) byId.set(id, { rec, stopped });
    else if (stopped || !prev.stopped) {
      // The first line's time stays: the call began then.
      byId.set(id, { rec: { ...rec, at: prev.rec.at }, stopped });
    }
  }
  return { records: [...byId.values()].map((x) => x.rec), skipped };
}

/** A change of who holds a ticket, from the board. */
export interface HoldEvent {
  /** Milliseconds since the epoch. */
  at: number;
  ticket: string;
  /** The new holder, or null when the ticket left every agent's hands. */
  agent: string | null;
}

/** An agent's work on one ticket: [from, to) in ms; `to` null while it lasts. */
export interface Span {
  agent: string;
  ticket: string;
  from: number;
  to: number | null;
}

/**
 * The spans of every agent: at any moment an agent works on at most one ticket, the one it
 * claimed most recently among those it still holds (claiming a second ticket switches to it;
 * finishing that one switches back). `events` in time order.
 */
export function spansOf(events: readonly HoldEvent[]): Span[] {
  const holder = new Map<string, string>(); // ticket -> agent
  const held = new Map<string, string[]>(); // agent -> tickets, most recent last
  const open = new Map<string, Span>(); // agent -> its current span
  const spans: Span[] = [];
  const refresh = (agent: string, at: number) => {
    const current = held.get(agent)?.at(-1) ?? null;
    const span = open.get(agent);
    if (span !== undefined && span.ticket === current) return;
    if (span !== undefined) {
      span.to = at;
      open.delete(agent);
    }
    if (current !== null) {
      const s: Span = { agent, ticket: current, from: at, to: null };
      spans.push(s);
      open.set(agent, s);
    }
  };
  for (const e of events) {
    const before = holder.get(e.ticket) ?? null;
    if (before !== null) {
      held.set(before, (held.get(before) ?? []).filter((t) => t !== e.ticket));
      holder.delete(e.ticket);
    }
    if (e.agent !== null) {
      holder.set(e.ticket, e.agent);
      held.set(e.agent, [...(held.get(e.agent) ?? []), e.ticket]);
      refresh(e.agent, e.at);
    }
    if (before !== null && before !== e.agent) refresh(before, e.at);
  }
  return spans.filter((s) => s.to === null || s.to > s.from);
}

/** The span of `agent` covering `at`, or null. */
export function spanAt(spans: readonly Span[], agent: string, at: number): Span | null {
  for (const s of spans) {
    if (s.agent === agent && s.from <= at && (s.to === null || at < s.to)) return s;
  }
  return null;
}

/** A status change of a ticket, from the board. */
export interface StatusEvent {
  at: number;
  ticket: string;
  to: string;
}

/**
 * Milliseconds each ticket spent in each status, from its creation to `now` (time in done is
 * not counted: it is where work ends). `created` maps ticket ids to creation times.
 */
export function statusTimes(
  created: ReadonlyMap<string, { at: number; status: string }>,
  events: readonly StatusEvent[],
  now: number,
): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const cur = new Map<string, { status: string; since: number }>();
  for (const [id, c] of created) {
    out.set(id, {});
    cur.set(id, { status: "backlog", since: c.at });
  }
  const add = (id: string, status: string, ms: number) => {
    if (status === "done" || ms <= 0) return;
    const r = out.get(id)!;
    r[status] = (r[status] ?? 0) + ms;
  };
  for (const e of events) {
    const c = cur.get(e.ticket);
    if (c === undefined) continue;
    add(e.ticket, c.status, e.at - c.since);
    cur.set(e.ticket, { status: e.to, since: e.at });
  }
  for (const [id, c] of cur) add(id, c.status, now - c.since);
  return out;
}

/** A per-ticket budget: tokens (every kind counted) or US dollars. */
export type Budget = { tokens: number } | { usd: number };

/** Front matter key holding a ticket's budget (`"200000 tokens"` or `"$5.00"`). */
export const BUDGET_KEY = "budget";
/** Front matter key set once the budget was crossed (and the board told). */
export const BUDGET_CROSSED_KEY = "budget_crossed";

/**
 * Parses a budget as typed (`200000`, `200k`, `1.5m` tokens; `$5`, `5usd`) or as stored
 * (`200000 tokens`, `$5.00`); null when it is neither.
 */
export function parseBudget(text: string): Budget | null {
  const t = text.trim().toLowerCase();
  const usd = /^\$(\d+(?:\.\d{1,2})?)$|^(\d+(?:\.\d{1,2})?) ?usd$/.exec(t);
  if (usd !== null) return { usd: Number(usd[1] ?? usd[2]) };
  const tok = /^(\d+(?:\.\d+)?)([km]?)(?: tokens)?$/.exec(t);
  if (tok === null) return null;
  const n = Math.round(Number(tok[1]) * (tok[2] === "k" ? 1e3 : tok[2] === "m" ? 1e6 : 1));
  return n > 0 ? { tokens: n } : null;
}

/** The stored form of a budget. */
export function formatBudget(b: Budget): string {
  return "usd" in b ? `$${b.usd.toFixed(2)}` : `${b.tokens} tokens`;
}

/** Whether `tokens` (costing `usd`, null when unpriced) is past `budget`. */
export function overBudget(b: Budget, tokens: number, usd: number | null): boolean {
  return "usd" in b ? (usd ?? 0) > b.usd : tokens > b.tokens;
}
