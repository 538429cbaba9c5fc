/** `track board`: post with -m, read otherwise. */
import { AGENT_FLAG, bool, defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { textFromFlagOrStdin } from "../cli/input.ts";
import { printJson } from "../cli/output.ts";
import { parseTime } from "../model/time.ts";
import { type BoardEntry, postMessage, readBoard, unknownAddressees } from "../operations/board.ts";
import { checkAgentName, HUMAN } from "../model/agent.ts";
import { editDistance } from "../cli/args.ts";
import { readAllAgents } from "../store/agent_records.ts";
import { parseId } from "../model/ids.ts";
import { parseDuration } from "../model/time.ts";

/** How many messages `board` reads without --last or --since. */
const DEFAULT_LAST = 20;

/** An entry as `board` and `inbox` print it: a header line, then the message. */
export function formatEntry(e: BoardEntry): string {
  const head = `[${e.at}] ${e.agent}` + (e.to.length > 0 ? ` -> ${e.to.join(",")}` : "") +
    (e.ticket ? ` | ${e.ticket}` : "") + ` | ${e.tag}` +
    (e.reply_to ? ` | re ${e.reply_to}` : "") + (e.ack ? " | asks for ack" : "") +
    ` | ${e.id}`;
  return `${head}\n${e.message}\n`;
}

/** An ISO date or UTC date-time; without an offset it is UTC, like every stored timestamp. */
const SINCE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

function parseSince(text: string, now: Date): number {
  if (/^(\d+[smhd])+$/.test(text)) return now.getTime() - parseDuration(text, "--since");
  const m = SINCE_TIME.exec(text);
  const t = m === null ? NaN : parseTime(m[2] ? `${m[1]}T${m[2]}${m[3] ?? "Z"}` : m[1]);
  if (Number.isNaN(t)) {
    throw usageError(
      `Invalid --since ${
        JSON.stringify(text)
      }: use a timestamp like 2026-01-31T12:00:00Z or an age like 2h`,
    );
  }
  return t;
}

export default defineCommand({
  name: "board",
  summary: "Post to the message board (-m) or read it (newest last)",
  usage:
    "board [--agent A -m TEXT [--ticket T] [--tag TAG] [--to A,B] [--reply-to MSG] [--ack]] | [--last N] [--since TIME] [--ticket T] [--tag TAG]",
  flags: [
    AGENT_FLAG,
    {
      name: "message",
      short: "m",
      type: "string",
      value: "TEXT",
      description: "Post this message (- reads stdin)",
    },
    {
      name: "ticket",
      type: "string",
      value: "T",
      description: "The ticket the message is about / only messages about it",
    },
    {
      name: "tag",
      type: "string",
      value: "TAG",
      description: "note, question, answer, blocked, conflict, … (default note)",
    },
    {
      name: "to",
      type: "string",
      value: "A[,B]",
      description: "Address the post to these agents (or human): it reaches their inbox",
    },
    {
      name: "reply-to",
      type: "string",
      value: "MSG",
      description: "Answer board message MSG (its author and addressees are told)",
    },
    {
      name: "ack",
      type: "boolean",
      description: "Ask the addressees to acknowledge the post (track ack MSG)",
    },
    {
      name: "last",
      short: "n",
      type: "string",
      value: "N",
      description: "Read the newest N messages (default 20; with --since, all since TIME)",
    },
    {
      name: "since",
      type: "string",
      value: "TIME",
      description: "Only messages at or after TIME (timestamp or age like 2h)",
    },
  ],
  parse(args) {
    const lastText = str(args, "last");
    let last: number | undefined;
    if (lastText !== undefined) {
      if (!/^\d{1,6}$/.test(lastText) || Number(lastText) === 0) {
        throw usageError(`Invalid --last ${JSON.stringify(lastText)}: expected a positive number`);
      }
      last = Number(lastText);
    }
    const ticket = str(args, "ticket");
    const toText = str(args, "to");
    const to = toText === undefined
      ? []
      : toText.split(",").map((a) => a.trim()).filter((a) => a !== "").map((a) =>
        a === HUMAN ? a : checkAgentName(a)
      );
    if (toText !== undefined && to.length === 0) {
      throw usageError("--to names no agent", 'track board --to agent-bravo -m "..."');
    }
    const replyTo = str(args, "reply-to");
    const ack = bool(args, "ack");
    const message = str(args, "message");
    if (message === undefined && (to.length > 0 || replyTo !== undefined || ack)) {
      throw usageError(
        "--to, --reply-to and --ack go with a post (-m TEXT)",
        'track board --to agent-bravo -m "..."',
      );
    }
    return {
      to,
      replyTo,
      ack,
      agent: str(args, "agent"),
      message,
      ticket: ticket === undefined ? undefined : parseId(ticket),
      tag: str(args, "tag"),
      last,
      since: str(args, "since"),
    };
  },
  async run(opts, ctx) {
    const store = ctx.store();
    if (opts.message !== undefined) {
      const agent = await ctx.requireActingAgent(opts.agent, "board");
      const message = await textFromFlagOrStdin(ctx, opts.message, "message");
      if (message === null || message.trim() === "") {
        throw usageError("The message is empty", `track board --agent ${agent} -m "..."`);
      }
      const entry = await postMessage(store, {
        agent,
        message,
        ticket: opts.ticket ?? null,
        tag: opts.tag ?? "note",
        to: opts.to,
        replyTo: opts.replyTo ?? null,
        ack: opts.ack,
      }, ctx.now());
      const unknown = unknownAddressees(store, entry.to);
      if (unknown.length > 0) {
        const known = readAllAgents(store).agents.map((a) => a.id);
        for (const name of unknown) {
          const near = known.map((id) => ({ id, d: editDistance(name.toLowerCase(), id) }))
            .filter((x) => x.d <= 2).sort((a, b) => a.d - b.d)[0]?.id;
          ctx.warnings.push(
            `warning: agent "${name}" is not registered` +
              (near === undefined ? "" : ` (did you mean "${near}"?)`) +
              `; the message waits in its inbox until an agent of that name reads it ` +
              `(hint: track agents)`,
          );
        }
      }
      if (ctx.json) printJson(ctx, { entry });
      else ctx.io.out(`Posted ${entry.id}`);
      return;
    }
    const since = opts.since === undefined ? undefined : parseSince(opts.since, ctx.now());
    const { entries, warnings } = readBoard(store, {
      // --since asks for everything since then: the default cap would silently drop the rest.
      last: opts.last ?? (since === undefined ? DEFAULT_LAST : Infinity),
      since,
      ticket: opts.ticket,
      tag: opts.tag,
    });
    for (const w of warnings) ctx.io.err(`warning: skipping ${w}`);
    if (ctx.json) printJson(ctx, { entries });
    else if (entries.length === 0) {
      const filtered = since !== undefined || opts.ticket !== undefined || opts.tag !== undefined;
      ctx.io.err(
        filtered
          ? "No board messages match these filters (hint: track board --last 20)"
          : 'The board is empty (hint: track board --agent A -m "...")',
      );
    } else ctx.io.out(entries.map(formatEntry).join("\n"));
  },
});
