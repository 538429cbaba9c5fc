/**
 * `track edit T`: opens the ticket's file in `$VISUAL` or `$EDITOR` (with sync on the file is in
 * the git directory, so `track path T` or this is how a person reaches it), then checks that it
 * still parses: exit 6 naming the file and line when it does not (run it again to fix it). With
 * `--json` it opens nothing and prints the path, for tools that edit it themselves. A hand edit
 * is allowed (docs/format.md); commands re-read the file under their lock.
 */
import { defineCommand, oneTicket } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { runEditor } from "../cli/editor.ts";
import { usageError } from "../model/errors.ts";
import { isFile } from "./path.ts";

export default defineCommand({
  name: "edit",
  summary: "Open a ticket's file in $VISUAL or $EDITOR, then check it still parses",
  usage: "edit T",
  positionals: ["ticket"],
  flags: [],
  parse: (args) => ({ id: oneTicket(args.positionals, "edit") }),
  async run(opts, ctx) {
    const store = ctx.store();
    const path = store.ticketPath(opts.id);
    // Only a live ticket: an archived one is read-only (store.readTicket says so).
    if (!isFile(path)) store.readTicket(opts.id);
    if (ctx.json) {
      printJson(ctx, { path, ticket: opts.id, synced: store.synced });
      return 0;
    }
    const editor = ctx.env.get("VISUAL") || ctx.env.get("EDITOR");
    if (!editor) {
      throw usageError(
        `Cannot edit ${opts.id}: neither $VISUAL nor $EDITOR is set; nothing was changed`,
        `EDITOR=vi track edit ${opts.id} (or open the file yourself: track path ${opts.id})`,
      );
    }
    const code = await runEditor(editor, path);
    if (code !== 0) {
      ctx.io.err(`warning: the editor (${editor}) exited with status ${code}`);
    }
    // Exit 6 naming the file and line when the edit broke it.
    store.readTicket(opts.id);
    ctx.io.err(`${opts.id} parses (${store.display(path)})`);
    return 0;
  },
});
