/**
 * Fencing: an agent whose claim was taken (reclaimed as stale, taken with `--force`, moved by
 * someone else) gets a `lost` note on its agent record; its later writes to that ticket (update,
 * log, reserving files) are refused until it claims the ticket again. Claims, updates, stale
 * reclaim and reservations all apply it, so it is its own module.
 */
import { claimIdOf } from "../model/decision.ts";
import { conflictError } from "../model/errors.ts";
import { isoSeconds } from "../model/time.ts";
import type { Ticket } from "../model/ticket.ts";
import type { Tx } from "../store/store.ts";
import { writeAgent } from "../store/agent_records.ts";
import { assertLeaseHeld } from "./leases.ts";

/**
 * Refuses (exit 3) when `agent` lost its claim on `ticket` (reclaimed, taken with `--force`,
 * moved by someone else) and has not claimed it again since: a late writer cannot overwrite
 * the new holder's work, nor go on with a ticket taken out of its hands; with sync on, also when
 * its lease expired (src/operations/leases.ts). Under the lock only:
 * `ticket` and the agent's record are read through the transaction.
 */
export function assertNotFenced(tx: Tx, agent: string, ticket: Ticket, action: string): void {
  // With sync on, a holder whose lease expired stops first (leases.ts: exit 3).
  assertLeaseHeld(tx, agent, ticket, action);
  const record = tx.readAgent(agent);
  const lost = record?.lost.filter((l) => l.ticket === ticket.id).at(-1);
  if (!lost) return;
  // Claimed again since (a newer epoch): the note is history. A claim clears it anyway.
  // Claimed again since: a new tenure (by its id with sync on; ids are unique across machines,
  // epochs are not), or a new epoch.
  if (
    ticket.claimed_by === agent &&
    (lost.claim_id !== undefined
      ? claimIdOf(ticket) !== lost.claim_id
      : ticket.claim_epoch !== lost.epoch)
  ) return;
  const now = ticket.claimed_by === null
    ? `it is in ${ticket.status}, unclaimed`
    : ticket.claimed_by === agent
    ? `it is in ${ticket.status}, no longer in its hands`
    : `it is now held by "${ticket.claimed_by}"`;
  throw conflictError(
    `Cannot ${action} "${ticket.id}": "${agent}" lost its claim at ${lost.at} (${lost.reason}); ${now}`,
    `track next --agent ${agent} (or track board --last 20 to see what happened)`,
    { ticket: ticket.id, lost_at: lost.at, reason: lost.reason, holder: ticket.claimed_by },
  );
}

/** Records on `agent` that it lost its claim on `ticket` (inside a mutation). */
export function recordLostClaim(
  tx: Tx,
  agent: string,
  ticket: Ticket,
  reason: string,
  now: Date,
): void {
  const record = tx.readAgent(agent);
  if (!record) return;
  record.lost = record.lost.filter((l) => l.ticket !== ticket.id);
  const claimId = claimIdOf(ticket);
  record.lost.push({
    ticket: ticket.id,
    epoch: ticket.claim_epoch,
    at: isoSeconds(now),
    reason,
    ...(claimId === null ? {} : { claim_id: claimId }),
  });
  // Keep the notes bounded: an agent never needs more than its recent losses.
  if (record.lost.length > 50) record.lost = record.lost.slice(-50);
  writeAgent(tx, record);
}
