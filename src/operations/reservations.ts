/**
 * File reservations: `.track/reservations.json`, one sorted list. Exclusive by default, and then
 * only by the ticket's holder (or with force); shared reservations may overlap other shared ones,
 * block no edit, and block an exclusive one only when their agent holds their ticket. Reservations
 * end with their ticket (done or backlog) and with their agent (reclaimed or deregistered).
 */
import { badDataError, conflictError, TrackError } from "../model/errors.ts";
import { parseJsonObject } from "../store/read.ts";
import type { Store, Tx } from "../store/store.ts";
import type { Ticket } from "../model/ticket.ts";
import { normalizePath, patternsOverlap } from "../model/reservation_paths.ts";
import { assertNotFenced } from "./fencing.ts";
import { touchAgent } from "../store/agent_records.ts";
import { isoSeconds } from "../model/time.ts";

/** One reservation. */
export interface Reservation {
  /** Repository-relative path or glob. */
  path: string;
  agent: string;
  ticket: string;
  mode: "exclusive" | "shared";
  at: string;
}

function probe(abs: string, follow: boolean): Deno.FileInfo | null {
  try {
    return follow ? Deno.statSync(abs) : Deno.lstatSync(abs);
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory ||
      e instanceof Deno.errors.PermissionDenied
    ) return null;
    throw e;
  }
}

/**
 * Normalises a path a user names (relative to `cwd`) for reservations in the repository at
 * `root`, asking the working tree whether it exists and whether it is a directory (then it is
 * reserved as `dir/**`). Every surface that reserves or checks paths uses this one rule.
 */
export function reservationPath(input: string, options: { cwd: string; root: string }): string {
  return normalizePath(input, {
    ...options,
    exists: (abs) => probe(abs, false) !== null,
    isDir: (abs) => probe(abs, true)?.isDirectory ?? false,
  });
}

/** Reads all reservations (empty when the file does not exist). */
export function readReservations(store: Store): Reservation[] {
  const display = store.display(store.reservationsPath);
  const text = store.readText(store.reservationsPath, display);
  if (text === null) return [];
  const list = parseJsonObject(text, display).reservations;
  if (!Array.isArray(list)) throw badDataError(display, `must hold {"reservations": [...]}`);
  return list.map((r, i) => {
    if (
      typeof r !== "object" || r === null || typeof r.path !== "string" ||
      typeof r.agent !== "string" || typeof r.ticket !== "string" ||
      (r.mode !== "exclusive" && r.mode !== "shared") || typeof r.at !== "string"
    ) {
      throw badDataError(display, `reservation #${i + 1} needs path, agent, ticket, mode and at`);
    }
    return { path: r.path, agent: r.agent, ticket: r.ticket, mode: r.mode, at: r.at };
  });
}

function compare(a: Reservation, b: Reservation): number {
  return a.path < b.path
    ? -1
    : a.path > b.path
    ? 1
    : a.agent < b.agent
    ? -1
    : a.agent > b.agent
    ? 1
    : 0;
}

/** Writes all reservations, sorted (inside a mutation). */
export function writeReservations(tx: Tx, list: Reservation[]): void {
  const sorted = [...list].sort(compare);
  tx.writeFile(
    tx.store.reservationsPath,
    JSON.stringify({ schema: 1, reservations: sorted }, null, 2) + "\n",
  );
}

/** Reservations of other agents that conflict with `agent` taking `path` in `mode`. */
export function conflictsFor(
  all: readonly Reservation[],
  path: string,
  agent: string,
  mode: Reservation["mode"],
): Reservation[] {
  return all.filter((r) =>
    r.agent !== agent && (mode === "exclusive" || r.mode === "exclusive") &&
    patternsOverlap(r.path, path)
  );
}

/** What checking one path reports (`files --check`, the MCP tool `files_check`). */
export interface PathCheck {
  path: string;
  /** No other agent reserves it exclusively. */
  free: boolean;
  /** Other agents' exclusive reservations overlapping it. */
  holders: Reservation[];
  /** Other agents' shared reservations overlapping it (they do not make it busy). */
  shared: Reservation[];
}

/** Who holds each of `paths` (normalised already) against `agent` (null: nobody is exempt). */
export function checkPaths(
  store: Store,
  paths: readonly string[],
  agent: string | null,
): PathCheck[] {
  const all = readReservations(store);
  return paths.map((path) => {
    const holders = conflictsFor(all, path, agent ?? "\0", "exclusive").filter((r) =>
      r.mode === "exclusive"
    );
    const shared = all.filter((r) =>
      r.agent !== agent && r.mode === "shared" && patternsOverlap(r.path, path)
    );
    return { path, free: holders.length === 0, holders, shared };
  });
}

/** Throws exit 3 naming holder and ticket when `path` is taken by someone else. */
export function assertFree(
  all: readonly Reservation[],
  path: string,
  agent: string,
  mode: Reservation["mode"],
): void {
  const c = conflictsFor(all, path, agent, mode)[0];
  if (c) {
    throw conflictError(
      `Cannot reserve "${path}": it overlaps "${c.path}", reserved ${c.mode} by "${c.agent}" for ${c.ticket}`,
      `track board --agent ${agent} --ticket ${c.ticket} --tag conflict -m "..." (ask the holder)`,
      { holder: c.agent, ticket: c.ticket, path: c.path },
    );
  }
}

/** Drops reservations matching `drop` (inside a mutation); returns the removed ones. */
export function releaseWhere(tx: Tx, drop: (r: Reservation) => boolean): Reservation[] {
  const all = readReservations(tx.store);
  const removed = all.filter(drop);
  if (removed.length > 0) writeReservations(tx, all.filter((r) => !drop(r)));
  return removed;
}

/**
 * Refuses (exit 3) an exclusive reservation for a ticket `agent` does not hold: it would take the
 * ticket out of everyone's `next` and lock its future holder out of its own files. Shared
 * reservations exclude nobody's edits, so anyone may take them; `force` is the deliberate way.
 */
export function assertMayReserve(
  ticket: Ticket,
  agent: string,
  options: { shared: boolean; force: boolean },
): void {
  if (ticket.claimed_by === agent || options.shared || options.force) return;
  const state = ticket.claimed_by === null
    ? `it is in ${ticket.status}, claimed by nobody`
    : `it is held by "${ticket.claimed_by}"`;
  throw conflictError(
    `Cannot reserve files exclusively for "${ticket.id}" as "${agent}": ${state}; only the ` +
      `holder may (--shared reserves without excluding, --force overrides)`,
    ticket.claimed_by === null
      ? `track claim ${ticket.id} --agent ${agent} (then reserve)`
      : `track board --ticket ${ticket.id} -m "..." (ask "${ticket.claimed_by}")`,
    { ticket: ticket.id, status: ticket.status, holder: ticket.claimed_by },
  );
}

/** Who holds ticket `id` (undefined when it cannot be read: counted as held, to stay safe). */
function holderOf(store: Store, id: string): string | null | undefined {
  try {
    return store.tryReadTicket(id)?.claimed_by ?? null;
  } catch (e) {
    if (e instanceof TrackError) return undefined;
    throw e;
  }
}

/**
 * Reserves `paths` (already normalised) for `agent` and `ticket`; all or nothing. Exclusive
 * reservations need the ticket's holder unless `force` (see {@linkcode assertMayReserve}).
 */
export async function reservePaths(
  store: Store,
  input: { paths: string[]; agent: string; ticket: string; shared: boolean; force?: boolean },
  now: Date,
): Promise<Reservation[]> {
  return await store.mutate("files --add", (tx) => {
    const ticket = tx.readTicket(input.ticket);
    assertNotFenced(tx, input.agent, ticket, "reserve files for");
    if (ticket.status === "done") {
      throw conflictError(
        `Cannot reserve files for "${ticket.id}": it is done`,
        `track list --agent ${input.agent}`,
      );
    }
    assertMayReserve(ticket, input.agent, { shared: input.shared, force: input.force ?? false });
    const mode = input.shared ? "shared" : "exclusive";
    const all = readReservations(tx.store);
    // A shared reservation of an agent that does not hold its ticket (anyone may add one) blocks
    // no exclusive one: it must not lock the ticket's holder, or anyone, out of those files.
    const holds = new Map<string, boolean>();
    const blocking = all.filter((r) => {
      if (r.mode === "exclusive") return true;
      const key = `${r.ticket}\0${r.agent}`;
      if (!holds.has(key)) {
        const holder = holderOf(tx.store, r.ticket);
        holds.set(key, holder === undefined || holder === r.agent);
      }
      return holds.get(key);
    });
    for (const p of input.paths) assertFree(blocking, p, input.agent, mode);
    const at = isoSeconds(now);
    const added: Reservation[] = input.paths.map((path) => ({
      path,
      agent: input.agent,
      ticket: ticket.id,
      mode,
      at,
    }));
    const keep = all.filter((r) => !(r.agent === input.agent && input.paths.includes(r.path)));
    writeReservations(tx, [...keep, ...added]);
    if (mode === "exclusive") {
      // With sync on, a decision: it stands only where no other agent's exclusive reservation on
      // the remote overlaps it.
      tx.decide({
        kind: "reserve",
        ticket: ticket.id,
        agent: input.agent,
        claim_id: null,
        force: input.force ?? false,
        prev: null,
        paths: [...input.paths],
      });
    }
    const files = [...new Set([...ticket.files, ...input.paths])].sort();
    if (files.length !== ticket.files.length) tx.writeTicket({ ...ticket, files, updated: at });
    touchAgent(tx, input.agent, now);
    return added;
  });
}

/** Releases `agent`'s reservations (all, or those on `paths`); returns the removed ones. */
export async function releasePaths(
  store: Store,
  input: { agent: string; paths: string[] },
  now: Date,
): Promise<Reservation[]> {
  return await store.mutate("files --release", (tx) => {
    const removed = releaseWhere(
      tx,
      (r) => r.agent === input.agent && (input.paths.length === 0 || input.paths.includes(r.path)),
    );
    touchAgent(tx, input.agent, now);
    return removed;
  });
}
