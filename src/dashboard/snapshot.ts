/**
 * What the page shows, built from the same read functions the CLI uses: tickets (metadata
 * only), agents, reservations with their overlaps, and the newest board entries.
 */
import { agentJson } from "../model/json.ts";
import { readAllAgents } from "../store/agent_records.ts";
import { type BoardEntry, readBoard } from "../operations/board.ts";
import { ticketDetailJson, type TicketJson, ticketJson } from "../model/json.ts";
import { parseDuration } from "../model/time.ts";
import { patternsOverlap } from "../model/reservation_paths.ts";
import { readReservations, type Reservation } from "../operations/reservations.ts";
import type { Store } from "../store/store.ts";
import type { Agent } from "../model/agent.ts";
import type { TicketSummary } from "../model/ticket.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { openDeps } from "../model/ready.ts";
import { PRIORITIES, STATUSES } from "../model/transitions.ts";
import { heldBy } from "../model/holding.ts";
import { findStale } from "../operations/lifecycle.ts";
import { buildGraph, type GraphJson } from "../model/dependency_graph.ts";

/** Version of the dashboard API shapes. */
export const API_SCHEMA = 1;

/** How many board entries a snapshot carries. */
export const BOARD_LAST = 60;

/** A ticket on the board: its metadata plus the dependencies it still waits on. */
export interface CardJson extends TicketJson {
  waiting_on: Array<{ id: string; status: string }>;
}

/** A reservation plus the indexes of other agents' reservations it overlaps (as `files --list`). */
export interface ReservationJson extends Reservation {
  overlaps: number[];
}

/** An agent as the page shows it: `track agents --json`'s row plus whether it is stale. */
export type AgentRow = ReturnType<typeof agentJson> & { stale: boolean };

/** A ticket's card: its metadata and the dependencies (in `byId`) it still waits on. */
export function cardOf(t: TicketSummary, byId: ReadonlyMap<string, TicketSummary>): CardJson {
  return { ...ticketJson(t), waiting_on: openDeps(t, byId) };
}

/** The reservations, each with the indexes of other agents' reservations it overlaps. */
export function reservationRows(reservations: readonly Reservation[]): ReservationJson[] {
  return reservations.map((r, i) => ({
    ...r,
    overlaps: reservations.flatMap((o, j) =>
      j !== i && o.agent !== r.agent && patternsOverlap(o.path, r.path) ? [j] : []
    ),
  }));
}

/** An agent's row: `held` are the ids of the tickets it holds, `overdue` the stale rule's verdict. */
export function agentRow(
  a: Agent,
  o: { now: Date; held: string[]; reservations: readonly Reservation[]; overdue: boolean },
): AgentRow {
  const count = o.reservations.filter((r) => r.agent === a.id).length;
  return { ...agentJson(a, o.now, o.held, count), stale: a.status === "stale" || o.overdue };
}

/** Everything the page renders, in one response. */
export interface Snapshot {
  schema: number;
  generated_at: string;
  /** Every status, in board order: the page draws one column per status, in this order. */
  statuses: readonly string[];
  /** Priorities, best first: the page sorts cards and offers the priority filter by these. */
  priorities: readonly string[];
  stale_threshold_s: number;
  tickets: CardJson[];
  agents: AgentRow[];
  reservations: ReservationJson[];
  board: BoardEntry[];
  /** Files that could not be read, as messages. */
  problems: string[];
}

/** Reads the whole store into a {@linkcode Snapshot}. Takes no lock and writes nothing. */
export function buildSnapshot(store: Store, now: Date): Snapshot {
  const problems: string[] = [];
  // Metadata only, through the cache the CLI keeps: 2,000 tickets cost a stat each, not a parse.
  const { tickets, problems: ticketProblems } = readSummaries(store);
  for (const p of ticketProblems) problems.push(p.error.message);
  const byId = new Map(tickets.map((t) => [t.id, t]));

  let thresholdMs = 30 * 60_000;
  try {
    thresholdMs = parseDuration(store.readConfig().stale_threshold, "stale_threshold");
  } catch (e) {
    problems.push((e as Error).message);
  }

  let reservations: Reservation[] = [];
  try {
    reservations = readReservations(store);
  } catch (e) {
    problems.push((e as Error).message);
  }
  const resJson = reservationRows(reservations);

  const { agents, problems: agentProblems } = readAllAgents(store);
  for (const p of agentProblems) problems.push(p.error.message);
  // The stale rule of `track stale` (a busy agent whose process is alive is never stale).
  let overdue = new Set<string>();
  try {
    overdue = new Set(findStale(store, thresholdMs, now).map((s) => s.agent.id));
  } catch (e) {
    problems.push((e as Error).message);
  }
  const agentRows = agents.filter((a) => a.status !== "deregistered").map((a) =>
    agentRow(a, {
      now,
      held: heldBy(tickets, a.id).map((t) => t.id),
      reservations,
      overdue: overdue.has(a.id),
    })
  );

  const { entries, warnings } = readBoard(store, { last: BOARD_LAST });
  problems.push(...warnings);

  return {
    schema: API_SCHEMA,
    generated_at: now.toISOString(),
    statuses: STATUSES,
    priorities: PRIORITIES,
    stale_threshold_s: Math.floor(thresholdMs / 1000),
    tickets: tickets.map((t) => cardOf(t, byId)),
    agents: agentRows,
    reservations: resJson,
    board: entries,
    problems,
  };
}

/** One ticket with body, description, Work Log and the state of each dependency. */
export function ticketDetail(store: Store, id: string) {
  const t = store.readTicket(id);
  const deps = t.depends_on.map((d) => {
    let status = "missing";
    try {
      status = store.tryReadTicket(d)?.status ?? "missing";
    } catch {
      status = "unreadable"; // shown as such; `track doctor` reports the file
    }
    return { id: d, status };
  });
  return { schema: API_SCHEMA, ticket: { ...ticketDetailJson(t), deps } };
}

/** The graph view's data: `track graph --all --json` (docs/json.md "Graph") plus `problems`. */
export function graphSnapshot(store: Store): GraphJson & { schema: number; problems: string[] } {
  const { tickets, problems } = readSummaries(store);
  return {
    schema: API_SCHEMA,
    ...buildGraph(tickets, { all: true }),
    problems: problems.map((p) => p.error.message),
  };
}
