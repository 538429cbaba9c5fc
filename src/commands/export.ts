/** `track export [--json|--jsonl] [-o FILE]`: the whole store as one file, for backups and moves. */
import { resolve } from "../model/path.ts";
import { bool, defineCommand, str } from "../cli/command.ts";
import { outsideWriteError, TrackError, usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { writeFileAtomic } from "../store/atomic.ts";
import { archiveToJson, archiveToJsonl, countsOf, readArchive } from "../transfer/archive.ts";

export default defineCommand({
  name: "export",
  summary: "Write the whole store (tickets, agents, reservations, board) as JSON or JSON Lines",
  usage: "export [--json | --jsonl] [--output FILE]",
  flags: [
    {
      name: "jsonl",
      type: "boolean",
      description: "JSON Lines: a header line, then one record a line",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "Write to FILE (atomically) instead of stdout",
    },
  ],
  parse(args) {
    if (bool(args, "jsonl") && args.flags.json === true) {
      throw usageError(
        '"--json" and "--jsonl" pick different formats; give one',
        "track export --help",
      );
    }
    return { jsonl: bool(args, "jsonl"), output: str(args, "output") };
  },
  async run(opts, ctx) {
    const store = ctx.store();
    // Under the lock held shared, so the snapshot is consistent across files (a claim touches
    // several); a shared lock writes nothing, so a read-only store exports too.
    const archive = await store.readLocked(
      () => readArchive(store, { version: denoJson.version, now: ctx.now() }),
    );
    const text = opts.jsonl ? archiveToJsonl(archive) : archiveToJson(archive);
    const counts = countsOf(archive);
    if (opts.output === undefined) {
      ctx.io.out(text);
      return;
    }
    const path = resolve(ctx.cwd, opts.output);
    try {
      writeFileAtomic(path, text, opts.output);
    } catch (e) {
      if (!(e instanceof TrackError) || e.kind !== "io") throw e;
      throw outsideWriteError(opts.output, e.cause ?? e, `track export --output ${opts.output}`);
    }
    if (ctx.json) printJson(ctx, { file: path, format: opts.jsonl ? "jsonl" : "json", counts });
    else {
      ctx.io.err(
        `Exported ${counts.tickets} tickets, ${counts.archived} archived, ${counts.agents} agents, ${counts.reservations} reservations, ${counts.board} board entries to ${opts.output}`,
      );
    }
  },
});
