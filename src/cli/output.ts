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

function width(s: string): number {
  return [...s].length;
}

/** Renders rows as an aligned table with a header; cells are made single-line. */
export function table(headers: string[], rows: string[][]): string {
  const clean = rows.map((r) => r.map((c) => c.replace(/[\n\t\r]+/g, " ")));
  const widths = headers.map((h, i) => Math.max(width(h), ...clean.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c)))).join(
      "  ",
    )
      .trimEnd();
  return [line(headers), ...clean.map(line)].join("\n");
}
