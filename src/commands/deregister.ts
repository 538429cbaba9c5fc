/** `track deregister`: leave, optionally handing tickets back. */
import { AGENT_FLAG, bool, defineCommand, settledExit, str } from "../cli/command.ts";
import { decisionEnv, settlePending } from "../operations/decide.ts";
import { printJson } from "../cli/output.ts";
import { deregisterAgent } from "../operations/lifecycle.ts";

export default defineCommand({
  name: "deregister",
  summary: "Deregister an agent; --release-tickets returns its claimed and in-progress tickets",
  usage: "deregister --agent A [--release-tickets]",
  flags: [AGENT_FLAG, {
    name: "release-tickets",
    type: "boolean",
    description: "Return claimed and in-progress tickets to backlog",
  }],
  parse: (args) => ({ agent: str(args, "agent"), release: bool(args, "release-tickets") }),
  async run(opts, ctx) {
    const agent = ctx.requireAgent(opts.agent, "deregister");
    const store = ctx.store();
    const r = await deregisterAgent(store, agent, {
      releaseTickets: opts.release,
      now: ctx.now(),
    });
    // With sync on, releasing the tickets is a decision settled with the remote.
    const confirmed = await settlePending(store, r.released, {
      now: ctx.now,
      ...decisionEnv(ctx.env, false),
    });
    if (ctx.json) {
      printJson(ctx, {
        agent: agent,
        released: r.released,
        reservations_released: r.reservationsReleased,
      });
    } else {
      ctx.io.out(
        `Deregistered ${agent}` +
          (r.released.length ? `; returned ${r.released.join(", ")} to backlog` : "") +
          (r.reservationsReleased ? `; released ${r.reservationsReleased} reservation(s)` : ""),
      );
    }
    return settledExit(ctx, "the release of its tickets", confirmed);
  },
});
