/** `track heartbeat`: say this agent is alive. */
import { AGENT_FLAG, defineCommand, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { heartbeat } from "../operations/lifecycle.ts";

export default defineCommand({
  name: "heartbeat",
  summary: "Record that an agent is alive (any command with an agent does this too)",
  usage: "heartbeat --agent A",
  flags: [AGENT_FLAG],
  parse: (args) => ({ agent: str(args, "agent") }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "heartbeat");
    const a = await heartbeat(ctx.store(), agent, ctx.now());
    if (ctx.json) printJson(ctx, { agent: a.id, last_heartbeat: a.last_heartbeat });
  },
});
