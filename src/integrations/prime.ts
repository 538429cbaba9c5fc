/**
 * `prime`: what an agent needs at session start, in at most 40 lines. Reading it never writes;
 * the board read marker (`board_read_at` on the agent record) moves only through
 * {@linkcode markBoardRead}, which the SessionStart hook and `prime --mark-read` call.
 */
import { hasNeeds } from "../model/planning.ts";
import { readAgent, readAllAgents, writeAgent } from "../store/agent_records.ts";
import { agentNow } from "../model/json.ts";
import type { Agent } from "../model/agent.ts";
import { type BoardEntry, readBoard } from "../operations/board.ts";
import { isoSeconds } from "../model/time.ts";
import { readReservations, type Reservation } from "../operations/reservations.ts";
import { patternsOverlap } from "../model/reservation_paths.ts";
import type { Store } from "../store/store.ts";
import { readyTickets } from "../model/ready.ts";
import type { Ticket } from "../model/ticket.ts";
import { heldBy } from "../model/holding.ts";
import { listInbox } from "../operations/inbox.ts";
import { isUnconfirmed, pendingClaims } from "../operations/unconfirmed.ts";

/** Key on the agent record that holds when it last read the board through prime. */
export const READ_MARKER_KEY = "board_read_at";
/** Most lines `renderPrime` prints. */
export const PRIME_MAX_LINES = 40;

const READY_SHOWN = 5;
const POSTS_SHOWN = 6;
/** Without a marker, posts from this far back are "new". */
const DEFAULT_WINDOW_MS = 24 * 3_600_000;

/** Everything prime shows; also the `--json` payload. */
export interface PrimeData {
  agent: string | null;
  registered: boolean;
  session_id: string | null;
  /** `confirmed: false`: a claim granted on this machine that no sync confirmed yet. */
  held: Array<{ id: string; title: string; status: string; confirmed?: false }>;
  /** Whether the store syncs through a remote (prime then says what exits 8 and 9 mean). */
  synced: boolean;
  ready: Array<{ id: string; title: string; priority: string }>;
  ready_total: number;
  /** Ready tickets left out because they need capabilities this agent has not registered. */
  ready_needing: number;
  /** Posts since `posts_since` (newest last), at most a few. */
  posts: Array<{ at: string; agent: string; ticket: string | null; tag: string; message: string }>;
  posts_total: number;
  posts_since: string;
  /** The agent's own reservations, and others' that overlap files of its tickets. */
  reservations: {
    mine: Array<{ path: string; ticket: string; mode: string }>;
    others: Array<{ path: string; agent: string; ticket: string; mode: string }>;
  };
  /** Unread messages addressed to the agent or concerning it (`track inbox`), oldest first. */
  inbox: {
    unread: number;
    messages: Array<
      { id: string; at: string; agent: string; ticket: string | null; tag: string; message: string }
    >;
  };
  commands: string[];
  /** Other active agents inside a tool call or waiting for the person (Claude Code hooks). */
  agents_now: Array<{ agent: string; now: string }>;
}

const INBOX_SHOWN = 5;

/** What a claim's exit 8 and 9 mean, for agents of a store that syncs (also in the protocol). */
export const SYNC_EXITS = [
  "Sync: exit 8 on claim/next = not granted: do not start; the claim was withdrawn.",
  "Sync: exit 9 = granted on this machine, not confirmed: at risk until the next sync " +
  "(marked unconfirmed).",
];

function readMarker(a: Agent | null): number | null {
  const v = a?.extra[READ_MARKER_KEY];
  if (typeof v !== "string") return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** When an entry was written, to the millisecond (its id holds the time; `at` only seconds). */
function entryTime(e: BoardEntry): number {
  const m = /^(\d{4}-\d{2}-\d{2})\/(\d{2})(\d{2})(\d{2})(\d{3})-/.exec(e.id);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : Date.parse(e.at);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}

/**
 * The next commands to suggest. Only a ticket the agent holds gets work commands (update, files,
 * log); any other ticket is only to look at or claim, so prime never leads an agent to act on
 * someone else's ticket.
 */
function primeCommands(agent: string | null, held: Ticket | null, ready: Ticket | null): string[] {
  if (agent === null) {
    return [
      "export TRACK_AGENT=$(track register)",
      "track next --agent $TRACK_AGENT",
    ];
  }
  const as = `--agent ${agent}`;
  if (held === null) {
    return [
      `track next ${as}`,
      ...(ready === null ? [] : [`track show ${ready.id}`, `track claim ${ready.id} ${as}`]),
      `track board ${as} -m "question or note"`,
    ];
  }
  const t = held.id;
  return [
    `track show ${t}`,
    held.status === "claimed"
      ? `track update ${t} --status in-progress ${as}`
      : `track update ${t} --status review ${as}`,
    `track files --add PATH --ticket ${t} ${as}`,
    `track log ${t} ${as} -m "what you did"`,
    `track board --ticket ${t} ${as} -m "question or note"`,
  ];
}

/** Collects prime data for `agent` (null: no identity yet). Pure read. */
export function buildPrime(store: Store, agent: string | null, now: Date): PrimeData {
  const record = agent === null ? null : readAgent(store, agent);
  const tickets = store.readAllTickets().tickets;
  const held: Ticket[] = agent === null ? [] : heldBy(tickets, agent);
  // Routing: only what this agent could take (its registered capabilities cover the needs).
  const allReady = readyTickets(tickets);
  const ready = record === null
    ? allReady
    : allReady.filter((t) => hasNeeds(t, record.capabilities));
  const since = readMarker(record) ?? now.getTime() - DEFAULT_WINDOW_MS;
  const posts = readBoard(store, { last: 200, since: Math.floor(since / 1000) * 1000 }).entries
    .filter((e: BoardEntry) => e.kind === "post" && e.agent !== agent && entryTime(e) > since);
  const all = readReservations(store);
  const myFiles = held.flatMap((t) => t.files);
  const mine = all.filter((r) => r.agent === agent);
  const others = all.filter((r: Reservation) =>
    r.agent !== agent && (mine.some((m) => patternsOverlap(m.path, r.path)) ||
      myFiles.some((f) => patternsOverlap(f, r.path)))
  );
  const inbox = agent === null ? { items: [], unread: 0 } : listInbox(store, agent, { all: false });
  const pending = pendingClaims(store);
  return {
    agent,
    registered: record !== null && record.status === "active",
    session_id: record?.session_id ?? null,
    held: held.map((x) =>
      isUnconfirmed(pending, x)
        ? { id: x.id, title: x.title, status: x.status, confirmed: false as const }
        : { id: x.id, title: x.title, status: x.status }
    ),
    synced: store.synced,
    ready: ready.slice(0, READY_SHOWN).map((x) => ({
      id: x.id,
      title: x.title,
      priority: x.priority,
    })),
    ready_total: ready.length,
    ready_needing: allReady.length - ready.length,
    posts: posts.slice(-POSTS_SHOWN).map((e) => ({
      at: e.at,
      agent: e.agent,
      ticket: e.ticket,
      tag: e.tag,
      message: e.message,
    })),
    posts_total: posts.length,
    posts_since: isoSeconds(new Date(since)),
    reservations: {
      mine: mine.map((r) => ({ path: r.path, ticket: r.ticket, mode: r.mode })),
      others: others.map((r) => ({
        path: r.path,
        agent: r.agent,
        ticket: r.ticket,
        mode: r.mode,
      })),
    },
    inbox: {
      unread: inbox.unread,
      messages: inbox.items.slice(0, INBOX_SHOWN).map(({ entry: e }) => ({
        id: e.id,
        at: e.at,
        agent: e.agent,
        ticket: e.ticket,
        tag: e.tag,
        message: e.message,
      })),
    },
    commands: primeCommands(agent, held[0] ?? null, ready[0] ?? null),
    agents_now: readAllAgents(store).agents
      .filter((a) => a.id !== agent && a.status === "active")
      .map((a) => ({ agent: a.id, now: agentNow(a, now) }))
      .filter((x) => x.now !== ""),
  };
}

/** Renders prime data as at most {@linkcode PRIME_MAX_LINES} lines. */
export function renderPrime(p: PrimeData): string {
  const lines: string[] = [];
  lines.push(
    p.agent === null
      ? "track: you have no agent identity yet (set TRACK_AGENT or pass --agent)"
      : `track: you are ${p.agent}` + (p.session_id ? ` (session ${p.session_id})` : "") +
        (p.registered ? "" : " (not registered: track register --agent " + p.agent + ")"),
  );
  lines.push(
    p.held.length === 0
      ? "Your tickets: none"
      : `Your tickets: ${
        p.held.map((h) =>
          `${h.id} [${h.status}${h.confirmed === false ? ", unconfirmed" : ""}] ${
            oneLine(h.title, 50)
          }`
        ).join("; ")
      }`,
  );
  if (p.synced) lines.push(...SYNC_EXITS);
  if (p.inbox.unread > 0) {
    lines.push(`Unread messages for you (${p.inbox.unread}; track inbox, track ack ID):`);
    for (const m of p.inbox.messages) {
      lines.push(
        `  ${m.id} ${m.agent}${m.ticket ? ` ${m.ticket}` : ""} [${m.tag}] ${
          oneLine(m.message, 60)
        }`,
      );
    }
  }
  lines.push(
    `Ready (${p.ready_total}):` + (p.ready.length === 0 ? " none" : "") +
      (p.ready_needing > 0
        ? ` (${p.ready_needing} more need capabilities you lack: track ready)`
        : ""),
  );
  for (const r of p.ready) lines.push(`  ${r.id} ${r.priority.padEnd(8)} ${oneLine(r.title, 60)}`);
  lines.push(
    `Board posts since ${p.posts_since} (${p.posts_total}):` +
      (p.posts.length === 0 ? " none" : ""),
  );
  if (p.posts_total > p.posts.length) {
    lines.push(`  (${p.posts_total - p.posts.length} older: track board --since ${p.posts_since})`);
  }
  for (const e of p.posts) {
    lines.push(
      `  ${e.at.slice(11, 16)} ${e.agent}${e.ticket ? ` ${e.ticket}` : ""} [${e.tag}] ${
        oneLine(e.message, 70)
      }`,
    );
  }
  const { mine, others } = p.reservations;
  if (mine.length + others.length > 0) {
    lines.push("Reservations:");
    for (const r of mine.slice(0, 4)) lines.push(`  yours: ${r.path} (${r.ticket}, ${r.mode})`);
    if (mine.length > 4) lines.push(`  … ${mine.length - 4} more: track files --list`);
    for (const r of others.slice(0, 4)) {
      lines.push(`  held by ${r.agent}: ${r.path} (${r.ticket}, ${r.mode})`);
    }
    if (others.length > 4) lines.push(`  … ${others.length - 4} more: track files --list`);
  }
  if (p.agents_now.length > 0) {
    lines.push(
      "Others now: " + p.agents_now.slice(0, 3).map((x) => `${x.agent} ${oneLine(x.now, 60)}`)
        .join("; ") +
        (p.agents_now.length > 3 ? ` (+${p.agents_now.length - 3}: track agents)` : ""),
    );
  }
  lines.push("Commands:");
  for (const c of p.commands) lines.push(`  ${c}`);
  return lines.slice(0, PRIME_MAX_LINES).join("\n");
}

/** Records that `agent` read the board up to `now` (a mutation; unknown agents are skipped). */
export async function markBoardRead(store: Store, agent: string, now: Date): Promise<boolean> {
  return await store.mutate("prime --mark-read", (tx) => {
    const record = tx.readAgent(agent);
    if (record === null) return false;
    // Millisecond precision: posts written later in the same second still count as unread.
    const extra: Record<string, unknown> = {
      ...record.extra,
      [READ_MARKER_KEY]: now.toISOString(),
    };
    const sorted = Object.fromEntries(Object.keys(extra).sort().map((k) => [k, extra[k]]));
    writeAgent(tx, { ...record, extra: sorted });
    return true;
  });
}
