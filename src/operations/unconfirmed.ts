/**
 * Claims granted on this clone that the shared state has not confirmed yet (docs/sync.md
 * "Unconfirmed claims"): a claim decision (an oplog line with `"decision": {"kind": "claim",…}`)
 * this clone has not published. Views mark such a ticket "unconfirmed" (`"confirmed": false` in
 * `--json`): its holder was told exit 9, and the claim is at risk until the next sync.
 *
 * Reads only, never fails a view: with sync off it reads nothing at all; an oplog or engine
 * record that does not read marks nothing (the write path reports it).
 */
import { join } from "../model/path.ts";
import type { Store } from "../store/store.ts";

/** The store file listing claims withdrawn after exit 8 (replay.ts; never leaves the machine). */
export const WITHDRAWN_FILE = "withdrawn";

/** A ticket and the agent holding it, as views have them. */
export interface Held {
  id: string;
  claimed_by: string | null;
}

/** Unconfirmed claims of a store: ticket id → the agent (and claim id) of the pending claim. */
export type Unconfirmed = ReadonlyMap<string, { agent: string | null; claim_id: string | null }>;

const NONE: Unconfirmed = new Map();

/** What this clone has not published yet (sync stores; all zero/empty with sync off). */
export interface Pending {
  /** Oplog lines (changes) not published yet. */
  changes: number;
  /** Of those, the ones carrying a decision (claims, moves, reclaims, …). */
  decisions: number;
  /** The pending claim decisions, by ticket (the last one of each ticket). */
  claims: Unconfirmed;
}

const NOTHING: Pending = { changes: 0, decisions: 0, claims: NONE };

/** Reads the oplog's unpublished lines (no lock, no git, never throws). */
export function readPending(store: Store): Pending {
  const paths = store.home?.paths;
  if (!store.synced || paths === undefined) return NOTHING;
  let text: string;
  try {
    const file = join(store.dir, "oplog");
    if (!Deno.lstatSync(file).isFile) return NOTHING;
    text = Deno.readTextFileSync(file);
  } catch {
    return NOTHING;
  }
  let published = 0;
  try {
    const v = JSON.parse(Deno.readTextFileSync(join(paths.private, "state.json")));
    if (Number.isInteger(v?.published_seq)) published = v.published_seq;
  } catch {
    // No record yet: nothing was published.
  }
  const lines: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const v = JSON.parse(line);
      if (v !== null && typeof v === "object" && Number.isInteger(v.seq)) lines.push(v);
    } catch {
      // A line that does not parse: the write path refuses it (oplog.ts); views go on.
    }
  }
  const last = lines.length === 0 ? 0 : lines[lines.length - 1].seq as number;
  // An oplog ending below the published seq was moved aside: every line is pending.
  const pending = last < published ? lines : lines.filter((l) => (l.seq as number) > published);
  // Claims withdrawn after exit 8 (replay.ts) are not pending: no sync publishes them.
  const withdrawn = new Set<string>();
  try {
    const list = JSON.parse(Deno.readTextFileSync(join(store.dir, WITHDRAWN_FILE)));
    if (Array.isArray(list)) { for (const w of list) withdrawn.add(String(w?.claim_id)); }
  } catch {
    // None withdrawn (or unreadable: the write path reports it).
  }
  const claims = new Map<string, { agent: string | null; claim_id: string | null }>();
  let decisions = 0;
  for (const l of pending) {
    const d = l.decision as Record<string, unknown> | undefined | null;
    if (d === null || d === undefined || typeof d !== "object") continue;
    decisions++;
    if (d.kind !== "claim" || withdrawn.has(String(d.claim_id))) continue;
    const ticket = typeof d.ticket === "string" ? d.ticket : l.ticket;
    if (typeof ticket !== "string") continue;
    const agent = typeof d.agent === "string"
      ? d.agent
      : typeof l.agent === "string"
      ? l.agent
      : null;
    claims.set(ticket, { agent, claim_id: typeof d.claim_id === "string" ? d.claim_id : null });
  }
  return { changes: pending.length, decisions, claims };
}

/**
 * The pending claim decisions of `store` (empty with sync off), by ticket: the last pending
 * claim of each ticket.
 */
export function pendingClaims(store: Store): Unconfirmed {
  return readPending(store).claims;
}

/**
 * Whether `t`'s claim is unconfirmed: a pending claim decision names it and the agent holding
 * it now (when its `claim_id` is known, that too must match the pending one).
 */
export function isUnconfirmed(
  pending: Unconfirmed,
  t: Held & { claim_id?: unknown; extra?: unknown },
): boolean {
  if (t.claimed_by === null || pending.size === 0) return false;
  const p = pending.get(t.id);
  if (p === undefined || (p.agent !== null && p.agent !== t.claimed_by)) return false;
  // A ticket's claim_id: a field, or an unknown front-matter key (ticket.ts `extra`).
  const own = t.claim_id ??
    (Array.isArray(t.extra)
      ? (t.extra as Array<[string, unknown]>).find(([k]) => k === "claim_id")?.[1]
      : undefined);
  return p.claim_id === null || typeof own !== "string" || own === p.claim_id;
}
