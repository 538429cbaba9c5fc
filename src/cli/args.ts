/**
 * Argv -> typed values, driven by a command's flag specs. Strict: unknown flags, missing
 * values and repeated single-value flags are usage errors (exit 2).
 */
import { usageError } from "../model/errors.ts";

/**
 * How a flag takes its value. `list` may repeat and splits on commas; `multi` may repeat and
 * never splits (paths may hold commas).
 */
export type FlagType = "boolean" | "string" | "list" | "multi";

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `depends-on`. */
  name: string;
  /** One-letter alias without the dash, e.g. `p`. */
  short?: string;
  type: FlagType;
  /** Placeholder shown in help, e.g. `TEXT`. */
  value?: string;
  /** One line for `--help`. */
  description: string;
  /** Allowed values, checked at parse time. */
  choices?: readonly string[];
}

/** Parsed flags keyed by long name, plus positionals. */
export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "json", type: "boolean", description: "Print machine-readable JSON" },
  { name: "help", short: "h", type: "boolean", description: "Show help for this command" },
];

function closest(name: string, specs: readonly FlagSpec[]): string | null {
  let best: string | null = null;
  let bestScore = Infinity;
  for (const s of specs) {
    const d = editDistance(name, s.name);
    if (d < bestScore) {
      bestScore = d;
      best = s.name;
    }
  }
  return best !== null && bestScore <= 2 ? best : null;
}

/** Edit distance counting a swap of two neighbours as one edit, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  // Optimal string alignment: Levenshtein plus adjacent transpositions ("lsit" -> "list" is 1).
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Whether `arg` names one of the flags (`--name`, `--name=…`, `-x`). */
function isFlag(
  arg: string,
  byLong: ReadonlyMap<string, FlagSpec>,
  byShort: ReadonlyMap<string, FlagSpec>,
): boolean {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    return byLong.has(eq === -1 ? arg.slice(2) : arg.slice(2, eq));
  }
  return arg.length === 2 && arg[0] === "-" && byShort.has(arg[1]);
}

/** Parses `argv` against `specs` (global flags are added). */
export function parseArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  command: string,
): ParsedArgs {
  const all = [...specs, ...GLOBAL_FLAGS];
  const byLong = new Map(all.map((s) => [s.name, s]));
  const byShort = new Map(all.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  const help = `track ${command} --help`;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) inline = arg.slice(eq + 1);
      shown = `--${name}`;
      spec = byLong.get(name);
      if (!spec) {
        const near = closest(name, all);
        throw usageError(
          `Unknown flag "--${name}" for "track ${command}"` +
            (near ? ` (did you mean "--${near}"?)` : ""),
          help,
        );
      }
    } else if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      const letter = arg[1];
      // "-tx" and "-t=x" both give "x" (like "--title=x"); "-t==x" gives "=x".
      if (arg.length > 2) inline = arg.slice(arg[2] === "=" ? 3 : 2);
      shown = `-${letter}`;
      spec = byShort.get(letter);
      if (!spec) throw usageError(`Unknown flag "-${letter}" for "track ${command}"`, help);
      if (spec.type === "boolean" && inline !== undefined) {
        throw usageError(`Flag "-${letter}" takes no value, got "${arg}"`, help);
      }
    } else {
      positionals.push(arg);
      continue;
    }

    if (spec.type === "boolean") {
      if (inline !== undefined) {
        throw usageError(`Flag "${shown}" takes no value, got "${arg}"`, help);
      }
      flags[spec.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        throw usageError(`Flag "${shown}" needs a value (${spec.value ?? "VALUE"})`, help);
      }
      value = argv[++i];
      // "--title --force": the value is missing, not "--force" (pass --title=--force for that).
      if (isFlag(value, byLong, byShort)) {
        throw usageError(
          `Flag "${shown}" needs a value (${spec.value ?? "VALUE"}), got the flag "${value}"`,
          help,
        );
      }
    }
    if (spec.choices && spec.type === "string" && !spec.choices.includes(value)) {
      throw usageError(
        `Invalid value "${value}" for "${shown}": expected one of ${spec.choices.join(", ")}`,
        help,
      );
    }
    if (spec.type === "string") {
      if (flags[spec.name] !== undefined) {
        throw usageError(`Flag "${shown}" was given more than once`, help);
      }
      flags[spec.name] = value;
    } else if (spec.type === "multi") {
      const list = (flags[spec.name] as string[] | undefined) ?? [];
      list.push(value);
      flags[spec.name] = list;
    } else {
      const list = (flags[spec.name] as string[] | undefined) ?? [];
      for (const part of value.split(",")) {
        const item = part.trim();
        if (item !== "") list.push(item);
      }
      flags[spec.name] = list;
    }
  }
  return { flags, positionals };
}
