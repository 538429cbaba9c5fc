/** `track ready`: what can start now, best first. */
import { defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { readAgent } from "../store/agent_records.ts";
import { printJson, table } from "../cli/output.ts";
import { ticketJson } from "../model/json.ts";
import { parseId } from "../model/ids.ts";
import { hasNeeds, needsOf, parentOf } from "../model/planning.ts";
import { readyTickets } from "../model/ready.ts";

/** `track ready`. */
export default defineCommand({
  name: "ready",
  summary: "Backlog tickets whose dependencies are all done, best first",
  usage: "ready [--label L] [--parent T] [--agent A]",
  flags: [{
    name: "label",
    short: "l",
    type: "string",
    value: "L",
    description: "Only tickets with this label",
  }, {
    name: "parent",
    type: "string",
    value: "T",
    description: "Only children of epic T",
  }, {
    name: "agent",
    short: "a",
    type: "string",
    value: "NAME",
    description: "Only what this agent could take (its registered capabilities cover the needs)",
  }],
  parse: (args) => ({
    label: str(args, "label"),
    parent: str(args, "parent") === undefined ? undefined : parseId(str(args, "parent")!),
    agent: str(args, "agent"),
  }),
  run(opts, ctx) {
    const store = ctx.store();
    let capabilities: string[] | null = null;
    if (opts.agent !== undefined) {
      const record = readAgent(store, opts.agent);
      if (record === null) {
        throw usageError(
          `Cannot list what "${opts.agent}" could take: no agent of that name is registered`,
          `track register --agent ${opts.agent} --capabilities a,b`,
        );
      }
      capabilities = record.capabilities;
    }
    const { tickets, problems } = readSummaries(store);
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const list = readyTickets(tickets).filter((t) =>
      (opts.label === undefined || t.labels.includes(opts.label)) &&
      (opts.parent === undefined || parentOf(t) === opts.parent) &&
      (capabilities === null || hasNeeds(t, capabilities))
    );
    if (ctx.json) printJson(ctx, { tickets: list.map(ticketJson) });
    else if (list.length === 0) ctx.io.err("Nothing is ready (hint: track blocked)");
    else {
      ctx.io.out(
        table(
          ["ID", "PRIORITY", "TITLE", "LABELS", "NEEDS"],
          list.map((t) => [t.id, t.priority, t.title, t.labels.join(","), needsOf(t).join(",")]),
        ),
      );
    }
    return Promise.resolve(0);
  },
});
