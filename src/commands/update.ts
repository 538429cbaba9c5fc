/** `track update T`: status transitions and fields. */
import {
  AGENT_FLAG,
  bool,
  defineCommand,
  list,
  OFFLINE_FLAG,
  oneTicket,
  settledExit,
  str,
} from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { parseId } from "../model/ids.ts";
import { PRIORITIES, type Priority, type Status, STATUSES } from "../model/transitions.ts";
import { updateTicket } from "../operations/update.ts";
import { decisionEnv, settleClaim, settlePending } from "../operations/decide.ts";
import { textFromFlagOrStdin } from "../cli/input.ts";
import { checkText } from "../model/text.ts";
import { checkVerifyCommands } from "../operations/verify.ts";
import { warnBudget } from "./cost.ts";

/** `--parent T` (an id), `--parent none` (null: remove it), or absent. */
function parentFlag(v: string | undefined): string | null | undefined {
  if (v === undefined) return undefined;
  return v === "none" ? null : parseId(v);
}

export default defineCommand({
  name: "update",
  summary: "Change a ticket's status or fields (enforces valid transitions)",
  usage:
    "update T [--status S] [--agent A] [--priority P] [--title T] [--body TEXT] [--acceptance TEXT] [--add-label L] [--remove-label L] [--branch B] [--depends-on T] [--remove-dep T] [--parent T|none] [--needs a,b|none] [--verify CMD] [--remove-verify CMD] [--budget 200k|$5|none] [--force] [--offline]",
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
    {
      name: "body",
      short: "b",
      type: "string",
      value: "TEXT",
      description: "Replace the description (- reads stdin)",
    },
    {
      name: "acceptance",
      type: "string",
      value: "TEXT",
      description: "Replace the Acceptance Criteria; empty clears them (- reads stdin)",
    },
    { name: "add-label", type: "list", value: "L", description: "Add labels" },
    { name: "remove-label", type: "list", value: "L", description: "Remove labels" },
    { name: "branch", type: "string", value: "B", description: "Branch name (empty clears it)" },
    { name: "depends-on", type: "list", value: "T-1,T-2", description: "Add dependencies" },
    { name: "remove-dep", type: "list", value: "T-1", description: "Remove dependencies" },
    {
      name: "parent",
      type: "string",
      value: "T",
      description: "Put it under epic T; none removes the parent",
    },
    {
      name: "needs",
      type: "list",
      value: "a,b",
      description:
        "Capabilities an agent needs to be offered it (replaces them); none removes them",
    },
    {
      name: "verify",
      type: "multi",
      value: "CMD",
      description: "Add a command that must pass before done (repeatable)",
    },
    {
      name: "remove-verify",
      type: "multi",
      value: "CMD",
      description: "Remove a verify command, exactly as shown by track show",
    },
    {
      name: "budget",
      type: "string",
      value: "AMOUNT",
      description: "Tokens (200k) or dollars ($5) this ticket may cost; none removes it",
    },
    {
      name: "force",
      short: "f",
      type: "boolean",
      description:
        "Allow any transition, moving a ticket another agent works on (fences it), and done without passing verify (marked unverified)",
    },
    OFFLINE_FLAG,
  ],
  parse(args) {
    const opts = {
      id: oneTicket(args.positionals, "update"),
      status: str(args, "status") as Status | undefined,
      agent: str(args, "agent"),
      priority: str(args, "priority") as Priority | undefined,
      title: str(args, "title"),
      body: str(args, "body"),
      acceptance: str(args, "acceptance"),
      addLabels: list(args, "add-label"),
      removeLabels: list(args, "remove-label"),
      branch: str(args, "branch"),
      addDeps: list(args, "depends-on").map(parseId),
      removeDeps: list(args, "remove-dep").map(parseId),
      parent: parentFlag(str(args, "parent")),
      needs: args.flags.needs === undefined
        ? undefined
        : list(args, "needs").filter((n) => n !== "none"),
      addVerify: checkVerifyCommands(list(args, "verify")),
      removeVerify: list(args, "remove-verify"),
      budget: str(args, "budget"),
      force: bool(args, "force"),
      offline: bool(args, "offline"),
    };
    if (opts.title !== undefined) checkText(opts.title, "title");
    if (
      opts.status === undefined && opts.priority === undefined && opts.title === undefined &&
      opts.body === undefined && opts.acceptance === undefined &&
      opts.addLabels.length === 0 && opts.removeLabels.length === 0 && opts.branch === undefined &&
      opts.addDeps.length === 0 && opts.removeDeps.length === 0 &&
      opts.parent === undefined && opts.needs === undefined &&
      opts.addVerify.length === 0 && opts.removeVerify.length === 0 && opts.budget === undefined
    ) {
      throw usageError(
        `"track update" needs something to change`,
        `track update ${opts.id} --status in-progress`,
      );
    }
    if (opts.body === "-" && opts.acceptance === "-") {
      throw usageError(
        "Only one of --body and --acceptance can read stdin",
        `track update ${opts.id} --acceptance "- [ ] ..." --body -`,
      );
    }
    return opts;
  },
  async run(opts, ctx) {
    const agent = await ctx.actingAgent(opts.agent, "update");
    // Only an explicit "-" reads stdin here: an update never picks up a stray pipe as a body.
    const fromStdin = (flag: string | undefined, what: string) =>
      flag === "-" ? textFromFlagOrStdin(ctx, flag, what).then((t) => t ?? "") : flag;
    const description = await fromStdin(opts.body, "body");
    const acceptance = await fromStdin(opts.acceptance, "acceptance criteria");
    const store = ctx.store();
    const r = await updateTicket(
      store,
      opts.id,
      { ...opts, description, acceptance, agent },
      ctx.now(),
    );
    // A move to claimed is a claim: settled with the remote as `track claim` is.
    let confirmed: boolean | null = null;
    if (r.changed && r.ticket.status === "claimed" && r.from !== "claimed" && agent !== null) {
      const s = await settleClaim(store, r.ticket, agent, {
        now: ctx.now,
        ...decisionEnv(ctx.env, opts.offline),
      });
      r.ticket = s.ticket;
      confirmed = s.confirmed;
    }
    // A move of a ticket another agent holds is a decision too (settled when one is pending).
    if (confirmed === null) {
      confirmed = await settlePending(store, [r.ticket.id], {
        now: ctx.now,
        ...decisionEnv(ctx.env, opts.offline),
      });
    }
    await warnBudget(ctx, r.ticket.id, agent);
    if (ctx.json) {
      printJson(ctx, {
        ticket: ticketJson(r.ticket),
        from: r.from,
        changed: r.changed,
        ...(confirmed === null ? {} : { confirmed }),
      });
    } else if (!r.changed) ctx.io.out(`${r.ticket.id} unchanged (${r.ticket.status})`);
    else if (r.from !== r.ticket.status) {
      ctx.io.out(`${r.ticket.id}: ${r.from} -> ${r.ticket.status}`);
    } else ctx.io.out(`Updated ${r.ticket.id}`);
    return settledExit(ctx, `the claim of ${r.ticket.id}`, confirmed);
  },
});
