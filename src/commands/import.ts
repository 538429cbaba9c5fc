/** `track import FILE`: load an export into an empty store. */
import { resolve } from "../model/path.ts";
import { defineCommand } from "../cli/command.ts";
import { ioError, notFoundError, usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { decodeStrict } from "../store/read.ts";
import { type ArchiveCounts, importArchive, parseArchive } from "../transfer/archive.ts";

function describe(c: ArchiveCounts): string {
  return `${c.tickets} tickets, ${c.archived} archived, ${c.agents} agents, ${c.reservations} reservations, ${c.board} board entries`;
}

export default defineCommand({
  name: "import",
  summary: "Load a track export into this (empty) store",
  usage: "import FILE",
  positionals: ["file"],
  flags: [],
  parse(args) {
    if (args.positionals.length !== 1) {
      throw usageError(
        '"track import" takes one file (- reads stdin)',
        "track export --output FILE",
      );
    }
    return { file: args.positionals[0] };
  },
  async run(opts, ctx) {
    const store = ctx.store();
    let bytes: Uint8Array;
    if (opts.file === "-") bytes = await ctx.io.readStdin();
    else {
      try {
        bytes = Deno.readFileSync(resolve(ctx.cwd, opts.file));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw notFoundError(
            `Cannot import "${opts.file}": no such file`,
            "track export --output FILE",
          );
        }
        throw ioError("read", opts.file, e);
      }
    }
    const archive = parseArchive(decodeStrict(bytes, opts.file), opts.file);
    const r = await importArchive(store, archive, opts.file);
    if (ctx.json) printJson(ctx, { store: store.dir, written: r.written, unchanged: r.unchanged });
    else {
      ctx.io.out(`Imported ${describe(r.written)} into ${store.dir}`);
      const same = r.unchanged;
      if (same.tickets + same.archived + same.agents + same.reservations + same.board > 0) {
        ctx.io.err(`Already present and identical: ${describe(same)}`);
      }
    }
  },
});
