/** `track blocked`: backlog tickets waiting on open dependencies. */
import { defineCommand } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { blockedTickets } from "../model/ready.ts";

/** `track blocked`. */
export default defineCommand({
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
