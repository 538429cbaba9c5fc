/** `track register`: join as an agent. */
import { bool, defineCommand, list, OFFLINE_FLAG, settledExit, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { registerSettled } from "../operations/lifecycle.ts";
import { decisionEnv } from "../operations/decide.ts";
import { agentJson } from "../model/json.ts";

export default defineCommand({
  name: "register",
  summary: "Register an agent (without --agent, picks a free name and prints it)",
  usage:
    "register [--agent A] [--capabilities a,b] [--session-id ID] [--worktree PATH] [--force] [--offline]",
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
      description: "Take over a name an active agent holds (with sync on: move it to this clone)",
    },
    OFFLINE_FLAG,
  ],
  parse: (args) => ({
    agent: str(args, "agent"),
    capabilities: list(args, "capabilities"),
    sessionId: str(args, "session-id") ?? null,
    worktree: str(args, "worktree") ?? null,
    force: bool(args, "force"),
    offline: bool(args, "offline"),
  }),
  async run(opts, ctx) {
    const { offline, ...input } = opts;
    // Only a move from another clone (--force, sync on) waits for the remote.
    const { agent: a, confirmed } = await registerSettled(
      ctx.store(),
      { ...input, agent: ctx.agent(opts.agent) },
      { now: ctx.now, ...decisionEnv(ctx.env, offline) },
    );
    if (ctx.json) {
      printJson(ctx, {
        agent: agentJson(a, ctx.now(), [], 0),
        ...(confirmed === null ? {} : { confirmed }),
      });
    } else {
      ctx.io.out(a.id);
      ctx.io.err(`Registered ${a.id} (hint: export TRACK_AGENT=${a.id})`);
    }
    return settledExit(ctx, `the move of ${a.id} to this clone`, confirmed);
  },
});
