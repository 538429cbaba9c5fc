/**
 * The wire layout of the shared state (docs/sync.md): which store files sync, and where each
 * lives in the tree of a state commit. Pure: no I/O.
 *
 * The store keeps docs/format.md's layout; the state tree shards the two folders that grow
 * without bound, so that one commit stays small at 10,000 tickets and 10,000 board posts (a
 * change rewrites only the small subtrees on its path):
 *
 * ```
 * meta.json                              {"schema":1,"layout":1} (wire only, never in a store)
 * tickets/<last two digits>/T-0042.md    tickets/T-0042.md
 * archive/<last two digits>/T-0007.md    archive/T-0007.md
 * board/<day>/<first two chars>/<name>   board/<day>/<name>
 * agents/<name>.json                     agents/<name>.json
 * inbox/<name>.json                      inbox/<name>.json
 * reservations.json                      reservations.json
 * observations/<clone id>.json           (wire only: each clone's lease observations)
 * ```
 *
 * Only these files sync (an allowlist): everything else in the store never leaves the machine:
 * `config.json` (travels with the code, tracked), `.gitignore`, `.gitattributes`, `lock`,
 * `journal`, `cache/`, temp files, `*.pid`, `server.json`, `verify-key`, `oplog`, and any file
 * this version does not know. A tree entry that is not one of the wire paths above (or not a
 * regular file) is never written into a store.
 */

/** Version of the wire layout this track reads and writes. */
export const WIRE_LAYOUT = 1;

/** Path of the layout marker in the state tree. */
export const META_PATH = "meta.json";

/** The bytes of `meta.json` this track writes. */
export const META_TEXT = `{"schema":1,"layout":${WIRE_LAYOUT}}\n`;

const TICKET = /^(tickets|archive)\/(T-(\d{4,9}))\.md$/;
const WIRE_TICKET = /^(tickets|archive)\/(\d\d)\/(T-(\d{4,9}))\.md$/;
const DAY = "\\d{4}-\\d{2}-\\d{2}";
const BOARD_NAME = "[A-Za-z0-9][A-Za-z0-9_-][A-Za-z0-9._-]{0,200}\\.md";
const BOARD = new RegExp(`^board/(${DAY})/(${BOARD_NAME})$`);
const WIRE_BOARD = new RegExp(`^board/(${DAY})/([A-Za-z0-9_-]{2})/(${BOARD_NAME})$`);
const NAME_JSON = /^(agents|inbox)\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.json$/;
const RESERVATIONS = "reservations.json";

/**
 * Where a clone publishes how long it has seen each agent's heartbeat token unchanged
 * (docs/sync.md "Leases across machines"): wire only, never in a store, never taken from a
 * snapshot: each sync computes its own clone's file and keeps the others' as the tip has them.
 */
export const OBSERVATIONS_DIR = "observations";

const OBSERVATION = /^observations\/([0-9a-f]{12})\.json$/;

/** The wire path of a clone's observation file. */
export function observationPath(cloneId: string): string {
  return `${OBSERVATIONS_DIR}/${cloneId}.json`;
}

/** The clone id of an observation file's wire path, or null when it is not one. */
export function observationCloneOf(wirePath: string): string | null {
  return OBSERVATION.exec(wirePath)?.[1] ?? null;
}

/** A canonical ticket number in a file name (`T-0042`, not `T-00042`). */
function canonical(digits: string): boolean {
  return digits.length === 4 || !digits.startsWith("0");
}

function namedJson(path: string): boolean {
  const m = NAME_JSON.exec(path);
  return m !== null && !m[2].includes("..") && !m[2].endsWith(".json");
}

/** Whether a store-relative path syncs (see the module doc). */
export function syncs(storePath: string): boolean {
  return wirePathOf(storePath) !== null;
}

/** The wire path of a store-relative path, or null when that file never leaves the machine. */
export function wirePathOf(storePath: string): string | null {
  const t = TICKET.exec(storePath);
  if (t !== null) {
    if (!canonical(t[3])) return null;
    return `${t[1]}/${t[3].slice(-2)}/${t[2]}.md`;
  }
  const b = BOARD.exec(storePath);
  if (b !== null) return b[2].includes("..") ? null : `board/${b[1]}/${b[2].slice(0, 2)}/${b[2]}`;
  if (storePath === RESERVATIONS || namedJson(storePath)) return storePath;
  return null;
}

/**
 * The store-relative path of a wire path, or null for anything that is not exactly a wire path
 * this layout writes (meta.json, a ticket in the wrong shard, an unknown file): such entries are
 * never written into a store.
 */
export function storePathOf(wirePath: string): string | null {
  const t = WIRE_TICKET.exec(wirePath);
  if (t !== null) {
    if (!canonical(t[4]) || t[4].slice(-2) !== t[2]) return null;
    return `${t[1]}/${t[3]}.md`;
  }
  const b = WIRE_BOARD.exec(wirePath);
  if (b !== null) {
    if (b[3].slice(0, 2) !== b[2] || b[3].includes("..")) return null;
    return `board/${b[1]}/${b[3]}`;
  }
  if (wirePath === RESERVATIONS || namedJson(wirePath)) return wirePath;
  return null;
}

/** What a state tree's `meta.json` says: its layout, or why it cannot be read. */
export type MetaCheck =
  | { ok: true; layout: number }
  | { ok: false; newer: boolean; reason: string };

/**
 * Checks a state tree's `meta.json` text (null when the tree has none). A newer layout is
 * refused (`newer: true`, exit 6: upgrade track), like a newer config schema.
 */
export function checkMeta(text: string | null): MetaCheck {
  if (text === null) return { ok: false, newer: false, reason: "has no meta.json" };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, newer: false, reason: "meta.json is not JSON" };
  }
  const m = v as { schema?: unknown; layout?: unknown } | null;
  if (
    m === null || typeof m !== "object" || !Number.isInteger(m.layout) ||
    (m.layout as number) < 1 || m.schema !== 1
  ) {
    return { ok: false, newer: false, reason: 'meta.json is not {"schema":1,"layout":N}' };
  }
  const layout = m.layout as number;
  if (layout > WIRE_LAYOUT) {
    return {
      ok: false,
      newer: true,
      reason: `the state has layout ${layout}, newer than this track writes (${WIRE_LAYOUT})`,
    };
  }
  return { ok: true, layout };
}

const INBOX_SETS = ["messages", "delivered", "read", "acked"] as const;

/** An inbox record's sets, or null when `text` is not one (docs/format.md "Inbox"). */
function inboxSets(text: string, agent: string): Record<string, string[]> | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (r.agent !== agent) return null;
  const out: Record<string, string[]> = {};
  for (const key of INBOX_SETS) {
    const list = r[key] ?? [];
    if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) return null;
    out[key] = list as string[];
  }
  return out;
}

/**
 * Two versions of `inbox/<agent>.json` merged: every key is a grow-only set, so the union of
 * each (the record's own serialisation: fixed key order, sorted sets). Null when either does not
 * parse (then the store merge keeps the published one and posts ours).
 */
export function mergeInboxTexts(agent: string, ours: string, theirs: string): string | null {
  const o = inboxSets(ours, agent);
  const t = inboxSets(theirs, agent);
  if (o === null || t === null) return null;
  const obj: Record<string, unknown> = { schema: 1, agent };
  for (const key of INBOX_SETS) obj[key] = [...new Set([...o[key], ...t[key]])].sort();
  return JSON.stringify(obj, null, 2) + "\n";
}

/** The agent of an inbox record path (`inbox/<agent>.json`), or null. */
export function inboxAgentOf(storePath: string): string | null {
  const m = NAME_JSON.exec(storePath);
  return m !== null && m[1] === "inbox" && namedJson(storePath) ? m[2] : null;
}
