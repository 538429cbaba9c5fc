/**
 * How installed hooks call `track` again. Recorded at install time: the compiled binary, or the
 * deno executable plus this checkout's main.ts; `--command` overrides (e.g. `track` on PATH, for
 * a settings file shared through git).
 */
/** Quotes a word for POSIX sh. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The argv prefix that runs this very `track` (binary or deno + main.ts). */
export function selfArgv(): string[] {
  const exec = Deno.execPath();
  const main = Deno.mainModule;
  const isDeno = /(^|[/\\])deno(\.exe)?$/.test(exec);
  if (isDeno && main.startsWith("file:")) {
    return [exec, "run", "-A", "--quiet", decodeURIComponent(new URL(main).pathname)];
  }
  return [exec];
}

/** The shell command prefix hooks use: `override` when given, else {@linkcode selfArgv}. */
export function trackCommand(override: string | undefined): string {
  if (override !== undefined && override.trim() !== "") return override.trim();
  return selfArgv().map(shQuote).join(" ");
}
