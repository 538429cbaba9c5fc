/**
 * The dashboard's live view: the page's snapshot kept in memory while a page is open, brought up
 * to date from the watcher's batches (watch.ts) by reading only the files a batch names: a claim
 * costs one ticket file read and a delta of the cards, agents, reservations and board entries it
 * changed, not a read of the whole store. Each delta carries the version it applies to (`from`)
 * and the one it makes (`version`); a page that sees a gap, or reconnects, gets a full snapshot
 * again (docs/dashboard.md "Live updates").
 *
 * Safety nets, because a change missed is a page that lies: a batch the kernel could not deliver
 * whole (`rescan`), a new directory (its first files may precede its watch) and a timer every
 * {@linkcode RECONCILE_MS} read the whole store through the verified ticket cache and send what
 * differs.
 */
import { type Agent, AGENT_NAME } from "../model/agent.ts";
import { TrackError } from "../model/errors.ts";
import { holderOf } from "../model/holding.ts";
import type { TicketSummary } from "../model/ticket.ts";
import { parseDuration } from "../model/time.ts";
import { PRIORITIES, STATUSES } from "../model/transitions.ts";
import { type BoardEntry, entryPath, readBoard, readEntry } from "../operations/board.ts";
import { findStale } from "../operations/lifecycle.ts";
import { readReservations, type Reservation } from "../operations/reservations.ts";
import { readAgent, readAllAgents } from "../store/agent_records.ts";
import type { Store } from "../store/store.ts";
import { readSummaries, textHash } from "../store/ticket_cache.ts";
import {
  type AgentRow,
  agentRow,
  API_SCHEMA,
  BOARD_LAST,
  type CardJson,
  cardOf,
  reservationRows,
} from "./snapshot.ts";
import type { ChangeBatch } from "./watch.ts";

/** What the live view listens to (watch.ts's ChangeFeed, or a test's). */
export interface BatchSource {
  subscribe(fn: (batch: ChangeBatch) => void): () => void;
}

/** One update on top of version `from`; lists are what was added or changed. */
export interface Delta {
  schema: number;
  from: number;
  version: number;
  generated_at: string;
  tickets: CardJson[];
  /** Ids of tickets no longer in tickets/ (archived, deleted, unreadable). */
  removed: string[];
  /**
   * Ids of tickets whose file was written, card changed or not (a Work Log line or a
   * description: an open ticket's detail is asked for again).
   */
  touched: string[];
  agents: AgentRow[];
  /** Ids of agents no longer shown (deregistered, deleted). */
  agents_removed: string[];
  /** The whole list when it changed (overlaps are indexes into it), else null. */
  reservations: ReturnType<typeof reservationRows> | null;
  /** Board entries added or changed (edited by hand), oldest first. */
  board: BoardEntry[];
  /** Ids of board entries no longer in the store (deleted, unreadable). */
  board_removed: string[];
  /** The whole list when it changed, else null. */
  problems: string[] | null;
  /** When config.json changed it, else null. */
  stale_threshold_s: number | null;
}

type DeltaBody = Omit<Delta, "schema" | "from" | "version" | "generated_at">;

/** Whole-store check against events the watcher missed. */
export const RECONCILE_MS = 60_000;
/** Agents turn stale with time alone: their rows are checked this often. */
export const STALE_TICK_MS = 5_000;

const TICKET_PATH = /^tickets\/(T-\d{4,9})\.md$/;
const AGENT_PATH = /^agents\/([^/]+)\.json$/;
const BOARD_ENTRY_PATH = /^board\/(\d{4}-\d{2}-\d{2}\/\d{9}-\d{4}-[a-z0-9]+)\.md$/;
const BOARD_DAY_PATH = /^board(\/\d{4}-\d{2}-\d{2})?$/;

/** Counters for tests and the benchmark. */
export interface LiveStats {
  batches: number;
  deltas: number;
  reconciles: number;
  /** Changes only a whole-store read found (a watcher event was missed). */
  missed: number;
  /** Files read for batches (not counting whole-store reads). */
  reads: number;
}

function byNumber(a: string, b: string): number {
  return Number(a.slice(2)) - Number(b.slice(2));
}

/** An agent row's text without its ages, which change every second: compared to find changes. */
function agentKey(row: AgentRow): string {
  return JSON.stringify({
    ...row,
    heartbeat_age_s: 0,
    busy: row.busy.map((b) => ({ ...b, age_s: 0 })),
    waiting: row.waiting === null ? null : { ...row.waiting, age_s: 0 },
  });
}

function summary(t: TicketSummary & { body?: string }): TicketSummary {
  const { body: _body, ...rest } = t;
  return rest;
}

/** The in-memory snapshot, its version and its listeners. */
export class LiveView {
  #store: Store;
  #source: BatchSource;
  #now: () => Date;
  #listeners = new Set<(event: string) => void>();
  #unsubscribe: (() => void) | null = null;
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #reconcileMs: number;
  #staleTickMs: number;

  #version = 0;
  #tickets = new Map<string, TicketSummary>();
  /** Card text by ticket id: compared to find changes, and joined into snapshots. */
  #cards = new Map<string, string>();
  /**
   * Text hash of each ticket's file as last read: a write that leaves the card as it was (a
   * description, a Work Log line) is told as `touched`; a batch naming an unchanged file is not.
   */
  #hashes = new Map<string, number>();
  /** Ticket id -> ids of the tickets that depend on it (their waiting_on shows its status). */
  #dependents = new Map<string, Set<string>>();
  #held = new Map<string, Set<string>>();
  #agents = new Map<string, Agent>();
  #agentRows = new Map<string, { row: AgentRow; key: string }>();
  #reservations: Reservation[] = [];
  #reservationsText = "[]";
  #board: BoardEntry[] = [];
  /** Problems by file (or source), as messages. */
  #problems = new Map<string, string>();
  #problemsText = "[]";
  #thresholdMs = 30 * 60_000;
  readonly stats: LiveStats = { batches: 0, deltas: 0, reconciles: 0, missed: 0, reads: 0 };

  constructor(
    store: Store,
    source: BatchSource,
    options: { now?: () => Date; reconcileMs?: number; staleTickMs?: number } = {},
  ) {
    this.#store = store;
    this.#source = source;
    this.#now = options.now ?? (() => new Date());
    this.#reconcileMs = options.reconcileMs ?? RECONCILE_MS;
    this.#staleTickMs = options.staleTickMs ?? STALE_TICK_MS;
  }

  /** The version the next snapshot carries. */
  get version(): number {
    return this.#version;
  }

  /** Number of open pages. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /**
   * Calls `fn` with each delta as an SSE event (`event: delta`) until the returned function is
   * called. The first listener loads the store and starts following the watcher; when the last
   * one leaves, the view stops and forgets everything (no page open costs nothing).
   */
  subscribe(fn: (event: string) => void): () => void {
    if (this.#listeners.size === 0) this.#start();
    this.#listeners.add(fn);
    return () => {
      if (!this.#listeners.delete(fn)) return;
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #start(): void {
    this.#version = 0;
    this.#load();
    this.#unsubscribe = this.#source.subscribe((batch) => this.#guard(() => this.#apply(batch)));
    this.#timers.push(
      setInterval(() => this.#guard(() => this.#reconcile()), this.#reconcileMs),
      setInterval(() => this.#guard(() => this.#emit(this.#agentChanges())), this.#staleTickMs),
    );
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#tickets.clear();
    this.#cards.clear();
    this.#hashes.clear();
    this.#dependents.clear();
    this.#held.clear();
    this.#agents.clear();
    this.#agentRows.clear();
    this.#reservations = [];
    this.#reservationsText = "[]";
    this.#board = [];
    this.#problems.clear();
    this.#problemsText = "[]";
  }

  /** Runs `fn`; an unexpected failure falls back to a whole-store read, never a crash. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch {
      try {
        this.#reconcile();
      } catch {
        // The next batch or timer tries again; the page keeps what it has.
      }
    }
  }

  /** The whole snapshot at the current version, as JSON text. */
  snapshotText(): string {
    const ids = [...this.#cards.keys()].sort(byNumber);
    const agents = [...this.#agentRows.keys()].sort().map((id) => this.#agentRows.get(id)!.row);
    const head = {
      schema: API_SCHEMA,
      version: this.#version,
      generated_at: this.#now().toISOString(),
      statuses: STATUSES,
      priorities: PRIORITIES,
      stale_threshold_s: Math.floor(this.#thresholdMs / 1000),
    };
    const headText = JSON.stringify(head).slice(0, -1);
    return `${headText},"tickets":[${ids.map((id) => this.#cards.get(id)).join(",")}],` +
      `"agents":${JSON.stringify(agents)},"reservations":${this.#reservationsText},` +
      `"board":${JSON.stringify(this.#board)},"problems":${this.#problemsText}}`;
  }

  // ---- reading -------------------------------------------------------------------------

  /** Reads everything: the first load, and the check against missed events. */
  #readAll() {
    const problems = new Map<string, string>();
    const hashList: number[] = [];
    const { tickets, problems: tp } = readSummaries(this.#store, { hashes: hashList });
    for (const p of tp) problems.set(p.file, p.error.message);
    const hashes = new Map<string, number>();
    if (hashList.length === tickets.length) {
      tickets.forEach((t, i) => hashList[i] >= 0 && hashes.set(t.id, hashList[i]));
    } else {
      // No metadata cache (a small store, TRACK_NO_CACHE=1): the files themselves.
      for (const t of tickets) {
        try {
          const f = this.#store.tryReadTicketFile(t.id);
          if (f !== null) hashes.set(t.id, textHash(f.text));
        } catch {
          // Unreadable since: its next write is told as touched.
        }
      }
    }
    const agents = new Map<string, Agent>();
    const { agents: list, problems: ap } = readAllAgents(this.#store);
    for (const a of list) agents.set(a.id, a);
    for (const p of ap) problems.set(p.file, p.error.message);
    const reservations = this.#readReservations(problems);
    const threshold = this.#readThreshold(problems);
    const { entries, warnings } = readBoard(this.#store, { last: BOARD_LAST });
    warnings.forEach((w, i) => problems.set(`board#${i}`, w));
    return { tickets, hashes, agents, reservations, threshold, board: entries, problems };
  }

  #readReservations(problems: Map<string, string>): Reservation[] {
    const file = this.#store.display(this.#store.reservationsPath);
    try {
      const r = readReservations(this.#store);
      problems.delete(file);
      return r;
    } catch (e) {
      if (!(e instanceof TrackError)) throw e;
      problems.set(file, e.message);
      return [];
    }
  }

  #readThreshold(problems: Map<string, string>): number {
    const file = "config.json";
    try {
      const ms = parseDuration(this.#store.readConfig().stale_threshold, "stale_threshold");
      problems.delete(file);
      return ms;
    } catch (e) {
      problems.set(file, (e as Error).message);
      return 30 * 60_000;
    }
  }

  #load(): void {
    const all = this.#readAll();
    this.#hashes = all.hashes;
    for (const t of all.tickets) this.#setTicket(t.id, t);
    for (const t of all.tickets) this.#cards.set(t.id, JSON.stringify(cardOf(t, this.#tickets)));
    this.#agents = all.agents;
    this.#reservations = all.reservations;
    this.#reservationsText = JSON.stringify(reservationRows(all.reservations));
    this.#thresholdMs = all.threshold;
    this.#board = all.board;
    this.#problems = all.problems;
    this.#problemsText = JSON.stringify([...all.problems.values()]);
    this.#agentChanges();
  }

  /** Records `t` (null: gone) under `id`, keeping the dependents and holders indexes. */
  #setTicket(id: string, t: TicketSummary | null): void {
    const old = this.#tickets.get(id);
    if (old !== undefined) {
      for (const d of old.depends_on) this.#dependents.get(d)?.delete(id);
      const h = holderOf(old);
      if (h !== null) this.#held.get(h)?.delete(id);
    }
    if (t === null) {
      this.#tickets.delete(id);
      return;
    }
    this.#tickets.set(id, t);
    for (const d of t.depends_on) {
      let set = this.#dependents.get(d);
      if (set === undefined) this.#dependents.set(d, set = new Set());
      set.add(id);
    }
    const h = holderOf(t);
    if (h !== null) {
      let set = this.#held.get(h);
      if (set === undefined) this.#held.set(h, set = new Set());
      set.add(id);
    }
  }

  /** Cards of `ids` compared with what the page has: the changed ones and the removed ids. */
  #cardChanges(ids: Iterable<string>): { tickets: CardJson[]; removed: string[] } {
    const tickets: CardJson[] = [];
    const removed: string[] = [];
    for (const id of ids) {
      const t = this.#tickets.get(id);
      if (t === undefined) {
        if (this.#cards.delete(id)) removed.push(id);
        continue;
      }
      const card = cardOf(t, this.#tickets);
      const text = JSON.stringify(card);
      if (this.#cards.get(id) === text) continue;
      this.#cards.set(id, text);
      tickets.push(card);
    }
    return { tickets, removed };
  }

  /** Every shown agent's row compared with what the page has. */
  #agentChanges(): { agents: AgentRow[]; agents_removed: string[] } {
    const now = this.#now();
    const shown = [...this.#agents.values()].filter((a) => a.status !== "deregistered");
    let overdue = new Set<string>();
    try {
      overdue = new Set(
        findStale(this.#store, this.#thresholdMs, now, { agents: shown }).map((s) => s.agent.id),
      );
    } catch {
      // The stale rule reads only process state here; without it nobody is marked overdue.
    }
    const agents: AgentRow[] = [];
    const seen = new Set<string>();
    for (const a of shown) {
      seen.add(a.id);
      const held = [...(this.#held.get(a.id) ?? [])].sort(byNumber);
      const row = agentRow(a, {
        now,
        held,
        reservations: this.#reservations,
        overdue: overdue.has(a.id),
      });
      const key = agentKey(row);
      if (this.#agentRows.get(a.id)?.key === key) continue;
      this.#agentRows.set(a.id, { row, key });
      agents.push(row);
    }
    const agents_removed = [...this.#agentRows.keys()].filter((id) => !seen.has(id));
    for (const id of agents_removed) this.#agentRows.delete(id);
    return { agents, agents_removed };
  }

  // ---- applying changes ----------------------------------------------------------------

  #apply(batch: ChangeBatch): void {
    this.stats.batches++;
    if (batch.rescan) return this.#reconcile();
    const ticketIds = new Set<string>();
    const agentIds = new Set<string>();
    const entries = new Set<string>();
    let reservations = false, config = false, boardDir = false, agentsDir = false;
    for (const path of batch.paths) {
      let m: RegExpExecArray | null;
      if ((m = TICKET_PATH.exec(path))) ticketIds.add(m[1]);
      else if ((m = AGENT_PATH.exec(path))) {
        // A file named for no agent is not one, as readAllAgents lists them.
        if (AGENT_NAME.test(m[1])) agentIds.add(m[1]);
      } else if ((m = BOARD_ENTRY_PATH.exec(path))) entries.add(m[1]);
      else if (path === "reservations.json") reservations = true;
      else if (path === "config.json") config = true;
      else if (BOARD_DAY_PATH.test(path)) boardDir = true;
      else if (path === "agents") agentsDir = true;
      // tickets/ itself appearing: its first files may precede the watch on it.
      else if (path === "tickets" || path === "") return this.#reconcile();
      // Anything else (journal, inbox, archive, temp files) is not on the page.
    }
    const problems = this.#problems;
    const before = this.#problemsText;

    // Tickets: read each named file; its dependents' cards show its status.
    const touched = new Set<string>();
    const written: string[] = [];
    let holdersChanged = false;
    for (const id of ticketIds) {
      const file = this.#store.display(this.#store.ticketPath(id));
      let t: TicketSummary | null = null;
      this.stats.reads++;
      try {
        const full = this.#store.tryReadTicketFile(id);
        t = full === null ? null : summary(full.ticket);
        problems.delete(file);
        const hash = full === null ? null : textHash(full.text);
        if (hash === null) this.#hashes.delete(id);
        else if (this.#hashes.get(id) !== hash) {
          this.#hashes.set(id, hash);
          written.push(id);
        }
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        problems.set(file, e.message); // shown as a problem, and off the board, as a full read
        this.#hashes.delete(id);
      }
      const old = this.#tickets.get(id);
      if ((old ? holderOf(old) : null) !== (t ? holderOf(t) : null)) holdersChanged = true;
      this.#setTicket(id, t);
      touched.add(id);
      for (const d of this.#dependents.get(id) ?? []) touched.add(d);
    }
    const cards = this.#cardChanges(touched);

    // Agents: each named record, or all of them when agents/ itself appeared.
    if (agentsDir) {
      const { agents, problems: ap } = readAllAgents(this.#store);
      this.#agents = new Map(agents.map((a) => [a.id, a]));
      for (const p of ap) problems.set(p.file, p.error.message);
    }
    for (const id of agentIds) {
      const file = this.#store.display(`${this.#store.agentsDir}/${id}.json`);
      this.stats.reads++;
      try {
        const a = readAgent(this.#store, id);
        if (a === null) this.#agents.delete(id);
        else this.#agents.set(id, a);
        problems.delete(file);
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        this.#agents.delete(id);
        problems.set(file, e.message);
      }
    }

    let resRows: Delta["reservations"] = null;
    if (reservations) {
      this.stats.reads++;
      this.#reservations = this.#readReservations(problems);
      const rows = reservationRows(this.#reservations);
      const text = JSON.stringify(rows);
      if (text !== this.#reservationsText) {
        this.#reservationsText = text;
        resRows = rows;
      }
    }

    let threshold: number | null = null;
    if (config) {
      const ms = this.#readThreshold(problems);
      if (ms !== this.#thresholdMs) {
        this.#thresholdMs = ms;
        threshold = Math.floor(ms / 1000);
      }
    }

    const agents = agentIds.size > 0 || agentsDir || resRows !== null || holdersChanged ||
        threshold !== null
      ? this.#agentChanges()
      : { agents: [], agents_removed: [] };

    const board = boardDir ? this.#boardReread() : this.#boardAdd(entries);

    this.#problemsText = JSON.stringify([...problems.values()]);
    this.#emit({
      ...cards,
      touched: written,
      ...agents,
      reservations: resRows,
      ...board,
      problems: this.#problemsText === before ? null : [...problems.values()],
      stale_threshold_s: threshold,
    });
  }

  /**
   * Reads the named board entries: new ones among the newest {@linkcode BOARD_LAST}, and ones
   * the page has (an entry edited by hand changes on the page; one deleted or no longer
   * readable leaves it, and the next older entry takes its place: the newest are re-read).
   */
  #boardAdd(ids: Set<string>): Pick<DeltaBody, "board" | "board_removed"> {
    const changed: BoardEntry[] = [];
    const known = new Map(this.#board.map((e) => [e.id, e]));
    for (const id of [...ids].sort()) {
      const old = known.get(id);
      if (old === undefined && this.#board.length >= BOARD_LAST && id < this.#board[0].id) {
        continue;
      }
      this.stats.reads++;
      let entry: BoardEntry;
      try {
        entry = readEntry(this.#store, id);
        this.#mended(id);
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        if (e.kind !== "notFound") this.#problems.set(`board:${id}`, e.message);
        if (old !== undefined) return this.#boardReread();
        continue;
      }
      if (old !== undefined && JSON.stringify(old) === JSON.stringify(entry)) continue;
      changed.push(entry);
    }
    if (changed.length === 0) return { board: [], board_removed: [] };
    const byId = new Map(known);
    for (const e of changed) byId.set(e.id, e);
    this.#board = [...byId.values()].sort((a, b) => a.id < b.id ? -1 : 1).slice(-BOARD_LAST);
    const kept = new Set(this.#board.map((e) => e.id));
    return { board: changed.filter((e) => kept.has(e.id)), board_removed: [] };
  }

  /** Entry `id` reads again: the problem reported for its file (here or by a full read) goes. */
  #mended(id: string): void {
    this.#problems.delete(`board:${id}`);
    const path = entryPath(this.#store, id);
    if (path === null) return;
    const named = `"${this.#store.display(path)}`;
    for (const [key, message] of this.#problems) {
      if (key.startsWith("board#") && message.includes(named)) this.#problems.delete(key);
    }
  }

  /** A new day directory: its first entries may precede its watch, so the newest are re-read. */
  #boardReread(): Pick<DeltaBody, "board" | "board_removed"> {
    return this.#boardNow(readBoard(this.#store, { last: BOARD_LAST }).entries);
  }

  /**
   * Takes `entries` (the newest {@linkcode BOARD_LAST}, as read now) as the board: what is new or
   * changed, and the ids the page has that are gone (not those merely older than the newest).
   */
  #boardNow(entries: BoardEntry[]): Pick<DeltaBody, "board" | "board_removed"> {
    const known = new Map(this.#board.map((e) => [e.id, JSON.stringify(e)]));
    const fresh = new Set(entries.map((e) => e.id));
    const full = entries.length >= BOARD_LAST;
    const board_removed = [...known.keys()].filter((id) =>
      !fresh.has(id) && (!full || id > entries[0].id)
    );
    this.#board = entries;
    return { board: entries.filter((e) => known.get(e.id) !== JSON.stringify(e)), board_removed };
  }

  /** Reads the whole store and sends whatever differs from what the page has. */
  #reconcile(): void {
    this.stats.reconciles++;
    const all = this.#readAll();
    const ids = new Set<string>(this.#tickets.keys());
    for (const t of all.tickets) ids.add(t.id);
    const fresh = new Map(all.tickets.map((t) => [t.id, t]));
    for (const id of ids) this.#setTicket(id, fresh.get(id) ?? null);
    const cards = this.#cardChanges(ids);
    // A write no event named that left the card as it was (a description) is told too.
    const touched = [...all.hashes].flatMap(([id, h]) => {
      const known = this.#hashes.get(id);
      return known !== undefined && known !== h ? [id] : [];
    });
    this.#hashes = all.hashes;
    this.#agents = all.agents;
    this.#reservations = all.reservations;
    const resText = JSON.stringify(reservationRows(all.reservations));
    const resChanged = resText !== this.#reservationsText;
    this.#reservationsText = resText;
    const threshold = all.threshold !== this.#thresholdMs ? Math.floor(all.threshold / 1000) : null;
    this.#thresholdMs = all.threshold;
    const agents = this.#agentChanges();
    const board = this.#boardNow(all.board);
    const problemsText = JSON.stringify([...all.problems.values()]);
    const problemsChanged = problemsText !== this.#problemsText;
    this.#problems = all.problems;
    this.#problemsText = problemsText;
    const delta: DeltaBody = {
      ...cards,
      touched,
      ...agents,
      reservations: resChanged ? JSON.parse(resText) : null,
      ...board,
      problems: problemsChanged ? [...all.problems.values()] : null,
      stale_threshold_s: threshold,
    };
    if (this.#emit(delta)) {
      this.stats.missed += cards.tickets.length + cards.removed.length + board.board.length +
        board.board_removed.length;
    }
  }

  /** Sends a delta when it holds anything; true when it did. */
  #emit(d: Partial<DeltaBody>): boolean {
    const full: DeltaBody = {
      tickets: [],
      agents: [],
      agents_removed: [],
      removed: [],
      touched: [],
      reservations: null,
      board: [],
      board_removed: [],
      problems: null,
      stale_threshold_s: null,
      ...d,
    };
    if (
      full.tickets.length === 0 && full.removed.length === 0 && full.touched.length === 0 &&
      full.agents.length === 0 &&
      full.agents_removed.length === 0 && full.reservations === null && full.board.length === 0 &&
      full.board_removed.length === 0 &&
      full.problems === null && full.stale_threshold_s === null
    ) return false;
    const from = this.#version++;
    this.stats.deltas++;
    const delta: Delta = {
      schema: API_SCHEMA,
      from,
      version: this.#version,
      generated_at: this.#now().toISOString(),
      ...full,
    };
    const event = `event: delta\ndata: ${JSON.stringify(delta)}\n\n`;
    for (const fn of this.#listeners) fn(event);
    return true;
  }
}
