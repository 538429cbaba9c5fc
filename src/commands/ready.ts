/** `track ready`: what can start now, best first. */
import { defineCommand, str } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { readyTickets } from "../model/ready.ts";

/** `track ready`. */
export default defineCommand({
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
