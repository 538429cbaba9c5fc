/** `track register`: join as an agent. */
import { bool, defineCommand, list, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { registerAgent } from "../operations/lifecycle.ts";
import { agentJson } from "../model/json.ts";

export default defineCommand({
  name: "register",
  summary: "Register an agent (without --agent, picks a free name and prints it)",
  usage: "register [--agent A] [--capabilities a,b] [--session-id ID] [--worktree PATH] [--force]",
  flags: [
    {
      name: "agent",
      short: "a",
      type: "string",
      value: "NAME",
      description: "Name to register (default: $TRACK_AGENT, else a free name)",
    },
    {
      name: "capabilities",
      short: "c",
      type: "list",
      value: "a,b",
      description: "What this agent is good at",
    },
    {
      name: "session-id",
      type: "string",
      value: "ID",
      description: "Session the identity is bound to",
    },
    { name: "worktree", type: "string", value: "PATH", description: "Worktree the agent works in" },
    {
      name: "force",
      short: "f",
      type: "boolean",
      description: "Take over a name an active agent holds",
    },
  ],
  parse: (args) => ({
    agent: str(args, "agent"),
    capabilities: list(args, "capabilities"),
    sessionId: str(args, "session-id") ?? null,
    worktree: str(args, "worktree") ?? null,
    force: bool(args, "force"),
  }),
  async run(opts, ctx) {
    const a = await registerAgent(
      ctx.store(),
      { ...opts, agent: ctx.agent(opts.agent) },
      ctx.now(),
    );
    if (ctx.json) printJson(ctx, { agent: agentJson(a, ctx.now(), [], 0) });
    else {
      ctx.io.out(a.id);
      ctx.io.err(`Registered ${a.id} (hint: export TRACK_AGENT=${a.id})`);
    }
  },
});
