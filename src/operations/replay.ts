/**
 * Replaying pending decisions on the fetched state (docs/sync.md "Decisions"; design §7.1).
 * Each publish attempt of the sync step merges this clone's snapshot into the remote tip R, then
 * re-runs every claim the snapshot carries, in oplog order, by the claim rule
 * (decision.ts `claimRefusal`) on R's claim group and the merged dependencies: a claim made on a
 * stale view (another clone's claim published first, a dependency reopened elsewhere) is lost
 * there, and none of this clone's change to that ticket is published. Claims withdrawn after
 * exit 8 that R holds after all (a push that landed although its sender was told otherwise) are
 * released. Pure over blob contents: the caller reads and writes the blobs.
 */
import {
  CLAIM_ID,
  type ClaimGroup,
  claimGroupOf,
  claimIdOf,
  claimRefusal,
  type Decision,
  sameClaimGroup,
  withClaimGroup,
} from "../model/decision.ts";
import { parseTicket, serializeTicket, type Ticket } from "../model/ticket.ts";
import type { OplogEntry } from "../store/oplog.ts";
import type { Tx } from "../store/store.ts";
import { badDataError, ioError, TrackError } from "../model/errors.ts";
import { TICKET_ID } from "../model/ids.ts";
import { parseAgent, serializeAgent } from "../model/agent.ts";
import { formatToken, type HeartbeatToken, sameToken, tokenOf } from "../model/lease.ts";
import { patternsOverlap } from "../model/reservation_paths.ts";
import { join } from "../model/path.ts";
import { postEntry } from "./board.ts";
import { recordLostClaim } from "./fencing.ts";
import { WITHDRAWN_FILE } from "./unconfirmed.ts";

/** A claim withdrawn after exit 8 (kept in the store's `withdrawn` file until settled). */
export interface WithdrawnClaim {
  ticket: string;
  agent: string;
  claim_id: string;
}

/** What became of one pending decision at a publish attempt. */
export interface DecisionOutcome {
  seq: number;
  kind: string;
  ticket: string | null;
  agent: string | null;
  claim_id: string | null;
  /** `confirmed`: published with the push; `lost`: another decision was published first. */
  outcome: "confirmed" | "lost";
  reason: string | null;
  winner: string | null;
}

/** The three sides of one ticket, as text (null: absent on that side). */
export interface TicketSides {
  theirs: string | null;
  ours: string | null;
  merged: string | null;
  /** Whether the state the snapshot descends from had the ticket (else it is new here). */
  inBase: boolean;
}

/** The tickets a replay reads: those decisions name, withdrawn claims name, and their deps. */
export function replayTickets(
  ops: readonly OplogEntry[],
  withdrawn: readonly WithdrawnClaim[],
): Set<string> {
  const ids = new Set<string>();
  for (const e of ops) {
    if (e.decision?.kind === "claim" && e.decision.ticket) ids.add(e.decision.ticket);
    for (const m of e.decision?.moves ?? []) ids.add(m.ticket);
    if (e.decision?.kind === "reserve" && e.decision.ticket) ids.add(e.decision.ticket);
  }
  for (const w of withdrawn) ids.add(w.ticket);
  return ids;
}

function parse(text: string | null, id: string): Ticket | null {
  if (text === null) return null;
  try {
    return parseTicket(text, id);
  } catch {
    return null;
  }
}

/**
 * Replays the claims of `ops` (in order) and settles `withdrawn`, given each named ticket's
 * sides and the merged status of any ticket (`statusOf`, for dependencies). Returns the outcome
 * of each claim and the new merged text of each ticket it changes.
 */
export function replayClaims(
  ops: readonly OplogEntry[],
  withdrawn: readonly WithdrawnClaim[],
  sides: ReadonlyMap<string, TicketSides>,
  statusOf: (id: string) => string | null,
): { outcomes: DecisionOutcome[]; writes: Map<string, string>; released: WithdrawnClaim[] } {
  const outcomes: DecisionOutcome[] = [];
  const writes = new Map<string, string>();
  const released: WithdrawnClaim[] = [];
  const withdrawnIds = new Set(withdrawn.map((w) => w.claim_id));
  // Per ticket: the claim group the replay has reached, starting from the remote's.
  const current = new Map<string, { group: ClaimGroup; won: Decision | null }>();
  const claims = ops.filter((e) =>
    e.decision?.kind === "claim" && e.decision.ticket !== null && e.decision.agent !== null &&
    !withdrawnIds.has(e.decision.claim_id ?? "")
  );
  for (const e of claims) {
    const d = e.decision!;
    const id = d.ticket!;
    const side = sides.get(id);
    const theirs = parse(side?.theirs ?? null, id);
    const merged = parse(side?.merged ?? null, id);
    let state = current.get(id);
    if (state === undefined && merged !== null) {
      // A ticket created here and never published is claimed on its own pre-claim state.
      const start = theirs !== null
        ? claimGroupOf(theirs)
        : side?.inBase === false && d.prev !== null
        ? d.prev
        : null;
      if (start !== null) state = { group: start, won: null };
    }
    const outcome = (o: "confirmed" | "lost", reason: string | null, winner: string | null) =>
      outcomes.push({
        seq: e.seq,
        kind: d.kind,
        ticket: id,
        agent: d.agent,
        claim_id: d.claim_id,
        outcome: o,
        reason,
        winner,
      });
    if (state === undefined || merged === null) {
      outcome("lost", "the ticket was deleted on another machine", null);
      continue;
    }
    if (state.group.claim_id !== null && state.group.claim_id === d.claim_id) {
      // R already holds this tenure: an earlier push carried it.
      outcome("confirmed", null, null);
      current.set(id, { group: state.group, won: d });
      continue;
    }
    if (
      state.group.claimed_by === d.agent &&
      (state.group.status === "claimed" || state.group.status === "in-progress")
    ) {
      // The agent already holds it on the remote (a claim of its own that landed after this
      // clone was told otherwise): the claim is adopted under that tenure, never a second one.
      outcome("confirmed", null, null);
      current.set(id, { group: state.group, won: { ...d, claim_id: state.group.claim_id } });
      continue;
    }
    const open = merged.depends_on.filter((dep) => statusOf(dep) !== "done");
    const refusal = claimRefusal(
      withClaimGroup(merged, state.group),
      d.agent!,
      d.force,
      open,
    );
    if (refusal !== null) {
      outcome("lost", refusal.reason, refusal.winner);
      current.set(id, state);
      continue;
    }
    outcome("confirmed", null, null);
    current.set(id, {
      group: {
        status: "claimed",
        claimed_by: d.agent,
        claimed_at: null, // From the snapshot below (when this decision is the one it shows).
        claim_epoch: state.group.claim_epoch + 1,
        claim_id: d.claim_id,
      },
      won: d,
    });
  }

  for (const [id, state] of current) {
    const side = sides.get(id)!;
    const ours = parse(side.ours, id);
    const merged = parse(side.merged, id)!;
    const theirs = parse(side.theirs, id);
    let out: Ticket;
    if (ours !== null && state.won !== null && claimIdOf(ours) === state.won.claim_id) {
      // The snapshot's tenure stands: its holder transitions made under it are kept; the
      // epoch follows the remote's.
      out = withClaimGroup(merged, { ...claimGroupOf(ours), claim_epoch: state.group.claim_epoch });
    } else if (theirs !== null && state.won === null) {
      // Every claim of this clone on it lost: none of this clone's change to it is published.
      out = theirs;
    } else {
      const g = state.group.claimed_at === null && state.won !== null
        ? { ...state.group, claimed_at: merged.claimed_at ?? ours?.claimed_at ?? null }
        : state.group;
      out = withClaimGroup(merged, g);
    }
    const text = out === theirs ? side.theirs! : serializeTicket(out);
    if (text !== side.merged) writes.set(id, text);
  }

  // Withdrawn claims the remote holds after all: release them, unless the same agent claimed
  // the ticket again since (that claim was replayed above and holds it now).
  for (const w of withdrawn) {
    if (current.get(w.ticket)?.won?.agent === w.agent) continue;
    const side = sides.get(w.ticket);
    const base = parse(writes.get(w.ticket) ?? side?.merged ?? null, w.ticket);
    if (base === null) continue;
    const g = claimGroupOf(base);
    if (g.claim_id !== w.claim_id || g.claimed_by !== w.agent) continue;
    if (g.status !== "claimed" && g.status !== "in-progress") continue;
    writes.set(
      w.ticket,
      serializeTicket(withClaimGroup(base, {
        ...g,
        status: "backlog",
        claimed_by: null,
        claimed_at: null,
      })),
    );
    released.push(w);
  }
  return { outcomes, writes, released };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The claims withdrawn after exit 8 and not settled yet (read under the store lock). */
export function readWithdrawn(storeDir: string): WithdrawnClaim[] {
  const path = join(storeDir, WITHDRAWN_FILE);
  let text: string;
  try {
    if (!Deno.lstatSync(path).isFile) throw badDataError(path, "is not a regular file");
    text = decoder.decode(Deno.readFileSync(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    if (e instanceof TrackError) throw e;
    if (e instanceof TypeError) throw badDataError(path, "is not UTF-8", { hint: "track doctor" });
    throw ioError("read", path, e);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = null;
  }
  const ok = (w: unknown): w is WithdrawnClaim =>
    w !== null && typeof w === "object" && typeof (w as WithdrawnClaim).ticket === "string" &&
    TICKET_ID.test((w as WithdrawnClaim).ticket) &&
    typeof (w as WithdrawnClaim).agent === "string" &&
    typeof (w as WithdrawnClaim).claim_id === "string" &&
    CLAIM_ID.test((w as WithdrawnClaim).claim_id);
  if (!Array.isArray(v) || !v.every(ok)) {
    throw badDataError(path, 'is not a list of {"ticket","agent","claim_id"}', {
      hint: "it lists claims withdrawn after exit 8 on this clone: track doctor",
    });
  }
  return v.map((w) => ({ ticket: w.ticket, agent: w.agent, claim_id: w.claim_id }));
}

/** Inside a mutation: sets the withdrawn claims (removes the file when none are left). */
export function writeWithdrawn(tx: Tx, list: readonly WithdrawnClaim[]): void {
  const path = join(tx.store.dir, WITHDRAWN_FILE);
  if (list.length === 0) {
    try {
      Deno.lstatSync(path);
      tx.removeFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw ioError("read", path, e);
    }
    return;
  }
  tx.writeFile(path, JSON.stringify(list) + "\n");
}

/**
 * Inside the mutation after an accepted push: each lost claim gets its agent a lost note (its
 * later writes to the ticket are refused with the reason) and a `claim-lost` board event; each
 * withdrawn claim released gets a `withdrawn` event.
 */
export function settleDecisions(
  tx: Tx,
  outcomes: readonly DecisionOutcome[],
  released: readonly WithdrawnClaim[],
  now: Date,
): void {
  for (const o of outcomes) {
    if (o.outcome !== "lost" || o.agent === null || o.ticket === null) continue;
    if (o.kind !== "claim") {
      postEntry(tx, {
        at: now,
        agent: o.agent,
        ticket: o.ticket,
        tag: "sync-conflict",
        kind: "event",
        message: `${o.agent}'s ${o.kind} of ${o.ticket} was not applied: ${o.reason}`,
        to: [o.agent],
      });
      continue;
    }
    const t = tx.store.tryReadTicket(o.ticket);
    if (t === null || t.claimed_by === o.agent) continue;
    // The note names the tenure the agent lost (its own claim_id), not the winner's.
    const lostTenure = o.claim_id === null
      ? t
      : withClaimGroup(t, { ...claimGroupOf(t), claim_id: o.claim_id });
    recordLostClaim(tx, o.agent, lostTenure, `not granted across machines: ${o.reason}`, now);
    postEntry(tx, {
      at: now,
      agent: o.agent,
      ticket: o.ticket,
      tag: "claim-lost",
      kind: "event",
      message: `${o.agent}'s claim of ${o.ticket} (${o.claim_id}) was not granted: ${o.reason}`,
      to: [o.agent],
    });
  }
  for (const w of released) {
    postEntry(tx, {
      at: now,
      agent: w.agent,
      ticket: w.ticket,
      tag: "withdrawn",
      kind: "event",
      message: `Released ${w.ticket}: ${w.agent}'s claim (${w.claim_id}) reached the remote ` +
        "although its command exited 8 (withdrawn after exit 8)",
      to: [w.agent],
    });
  }
}

/** The other files a replay reads, as text (null: absent): by store path. */
export type FileText = (path: string) => string | null;

/**
 * Replays the `release` and `reserve` decisions of `ops` on the fetched state: a release stands
 * only where the remote still has each ticket in the claim group it was made on and, for another
 * clone's agent, the heartbeat token it saw (a reclaim decided on a view older than the holder's
 * published heartbeat fails); an exclusive reservation only where no other agent's exclusive
 * reservation on the remote overlaps it. A lost one publishes none of its change to those
 * tickets (the remote's version stays) nor its reservations.
 */
export function replayOthers(
  ops: readonly OplogEntry[],
  sides: ReadonlyMap<string, TicketSides>,
  theirsFile: FileText,
  mergedFile: FileText,
): { outcomes: DecisionOutcome[]; writes: Map<string, string>; files: Map<string, string> } {
  const outcomes: DecisionOutcome[] = [];
  const writes = new Map<string, string>();
  const files = new Map<string, string>();
  for (const e of ops) {
    const d = e.decision;
    if (d === undefined || (d.kind !== "release" && d.kind !== "reserve")) continue;
    let lost: { reason: string; winner: string | null } | null = null;
    if (d.kind === "release") {
      for (const m of d.moves ?? []) {
        const theirs = parse(sides.get(m.ticket)?.theirs ?? null, m.ticket);
        if (theirs === null) continue; // Never published: nothing to race with.
        if (!sameClaimGroup(claimGroupOf(theirs), m.prev)) {
          lost = {
            reason: `${m.ticket} changed on another machine first (${
              theirs.claimed_by === null
                ? `status ${theirs.status}`
                : `held by "${theirs.claimed_by}", status ${theirs.status}`
            })`,
            winner: theirs.claimed_by,
          };
          break;
        }
      }
      for (const [agent, token] of Object.entries(d.tokens ?? {})) {
        if (lost !== null) break;
        const text = theirsFile(`agents/${agent}.json`);
        let now: HeartbeatToken | null = null;
        try {
          now = text === null ? null : tokenOf(parseAgent(text, agent));
        } catch {
          now = null;
        }
        if (now !== null && !sameToken(now, token)) {
          lost = {
            reason: `"${agent}" published a heartbeat after this clone judged it stale ` +
              `(token ${formatToken(token)}, now ${formatToken(now)})`,
            winner: agent,
          };
        }
      }
      if (lost !== null) {
        for (const m of d.moves ?? []) {
          const side = sides.get(m.ticket);
          if (side?.theirs != null && side.theirs !== side.merged) {
            writes.set(m.ticket, side.theirs);
          }
          // The holder keeps the ticket: the lost note this release gave it goes too.
          const holder = m.prev.claimed_by;
          const theirs = parse(side?.theirs ?? null, m.ticket);
          if (holder === null || theirs === null || theirs.claimed_by !== holder) continue;
          const path = `agents/${holder}.json`;
          const text = files.get(path) ?? mergedFile(path);
          if (text === null) continue;
          try {
            const record = parseAgent(text, holder);
            const tenure = claimIdOf(theirs);
            const kept = record.lost.filter((l) =>
              !(l.ticket === m.ticket &&
                (l.claim_id !== undefined ? l.claim_id === tenure : l.epoch === theirs.claim_epoch))
            );
            if (kept.length !== record.lost.length) {
              files.set(path, serializeAgent({ ...record, lost: kept }));
            }
          } catch {
            // An unreadable record: the merge reported it.
          }
        }
        // A reclaim of another clone's agent that lost: the agent stays as the remote has it
        // (not stale, no lost notes), with the reservations the reclaim released.
        const agents = Object.keys(d.tokens ?? {});
        for (const agent of agents) {
          const text = theirsFile(`agents/${agent}.json`);
          if (text !== null && text !== mergedFile(`agents/${agent}.json`)) {
            files.set(`agents/${agent}.json`, text);
          }
        }
        const back = reservationsOf(theirsFile(RESERVATIONS)).filter((r) =>
          agents.includes(r.agent)
        );
        const text = files.get(RESERVATIONS) ?? mergedFile(RESERVATIONS);
        let obj: { reservations?: ReservationEntry[] } | null = null;
        try {
          obj = text === null ? null : JSON.parse(text);
        } catch {
          obj = null; // Not JSON: the merge reported it; nothing to put back into.
        }
        if (back.length > 0 && obj !== null && Array.isArray(obj.reservations)) {
          const have = obj.reservations;
          const missing = back.filter((r) =>
            !have.some((h) => h.agent === r.agent && h.path === r.path && h.ticket === r.ticket)
          );
          if (missing.length > 0) {
            const all = [...have, ...missing].sort((x, y) =>
              x.path < y.path ? -1 : x.path > y.path ? 1 : x.agent < y.agent ? -1 : 1
            );
            files.set(RESERVATIONS, JSON.stringify({ ...obj, reservations: all }, null, 2) + "\n");
          }
        }
      }
    } else {
      const theirs = reservationsOf(theirsFile(RESERVATIONS));
      const mine = d.paths ?? [];
      const clash = theirs.find((r) =>
        r.mode === "exclusive" && r.agent !== d.agent &&
        mine.some((p) => patternsOverlap(r.path, p))
      );
      if (clash !== undefined) {
        lost = {
          reason: `"${clash.agent}" reserved ${clash.path} (for ${clash.ticket}) on another ` +
            "machine first",
          winner: clash.agent,
        };
        const text = files.get(RESERVATIONS) ?? mergedFile(RESERVATIONS);
        if (text !== null) {
          const obj = JSON.parse(text) as { reservations?: ReservationEntry[] };
          const kept = (obj.reservations ?? []).filter((r) =>
            !(r.agent === d.agent && r.ticket === d.ticket && mine.includes(r.path) &&
              !theirs.some((t) => t.agent === r.agent && t.path === r.path))
          );
          files.set(RESERVATIONS, JSON.stringify({ ...obj, reservations: kept }, null, 2) + "\n");
        }
      }
    }
    outcomes.push({
      seq: e.seq,
      kind: d.kind,
      ticket: d.ticket ?? d.moves?.[0]?.ticket ?? null,
      agent: d.agent,
      claim_id: null,
      outcome: lost === null ? "confirmed" : "lost",
      reason: lost?.reason ?? null,
      winner: lost?.winner ?? null,
    });
  }
  return { outcomes, writes, files };
}

const RESERVATIONS = "reservations.json";

interface ReservationEntry {
  path: string;
  agent: string;
  ticket: string;
  mode: string;
}

function reservationsOf(text: string | null): ReservationEntry[] {
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as { reservations?: unknown };
    return Array.isArray(v.reservations)
      ? v.reservations.filter((r): r is ReservationEntry =>
        r !== null && typeof r === "object" && typeof r.path === "string" &&
        typeof r.agent === "string"
      )
      : [];
  } catch {
    return [];
  }
}
