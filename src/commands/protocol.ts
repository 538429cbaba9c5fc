/** `track protocol [--format claude|agents] [--write FILE]`: the agent protocol. */
import { resolve } from "../model/path.ts";
import { bool, defineCommand, str } from "../cli/command.ts";
import { ioError, outsideWriteError, TrackError, usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import {
  protocolBlock,
  type ProtocolFormat,
  protocolText,
  upsertBlock,
} from "../integrations/protocol.ts";

function defaultFormat(file: string | undefined): ProtocolFormat {
  return file !== undefined && /agents\.md$/i.test(file) ? "agents" : "claude";
}

export default defineCommand({
  name: "protocol",
  summary: "Print the agent protocol, or write it into CLAUDE.md/AGENTS.md between markers",
  usage: "protocol [--format claude|agents] [--write FILE] [--check]",
  flags: [
    {
      name: "format",
      type: "string",
      value: "F",
      description: "claude (hooks do the chores) or agents (default from the file name)",
      choices: ["claude", "agents"],
    },
    {
      name: "write",
      short: "w",
      type: "string",
      value: "FILE",
      description: "Create or update the marked block in FILE; the rest is kept",
    },
    {
      name: "check",
      type: "boolean",
      description: "With --write: exit 3 if FILE is not up to date, change nothing",
    },
  ],
  parse(args) {
    if (args.positionals.length > 0) {
      throw usageError(`Unexpected argument "${args.positionals[0]}"`, "track protocol --help");
    }
    const write = str(args, "write");
    if (bool(args, "check") && write === undefined) {
      throw usageError(`"--check" needs --write FILE`, "track protocol --write CLAUDE.md --check");
    }
    return {
      format: (str(args, "format") as ProtocolFormat | undefined) ?? defaultFormat(write),
      write,
      check: bool(args, "check"),
    };
  },
  async run(opts, ctx) {
    if (opts.write === undefined) {
      const text = protocolText(opts.format);
      if (ctx.json) printJson(ctx, { format: opts.format, text });
      else ctx.io.out(text);
      return;
    }
    const path = resolve(ctx.cwd, opts.write);
    let existing: string | null = null;
    try {
      existing = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw ioError("read", path, e);
    }
    let result;
    try {
      result = upsertBlock(existing, protocolBlock(opts.format));
    } catch (e) {
      throw new TrackError(
        "conflict",
        `Cannot update the protocol in "${opts.write}": ${(e as Error).message}`,
        {
          hint:
            `add the missing end marker by hand, then run: track protocol --write ${opts.write}`,
        },
      );
    }
    if (opts.check) {
      if (result.action !== "unchanged") {
        throw new TrackError(
          "conflict",
          `The protocol in "${opts.write}" is out of date (${result.action} would change it)`,
          { hint: `track protocol --write ${opts.write}` },
        );
      }
    } else if (result.action !== "unchanged") {
      try {
        const tmp = `${path}.track-${crypto.randomUUID().slice(0, 8)}.tmp`;
        await Deno.writeTextFile(tmp, result.text);
        await Deno.rename(tmp, path);
      } catch (e) {
        throw outsideWriteError(opts.write, e, `track protocol --write ${opts.write}`);
      }
    }
    if (ctx.json) printJson(ctx, { path, format: opts.format, action: result.action });
    else ctx.io.err(`${opts.write}: protocol ${result.action} (${opts.format} format)`);
  },
});
