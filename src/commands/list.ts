/** `track list`: tickets, done excluded unless asked for. */
import { bool, defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table } from "../cli/output.ts";
import type { TicketSummary } from "../model/ticket.ts";
import { unverifiedOf } from "../model/verify.ts";
import { parseId } from "../model/ids.ts";
import { filterTickets, sortTickets } from "../model/queries.ts";
import { PRIORITIES, type Priority, type Status, STATUSES } from "../model/transitions.ts";

export default defineCommand({
  name: "list",
  summary: "List tickets (done excluded unless --all or --status done)",
  usage:
    "list [--status S] [--agent A] [--label L] [--priority P] [--parent T] [--all | --archived]",
  flags: [
    {
      name: "status",
      short: "s",
      type: "string",
      value: "S",
      description: "Only this status",
      choices: STATUSES,
    },
    {
      name: "agent",
      short: "a",
      type: "string",
      value: "NAME",
      description: "Only tickets claimed by this agent",
    },
    {
      name: "label",
      short: "l",
      type: "string",
      value: "L",
      description: "Only tickets with this label",
    },
    {
      name: "priority",
      short: "p",
      type: "string",
      value: "P",
      description: "Only this priority",
      choices: PRIORITIES,
    },
    { name: "parent", type: "string", value: "T", description: "Only children of epic T" },
    { name: "all", type: "boolean", description: "Include done tickets" },
    {
      name: "archived",
      type: "boolean",
      description: "List archived tickets instead (any status)",
    },
  ],
  parse(args) {
    if (args.positionals.length > 0) {
      throw usageError(
        `Unexpected argument ${JSON.stringify(args.positionals[0])}`,
        "track list --help",
      );
    }
    return {
      status: str(args, "status") as Status | undefined,
      agent: str(args, "agent"),
      label: str(args, "label"),
      priority: str(args, "priority") as Priority | undefined,
      parent: str(args, "parent") === undefined ? undefined : parseId(str(args, "parent")!),
      all: bool(args, "all"),
      archived: bool(args, "archived"),
    };
  },
  async run(opts, ctx) {
    const store = ctx.store();
    const { tickets, problems } = opts.archived
      ? store.readArchivedTickets()
      : readSummaries(store);
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const shown = sortTickets(filterTickets(tickets, { ...opts, all: opts.all || opts.archived }));
    // Claims this clone granted that no sync confirmed yet (sync stores only: loaded then).
    const unconfirmed = new Set<string>();
    if (store.synced && !opts.archived) {
      const { isUnconfirmed, pendingClaims } = await import("../operations/unconfirmed.ts");
      const pending = pendingClaims(store);
      for (const t of shown) if (isUnconfirmed(pending, t)) unconfirmed.add(t.id);
    }
    if (ctx.json) {
      // Loaded only for --json: the table needs none of it.
      const { ticketJson } = await import("../model/json.ts");
      printJson(ctx, {
        tickets: shown.map((t) =>
          unconfirmed.has(t.id) ? { ...ticketJson(t), confirmed: false } : ticketJson(t)
        ),
        skipped: problems.map((p) => ({ file: p.file, message: p.error.message })),
      });
    } else if (shown.length === 0) {
      ctx.io.err(
        opts.archived && tickets.length === 0
          ? "No archived tickets"
          : tickets.length === 0
          ? 'No tickets yet (hint: track create --title "...")'
          : "No tickets match",
      );
    } else {
      ctx.io.out(table(
        ["ID", "PRIORITY", "STATUS", "CLAIMED BY", "TITLE", "LABELS"],
        shown.map((t) => [
          t.id,
          t.priority,
          statusCell(t),
          t.claimed_by === null
            ? "-"
            : unconfirmed.has(t.id)
            ? `${t.claimed_by} (unconfirmed)`
            : t.claimed_by,
          t.title,
          t.labels.join(","),
        ]),
      ));
    }
    return 0;
  },
});

/** The status column: a done ticket forced past its verify commands reads "done (unverified)". */
function statusCell(t: TicketSummary): string {
  return t.status === "done" && unverifiedOf(t) !== null ? "done (unverified)" : t.status;
}
