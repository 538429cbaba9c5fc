/**
 * Decisions across machines (docs/sync.md "Decisions"; design §7.1): a coordination decision
 * (a claim, a forced move, a reclaim…) is made locally under the store lock as on one disk,
 * carried by its mutation's oplog line, and replayed on the fetched remote state at every
 * publish attempt by the same rule. Pure: types, the claim group, and the claim rule as it
 * applies to a ticket of the fetched state.
 */
import { TICKET_ID } from "./ids.ts";
import type { Ticket } from "./ticket.ts";
import { AGENT_NAME } from "./agent.ts";
import { isHeldBy } from "./holding.ts";
import { type HeartbeatToken, parseToken } from "./lease.ts";

/** The front-matter key of a claim's tenure id (`<clone id>-<counter>`). */
export const CLAIM_ID_KEY = "claim_id";

/** A tenure id: the clone id (12 hex) and a counter of that clone. */
export const CLAIM_ID = /^[0-9a-f]{12}-[1-9][0-9]{0,15}$/;

/** The fields of a ticket that change together when it is claimed, moved or released. */
export interface ClaimGroup {
  status: string;
  claimed_by: string | null;
  claimed_at: string | null;
  claim_epoch: number;
  claim_id: string | null;
}

/** A decision as carried by an oplog line (`"decision"` key). */
export interface Decision {
  /** `claim` (claim, next, update --status claimed, assign): the one kind replayed by rule. */
  kind: string;
  ticket: string | null;
  agent: string | null;
  /** The tenure a claim starts. */
  claim_id: string | null;
  /** Whether the claim overrode another holder or open dependencies. */
  force: boolean;
  /** The claim group the decision was made on (what a withdrawal restores). */
  prev: ClaimGroup | null;
  /**
   * `release` (stale --reclaim, deregister --release-tickets, a forced move of a ticket another
   * agent holds): each ticket it moves and the claim group it was made on. It stands only where
   * the remote still has that claim group.
   */
  moves?: Array<{ ticket: string; prev: ClaimGroup }>;
  /** `release` of another clone's agent: the heartbeat token seen, by agent (lease.ts). */
  tokens?: Record<string, HeartbeatToken>;
  /** `reserve` (exclusive `files --add`): the paths; they stand only where no other agent's
   * exclusive reservation on the remote overlaps them. */
  paths?: string[];
  /**
   * The `release` of `register --force` moving agent `agent` from another clone: the clone id
   * it was hosted by; the move is lost when the fetched state has it hosted by a third clone
   * since (src/operations/replay_moves.ts).
   */
  from?: string;
}

/** The tenure id of `t`, or null when it has none (claimed before sync, or never claimed). */
export function claimIdOf(t: Pick<Ticket, "extra">): string | null {
  const v = t.extra.find(([k]) => k === CLAIM_ID_KEY)?.[1];
  return typeof v === "string" ? v : null;
}

/** The claim group of `t`. */
export function claimGroupOf(t: Ticket): ClaimGroup {
  return {
    status: t.status,
    claimed_by: t.claimed_by,
    claimed_at: t.claimed_at,
    claim_epoch: t.claim_epoch,
    claim_id: claimIdOf(t),
  };
}

/** `t` with its claim group replaced by `g`. */
export function withClaimGroup(t: Ticket, g: ClaimGroup): Ticket {
  const extra = t.extra.filter(([k]) => k !== CLAIM_ID_KEY);
  if (g.claim_id !== null) extra.push([CLAIM_ID_KEY, g.claim_id]);
  extra.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    ...t,
    status: g.status as Ticket["status"],
    claimed_by: g.claimed_by,
    claimed_at: g.claimed_at,
    claim_epoch: g.claim_epoch,
    extra,
  };
}

/**
 * Why a claim by `agent` on `ticket` as the fetched state has it cannot stand, or null when it
 * can: the same rule as a local claim (only backlog tickets, not one another agent holds,
 * dependencies done), `force` overriding all but done. `openDeps` lists the ticket's
 * dependencies that are not done in the merged state.
 */
export function claimRefusal(
  ticket: Ticket | null,
  agent: string,
  force: boolean,
  openDeps: readonly string[],
): { reason: string; winner: string | null } | null {
  if (ticket === null) return { reason: "the ticket was deleted on another machine", winner: null };
  if (ticket.status === "done") return { reason: "it is done", winner: null };
  const heldBySelf = isHeldBy(ticket, agent);
  if (ticket.status !== "backlog" && !heldBySelf && !force) {
    const holder = ticket.claimed_by;
    return {
      reason: holder === null
        ? `its status is ${ticket.status} on the remote`
        : `"${holder}" claimed it first (published by another clone; status ${ticket.status})`,
      winner: holder,
    };
  }
  if (!force && openDeps.length > 0) {
    return {
      reason: `it depends on open tickets ${openDeps.join(", ")} (reopened on another machine)`,
      winner: null,
    };
  }
  return null;
}

function groupOf(x: unknown): ClaimGroup | null | undefined {
  if (x === null) return null;
  if (typeof x !== "object" || Array.isArray(x)) return undefined;
  const g = x as Record<string, unknown>;
  const strOrNull = (v: unknown) => v === null || typeof v === "string";
  if (
    typeof g.status !== "string" || !strOrNull(g.claimed_by) || !strOrNull(g.claimed_at) ||
    !Number.isSafeInteger(g.claim_epoch) || !strOrNull(g.claim_id)
  ) return undefined;
  return {
    status: g.status,
    claimed_by: g.claimed_by as string | null,
    claimed_at: g.claimed_at as string | null,
    claim_epoch: g.claim_epoch as number,
    claim_id: g.claim_id as string | null,
  };
}

/** Whether two claim groups are the same (every field). */
export function sameClaimGroup(a: ClaimGroup, b: ClaimGroup): boolean {
  return a.status === b.status && a.claimed_by === b.claimed_by &&
    a.claimed_at === b.claimed_at && a.claim_epoch === b.claim_epoch && a.claim_id === b.claim_id;
}

/** A decision read from an oplog line, or undefined when `x` is not one. */
export function parseDecision(x: unknown): Decision | undefined {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return undefined;
  const d = x as Record<string, unknown>;
  const prev = groupOf(d.prev ?? null);
  if (
    typeof d.kind !== "string" || !/^[a-z][a-z-]*$/.test(d.kind) ||
    !(d.ticket === null || (typeof d.ticket === "string" && TICKET_ID.test(d.ticket))) ||
    !(d.agent === null || (typeof d.agent === "string" && AGENT_NAME.test(d.agent))) ||
    !(d.claim_id === null || (typeof d.claim_id === "string" && CLAIM_ID.test(d.claim_id))) ||
    typeof d.force !== "boolean" || prev === undefined ||
    !(d.from === undefined || (typeof d.from === "string" && /^[0-9a-f]{12}$/.test(d.from)))
  ) return undefined;
  const out: Decision = {
    kind: d.kind,
    ticket: d.ticket as string | null,
    agent: d.agent as string | null,
    claim_id: d.claim_id as string | null,
    force: d.force,
    prev,
    ...(d.from === undefined ? {} : { from: d.from as string }),
  };
  if (d.moves !== undefined) {
    if (!Array.isArray(d.moves)) return undefined;
    const moves: Array<{ ticket: string; prev: ClaimGroup }> = [];
    for (const m of d.moves) {
      const g = groupOf(m?.prev);
      if (typeof m?.ticket !== "string" || !TICKET_ID.test(m.ticket) || !g) return undefined;
      moves.push({ ticket: m.ticket, prev: g });
    }
    out.moves = moves;
  }
  if (d.tokens !== undefined) {
    if (d.tokens === null || typeof d.tokens !== "object" || Array.isArray(d.tokens)) {
      return undefined;
    }
    const tokens: Record<string, HeartbeatToken> = {};
    for (const [agent, v] of Object.entries(d.tokens)) {
      const t = parseToken(v);
      if (t === null || !AGENT_NAME.test(agent)) return undefined;
      tokens[agent] = t;
    }
    out.tokens = tokens;
  }
  if (d.paths !== undefined) {
    if (!Array.isArray(d.paths) || !d.paths.every((p) => typeof p === "string")) return undefined;
    out.paths = d.paths as string[];
  }
  return out;
}

/**
 * A `release` decision by `by` (an agent, or `human`): `t` moved out of its holder's hands (none
 * yet when null; more are added to the same decision by the same mutation).
 */
export function releaseDecision(by: string | null, t: Ticket | null): Decision {
  return {
    kind: "release",
    ticket: null,
    agent: by !== null && AGENT_NAME.test(by) ? by : null,
    claim_id: null,
    force: false,
    prev: null,
    moves: t === null ? [] : [{ ticket: t.id, prev: claimGroupOf(t) }],
  };
}
