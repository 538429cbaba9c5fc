/** `track archive T`: take a ticket out of every listing, kept in `.track/archive/`. */
import { AGENT_FLAG, bool, defineCommand, oneTicket, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { archiveTicket, restoreTicket } from "../operations/archive.ts";

export default defineCommand({
  name: "archive",
  summary:
    "Archive a ticket (out of every listing, still shown; refused while others depend on it)",
  usage: "archive T [--restore] [--agent A]",
  positionals: ["ticket"],
  flags: [
    { name: "restore", type: "boolean", description: "Bring an archived ticket back" },
    AGENT_FLAG,
  ],
  parse: (args) => ({
    id: oneTicket(args.positionals, "archive"),
    restore: bool(args, "restore"),
    agent: str(args, "agent"),
  }),
  async run(opts, ctx) {
    const agent = ctx.agent(opts.agent);
    const options = { agent, now: ctx.now() };
    if (opts.restore) {
      const t = await restoreTicket(ctx.store(), opts.id, options);
      if (ctx.json) printJson(ctx, { ticket: ticketJson(t), archived: false, released: 0 });
      else ctx.io.out(`Restored ${t.id} (${t.status}): ${t.title}`);
      return;
    }
    const r = await archiveTicket(ctx.store(), opts.id, options);
    if (ctx.json) {
      printJson(ctx, { ticket: ticketJson(r.ticket), archived: true, released: r.released });
    } else {
      ctx.io.out(
        `Archived ${r.ticket.id}: ${r.ticket.title}` +
          (r.released > 0 ? ` (${r.released} reservations released)` : ""),
      );
      ctx.io.err(
        `hint: track show ${r.ticket.id} still shows it; track archive ${r.ticket.id} --restore brings it back`,
      );
    }
  },
});
