/** Dispatch: argv -> command -> exit code. The only place that maps errors to exit codes. */
import { editDistance } from "./args.ts";
import { type CommandSpec, parseCommand } from "./command.ts";
import { type Context, createContext, type Env } from "./context.ts";
import { EXIT, TrackError, usageError } from "../model/errors.ts";
import { denoIo, type Io } from "./io.ts";
import { JSON_SCHEMA } from "../model/json_schema.ts";
import { type CommandEntry, COMMANDS, loadCommands } from "./registry.ts";
import { VERSION } from "./version.ts";

/** The outside world `main` runs against; tests and servers pass their own. */
export interface MainDeps {
  io?: Io;
  env?: Env;
  cwd?: string;
  now?: () => Date;
  /** Replaces the command registry (tests only). */
  commands?: readonly CommandEntry[];
  /**
   * Start the background sync after a write to a sync store (docs/sync.md "Auto-sync"): only
   * the real entry points (main.ts) set it, never an in-process caller, whose `Deno.mainModule`
   * is not track.
   */
  autoSync?: boolean;
}

/**
 * After a command that added oplog lines to a sync store (the write is committed, whatever the
 * command's outcome): starts the detached background sync. Costs nothing otherwise: no module
 * is loaded unless the command wrote to a sync store.
 */
async function autoSync(
  ctx: Context | undefined,
  deps: MainDeps,
  env: Env,
  io: Io | null,
  command: string | undefined,
  args: readonly string[],
): Promise<void> {
  const store = ctx?.openedStore() ?? null;
  if (!deps.autoSync || store === null || store.oplogAppended === 0) return;
  if (command === "sync" || command === "remote" || args.includes("--offline")) return;
  try {
    const { startBackgroundSync, syncMode } = await import(
      "../operations/background_sync.ts"
    );
    const raw = env.get("TRACK_SYNC");
    const mode = syncMode(raw);
    if (mode === null) {
      io?.err(
        `warning: TRACK_SYNC=${JSON.stringify(raw)} is not off, manual or auto; syncing in ` +
          "the background as with auto (docs/sync.md)",
      );
    } else if (mode !== "auto") return;
    await startBackgroundSync(store);
  } catch (e) {
    // The write stands; the next write or track sync publishes it.
    io?.err(
      `warning: could not start the background sync (${
        e instanceof Error ? e.message : String(e)
      }); run track sync to publish`,
    );
  }
}

async function findCommand(
  name: string,
  commands: readonly CommandEntry[],
): Promise<CommandSpec<unknown>> {
  const found = commands.find((c) => c.name === name);
  if (found) return (await found.load()) as CommandSpec<unknown>;
  const near =
    commands.map((c) => c.name).sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
  throw usageError(
    `Unknown command ${JSON.stringify(name)}` +
      (editDistance(name, near) <= 2 ? ` (did you mean "${near}"?)` : ""),
    "track --help",
  );
}

/** help.ts, loaded only when help is asked for (every other run skips it). */
function loadHelp(): Promise<typeof import("./help.ts")> {
  return import("./help.ts");
}

async function printCommandHelp(io: Io, spec: CommandSpec<unknown>, json: boolean): Promise<void> {
  const { commandHelp, commandHelpJson } = await loadHelp();
  io.out(
    json
      ? JSON.stringify({ schema: JSON_SCHEMA, command: commandHelpJson(spec) })
      : commandHelp(spec),
  );
}

function reportError(io: Io, e: TrackError, json: boolean): void {
  if (json) {
    io.err(JSON.stringify({
      schema: JSON_SCHEMA,
      error: { kind: e.kind, exit: e.exitCode, message: e.message, hint: e.hint, detail: e.detail },
    }));
    return;
  }
  io.err(`track: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
}

/** A usage error that names no next command points at the command's help. */
function withUsageHint(e: TrackError, command: string | undefined): TrackError {
  if (e.kind !== "usage" || e.hint !== null || command === undefined) return e;
  return new TrackError(e.kind, e.message, {
    hint: `track ${command} --help`,
    detail: e.detail ?? undefined,
    cause: e,
  });
}

/** Runs `track` with `args`; returns the exit code. Never throws. */
export async function main(args: readonly string[], deps: MainDeps = {}): Promise<number> {
  const io = deps.io ?? denoIo();
  const env: Env = deps.env ?? { get: (k) => Deno.env.get(k) };
  const json = args.includes("--json");
  let command: string | undefined;
  let ctx: Context | undefined;
  try {
    // Global flags may come before the command: `track --json list` = `track list --json`.
    const lead = args.findIndex((a) => a !== "--json");
    const [first, ...rest] = lead <= 0
      ? args
      : [args[lead], ...args.slice(0, lead), ...args.slice(lead + 1)];
    if (first === "help") {
      // `track help [command]`: the same text (or JSON) as `track [command] --help`.
      const [name, ...extra] = rest.filter((a) => a !== "--json" && a !== "--help" && a !== "-h");
      if (extra.length > 0) {
        throw usageError(
          `Unexpected argument ${JSON.stringify(extra[0])} for "track help"`,
          "track help COMMAND",
        );
      }
      if (name !== undefined) {
        const spec = await findCommand(name, deps.commands ?? COMMANDS);
        await printCommandHelp(io, spec, json);
        return EXIT.ok;
      }
    }
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      const visible = (await loadCommands(deps.commands ?? COMMANDS)).filter((c) => !c.hidden);
      const { commandHelpJson, mainHelp } = await loadHelp();
      if (json) {
        io.out(JSON.stringify({
          schema: JSON_SCHEMA,
          version: VERSION,
          commands: visible.map(commandHelpJson),
        }));
      } else io.out(mainHelp(visible, VERSION));
      return first === undefined ? EXIT.usage : EXIT.ok;
    }
    if (first === "--version" || first === "-V") {
      io.out(json ? JSON.stringify({ schema: JSON_SCHEMA, version: VERSION }) : `track ${VERSION}`);
      return EXIT.ok;
    }
    const spec = await findCommand(first, deps.commands ?? COMMANDS);
    command = spec.name;
    // The OS hands Deno raw bytes; Deno.args decodes them lossily, so U+FFFD marks bytes that
    // were not UTF-8. Storing it would silently change what the caller passed.
    const lossy = rest.findIndex((a) => a.includes("\uFFFD"));
    if (lossy !== -1) {
      throw usageError(
        `Cannot run "track ${spec.name}": argument ${lossy + 2} is not valid UTF-8`,
        `track ${spec.name} --help`,
      );
    }
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      await printCommandHelp(io, spec, json);
      return EXIT.ok;
    }
    const opts = parsed.opts;
    ctx = createContext({
      io,
      env,
      cwd: deps.cwd ?? Deno.cwd(),
      json,
      now: deps.now,
      commands: () => loadCommands(deps.commands ?? COMMANDS),
    });
    const code = (await spec.run(opts, ctx)) ?? EXIT.ok;
    for (const w of ctx.warnings) io.err(w);
    await autoSync(ctx, deps, env, io, command, args);
    return code;
  } catch (e) {
    // With --json stderr holds exactly the error object: no warning of its own then.
    await autoSync(ctx, deps, env, json ? null : io, command, args);
    if (e instanceof TrackError) {
      reportError(io, withUsageHint(e, command), json);
      if (!json && e.kind !== "usage") { for (const w of ctx?.warnings ?? []) io.err(w); }
      return e.exitCode;
    }
    const err = e instanceof TrackError ? e : new TrackError(
      "internal",
      `Internal error: ${e instanceof Error ? e.message : String(e)}`,
      { hint: "please report this with the command you ran; set TRACK_DEBUG=1 for a stack trace" },
    );
    reportError(io, err, json);
    if (env.get("TRACK_DEBUG")) io.err(String((e as Error)?.stack ?? e));
    return EXIT.internal;
  }
}
