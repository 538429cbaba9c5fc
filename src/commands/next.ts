/** `track next --agent A`: claim the best ready ticket, atomically. */
import { AGENT_FLAG, defineCommand, str } from "../cli/command.ts";
import { handoffPointer, printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { claimNext } from "../operations/claims.ts";

export default defineCommand({
  name: "next",
  summary: "Claim the best ready ticket (exit 4 when nothing is ready)",
  usage: "next --agent A [--label L]",
  flags: [AGENT_FLAG, {
    name: "label",
    short: "l",
    type: "string",
    value: "L",
    description: "Only tickets with this label",
  }],
  parse: (args) => ({ agent: str(args, "agent"), label: str(args, "label") }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "next");
    const r = await claimNext(ctx.store(), agent, { label: opts.label, now: ctx.now() });
    if (ctx.json) {
      printJson(ctx, { ticket: ticketJson(r.ticket), already: r.already, handoff: r.handoff });
    } else {
      ctx.io.out(`Claimed ${r.ticket.id} for ${agent}: ${r.ticket.title}`);
      if (r.handoff !== null) ctx.io.out(handoffPointer(r.ticket.id, r.handoff));
    }
  },
});
