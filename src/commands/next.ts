/** `track next --agent A`: claim the best ready ticket, atomically. */
import { AGENT_FLAG, defineCommand, str } from "../cli/command.ts";
import { handoffPointer, printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { parseId } from "../model/ids.ts";
import { claimNext } from "../operations/claims.ts";

export default defineCommand({
  name: "next",
  summary: "Claim the best ready ticket (exit 4 when nothing is ready)",
  usage: "next --agent A [--label L] [--parent T]",
  flags: [AGENT_FLAG, {
    name: "label",
    short: "l",
    type: "string",
    value: "L",
    description: "Only tickets with this label",
  }, {
    name: "parent",
    type: "string",
    value: "T",
    description: "Only children of epic T (drain one epic)",
  }],
  parse: (args) => ({
    agent: str(args, "agent"),
    label: str(args, "label"),
    parent: str(args, "parent") === undefined ? undefined : parseId(str(args, "parent")!),
  }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "next");
    const r = await claimNext(ctx.store(), agent, {
      label: opts.label,
      parent: opts.parent,
      now: ctx.now(),
    });
    if (ctx.json) {
      printJson(ctx, { ticket: ticketJson(r.ticket), already: r.already, handoff: r.handoff });
    } else {
      ctx.io.out(`Claimed ${r.ticket.id} for ${agent}: ${r.ticket.title}`);
      if (r.handoff !== null) ctx.io.out(handoffPointer(r.ticket.id, r.handoff));
    }
  },
});
