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
