/** `track create`: a new backlog ticket. */
import { AGENT_FLAG, bool, defineCommand, list, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { textFromFlagOrStdin } from "../cli/input.ts";
import { printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { checkAgentName, HUMAN } from "../model/agent.ts";
import { createTicket } from "../operations/create.ts";
import { checkVerifyCommands } from "../operations/verify.ts";
import { parseId } from "../model/ids.ts";
import { PRIORITIES, type Priority } from "../model/transitions.ts";

export default defineCommand({
  name: "create",
  summary: "Create a ticket in backlog",
  usage:
    "create --title TEXT [-p PRIORITY] [-l a,b] [--depends-on T-1,T-2] [--parent T] [--needs a,b] [--body TEXT | body on stdin] [--acceptance TEXT] [--verify CMD]... [--budget 200k|$5] [--by NAME] [--agent A] [--offline]",
  flags: [
    {
      name: "title",
      short: "t",
      type: "string",
      value: "TEXT",
      description: "Title (at most 1 KB)",
    },
    {
      name: "priority",
      short: "p",
      type: "string",
      value: "PRIORITY",
      description: "Priority (default medium)",
      choices: PRIORITIES,
    },
    { name: "labels", short: "l", type: "list", value: "a,b", description: "Labels" },
    {
      name: "depends-on",
      type: "list",
      value: "T-1,T-2",
      description: "Tickets that must be done first",
    },
    {
      name: "parent",
      type: "string",
      value: "T",
      description: "The epic this ticket belongs to (show T lists its children and progress)",
    },
    {
      name: "needs",
      type: "list",
      value: "a,b",
      description: "Capabilities an agent needs to be offered it by next (register --capabilities)",
    },
    {
      name: "body",
      short: "b",
      type: "string",
      value: "TEXT",
      description: "Description (or pipe it on stdin; - reads stdin)",
    },
    {
      name: "acceptance",
      type: "string",
      value: "TEXT",
      description: "Acceptance Criteria (- reads stdin; then the body comes from --body)",
    },
    {
      name: "verify",
      type: "multi",
      value: "CMD",
      description: "A command that must pass before done (repeatable; run by track verify)",
    },
    {
      name: "budget",
      type: "string",
      value: "AMOUNT",
      description:
        "Tokens (200k) or dollars ($5) this ticket may cost; crossing it warns (track cost)",
    },
    {
      name: "by",
      type: "string",
      value: "NAME",
      description: "Author (default: --agent, $TRACK_AGENT, or human)",
    },
    AGENT_FLAG,
    {
      name: "offline",
      type: "boolean",
      description:
        "With sync on: never reach the remote for a ticket number (exit 8 when this clone's id blocks are used up)",
    },
  ],
  parse(args) {
    const title = str(args, "title");
    if (title === undefined) {
      throw usageError(`"track create" needs --title TEXT`, `track create --title "Fix auth bug"`);
    }
    if (args.positionals.length > 0) {
      throw usageError(
        `Unexpected argument ${JSON.stringify(args.positionals[0])}`,
        `track create --title "..."`,
      );
    }
    const by = str(args, "by");
    return {
      title,
      priority: (str(args, "priority") ?? "medium") as Priority,
      labels: list(args, "labels"),
      dependsOn: list(args, "depends-on").map(parseId),
      parent: str(args, "parent") === undefined ? undefined : parseId(str(args, "parent")!),
      needs: args.flags.needs === undefined ? undefined : list(args, "needs"),
      body: str(args, "body"),
      acceptance: str(args, "acceptance"),
      verify: checkVerifyCommands(list(args, "verify")),
      budget: str(args, "budget"),
      // "human" is the default author: naming it is fine, though no agent may be called so.
      by: by === undefined || by === HUMAN ? by : checkAgentName(by),
      agent: str(args, "agent"),
      offline: bool(args, "offline") || undefined,
    };
  },
  async run(opts, ctx) {
    const store = ctx.store();
    if (opts.body === "-" && opts.acceptance === "-") {
      throw usageError(
        "Only one of --body and --acceptance can read stdin",
        `track create --title "..." --acceptance "- [ ] ..." --body -`,
      );
    }
    // Stdin is the body's unless --acceptance asks for it.
    const description = opts.acceptance === "-"
      ? (opts.body ?? "")
      : (await textFromFlagOrStdin(ctx, opts.body, "body")) ?? "";
    const acceptance = opts.acceptance === undefined
      ? undefined
      : (await textFromFlagOrStdin(ctx, opts.acceptance, "acceptance criteria")) ?? "";
    const agent = await ctx.actingAgent(opts.agent, "create");
    const by = opts.by ?? agent ?? "human";
    const ticket = await createTicket(store, {
      title: opts.title,
      priority: opts.priority,
      labels: opts.labels,
      dependsOn: opts.dependsOn,
      parent: opts.parent,
      needs: opts.needs,
      description,
      acceptance,
      verify: opts.verify,
      budget: opts.budget,
      by,
      agent,
      offline: opts.offline === true || ctx.env.get("TRACK_SYNC") === "off",
      syncTimeout: ctx.env.get("TRACK_SYNC_TIMEOUT"),
    }, ctx.now());
    if (ctx.json) printJson(ctx, { ticket: ticketJson(ticket) });
    else ctx.io.out(`Created ${ticket.id}: ${ticket.title}`);
  },
});
