/** `track claim T --agent A`: take a backlog ticket. */
import {
  AGENT_FLAG,
  bool,
  defineCommand,
  OFFLINE_FLAG,
  oneTicket,
  settledExit,
  str,
} from "../cli/command.ts";
import { handoffPointer, printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { claimSettled, decisionEnv } from "../operations/decide.ts";

export default defineCommand({
  name: "claim",
  summary: "Claim a backlog ticket (checks dependencies)",
  usage: "claim T --agent A [--force] [--offline]",
  positionals: ["ticket"],
  flags: [AGENT_FLAG, {
    name: "force",
    short: "f",
    type: "boolean",
    description: "Override open dependencies or another holder",
  }, OFFLINE_FLAG],
  parse: (args) => ({
    id: oneTicket(args.positionals, "claim"),
    agent: str(args, "agent"),
    force: bool(args, "force"),
    offline: bool(args, "offline"),
  }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "claim");
    const r = await claimSettled(ctx.store(), opts.id, agent, {
      force: opts.force,
      now: ctx.now,
      ...decisionEnv(ctx.env, opts.offline),
    });
    if (ctx.json) {
      printJson(ctx, {
        ticket: ticketJson(r.ticket),
        already: r.already,
        taken_from: r.takenFrom,
        handoff: r.handoff,
        ...(r.confirmed === null ? {} : { confirmed: r.confirmed }),
      });
    } else if (r.already) {
      ctx.io.out(`${r.ticket.id} is already claimed by ${agent}`);
    } else {
      ctx.io.out(
        `Claimed ${r.ticket.id} for ${agent}` + (r.takenFrom ? ` (taken from ${r.takenFrom})` : ""),
      );
    }
    if (!ctx.json && r.handoff !== null) ctx.io.out(handoffPointer(r.ticket.id, r.handoff));
    return settledExit(ctx, `the claim of ${r.ticket.id}`, r.confirmed);
  },
});
