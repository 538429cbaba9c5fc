/** `track verify T`: run a ticket's verify commands and record the evidence. */
import { AGENT_FLAG, defineCommand, oneTicket, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { TrackError } from "../model/errors.ts";
import { parseDuration } from "../model/time.ts";
import { runVerify } from "../operations/verify.ts";
import { warnBudget } from "./cost.ts";

export default defineCommand({
  name: "verify",
  summary: "Run a ticket's verify commands and record the evidence done needs",
  usage: "verify T [--agent A] [--timeout 10m]",
  positionals: ["ticket"],
  flags: [
    AGENT_FLAG,
    {
      name: "timeout",
      type: "string",
      value: "DURATION",
      description: "Kill a command (and everything it started) after this long (default 10m)",
    },
  ],
  parse: (args) => ({
    id: oneTicket(args.positionals, "verify"),
    agent: str(args, "agent"),
    timeoutMs: parseDuration(str(args, "timeout") ?? "10m", "--timeout"),
  }),
  async run(opts, ctx) {
    const agent = await ctx.actingAgent(opts.agent, "verify");
    // The commands' output streams to stderr under --json (stdout is the result), else stdout.
    const onLine = (line: string) => ctx.json ? ctx.io.err(line) : ctx.io.out(line);
    const r = await runVerify(ctx.store(), opts.id, {
      agent,
      timeoutMs: opts.timeoutMs,
      onLine,
    }, () => ctx.now());
    await warnBudget(ctx, r.ticket.id, agent);
    if (ctx.json) {
      printJson(ctx, {
        ticket: r.ticket.id,
        dir: r.dir,
        passed: r.passed,
        runs: r.runs.map((x) => ({
          command: x.command,
          exit: x.exit,
          ms: x.ms,
          timed_out: x.timed_out,
          head: x.head,
          tree: x.tree,
          tail: x.tail,
        })),
      });
    } else {
      for (const x of r.runs) {
        ctx.io.err(
          `${x.exit === 0 ? "passed" : x.timed_out ? "timed out" : `failed (exit ${x.exit})`}: ` +
            `${x.command} in ${(x.ms / 1000).toFixed(1)}s`,
        );
      }
    }
    if (!r.passed) {
      const failed = r.runs.find((x) => x.exit !== 0)!;
      throw new TrackError(
        "conflict",
        `Verification of "${r.ticket.id}" failed: "${failed.command}" ${
          failed.timed_out ? `timed out after ${opts.timeoutMs / 1000}s` : `exited ${failed.exit}`
        }; the evidence is recorded`,
        {
          hint: `fix it, then run: track verify ${r.ticket.id}`,
          detail: { ticket: r.ticket.id, command: failed.command, exit: failed.exit },
        },
      );
    }
  },
});
