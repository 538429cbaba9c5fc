/** `track ack MSG`: acknowledge (and mark read) a board message in an agent's inbox. */
import { AGENT_FLAG, defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { HUMAN } from "../model/agent.ts";
import { ackMessage } from "../operations/inbox.ts";

export default defineCommand({
  name: "ack",
  summary: "Acknowledge a message (marks it read; its author is told when it asked)",
  usage: "ack MSG [--agent A]",
  positionals: ["msg"],
  flags: [AGENT_FLAG],
  parse(args) {
    const msg = args.positionals[0];
    if (msg === undefined || args.positionals.length > 1) {
      throw usageError("ack takes one message id", "track inbox (lists message ids)");
    }
    return { msg, agent: str(args, "agent") };
  },
  async run(opts, ctx) {
    // The person reads the messages addressed to `human` (posts of the dashboard, --to human).
    const agent = opts.agent === HUMAN ? HUMAN : ctx.requireAgent(opts.agent, "ack");
    const r = await ackMessage(ctx.store(), agent, opts.msg, ctx.now());
    if (ctx.json) {
      printJson(ctx, { agent, id: r.entry.id, acked: r.acked, notice: r.notice });
      return;
    }
    if (!r.acked) ctx.io.err(`${r.entry.id} was already acknowledged by ${agent}`);
    else {
      ctx.io.out(
        `Acknowledged ${r.entry.id}` + (r.notice ? ` (${r.entry.agent} is told)` : ""),
      );
    }
  },
});
