/** The shape of a command: data for help and completions, plus parse and run. */
import { type FlagSpec, parseArgs, type ParsedArgs } from "./args.ts";
import type { Context } from "./context.ts";
import { EXIT, usageError } from "../model/errors.ts";
import { parseId } from "../model/ids.ts";

/** One subcommand. `parse` turns argv into typed options; `run` does the work. */
export interface CommandSpec<O = unknown> {
  name: string;
  /** One line for the command table. */
  summary: string;
  /** Usage line after `track `, e.g. `claim T --agent A [--force]`. */
  usage: string;
  flags: readonly FlagSpec[];
  /** Left out of `--help`, the README table and completions (run by installed hooks only). */
  hidden?: boolean;
  /** Names the positional arguments take, for help and completions (`ticket`, `agent`, …). */
  positionals?: readonly string[];
  /** Turns parsed argv into options; throws usage errors. */
  parse(args: ParsedArgs): O;
  /** Runs the command; returns the exit code (0 when omitted). */
  run(opts: O, ctx: Context): Promise<number | void>;
}

/** Helper that keeps the option type of a spec. */
export function defineCommand<O>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** Flag shared by commands that act as an agent. */
export const AGENT_FLAG: FlagSpec = {
  name: "agent",
  short: "a",
  type: "string",
  value: "NAME",
  description: "Agent name (default: $TRACK_AGENT)",
};

/**
 * `--offline`: a decision (claim, next) is granted on this machine only, without syncing;
 * exit 9 ("provisional"), confirmed or lost at the next sync (docs/sync.md "Decisions").
 */
export const OFFLINE_FLAG: FlagSpec = {
  name: "offline",
  type: "boolean",
  description: "With sync on: grant here without the remote (provisional, exit 9)",
};

/** The exit code and note of a settled decision: 9 and a warning when it is provisional. */
export function settledExit(
  ctx: Context,
  what: string,
  confirmed: boolean | null,
): number | undefined {
  if (confirmed !== false) return undefined;
  ctx.io.err(
    `warning: ${what} is granted on this machine only, not confirmed by the sync remote ` +
      "(exit 9): it is at risk until the next track sync confirms it",
  );
  return EXIT.provisional;
}

/** Reads a string flag. */
export function str(args: ParsedArgs, name: string): string | undefined {
  return args.flags[name] as string | undefined;
}

/** Reads a boolean flag. */
export function bool(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** Reads a list flag (empty when absent). */
export function list(args: ParsedArgs, name: string): string[] {
  return (args.flags[name] as string[] | undefined) ?? [];
}

/** Takes exactly one ticket id positional. */
export function oneTicket(positionals: string[], command: string): string {
  if (positionals.length === 0) {
    throw usageError(`"track ${command}" needs a ticket id`, `track ${command} T-0001`);
  }
  if (positionals.length > 1) {
    throw usageError(
      `"track ${command}" takes one ticket id, got ${positionals.length}`,
      `track ${command} --help`,
    );
  }
  return parseId(positionals[0]);
}

/**
 * What `argv` (the arguments after the command name) means for `spec`: `--help`, or the
 * command's options. Usage errors (exit 2) for unknown flags, bad values, and positionals given
 * to a command that takes none; then the command's own `parse` decides.
 */
export function parseCommand<O>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): { help: true } | { help: false; opts: O } {
  const parsed = parseArgs(argv, spec.flags, spec.name);
  if (parsed.flags.help === true) return { help: true };
  if (!spec.positionals?.length && parsed.positionals.length > 0) {
    throw usageError(
      `Unexpected argument ${JSON.stringify(parsed.positionals[0])} for "track ${spec.name}"`,
      `track ${spec.name} --help`,
    );
  }
  return { help: false, opts: spec.parse(parsed) };
}
