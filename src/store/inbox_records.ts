/**
 * Inbox records: `.track/inbox/<agent>.json`, one per agent, the index of board entries that are
 * addressed to it or concern it, and what it has done with them. Every key is a grow-only set of
 * board entry ids (sorted), so two copies merge by taking the union of each set and no board post
 * is ever edited (docs/format.md, "Inbox").
 */
import { join } from "../model/path.ts";
import { badDataError } from "../model/errors.ts";
import type { Store, Tx } from "./store.ts";

/** One agent's inbox record as stored. */
export interface InboxRecord {
  agent: string;
  /** Entries addressed to the agent or concerning it. */
  messages: string[];
  /** Entries a hook has put in the agent's context (each is delivered once). */
  delivered: string[];
  /** Entries the agent has read (`inbox --mark-read`, `ack`). */
  read: string[];
  /** Entries the agent has acknowledged (`ack`); acknowledged implies read. */
  acked: string[];
}

const SETS = ["messages", "delivered", "read", "acked"] as const;

/** Path of an agent's inbox record. */
export function inboxPath(store: Store, agent: string): string {
  return join(store.dir, "inbox", `${agent}.json`);
}

/** An empty record for `agent`. */
export function emptyInbox(agent: string): InboxRecord {
  return { agent, messages: [], delivered: [], read: [], acked: [] };
}

/** Reads an agent's inbox record (an empty one when there is none). Exit 6 when unparseable. */
export function readInbox(store: Store, agent: string): InboxRecord {
  const path = inboxPath(store, agent);
  const display = store.display(path);
  const text = store.readText(path, display);
  if (text === null) return emptyInbox(agent);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw badDataError(display, `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw badDataError(display, "must hold a JSON object");
  }
  const r = raw as Record<string, unknown>;
  if (r.agent !== agent) {
    throw badDataError(display, `"agent" is ${JSON.stringify(r.agent)} but the file is ${agent}`);
  }
  const out = emptyInbox(agent);
  for (const key of SETS) {
    const v = r[key] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw badDataError(display, `"${key}" must be a list of board entry ids`);
    }
    out[key] = v as string[];
  }
  return out;
}

/** Serialises an inbox record deterministically (fixed key order, sorted sets). */
export function serializeInbox(r: InboxRecord): string {
  const obj: Record<string, unknown> = { schema: 1, agent: r.agent };
  for (const key of SETS) obj[key] = [...new Set(r[key])].sort();
  return JSON.stringify(obj, null, 2) + "\n";
}

/** Writes an inbox record (inside a mutation). */
export function writeInbox(tx: Tx, r: InboxRecord): void {
  tx.writeFile(inboxPath(tx.store, r.agent), serializeInbox(r));
}

/** Adds `ids` to set `key` of `agent`'s record (inside a mutation); writes only on a change. */
export function addToInbox(
  tx: Tx,
  agent: string,
  key: typeof SETS[number],
  ids: readonly string[],
): void {
  const r = readInbox(tx.store, agent);
  const have = new Set(r[key]);
  const added = ids.filter((id) => !have.has(id));
  if (added.length === 0) return;
  r[key] = [...r[key], ...added];
  writeInbox(tx, r);
}

/**
 * Ids addressed to the agent that it has neither read nor had delivered: what the PostToolUse
 * hook would inject. One small file read, no board scan.
 */
export function undelivered(r: InboxRecord): string[] {
  const done = new Set([...r.delivered, ...r.read]);
  return r.messages.filter((id) => !done.has(id));
}
