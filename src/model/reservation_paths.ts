/**
 * Reserved paths: normalisation to repository-relative form and overlap of paths and globs.
 *
 * A pattern is `/`-separated segments. `**` as a whole segment matches zero or more segments;
 * in any other segment `*` matches any characters and `?` exactly one, never `/`; everything
 * else (brackets and braces included) is literal. A plain path is one file. A directory is
 * reserved as `dir/**`: `normalizePath` writes a path ending in `/` or naming a directory that
 * exists that way. Since `**` may match zero segments, `src/**` also covers the name `src`.
 */
import { checkNoControls } from "./text.ts";
import { isAbsolute, normalize, relative, resolve } from "./path.ts";
import { usageError } from "./errors.ts";

const GLOB_CHARS = /[*?]/;
/** Longest pattern accepted (PATH_MAX on Linux). */
export const MAX_PATTERN_LENGTH = 4096;

/** What `normalizePath` may ask of the disk (absolute paths); absent means "no". */
export interface PathProbe {
  /** Whether the path exists: brackets and braces in an existing path are part of its name. */
  exists?: (abs: string) => boolean;
  /** Whether the path is a directory (a plain path naming one reserves all below it). */
  isDir?: (abs: string) => boolean;
  /**
   * The name of one file (a path an editor is about to write): brackets and braces are part of
   * it whether it exists or not. Its `*` and `?` still read as globs, which can only widen what
   * it is found to overlap.
   */
  literal?: boolean;
}

/**
 * Normalises `input` (relative to `cwd`, or absolute) to a pattern relative to `root`: a
 * directory (ending in `/`, or existing) becomes `dir/**`, repeated `**` segments fold into one.
 */
export function normalizePath(
  input: string,
  options: { cwd: string; root: string } & PathProbe,
): string {
  if (input === "" || input.includes("\0")) {
    throw usageError(`Invalid path ${JSON.stringify(input)}`);
  }
  checkNoControls(input, "path");
  const abs = isAbsolute(input) ? input : resolve(options.cwd, input);
  if (/[[\]{}]/.test(input) && !options.literal && !(options.exists?.(abs) ?? false)) {
    throw usageError(
      `Unsupported glob in ${
        JSON.stringify(input)
      }: use *, ? and ** only (brackets and braces are taken literally only in a path that exists)`,
    );
  }
  const rel = normalize(relative(options.root, abs));
  if (rel === ".." || rel.startsWith("../")) {
    throw usageError(
      `Path ${JSON.stringify(input)} is outside the repository "${options.root}"`,
      `track files --list (paths are relative to "${options.root}")`,
    );
  }
  const segs = rel === "." ? [] : rel.split("/");
  const dir = segs.length === 0 || /\/\.?$/.test(input) ||
    (!isGlob(rel) && (options.isDir?.(abs) ?? false));
  if (dir) segs.push("**");
  const out = segs.filter((s, i) => !(s === "**" && segs[i - 1] === "**")).join("/");
  if (out.length > MAX_PATTERN_LENGTH) {
    throw usageError(
      `Path ${JSON.stringify(out.slice(0, 60) + "…")} is ${out.length} characters long: at most ` +
        `${MAX_PATTERN_LENGTH} are accepted`,
      "track files --add 'dir/**' (reserve a directory instead)",
    );
  }
  return out;
}

/** Whether `pattern` holds glob characters. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/**
 * Whether `pattern` is in normal form and names paths inside the repository: relative, no
 * empty, `.` or `..` segments, no NUL, not too long. Other patterns overlap nothing.
 */
export function isRepoPattern(pattern: string): boolean {
  return pattern !== "" && pattern.length <= MAX_PATTERN_LENGTH && !pattern.includes("\0") &&
    pattern.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/**
 * Whether some string of characters (never `/`) matches both segment patterns. Reachability in
 * the product of the two patterns' automata, filled bottom-up: O(|a|·|b|) time, no recursion.
 * `ok[i][j]` says whether the rest `a[i..]` and `b[j..]` have a common match.
 */
function segmentsOverlap(a: string, b: string): boolean {
  if (!isGlob(a) && !isGlob(b)) return a === b;
  const p = [...a];
  const q = [...b];
  const w = q.length + 1;
  const ok = new Uint8Array((p.length + 1) * w);
  for (let i = p.length; i >= 0; i--) {
    for (let j = q.length; j >= 0; j--) {
      let r: boolean;
      if (i === p.length && j === q.length) r = true;
      // A `*` either ends here, or takes one more character of whatever b produces next (when
      // b has a `*` there, taking it means b's `*` produces nothing more).
      else if (p[i] === "*") {
        r = ok[(i + 1) * w + j] === 1 || (j < q.length && ok[i * w + j + 1] === 1);
      } else if (q[j] === "*") {
        r = ok[i * w + j + 1] === 1 || (i < p.length && ok[(i + 1) * w + j] === 1);
      } else if (i === p.length || j === q.length) r = false;
      else r = (p[i] === q[j] || p[i] === "?" || q[j] === "?") && ok[(i + 1) * w + j + 1] === 1;
      ok[i * w + j] = r ? 1 : 0;
    }
  }
  return ok[0] === 1;
}

/**
 * Whether some repository path matches both patterns (paths and globs, in either order). The same
 * product construction over segments, `**` playing the part of `*`; each pair of segments is
 * compared at most once, so the whole test is O(|a|·|b|) in characters: no input backtracks.
 * A pattern that is not in normal form (absolute, `..`: see {@linkcode isRepoPattern}) overlaps
 * nothing; `track doctor` reports such reservations.
 */
export function patternsOverlap(a: string, b: string): boolean {
  if (!isRepoPattern(a) || !isRepoPattern(b)) return false;
  if (!isGlob(a) && !isGlob(b)) return a === b;
  const A = a.split("/");
  const B = b.split("/");
  const w = B.length + 1;
  const ok = new Uint8Array((A.length + 1) * w);
  for (let i = A.length; i >= 0; i--) {
    for (let j = B.length; j >= 0; j--) {
      let r: boolean;
      if (i === A.length && j === B.length) r = true;
      else if (A[i] === "**") {
        r = ok[(i + 1) * w + j] === 1 || (j < B.length && ok[i * w + j + 1] === 1);
      } else if (B[j] === "**") {
        r = ok[i * w + j + 1] === 1 || (i < A.length && ok[(i + 1) * w + j] === 1);
      } else if (i === A.length || j === B.length) r = false;
      else r = ok[(i + 1) * w + j + 1] === 1 && segmentsOverlap(A[i], B[j]);
      ok[i * w + j] = r ? 1 : 0;
    }
  }
  return ok[0] === 1;
}
