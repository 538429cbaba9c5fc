/**
 * The inbox: board entries addressed to an agent or concerning it (indexed by the writer of each
 * entry in `.track/inbox/<agent>.json`, src/store/inbox_records.ts), what it has read and
 * acknowledged, and the bounded delivery the Claude Code hooks put in an agent's context.
 * Posts are never edited: read, delivered and acknowledged are sets on the agent's own record.
 */
import { type BoardEntry, postEntry, readEntry } from "./board.ts";
import { TrackError } from "../model/errors.ts";
import { escapeControls } from "../model/text.ts";
import {
  addToInbox,
  type InboxRecord,
  readInbox,
  undelivered,
  writeInbox,
} from "../store/inbox_records.ts";
import type { Store } from "../store/store.ts";

/** One inbox line: the entry and what the agent has done with it. */
export interface InboxItem {
  entry: BoardEntry;
  read: boolean;
  acked: boolean;
  delivered: boolean;
}

/**
 * The agent's messages: unread first (oldest first, the order to read them in), then, with
 * `all`, the read ones (newest first). Only the indexed entries are opened, so the cost follows
 * the agent's own messages, not the board's size. Entries whose file is gone become warnings.
 * A pure read.
 */
export function listInbox(
  store: Store,
  agent: string,
  options: { all: boolean },
): { items: InboxItem[]; unread: number; warnings: string[] } {
  const record = readInbox(store, agent);
  const read = new Set([...record.read, ...record.acked]);
  const acked = new Set(record.acked);
  const delivered = new Set(record.delivered);
  const warnings: string[] = [];
  const unreadItems: InboxItem[] = [];
  const readItems: InboxItem[] = [];
  for (const id of [...new Set(record.messages)].sort()) {
    const isRead = read.has(id);
    if (isRead && !options.all) continue;
    let entry: BoardEntry;
    try {
      entry = readEntry(store, id);
    } catch (e) {
      if (!(e instanceof TrackError)) throw e;
      warnings.push(e.message);
      continue;
    }
    const item = { entry, read: isRead, acked: acked.has(id), delivered: delivered.has(id) };
    (isRead ? readItems : unreadItems).push(item);
  }
  return {
    items: [...unreadItems, ...readItems.reverse()],
    unread: unreadItems.length,
    warnings,
  };
}

/**
 * The `messages` of `inbox --json` (and MCP's inbox tool, docs/json.md): each entry with what
 * the agent has done with it, `read` counting the ids just `marked` read.
 */
export function inboxMessagesJson(
  items: readonly InboxItem[],
  marked: readonly string[],
): Array<BoardEntry & { read: boolean; acked: boolean; delivered: boolean }> {
  return items.map((i) => ({
    ...i.entry,
    read: i.read || marked.includes(i.entry.id),
    acked: i.acked,
    delivered: i.delivered,
  }));
}

/**
 * Marks `items` read for `agent` (a mutation), except those asking for an acknowledgement: they
 * stay unread until `track ack`. Returns the ids marked.
 */
export async function markRead(
  store: Store,
  agent: string,
  items: readonly InboxItem[],
): Promise<string[]> {
  const ids = items.filter((i) => !i.read && !i.entry.ack).map((i) => i.entry.id);
  if (ids.length === 0) return [];
  return await store.mutate("inbox --mark-read", (tx) => {
    addToInbox(tx, agent, "read", ids);
    return ids;
  });
}

/** Records that `ids` were put in `agent`'s context (a mutation), so no hook repeats them. */
export async function markDelivered(
  store: Store,
  agent: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await store.mutate("hook deliver", (tx) => addToInbox(tx, agent, "delivered", ids));
}

/** Result of `ack`. */
export interface AckResult {
  entry: BoardEntry;
  /** False when it was already acknowledged. */
  acked: boolean;
  /** The event telling the author, when the post asked for an acknowledgement. */
  notice: BoardEntry | null;
}

/**
 * Acknowledges board message `id` for `agent` (a mutation): read and acknowledged on its inbox
 * record; when the post asked for it (`--ack`), its author is told by an `acked` event.
 * Exit 4 when there is no such message.
 */
export async function ackMessage(
  store: Store,
  agent: string,
  id: string,
  now: Date,
): Promise<AckResult> {
  return await store.mutate(`ack ${id}`, (tx) => {
    const entry = readEntry(tx.store, id);
    const r = readInbox(tx.store, agent);
    if (r.acked.includes(id)) return { entry, acked: false, notice: null };
    r.messages = [...r.messages, id];
    r.read = [...r.read, id];
    r.acked = [...r.acked, id];
    writeInbox(tx, r);
    let notice: BoardEntry | null = null;
    if (entry.ack && entry.agent !== agent) {
      notice = postEntry(tx, {
        at: now,
        agent,
        ticket: entry.ticket,
        tag: "acked",
        kind: "event",
        message: `${agent} acknowledged ${id}`,
        to: [entry.agent],
        replyTo: id,
      });
    }
    return { entry, acked: true, notice };
  });
}

/** Most characters one hook delivery adds to the context (≈ 500 tokens at 4 characters each). */
export const DELIVERY_MAX_CHARS = 2000;
/** Most characters of one message's text in a delivery. */
const MESSAGE_SHOWN_CHARS = 400;

/** One message as a delivery shows it: a header line, then its text (shortened, escaped). */
export function formatDelivered(e: BoardEntry): string {
  const head = `- ${e.id} from ${e.agent}` + (e.ticket ? ` about ${e.ticket}` : "") +
    ` [${e.tag}]` + (e.reply_to ? ` re ${e.reply_to}` : "") +
    (e.ack ? " (asks for: track ack " + e.id + ")" : "");
  const flat = e.message.length > MESSAGE_SHOWN_CHARS
    ? e.message.slice(0, MESSAGE_SHOWN_CHARS - 1) + "…"
    : e.message;
  const body = escapeControls(flat).split("\n").map((l) => `  ${l}`).join("\n");
  return `${head}\n${body}`;
}

/**
 * What a hook adds to the agent's context: unread messages never delivered before, oldest
 * first, within {@linkcode DELIVERY_MAX_CHARS}; the rest are counted ("N more: track inbox").
 * Marks what it shows delivered in the same mutation, so nothing is injected twice. Returns
 * null (and writes nothing) when nothing is waiting: one small file read.
 */
export async function deliverInbox(
  store: Store,
  agent: string,
  options: { maxChars?: number } = {},
): Promise<{ text: string; delivered: string[]; more: number } | null> {
  const max = options.maxChars ?? DELIVERY_MAX_CHARS;
  if (undelivered(readInbox(store, agent)).length === 0) return null;
  return await store.mutate("hook deliver", (tx) => {
    const record: InboxRecord = readInbox(tx.store, agent);
    const waiting = [...new Set(undelivered(record))].sort();
    if (waiting.length === 0) return null;
    const head = `track: ${waiting.length} new message(s) for ${agent}:`;
    const reply =
      `Reply: track board --agent ${agent} --reply-to ID -m "..."; mark read: track ack ID`;
    const moreLine = (n: number) => `${n} more: track inbox --agent ${agent}`;
    // Room for the messages: the bound less the longest closing line and its line feed.
    const room = max - Math.max(reply.length, moreLine(waiting.length).length) - 1;
    const parts: string[] = [];
    const shown: string[] = [];
    const gone: string[] = [];
    let size = head.length;
    for (const id of waiting) {
      let entry: BoardEntry;
      try {
        entry = readEntry(tx.store, id);
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        gone.push(id); // its file is gone or unreadable: never retried on every tool call
        continue;
      }
      const part = formatDelivered(entry);
      // Room is kept for the closing line.
      if (size + 1 + part.length > room) {
        if (shown.length > 0) break;
        // A single long message: cut so the delivery stays within the bound.
        parts.push(part.slice(0, room - size - 2) + "…");
      } else parts.push(part);
      shown.push(id);
      size += 1 + parts[parts.length - 1].length;
    }
    const more = waiting.length - shown.length - gone.length;
    if (shown.length === 0 && gone.length > 0) {
      addToInbox(tx, agent, "delivered", gone);
      return null;
    }
    addToInbox(tx, agent, "delivered", [...shown, ...gone]);
    const tail = more > 0 ? moreLine(more) : reply;
    return { text: [head, ...parts, tail].join("\n"), delivered: shown, more };
  });
}
