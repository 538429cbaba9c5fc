// The live snapshot's update rule, with no imports so tests run it outside the browser
// (tests/dashboard_deltas_test.ts): the server sends one full snapshot, then deltas, each naming
// the version it applies to (`from`) and the one it makes (`version`). A delta that does not
// start where the page is (a gap) is refused: the caller reconnects and gets a snapshot again.

/** Board entries kept when the person has not paged back (the server's BOARD_LAST). */
export const BOARD_KEEP = 60;

/** The page's state from a full snapshot, as of `now` (ms). */
export function fromSnapshot(snap, now) {
  return { ...snap, received_at: now, board_keep: BOARD_KEEP, written: 0 };
}

function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `rows` with `changed` (by id) put in and `removed` ids taken out, order kept, new ones last. */
function merge(rows, changed, removed) {
  if (changed.length === 0 && removed.length === 0) return rows;
  const fresh = new Map(changed.map((r) => [r.id, r]));
  const gone = new Set(removed);
  const out = [];
  for (const r of rows) {
    if (gone.has(r.id)) continue;
    const n = fresh.get(r.id);
    if (n !== undefined) fresh.delete(r.id);
    out.push(n ?? r);
  }
  for (const n of fresh.values()) out.push(n);
  return out;
}

/** Ages in an agent row are "as of received_at": moved to `now` for rows the delta kept. */
function olderBy(a, s) {
  if (s === 0) return a;
  return {
    ...a,
    heartbeat_age_s: a.heartbeat_age_s + s,
    busy: a.busy.map((b) => ({ ...b, age_s: b.age_s + s })),
    waiting: a.waiting === null ? null : { ...a.waiting, age_s: a.waiting.age_s + s },
  };
}

/**
 * `state` with delta `d` applied, as of `now` (ms); null when `d` does not apply to this
 * version (a gap: fetch a snapshot instead).
 */
export function applyDelta(state, d, now) {
  if (d.from !== state.version) return null;
  const elapsed = (now - state.received_at) / 1000;
  const agents = merge(state.agents.map((a) => olderBy(a, elapsed)), d.agents, d.agents_removed)
    .sort(byId);
  let board = state.board;
  const gone = d.board_removed ?? [];
  if (d.board.length > 0 || gone.length > 0) {
    // Entries new, edited by hand (replaced) or deleted (taken out).
    board = merge(board, d.board, gone).sort(byId).slice(-state.board_keep);
  }
  return {
    ...state,
    version: d.version,
    received_at: now,
    tickets: merge(state.tickets, d.tickets, d.removed),
    // Counts deltas naming tickets whose text changed with their card as it was (a body edited):
    // what reads bodies (the filter box's search) asks again when it moves.
    written: state.written + ((d.touched ?? []).length > 0 ? 1 : 0),
    agents,
    reservations: d.reservations ?? state.reservations,
    board,
    problems: d.problems ?? state.problems,
    stale_threshold_s: d.stale_threshold_s ?? state.stale_threshold_s,
  };
}

/** `state` with older board entries (paged back) added; they are kept from then on. */
export function withOlder(state, entries) {
  const seen = new Set(state.board.map((e) => e.id));
  const add = entries.filter((e) => !seen.has(e.id));
  return {
    ...state,
    board: [...add, ...state.board].sort(byId),
    board_keep: state.board_keep + add.length,
  };
}
