/** The on-disk text of a board entry (docs/format.md "Board"). */
import { formatFrontMatter } from "./front_matter.ts";

/**
 * The file text of a board entry: small front matter, then the message verbatim. The addressing
 * keys are written only when used, so an undirected post has the same bytes as in agent-track
 * 0.1. The one serializer of board entries: `serializeEntry` (src/operations/board.ts) and the
 * sync merge both use it.
 */
export function boardEntryText(
  e: {
    at: string;
    agent: string;
    ticket: string | null;
    tag: string;
    kind: string;
    message: string;
    to?: string[];
    reply_to?: string | null;
    ack?: boolean;
  },
): string {
  const extra: Array<[string, string[] | string | boolean]> = [];
  if (e.to && e.to.length > 0) extra.push(["to", e.to]);
  if (e.reply_to) extra.push(["reply_to", e.reply_to]);
  if (e.ack) extra.push(["ack", true]);
  return formatFrontMatter([
    ["at", e.at],
    ["agent", e.agent],
    ["ticket", e.ticket],
    ["tag", e.tag],
    ["kind", e.kind],
    ...extra,
  ]) + e.message + "\n";
}
