/** Shared rendering: JSON shapes (versioned) and plain aligned tables. */
import type { Context } from "./context.ts";
import { descriptionOf, logEntriesOf, type Ticket, type TicketSummary } from "../tickets/ticket.ts";

/** Version of every `--json` shape; bumped on any breaking change. */
export const JSON_SCHEMA = 1;

/** The JSON form of a ticket's metadata (stable key order, explicit nulls). */
export type TicketJson = Omit<TicketSummary, "extra">;

/** Metadata of a ticket for `--json`. */
export function ticketJson(t: TicketSummary): TicketJson {
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    created: t.created,
    created_by: t.created_by,
    claimed_by: t.claimed_by,
    claimed_at: t.claimed_at,
    labels: t.labels,
    branch: t.branch,
    files: t.files,
    depends_on: t.depends_on,
    updated: t.updated,
    claim_epoch: t.claim_epoch,
  };
}

/** A ticket with its body, description and Work Log, for `show --json`. */
export function ticketDetailJson(t: Ticket) {
  return {
    ...ticketJson(t),
    description: descriptionOf(t.body),
    log: logEntriesOf(t.body),
    body: t.body,
  };
}

/** Prints `{schema, ...payload}` as JSON. */
export function printJson(ctx: Context, payload: Record<string, unknown>): void {
  ctx.io.out(JSON.stringify({ schema: JSON_SCHEMA, ...payload }, null, 2));
}

/** Anything but printable ASCII: such a cell needs the careful path. */
const NOT_PLAIN = /[^ -~]/;
const LINE_BREAKS = /[\n\t\r]+/g;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Renders rows as an aligned table with a header; cells are made single-line. Widths count
 * code points. A row of printable ASCII only (nearly every row) is checked with one test and
 * measured by length: this renders 10,000 rows of `track list`.
 */
export function table(headers: string[], rows: string[][]): string {
  const columns = headers.length;
  const all = [headers, ...rows];
  // Widths of the rows that needed the careful path, by row index.
  const special = new Map<number, number[]>();
  const widths = new Array<number>(columns).fill(0);
  for (let k = 0; k < all.length; k++) {
    const r = all[k];
    if (NOT_PLAIN.test(r.join(""))) {
      const cells = Array.from(
        { length: columns },
        (_, i) => (r[i] ?? "").replace(LINE_BREAKS, " "),
      );
      const w = cells.map(codePoints);
      all[k] = cells;
      special.set(k, w);
      for (let i = 0; i < columns - 1; i++) if (w[i] > widths[i]) widths[i] = w[i];
    } else {
      for (let i = 0; i < columns - 1; i++) {
        const n = (r[i] ?? "").length;
        if (n > widths[i]) widths[i] = n;
      }
    }
  }
  // Padding strings are shared, so a line is a rope of existing strings until the final join.
  const pads = Array.from({ length: Math.max(0, ...widths) + 3 }, (_, n) => " ".repeat(n));
  const lines = new Array<string>(all.length);
  for (let k = 0; k < all.length; k++) {
    const r = all[k];
    const w = special.get(k);
    let line = "";
    for (let i = 0; i < columns - 1; i++) {
      const c = r[i] ?? "";
      line += c + pads[widths[i] - (w === undefined ? c.length : w[i]) + 2];
    }
    const last = r[columns - 1] ?? "";
    line += last;
    // Trailing blanks (an empty last column) are trimmed.
    lines[k] = last === "" || last.endsWith(" ") ? line.trimEnd() : line;
  }
  return lines.join("\n");
}
