/**
 * The deliberate bugs `deno task mutants` plants (scripts/mutants.ts), one per guarantee, each
 * with the suite that must fail on it. `find` must occur exactly once in `file`
 * (scripts/mutants_test.ts checks that on every run, so the list cannot go stale silently).
 * Replacements keep the code type-correct: a type error would "kill" a mutant for the wrong
 * reason, so the runner refuses one that does not type-check.
 */

/** One planted bug. */
export interface Mutant {
  /** Short name, for the command line and the table. */
  name: string;
  /** The guarantee it breaks, in a few words. */
  breaks: string;
  /** File to change, relative to the repository root. */
  file: string;
  /** Exact text to replace (must occur exactly once). */
  find: string;
  replace: string;
  /** The suite named for that guarantee, which must fail. */
  suite: string;
}

export const MUTANTS: Mutant[] = [
  {
    name: "claim-theft",
    breaks: "a claim takes a claimed ticket from its live holder",
    file: "src/operations/claims.ts",
    find: `if (!force || ticket.status === "done") {`,
    replace: `if ((!force && ticket.status !== "claimed") || ticket.status === "done") {`,
    suite: "tests/suites/claims_test.ts",
  },
  {
    name: "fencing-skipped",
    breaks: "a holder whose claim was taken still writes to the ticket",
    file: "src/operations/claims.ts",
    find: `  if (!lost) return;\n`,
    replace: `  if (agent !== "" || !lost) return; // mutant\n`,
    suite: "tests/suites/claims_test.ts",
  },
  {
    name: "lock-not-taken",
    breaks: "writers run without the store lock",
    file: "src/store/store.ts",
    find:
      `const lock = await acquireLock(this.lockPath, { timeoutMs: this.#lockTimeoutMs, command });`,
    replace: `const lock = { release() {}, acquireLock }; // mutant`,
    suite: "tests/suites/lost_updates_test.ts",
  },
  {
    name: "overlap-always-false",
    breaks: "overlapping exclusive reservations both granted",
    file: "src/model/reservation_paths.ts",
    find: `export function patternsOverlap(a: string, b: string): boolean {\n`,
    replace:
      `export function patternsOverlap(a: string, b: string): boolean {\n  if (a !== "\\0") return false; // mutant\n`,
    suite: "tests/suites/reservations_test.ts",
  },
  {
    name: "heartbeat-wall-clock-only",
    breaks: "heartbeat age ignores the boot clock, so a clock jump takes live claims",
    file: "src/store/clock.ts",
    find:
      `if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === now.mono.boot) {`,
    replace:
      `if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === "mutant") {`,
    suite: "tests/suites/clock_test.ts",
  },
  {
    name: "parse-error-rewrites",
    breaks: "an agent file that does not parse is replaced by a fresh record",
    file: "src/store/agent_records.ts",
    find: `if (e instanceof AgentFormatError) throw badDataError(display, e.message);`,
    replace: `if (e instanceof AgentFormatError) return null; // mutant`,
    suite: "tests/suites/malformed_test.ts",
  },
  {
    name: "read-rewrites-ticket",
    breaks: "a read command rewrites a ticket file it read (reformatting it)",
    file: "src/store/store.ts",
    find: `      : readTextStrict(path, display, this.dir);
    if (text === null) return null;
    try {
      return { ticket: parseTicket(text, id), text };`,
    replace: `      : readTextStrict(path, display, this.dir);
    if (text === null) return null;
    try {
      const t = parseTicket(text, id); // mutant: "tidy" the file on read
      if (serializeTicket(t) !== text) writeFileAtomic(path, serializeTicket(t), display);
      return { ticket: t, text };`,
    suite: "tests/suites/malformed_test.ts",
  },
];
