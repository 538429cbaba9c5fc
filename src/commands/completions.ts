/** `track completions bash|zsh|fish`: shell completion, generated from the command registry. */
import { defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { locateStore } from "../store/discovery.ts";
import { readAllAgents } from "../store/agent_records.ts";
import { completionScript, type Shell, SHELLS, WORD_KINDS } from "../cli/completions.ts";

export default defineCommand({
  name: "completions",
  summary: "Print a shell completion script (bash, zsh or fish)",
  usage: "completions bash|zsh|fish | completions --words tickets|agents",
  positionals: ["shell"],
  flags: [{
    name: "words",
    type: "string",
    value: "KIND",
    description: "Print ticket ids or agent names, one a line (used by the scripts)",
    choices: WORD_KINDS,
  }],
  parse(args) {
    const words = str(args, "words") as typeof WORD_KINDS[number] | undefined;
    const [shell, extra] = args.positionals;
    if (words !== undefined && shell === undefined) return { words, shell: null };
    if (words === undefined && SHELLS.includes(shell as Shell) && extra === undefined) {
      return { words: null, shell: shell as Shell };
    }
    throw usageError(
      `"track completions" needs one of ${SHELLS.join(", ")}` +
        (shell === undefined ? "" : `, got ${JSON.stringify(args.positionals.join(" "))}`),
      "track completions bash > ~/.local/share/bash-completion/completions/track",
    );
  },
  async run(opts, ctx) {
    if (opts.words !== null) {
      // Completion must never fail loudly: no store means no words.
      const dir = locateStore(ctx.cwd, ctx.env);
      let words: string[] = [];
      if (dir !== null) {
        const store = ctx.store();
        words = opts.words === "tickets"
          ? store.readAllTickets().tickets.filter((t) => t.status !== "done").map((t) => t.id)
          : readAllAgents(store).agents.filter((a) => a.status === "active").map((a) => a.id);
      }
      if (ctx.json) printJson(ctx, { words });
      else if (words.length > 0) ctx.io.out(words.join("\n"));
      return;
    }
    const visible = (await ctx.commands()).filter((c) => !c.hidden);
    const script = completionScript(opts.shell, visible as never);
    if (ctx.json) printJson(ctx, { shell: opts.shell, script });
    else ctx.io.out(script);
  },
});
