/**
 * How `track` runs itself again (the hooks it installs, its background sync and lease keeper),
 * and the runtime flags every shipped `track` runs with.
 */

/**
 * V8 flags of every shipped `track`: the compiled binary (scripts/compile.ts), the README's
 * `deno install` and `deno run` lines, and the processes it starts. A young generation of 4 MB
 * from the start: a command that allocates a few megabytes (startup, then `list` of 1,000
 * tickets) runs without a scavenge (bench/RESULTS.md "Before/after"). Without it `track` behaves
 * the same, a little slower.
 */
export const V8_FLAGS = "--min-semi-space-size=4";

/** {@linkcode V8_FLAGS} as `deno run`, `deno install` and `deno compile` take them. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS}`;

/** The argv prefix that runs this very `track` (the compiled binary, or deno + main.ts). */
export function selfArgv(): string[] {
  const exec = Deno.execPath();
  const main = Deno.mainModule;
  if (/(^|[/\\])deno(\.exe)?$/.test(exec) && main.startsWith("file:")) {
    return [exec, "run", "-A", "--quiet", V8_FLAGS_ARG, decodeURIComponent(new URL(main).pathname)];
  }
  return [exec];
}
