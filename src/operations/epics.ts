/** Epics under the lock: setting a parent (it exists, no cycle) and closing an epic. */
import { conflictError, notFoundError } from "../model/errors.ts";
import { childrenOf, parentCycle, parentOf, type Progress, progressOf } from "../model/planning.ts";
import { sortTickets } from "../model/queries.ts";
import type { Ticket, TicketSummary } from "../model/ticket.ts";
import type { Store, Tx } from "../store/store.ts";
import { readSummaries } from "../store/ticket_cache.ts";

/** Throws exit 4 when `parent` does not exist, exit 3 naming the cycle it would close. */
export function checkParent(tx: Tx, child: string, parent: string): void {
  if (tx.tryReadTicket(parent) === null) {
    throw notFoundError(
      `Cannot make "${parent}" the parent of "${child}": ${
        tx.store.isArchived(parent) ? "it is archived" : "no such ticket"
      }`,
      tx.store.isArchived(parent) ? `track archive ${parent} --restore` : "track list --all",
    );
  }
  const cycle = parentCycle(child, parent, (id) => {
    try {
      const t = tx.tryReadTicket(id);
      return t === null ? null : parentOf(t);
    } catch {
      return null; // An unreadable ticket cannot be followed; doctor reports it.
    }
  });
  if (cycle !== null) {
    throw conflictError(
      `Cannot make "${parent}" the parent of "${child}": that would close the cycle ${
        cycle.join(" -> ")
      }`,
      `track show ${parent}`,
      { cycle },
    );
  }
}

/** Throws exit 3 naming the open children of `t` (an epic cannot be done before them). */
export function assertChildrenDone(tx: Tx, t: Ticket): void {
  const open = childrenOf(tx.readAllTickets().tickets, t.id).filter((c) => c.status !== "done");
  if (open.length === 0) return;
  throw conflictError(
    `Cannot move "${t.id}" to done: its children ${
      open.map((c) => `${c.id} (${c.status})`).join(", ")
    } are not done`,
    `track list --parent ${t.id} (or --force to close the epic anyway)`,
    { ticket: t.id, open_children: open.map((c) => ({ id: c.id, status: c.status })) },
  );
}

/** An epic's children (live tickets naming it as parent, by priority then id) and progress. */
export function epicChildren(store: Store, id: string): {
  children: TicketSummary[];
  progress: Progress;
} {
  const children = sortTickets(childrenOf(readSummaries(store).tickets, id));
  return { children, progress: progressOf(children) };
}
