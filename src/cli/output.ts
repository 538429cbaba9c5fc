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

const NON_ASCII = /[^ -~]/;
const LINE_BREAKS = /[\n\t\r]+/g;

/** Display width in code points (ASCII, the common case, needs no iteration). */
function width(s: string): number {
  return NON_ASCII.test(s) ? [...s].length : s.length;
}

/** Renders rows as an aligned table with a header; cells are made single-line. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows].map((r) =>
    r.map((
      c,
    ) => (c.includes("\n") || c.includes("\t") || c.includes("\r")
      ? c.replace(LINE_BREAKS, " ")
      : c)
    )
  );
  const widths = headers.map(() => 0);
  for (const r of all) {
    for (let i = 0; i < r.length - 1; i++) widths[i] = Math.max(widths[i], width(r[i] ?? ""));
  }
  const out: string[] = [];
  for (const r of all) {
    let line = "";
    for (let i = 0; i < r.length; i++) {
      const c = r[i] ?? "";
      line += i === r.length - 1 ? c : c + " ".repeat(widths[i] - width(c)) + "  ";
    }
    out.push(line.trimEnd());
  }
  return out.join("\n");
}
