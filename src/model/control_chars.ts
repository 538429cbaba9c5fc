/**
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
