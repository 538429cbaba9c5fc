/** `--help` text, generated from the command registry so it cannot drift. */
import { type FlagSpec, GLOBAL_FLAGS } from "./args.ts";
import type { CommandSpec } from "./command.ts";

function flagLine(f: FlagSpec): [string, string] {
  const name = (f.short ? `-${f.short}, ` : "    ") + `--${f.name}` +
    (f.type === "boolean" ? "" : ` ${f.value ?? "VALUE"}`);
  const choices = f.choices ? ` (${f.choices.join("|")})` : "";
  return [name, f.description + choices];
}

/** Help for one command. */
export function commandHelp(spec: CommandSpec<unknown>): string {
  const rows = [...spec.flags, ...GLOBAL_FLAGS].map(flagLine);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    spec.summary,
    "",
    `Usage: track ${spec.usage}`,
    "",
    "Flags:",
    ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`),
  ].join("\n");
}

/** The overview printed by `track --help`. */
export function mainHelp(commands: readonly CommandSpec<unknown>[], version: string): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `track ${version}: tickets, agents, file reservations and a message board for coding agents`,
    "",
    "Usage: track <command> [flags]   (every command takes --json and --help)",
    "       track help <command>      (the same as track <command> --help)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Exit codes: 0 ok, 1 internal error, 2 usage, 3 conflict, 4 not found, 5 lock busy,",
    "            6 bad data in .track/, 7 I/O failure",
    "Environment: TRACK_DIR (the .track directory), TRACK_AGENT (default --agent),",
    "             TRACK_LOCK_TIMEOUT (lock wait in ms, default 10000)",
  ].join("\n");
}

/** One flag in the `--help --json` output. */
export interface FlagHelpJson {
  name: string;
  short: string | null;
  type: FlagSpec["type"];
  value: string | null;
  description: string;
  choices: string[] | null;
}

/** One command in the `--help --json` output. */
export interface CommandHelpJson {
  name: string;
  summary: string;
  usage: string;
  positionals: string[];
  /** The command's flags, then the global ones (`--json`, `--help`). */
  flags: FlagHelpJson[];
}

/** The JSON form of {@linkcode commandHelp}. */
export function commandHelpJson(spec: CommandSpec<unknown>): CommandHelpJson {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `track ${spec.usage}`,
    positionals: [...(spec.positionals ?? [])],
    flags: [...spec.flags, ...GLOBAL_FLAGS].map((f) => ({
      name: f.name,
      short: f.short ?? null,
      type: f.type,
      value: f.type === "boolean" ? null : f.value ?? "VALUE",
      description: f.description,
      choices: f.choices ? [...f.choices] : null,
    })),
  };
}
