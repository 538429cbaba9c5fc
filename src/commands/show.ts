/** `track show T`: the ticket's markdown. */
import { defineCommand } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { printJson, ticketDetailJson } from "../cli/output.ts";
import { parseId } from "../tickets/ids.ts";

/** Takes exactly one ticket id positional. */
export function oneTicket(positionals: string[], command: string): string {
  if (positionals.length === 0) {
    throw usageError(`"track ${command}" needs a ticket id`, `track ${command} T-0001`);
  }
  if (positionals.length > 1) {
    throw usageError(
      `"track ${command}" takes one ticket id, got ${positionals.length}`,
      `track ${command} --help`,
    );
  }
  return parseId(positionals[0]);
}

export default defineCommand({
  name: "show",
  summary: "Print a ticket's markdown",
  usage: "show T",
  positionals: ["ticket"],
  flags: [],
  parse: (args) => ({ id: oneTicket(args.positionals, "show") }),
  run(opts, ctx) {
    const store = ctx.store();
    const found = store.tryReadTicketFile(opts.id);
    if (found === null) store.readTicket(opts.id); // Throws the not-found error.
    if (ctx.json) printJson(ctx, { ticket: ticketDetailJson(found!.ticket) });
    else ctx.io.out(found!.text);
    return Promise.resolve(0);
  },
});
