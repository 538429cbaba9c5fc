/** `track claim T --agent A`: take a backlog ticket. */
import { AGENT_FLAG, bool, defineCommand, oneTicket, str } from "../cli/command.ts";
import { handoffPointer, printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { claimTicket } from "../operations/claims.ts";

export default defineCommand({
  name: "claim",
  summary: "Claim a backlog ticket (checks dependencies)",
  usage: "claim T --agent A [--force]",
  positionals: ["ticket"],
  flags: [AGENT_FLAG, {
    name: "force",
    short: "f",
    type: "boolean",
    description: "Override open dependencies or another holder",
  }],
  parse: (args) => ({
    id: oneTicket(args.positionals, "claim"),
    agent: str(args, "agent"),
    force: bool(args, "force"),
  }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "claim");
    const r = await claimTicket(ctx.store(), opts.id, agent, { force: opts.force, now: ctx.now() });
    if (ctx.json) {
      printJson(ctx, {
        ticket: ticketJson(r.ticket),
        already: r.already,
        taken_from: r.takenFrom,
        handoff: r.handoff,
      });
    } else if (r.already) {
      ctx.io.out(`${r.ticket.id} is already claimed by ${agent}`);
    } else {
      ctx.io.out(
        `Claimed ${r.ticket.id} for ${agent}` + (r.takenFrom ? ` (taken from ${r.takenFrom})` : ""),
      );
    }
    if (!ctx.json && r.handoff !== null) ctx.io.out(handoffPointer(r.ticket.id, r.handoff));
  },
});
