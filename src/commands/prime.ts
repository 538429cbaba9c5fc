/** `track prime [--agent A]`: session-start context for an agent, at most 40 lines. */
import { AGENT_FLAG, bool, defineCommand, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { buildPrime, markBoardRead, renderPrime } from "../integrations/prime.ts";

export default defineCommand({
  name: "prime",
  summary: "Session-start context for an agent: identity, tickets, ready work, new posts",
  usage: "prime [--agent A] [--mark-read]",
  flags: [AGENT_FLAG, {
    name: "mark-read",
    type: "boolean",
    description: "Also record that the agent has now read the board (a write)",
  }],
  parse: (args) => ({ agent: str(args, "agent"), markRead: bool(args, "mark-read") }),
  async run(opts, ctx) {
    const agent = ctx.agent(opts.agent);
    const store = ctx.store();
    const now = ctx.now();
    const data = buildPrime(store, agent, now);
    if (ctx.json) printJson(ctx, { prime: data });
    else ctx.io.out(renderPrime(data));
    if (opts.markRead && agent !== null) await markBoardRead(store, agent, now);
  },
});
