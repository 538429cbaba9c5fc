/** `track log T -m TEXT`: append to the Work Log. */
import { AGENT_FLAG, defineCommand, oneTicket, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { textFromFlagOrStdin } from "../cli/input.ts";
import { printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { logTicket } from "../operations/update.ts";
import { warnBudget } from "./cost.ts";
import { logEntriesOf } from "../model/ticket.ts";

export default defineCommand({
  name: "log",
  summary: "Append an entry to a ticket's Work Log",
  usage: "log T --agent A -m TEXT (or the message on stdin)",
  positionals: ["ticket"],
  flags: [AGENT_FLAG, {
    name: "message",
    short: "m",
    type: "string",
    value: "TEXT",
    description: "The entry (or pipe it on stdin)",
  }],
  parse: (args) => ({
    id: oneTicket(args.positionals, "log"),
    agent: str(args, "agent"),
    message: str(args, "message"),
  }),
  async run(opts, ctx) {
    const agent = await ctx.requireActingAgent(opts.agent, "log");
    const message = await textFromFlagOrStdin(ctx, opts.message, "message");
    if (message === null) {
      throw usageError(
        `"track log" needs -m TEXT or the message on stdin`,
        `track log ${opts.id} -m "what you did"`,
      );
    }
    const t = await logTicket(ctx.store(), opts.id, { agent, message }, ctx.now());
    await warnBudget(ctx, t.id, agent);
    if (ctx.json) {
      printJson(ctx, { ticket: ticketJson(t), entry: logEntriesOf(t.body).at(-1) ?? null });
    } else ctx.io.out(`Logged to ${t.id}`);
  },
});
