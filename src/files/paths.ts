/**
 * Reserved paths: normalisation to repository-relative form and overlap of paths and globs.
 * A plain path covers itself and everything below it (a directory reservation); `*` and `?`
 * match within one segment, `**` matches any number of segments.
 */
import { checkNoControls } from "../cli/control_chars.ts";
import { isAbsolute, normalize, relative, resolve } from "../store/path.ts";
import { usageError } from "../cli/errors.ts";

const GLOB_CHARS = /[*?]/;

/**
 * Normalises `input` (relative to `cwd`, or absolute) to a path relative to `root`. `exists`
 * tells whether a path is on disk: brackets and braces in an existing path are part of its name.
 */
export function normalizePath(
  input: string,
  options: { cwd: string; root: string; exists?: (abs: string) => boolean },
): string {
  if (input === "" || input.includes("\0")) {
    throw usageError(`Invalid path ${JSON.stringify(input)}`);
  }
  checkNoControls(input, "path");
  const abs = isAbsolute(input) ? input : resolve(options.cwd, input);
  if (/[[\]{}]/.test(input) && !(options.exists?.(abs) ?? false)) {
    throw usageError(
      `Unsupported glob in ${
        JSON.stringify(input)
      }: use *, ? and ** only (brackets and braces are taken literally only in a path that exists)`,
    );
  }
  let rel = relative(options.root, abs);
  rel = normalize(rel).replace(/\/+$/, "");
  if (rel === "" || rel === ".") rel = "**";
  if (rel === ".." || rel.startsWith("../")) {
    throw usageError(
      `Path ${JSON.stringify(input)} is outside the repository "${options.root}"`,
      `track files --list (paths are relative to "${options.root}")`,
    );
  }
  return rel;
}

/** Whether `pattern` holds glob characters. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

function segments(pattern: string): string[] {
  const segs = pattern.split("/").filter((s) => s !== "");
  // A plain path is a directory-style reservation: it covers everything below it too.
  if (!isGlob(pattern)) segs.push("**");
  return segs;
}

function segmentsOverlap(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (a[i] === "*") r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === "*") r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) r = false;
    else r = (a[i] === b[j] || a[i] === "?" || b[j] === "?") && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** Whether some path matches both patterns (paths and globs, in either order). */
export function patternsOverlap(a: string, b: string): boolean {
  const A = segments(a);
  const B = segments(b);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (B.length + 1) + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === A.length && j === B.length) r = true;
    else if (A[i] === "**") r = go(i + 1, j) || (j < B.length && go(i, j + 1));
    else if (B[j] === "**") r = go(i, j + 1) || (i < A.length && go(i + 1, j));
    else if (i === A.length || j === B.length) r = false;
    else r = segmentsOverlap(A[i], B[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}
