/** Shared rendering: `--json` output (shapes in src/model/json.ts) and plain aligned tables. */
import type { Context } from "./context.ts";
import { escapeControls } from "../model/text.ts";
import { JSON_SCHEMA } from "../model/json_schema.ts";

/** Prints `{schema, ...payload}` as JSON. */
export function printJson(ctx: Context, payload: Record<string, unknown>): void {
  ctx.io.out(JSON.stringify({ schema: JSON_SCHEMA, ...payload }, null, 2));
}

const LINE_BREAKS = /[\n\t\r]+/g;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Renders rows as an aligned table with a header; cells are made single-line and their control
 * characters escaped here (so the columns stay aligned). Widths count code points.
 */
export function table(headers: string[], rows: string[][]): string {
  // Nearly every table is printable ASCII: measure cells by length, and check the result once
  // (a 10,000-row `track list` is a megabyte; one native scan beats 60,000 small ones).
  const all = [headers, ...rows];
  const fast = render(all, (c) => c.length);
  if (!NOT_PLAIN_LINES.test(fast) && lineCount(fast) === all.length) return fast;
  const clean = all.map((r) =>
    Array.from(
      { length: headers.length },
      (_, i) => escapeControls((r[i] ?? "").replace(LINE_BREAKS, " ")),
    )
  );
  return render(clean, codePoints);
}

/** Anything but printable ASCII and the line feeds between rows. */
const NOT_PLAIN_LINES = /[^ -~\n]/;

/** Lines in `s`: more than the rows when a cell held a line feed. */
function lineCount(s: string): number {
  let n = 1;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function render(all: string[][], width: (cell: string) => number): string {
  const columns = all[0].length;
  const widths = new Array<number>(columns).fill(0);
  for (const r of all) {
    for (let i = 0; i < columns - 1; i++) {
      const n = width(r[i] ?? "");
      if (n > widths[i]) widths[i] = n;
    }
  }
  // Padding strings are shared, so a line is a rope of existing strings until the final join.
  const pads = Array.from({ length: Math.max(0, ...widths) + 3 }, (_, n) => " ".repeat(n));
  const lines = new Array<string>(all.length);
  for (let k = 0; k < all.length; k++) {
    const r = all[k];
    let line = "";
    for (let i = 0; i < columns - 1; i++) {
      const c = r[i] ?? "";
      line += c + pads[widths[i] - width(c) + 2];
    }
    const last = r[columns - 1] ?? "";
    line += last;
    // Trailing blanks (an empty last column) are trimmed.
    lines[k] = last === "" || last.endsWith(" ") ? line.trimEnd() : line;
  }
  return lines.join("\n");
}

/**
 * The line `claim` and `next` print when the ticket carries a handoff note (docs/agents.md
 * "Handoff"): who left it, when, and where to read it.
 */
export function handoffPointer(id: string, h: { at: string; message: string }): string {
  const first = h.message.split("\n")[0];
  return `Handoff (${h.at}): ${first}. Read it before you start: track show ${id} (Work Log)`;
}
