/**
 * How installed hooks call `track` again. Recorded at install time: the compiled binary, or the
 * deno executable plus this checkout's main.ts; `--command` overrides (e.g. `track` on PATH, for
 * a settings file shared through git).
 */
import { selfArgv } from "../store/self_argv.ts";

/** Quotes a word for POSIX sh. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The shell command prefix hooks use: `override` when given, else {@linkcode selfArgv}. */
export function trackCommand(override: string | undefined): string {
  if (override !== undefined && override.trim() !== "") return override.trim();
  return selfArgv().map(shQuote).join(" ");
}
