/** `track inbox`: the board messages addressed to an agent or concerning it, unread first. */
import { AGENT_FLAG, bool, defineCommand, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { HUMAN } from "../model/agent.ts";
import { inboxMessagesJson, listInbox, markRead } from "../operations/inbox.ts";
import { formatEntry } from "./board.ts";

export default defineCommand({
  name: "inbox",
  summary: "Messages addressed to an agent or concerning it, unread first",
  usage: "inbox [--agent A] [--all] [--mark-read]",
  flags: [
    AGENT_FLAG,
    { name: "all", type: "boolean", description: "Include messages already read" },
    {
      name: "mark-read",
      type: "boolean",
      description: "Mark the listed messages read (those asking for an ack wait for track ack)",
    },
  ],
  parse: (args) => ({
    agent: str(args, "agent"),
    all: bool(args, "all"),
    markRead: bool(args, "mark-read"),
  }),
  async run(opts, ctx) {
    // The person reads the messages addressed to `human` (posts of the dashboard, --to human).
    const agent = opts.agent === HUMAN ? HUMAN : ctx.requireAgent(opts.agent, "inbox");
    const store = ctx.store();
    const { items, unread, warnings } = listInbox(store, agent, { all: opts.all });
    for (const w of warnings) ctx.io.err(`warning: skipping ${w}`);
    const marked = opts.markRead ? await markRead(store, agent, items) : [];
    if (ctx.json) {
      printJson(ctx, {
        agent,
        unread,
        messages: inboxMessagesJson(items, marked),
        marked_read: marked,
      });
      return;
    }
    if (items.length === 0) {
      ctx.io.err(
        opts.all
          ? `No messages for ${agent} (hint: track board --to ${agent} -m "..." reaches it)`
          : `No unread messages for ${agent} (hint: track inbox --agent ${agent} --all)`,
      );
      return;
    }
    ctx.io.out(
      items.map((i) =>
        (i.read ? "(read) " : i.entry.ack && !i.acked ? "(unread, asks for ack) " : "(unread) ") +
        formatEntry(i.entry)
      ).join("\n"),
    );
    if (marked.length > 0) ctx.io.err(`Marked ${marked.length} message(s) read`);
  },
});
