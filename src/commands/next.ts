/** `track next --agent A`: claim the best ready ticket, atomically. */
import { AGENT_FLAG, bool, defineCommand, OFFLINE_FLAG, settledExit, str } from "../cli/command.ts";
import { handoffPointer, printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { parseId } from "../model/ids.ts";
import { claimReview } from "../operations/claims.ts";
import { decisionEnv, nextSettled } from "../operations/decide.ts";

export default defineCommand({
  name: "next",
  summary: "Claim the best ready ticket (exit 4 when nothing is ready)",
  usage: "next --agent A [--label L] [--parent T] [--review] [--offline]",
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
  }, {
    name: "review",
    type: "boolean",
    description: "Take a ticket in review to review (never one you submitted)",
  }, OFFLINE_FLAG],
  parse: (args) => ({
    agent: str(args, "agent"),
    label: str(args, "label"),
    parent: str(args, "parent") === undefined ? undefined : parseId(str(args, "parent")!),
    review: bool(args, "review"),
    offline: bool(args, "offline"),
  }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "next");
    if (opts.review) {
      const rv = await claimReview(ctx.store(), agent, {
        label: opts.label,
        parent: opts.parent,
        now: ctx.now(),
      });
      if (ctx.json) printJson(ctx, { ticket: ticketJson(rv.ticket), already: rv.already });
      else {
        ctx.io.out(
          `${
            rv.already ? "Still reviewing" : "Reviewing"
          } ${rv.ticket.id} for ${agent}: ${rv.ticket.title}`,
        );
        ctx.io.out(
          `(done: track update ${rv.ticket.id} --status done; changes needed: --status in-progress)`,
        );
      }
      return;
    }
    const r = await nextSettled(ctx.store(), agent, {
      label: opts.label,
      parent: opts.parent,
      now: ctx.now,
      ...decisionEnv(ctx.env, opts.offline),
    });
    if (ctx.json) {
      printJson(ctx, {
        ticket: ticketJson(r.ticket),
        already: r.already,
        handoff: r.handoff,
        ...(r.confirmed === null ? {} : { confirmed: r.confirmed }),
      });
    } else {
      ctx.io.out(`Claimed ${r.ticket.id} for ${agent}: ${r.ticket.title}`);
      if (r.handoff !== null) ctx.io.out(handoffPointer(r.ticket.id, r.handoff));
    }
    return settledExit(ctx, `the claim of ${r.ticket.id}`, r.confirmed);
  },
});
