/**
 * Replaying `register --force` moves (decisions carrying `from`) on the fetched state (docs/sync.md "Identities"; design
 * §7.4), beside the claims of replay.ts: a move of agent X from clone H to this clone stands only
 * when the remote's record of X is still hosted by H (or already by this clone: an earlier push
 * carried it, or the remote has no record of X). Otherwise another clone moved it meanwhile and
 * the move is lost: none of this clone's change to X's record, nor to the tickets X holds on the
 * remote (the old host's tenures the move gave back), is published.
 */
import { parseAgent } from "../model/agent.ts";
import { isHeldBy } from "../model/holding.ts";
import { parseTicket } from "../model/ticket.ts";
import type { OplogEntry } from "../store/oplog.ts";
import { readBlobs } from "../store/sync_repo.ts";
import type { DecisionOutcome } from "./replay.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The outcome of each move of `ops` given the remote's text of an agent's record (null: none),
 * and the agents whose move was lost.
 */
export function moveOutcomes(
  ops: readonly OplogEntry[],
  theirsAgent: (name: string) => string | null,
): { outcomes: DecisionOutcome[]; lost: Set<string> } {
  const outcomes: DecisionOutcome[] = [];
  const lost = new Set<string>();
  for (const e of ops) {
    const d = e.decision;
    if (d === undefined || d.agent === null || d.from === undefined) continue;
    const text = theirsAgent(d.agent);
    let host: string | null = null;
    if (text !== null) {
      try {
        host = parseAgent(text, d.agent).host ?? null;
      } catch {
        host = null; // An unreadable published record: ours replaces it (sync_merge.ts).
      }
    }
    const stands = host === null || host === d.from || host === e.clone;
    if (stands) lost.delete(d.agent);
    else lost.add(d.agent);
    outcomes.push({
      seq: e.seq,
      kind: "register",
      ticket: null,
      agent: d.agent,
      claim_id: null,
      outcome: stands ? "confirmed" : "lost",
      reason: stands ? null : `"${d.agent}" was moved to clone ${host} meanwhile (published first)`,
      winner: stands ? null : host,
    });
  }
  return { outcomes, lost };
}

/**
 * Replays the moves of `ops` on the merged tree `out` (blob ids by store path) given the
 * remote's tree `theirs`: returns the tree to publish (`out` itself when no move was lost) and
 * the outcomes.
 */
export async function replayMoves(
  gitDir: string,
  ops: readonly OplogEntry[],
  theirs: ReadonlyMap<string, string>,
  out: Map<string, string>,
): Promise<{ out: Map<string, string>; outcomes: DecisionOutcome[] }> {
  const movers = ops.filter((e) => e.decision?.from !== undefined && e.decision.agent !== null);
  if (movers.length === 0) return { out, outcomes: [] };
  const path = (name: string) => `agents/${name}.json`;
  const oids = movers.map((e) => theirs.get(path(e.decision!.agent!))).filter((o) =>
    o !== undefined
  ) as string[];
  const blobs = await readBlobs(gitDir, oids);
  const text = (oid: string | undefined): string | null => {
    const b = oid === undefined ? undefined : blobs.get(oid);
    if (b === undefined) return null;
    try {
      return decoder.decode(b);
    } catch {
      return null;
    }
  };
  const { outcomes, lost } = moveOutcomes(ops, (name) => text(theirs.get(path(name))));
  if (lost.size === 0) return { out, outcomes };
  const next = new Map(out);
  for (const name of lost) {
    const was = theirs.get(path(name));
    if (was === undefined) next.delete(path(name));
    else next.set(path(name), was);
  }
  // The tickets the lost agents hold on the remote stay as the remote has them.
  const changed = [...out].filter(([p, oid]) =>
    p.startsWith("tickets/") && theirs.has(p) && theirs.get(p) !== oid
  ).map(([p]) => p);
  const ticketBlobs = await readBlobs(gitDir, changed.map((p) => theirs.get(p)!));
  for (const p of changed) {
    const b = ticketBlobs.get(theirs.get(p)!);
    if (b === undefined) continue;
    try {
      const t = parseTicket(decoder.decode(b), p.slice("tickets/".length, -".md".length));
      if (t.claimed_by !== null && lost.has(t.claimed_by) && isHeldBy(t, t.claimed_by)) {
        next.set(p, theirs.get(p)!);
      }
    } catch {
      // Not a ticket this replay can read: the merge decided it.
    }
  }
  return { out: next, outcomes };
}
