/**
 * Checks on text from users (flags, stdin, MCP arguments, the dashboard) shared by every layer:
 * file-content rules (no NUL, CR, BOM), one-line fields, titles, labels, branches, sections.
 *
 * Characters a terminal acts on or hides: C0/C1 controls and DEL (escape sequences can set the
 * window title, clear the screen or recolour what follows) and the invisible format characters
 * that reorder or hide text (U+202E shows "gpj.exe" as "exe.jpg"). One-line fields refuse them;
 * text output shows them as `\uXXXX` (see docs/format.md "Text fields").
 */
import { usageError } from "./errors.ts";

/**
 * Invisible format characters: Arabic letter mark, zero-width space, LRM/RLM, line/paragraph
 * separators, bidi embeddings/overrides/isolates, word joiner and invisible operators, the
 * deprecated format controls, BOM, interlinear annotations. Zero-width (non-)joiners are left
 * alone: emoji sequences and several scripts need them.
 */
const FORMAT = "\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB";

/** What text output escapes: every control but line feed and tab, and {@linkcode FORMAT}. */
const UNSAFE_OUTPUT = new RegExp(`[\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F${FORMAT}]`);
const UNSAFE_OUTPUT_ALL = new RegExp(UNSAFE_OUTPUT.source, "g");
/** What one-line fields refuse: every control (tab and line feed too) and {@linkcode FORMAT}. */
const UNSAFE_LINE = new RegExp(`[\\x00-\\x1F\\x7F-\\x9F${FORMAT}]`);

function hex4(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * `text` with every control character but line feed and tab, and every invisible format
 * character, replaced by its `\uXXXX` escape, so printing it cannot drive or fool a terminal.
 * Inside JSON text the escape is JSON's own (JSON.stringify doubles every backslash of the
 * content), so `--json` output stays exact.
 */
export function escapeControls(text: string): string {
  return UNSAFE_OUTPUT.test(text) ? text.replace(UNSAFE_OUTPUT_ALL, hex4) : text;
}

/** The first character a one-line field refuses, as `U+XXXX`, or null. */
export function unsafeInLine(value: string): string | null {
  const m = UNSAFE_LINE.exec(value);
  return m === null ? null : "U+" + m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
}

/**
 * Throws a usage error (exit 2) when one-line field `what` holds a control character (tab and
 * line feed included) or an invisible format character.
 */
export function checkNoControls(value: string, what: string): string {
  const found = unsafeInLine(value);
  if (found !== null) {
    throw usageError(
      `The ${what} ${
        escapeControls(JSON.stringify(value.length > 70 ? value.slice(0, 70) + "…" : value))
      } contains the control or invisible character ${found}; one-line fields refuse them`,
    );
  }
  return value;
}

/** Checks user-supplied text: no NUL, no CR, no BOM. `what` names it in errors. */
export function checkText(text: string, what: string): string {
  if (text.includes("\0")) throw usageError(`The ${what} contains a NUL character`);
  if (text.startsWith("\uFEFF")) {
    throw usageError(`The ${what} starts with a byte-order mark (BOM)`);
  }
  if (text.includes("\r")) {
    throw usageError(`The ${what} contains CR (\\r) characters; use LF line endings`);
  }
  return text;
}

/** Longest title accepted, in UTF-8 bytes. */
export const MAX_TITLE_BYTES = 1024;
/** Longest description accepted, in UTF-8 bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** `text` without blank lines before or after it (the section adds its own). */
export function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\n)+/, "").replace(/\s+$/, "");
}

/**
 * Checks a description or Acceptance Criteria text (`what` names it): no NUL, CR or BOM, at most
 * 1 MB. The criteria may not hold our own section headings (`## Acceptance Criteria`,
 * `## Work Log`) as lines: the sections would no longer read back as written.
 */
export function checkSection(text: string, what: "body" | "acceptance criteria"): string {
  checkText(text, what);
  if (encoder.encode(text).length > MAX_BODY_BYTES) {
    throw usageError(`The ${what} is longer than ${MAX_BODY_BYTES} bytes`);
  }
  if (what !== "body") {
    const heading = /^## (Acceptance Criteria|Work Log)$/m.exec(text);
    if (heading !== null) {
      throw usageError(
        `The ${what} hold the line "${heading[0]}", a section heading of the ticket body; ` +
          `use another heading (### works)`,
      );
    }
  }
  return text;
}

/** Checks a title: one line without control or invisible format characters, at most 1 KB. */
export function checkTitle(title: string): string {
  checkText(title, "title");
  checkNoControls(title, "title");
  if (title.trim() === "") throw usageError("The title must not be empty");
  if (encoder.encode(title).length > MAX_TITLE_BYTES) {
    throw usageError(`The title is longer than ${MAX_TITLE_BYTES} bytes; put details in the body`);
  }
  return title;
}

/** Checks labels: no commas, no control characters, sorted and unique. */
export function checkLabels(labels: readonly string[]): string[] {
  for (const l of labels) {
    checkNoControls(l, "label");
    if (!/^[^\s,][^,\n]{0,63}$/.test(l)) {
      throw usageError(
        `Invalid label ${JSON.stringify(l.slice(0, 70))}: 1-64 characters, no commas or newlines`,
      );
    }
  }
  return [...new Set(labels)].sort();
}

/** Checks a branch name: no whitespace or control characters, at most 255 characters. */
export function checkBranch(branch: string): string {
  checkNoControls(branch, "branch");
  if (branch !== "" && !/^[^\s\p{Cc}]{1,255}$/u.test(branch)) {
    throw usageError(
      `Invalid branch ${
        JSON.stringify(branch.slice(0, 70))
      }: up to 255 characters, no spaces or control characters`,
    );
  }
  return branch;
}

/** Checks a free-text field (a session id, a path): one line, no control characters. */
export function checkLine(value: string, what: string): string {
  checkNoControls(value, what);
  if (!/^[^\p{Cc}]{0,4096}$/u.test(value)) {
    throw usageError(
      `Invalid ${what} ${JSON.stringify(value.slice(0, 70))}: one line, at most 4096 characters`,
    );
  }
  return value;
}
