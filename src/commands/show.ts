/** `track show T`: the ticket's markdown. */
import { defineCommand, oneTicket } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { ticketDetailJson } from "../model/json.ts";
import { unverifiedOf } from "../model/verify.ts";

export default defineCommand({
  name: "show",
  summary: "Print a ticket's markdown (archived ones too)",
  usage: "show T",
  positionals: ["ticket"],
  flags: [],
  parse: (args) => ({ id: oneTicket(args.positionals, "show") }),
  run(opts, ctx) {
    const store = ctx.store();
    const live = store.tryReadTicketFile(opts.id);
    // An archived ticket is still shown (and says so).
    const found = live ?? store.tryReadArchivedFile(opts.id);
    if (found === null) store.readTicket(opts.id); // Throws the not-found error.
    if (ctx.json) {
      printJson(ctx, { ticket: ticketDetailJson(found!.ticket), archived: live === null });
    } else {
      ctx.io.out(found!.text);
      const unverified = unverifiedOf(found!.ticket);
      if (unverified !== null) ctx.io.err(`note: ${opts.id} is unverified: ${unverified}`);
      if (live === null) {
        ctx.io.err(
          `note: ${opts.id} is archived (hint: track archive ${opts.id} --restore brings it back)`,
        );
      }
    }
    return Promise.resolve(0);
  },
});
