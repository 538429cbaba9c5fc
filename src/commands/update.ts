/** `track update T`: status transitions and fields. */
import { AGENT_FLAG, bool, defineCommand, list, str } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { printJson, ticketJson } from "../cli/output.ts";
import { parseId } from "../tickets/ids.ts";
import { PRIORITIES, type Priority, type Status, STATUSES } from "../tickets/transitions.ts";
import { updateTicket } from "../tickets/update.ts";
import { checkText } from "../cli/input.ts";
import { oneTicket } from "./show.ts";

export default defineCommand({
  name: "update",
  summary: "Change a ticket's status or fields (enforces valid transitions)",
  usage:
    "update T [--status S] [--agent A] [--priority P] [--title T] [--add-label L] [--remove-label L] [--branch B] [--depends-on T] [--remove-dep T] [--force]",
  positionals: ["ticket"],
  flags: [
    {
      name: "status",
      short: "s",
      type: "string",
      value: "S",
      description: "New status",
      choices: STATUSES,
    },
    AGENT_FLAG,
    {
      name: "priority",
      short: "p",
      type: "string",
      value: "P",
      description: "New priority",
      choices: PRIORITIES,
    },
    { name: "title", short: "t", type: "string", value: "TEXT", description: "New title" },
    { name: "add-label", type: "list", value: "L", description: "Add labels" },
    { name: "remove-label", type: "list", value: "L", description: "Remove labels" },
    { name: "branch", type: "string", value: "B", description: "Branch name (empty clears it)" },
    { name: "depends-on", type: "list", value: "T-1,T-2", description: "Add dependencies" },
    { name: "remove-dep", type: "list", value: "T-1", description: "Remove dependencies" },
    {
      name: "force",
      short: "f",
      type: "boolean",
      description: "Allow any transition, and moving a ticket another agent works on (fences it)",
    },
  ],
  parse(args) {
    const opts = {
      id: oneTicket(args.positionals, "update"),
      status: str(args, "status") as Status | undefined,
      agent: str(args, "agent"),
      priority: str(args, "priority") as Priority | undefined,
      title: str(args, "title"),
      addLabels: list(args, "add-label"),
      removeLabels: list(args, "remove-label"),
      branch: str(args, "branch"),
      addDeps: list(args, "depends-on").map(parseId),
      removeDeps: list(args, "remove-dep").map(parseId),
      force: bool(args, "force"),
    };
    if (opts.title !== undefined) checkText(opts.title, "title");
    if (
      opts.status === undefined && opts.priority === undefined && opts.title === undefined &&
      opts.addLabels.length === 0 && opts.removeLabels.length === 0 && opts.branch === undefined &&
      opts.addDeps.length === 0 && opts.removeDeps.length === 0
    ) {
      throw usageError(
        `"track update" needs something to change`,
        `track update ${opts.id} --status in-progress`,
      );
    }
    return opts;
  },
  async run(opts, ctx) {
    const agent = ctx.agent(opts.agent);
    const r = await updateTicket(ctx.store(), opts.id, { ...opts, agent }, ctx.now());
    if (ctx.json) {
      printJson(ctx, { ticket: ticketJson(r.ticket), from: r.from, changed: r.changed });
    } else if (!r.changed) ctx.io.out(`${r.ticket.id} unchanged (${r.ticket.status})`);
    else if (r.from !== r.ticket.status) {
      ctx.io.out(`${r.ticket.id}: ${r.from} -> ${r.ticket.status}`);
    } else ctx.io.out(`Updated ${r.ticket.id}`);
  },
});
