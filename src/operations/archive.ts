/**
 * Archiving a ticket created by mistake (or no longer wanted): its file moves from `tickets/` to
 * `archive/`, so no listing, `ready`, `next`, the dashboard or an agent sees it, while `show`
 * still does and its id is never given out again. Refused while another ticket depends on it or
 * someone works on it. `--restore` moves it back. See docs/format.md "Archive".
 */
import { conflictError, notFoundError } from "../model/errors.ts";
import { isoSeconds } from "../model/time.ts";
import { postEntry } from "./board.ts";
import { touchAgent } from "../store/agent_records.ts";
import { releaseWhere } from "./reservations.ts";
import type { Store } from "../store/store.ts";
import { serializeTicket, type Ticket } from "../model/ticket.ts";
import { HELD_STATUSES } from "../model/holding.ts";

/** Options of {@linkcode archiveTicket} and {@linkcode restoreTicket}. */
export interface ArchiveOptions {
  /** The agent acting, or null for a person (`human`). */
  agent: string | null;
  now: Date;
}

/** Result of archiving: the ticket as archived and how many reservations ended with it. */
export interface ArchiveResult {
  ticket: Ticket;
  released: number;
}

/**
 * Moves ticket `id` to the archive (exit 4 when missing, exit 3 while another ticket depends on
 * it, naming them, or while it is claimed or in progress). Its reservations end; the board
 * records it.
 */
export async function archiveTicket(
  store: Store,
  id: string,
  options: ArchiveOptions,
): Promise<ArchiveResult> {
  return await store.mutate(`archive ${id}`, (tx) => {
    const t = tx.readTicket(id);
    if (HELD_STATUSES.includes(t.status)) {
      throw conflictError(
        `Cannot archive "${t.id}": "${t.claimed_by}" is working on it (${t.status})`,
        `track update ${t.id} --status backlog (by its holder), then track archive ${t.id}`,
        { ticket: t.id, status: t.status, holder: t.claimed_by },
      );
    }
    // Never over an archived copy of the same id (a hand copy, a merge of two clones): that
    // copy would be lost. The same refusal as --restore's when both files exist.
    if (tx.store.tryReadArchivedFile(t.id) !== null) {
      throw conflictError(
        `Cannot archive "${t.id}": both ${tx.store.display(tx.store.ticketPath(t.id))} and ` +
          `${
            tx.store.display(tx.store.archivePath(t.id))
          } exist; archiving would replace the archived copy`,
        `track show ${t.id} (the active copy; compare it with the archived file and keep one)`,
        { ticket: t.id, archived: tx.store.display(tx.store.archivePath(t.id)) },
      );
    }
    const dependents = tx.readAllTickets().tickets.filter((o) => o.depends_on.includes(t.id))
      .map((o) => o.id);
    if (dependents.length > 0) {
      throw conflictError(
        `Cannot archive "${t.id}": ${dependents.map((d) => `"${d}"`).join(", ")} ${
          dependents.length === 1 ? "depends" : "depend"
        } on it`,
        `track update ${dependents[0]} --remove-dep ${t.id}`,
        { ticket: t.id, dependents },
      );
    }
    const archived: Ticket = { ...t, updated: isoSeconds(options.now) };
    tx.writeFile(tx.store.archivePath(t.id), serializeTicket(archived));
    tx.removeFile(tx.store.ticketPath(t.id));
    const released = releaseWhere(tx, (r) => r.ticket === t.id).length;
    const by = options.agent ?? "human";
    postEntry(tx, {
      at: options.now,
      agent: by,
      ticket: t.id,
      tag: "archived",
      kind: "event",
      message: `Archived ${t.id} (${t.status}): ${t.title}`,
    });
    if (options.agent !== null) touchAgent(tx, options.agent, options.now);
    return { ticket: archived, released };
  });
}

/** Moves archived ticket `id` back to `tickets/`, as it was (exit 4 when it is not archived). */
export async function restoreTicket(
  store: Store,
  id: string,
  options: ArchiveOptions,
): Promise<Ticket> {
  return await store.mutate(`archive ${id} --restore`, (tx) => {
    const found = tx.store.tryReadArchivedFile(id);
    if (found === null) {
      if (tx.tryReadTicket(id) !== null) {
        throw conflictError(`Cannot restore "${id}": it is not archived`, `track show ${id}`);
      }
      throw notFoundError(`Ticket "${id}" is not in the archive`, "track list --archived");
    }
    if (tx.tryReadTicket(id) !== null) {
      throw conflictError(
        `Cannot restore "${id}": both ${tx.store.display(tx.store.ticketPath(id))} and ` +
          `${tx.store.display(tx.store.archivePath(id))} exist`,
        `track show ${id}`,
      );
    }
    const t: Ticket = { ...found.ticket, updated: isoSeconds(options.now) };
    tx.writeTicket(t);
    tx.removeFile(tx.store.archivePath(id));
    postEntry(tx, {
      at: options.now,
      agent: options.agent ?? "human",
      ticket: t.id,
      tag: "restored",
      kind: "event",
      message: `Restored ${t.id} (${t.status}) from the archive: ${t.title}`,
    });
    if (options.agent !== null) touchAgent(tx, options.agent, options.now);
    return t;
  });
}
