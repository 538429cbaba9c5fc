/** `track ready` and `track blocked`: what can start now, and what waits. */
import { defineCommand, str } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table, ticketJson } from "../cli/output.ts";
import { blockedTickets, readyTickets } from "../tickets/ready.ts";

/** `track ready`. */
export const ready = defineCommand({
  name: "ready",
  summary: "Backlog tickets whose dependencies are all done, best first",
  usage: "ready [--label L]",
  flags: [{
    name: "label",
    short: "l",
    type: "string",
    value: "L",
    description: "Only tickets with this label",
  }],
  parse: (args) => ({ label: str(args, "label") }),
  run(opts, ctx) {
    const { tickets, problems } = readSummaries(ctx.store());
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const list = readyTickets(tickets).filter((t) =>
      opts.label === undefined || t.labels.includes(opts.label)
    );
    if (ctx.json) printJson(ctx, { tickets: list.map(ticketJson) });
    else if (list.length === 0) ctx.io.err("Nothing is ready (hint: track blocked)");
    else {
      ctx.io.out(
        table(
          ["ID", "PRIORITY", "TITLE", "LABELS"],
          list.map((t) => [t.id, t.priority, t.title, t.labels.join(",")]),
        ),
      );
    }
    return Promise.resolve(0);
  },
});

/** `track blocked`. */
export const blocked = defineCommand({
  name: "blocked",
  summary: "Backlog tickets waiting on open dependencies, with what they wait on",
  usage: "blocked",
  flags: [],
  parse: () => ({}),
  run(_opts, ctx) {
    const { tickets, problems } = readSummaries(ctx.store());
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const list = blockedTickets(tickets);
    if (ctx.json) {
      printJson(ctx, {
        tickets: list.map((b) => ({ ...ticketJson(b.ticket), waiting_on: b.waitingOn })),
      });
    } else if (list.length === 0) ctx.io.err("Nothing is blocked");
    else {
      ctx.io.out(table(
        ["ID", "PRIORITY", "TITLE", "WAITING ON"],
        list.map((
          b,
        ) => [
          b.ticket.id,
          b.ticket.priority,
          b.ticket.title,
          b.waitingOn.map((w) => `${w.id} (${w.status})`).join(", "),
        ]),
      ));
    }
    return Promise.resolve(0);
  },
});
