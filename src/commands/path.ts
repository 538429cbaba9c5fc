/**
 * `track path [T]`: where the store is (with sync on, `<git common dir>/track/store`, not
 * `.track/`), or a ticket's file, for people and agents that want the file itself. A read: it
 * writes nothing.
 */
import { defineCommand } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { usageError } from "../model/errors.ts";
import { parseId } from "../model/ids.ts";

/** Whether a regular file is at `path` (a link is not followed). */
export function isFile(path: string): boolean {
  try {
    return Deno.lstatSync(path).isFile;
  } catch {
    return false;
  }
}

export default defineCommand({
  name: "path",
  summary: "Print where the store is, or a ticket's file (with sync on: in the git directory)",
  usage: "path [T]",
  positionals: ["ticket"],
  flags: [],
  parse: (args) => {
    if (args.positionals.length > 1) {
      throw usageError(
        `"track path" takes at most one ticket id, got ${args.positionals.length}`,
        "track path T-0001",
      );
    }
    const t = args.positionals[0];
    return { id: t === undefined ? null : parseId(t) };
  },
  run(opts, ctx) {
    const store = ctx.store();
    if (opts.id === null) {
      if (ctx.json) {
        printJson(ctx, {
          path: store.dir,
          ticket: null,
          archived: false,
          track_dir: store.trackDir,
          synced: store.synced,
        });
      } else ctx.io.out(store.dir);
      return Promise.resolve(0);
    }
    // The file whether it parses or not (a broken one is what a person wants to open).
    let path = store.ticketPath(opts.id);
    let archived = false;
    if (!isFile(path)) {
      if (!store.isArchived(opts.id)) store.readTicket(opts.id); // Throws the not-found error.
      path = store.archivePath(opts.id);
      archived = true;
    }
    if (ctx.json) {
      printJson(ctx, {
        path,
        ticket: opts.id,
        archived,
        track_dir: store.trackDir,
        synced: store.synced,
      });
    } else ctx.io.out(path);
    return Promise.resolve(0);
  },
});
