// Talking to the server: API calls (writes carry the per-run token) and the live snapshot: one
// full snapshot over /api/events, then the deltas the server sends (deltas.js applies them).
import { useCallback, useEffect, useRef, useState } from "/vendor/hooks.mjs";
import { applyDelta, BOARD_KEEP, fromSnapshot, withOlder } from "/deltas.js";

// From the page's <meta>; replaced by the token in a new server's `hello` event.
let token = document.querySelector('meta[name="track-token"]')?.getAttribute("content") ?? "";

/**
 * Views that read the whole store again when tickets change (the graph, the filter box's body
 * search) do it at most this often: at 10,000 tickets each read is tens of milliseconds of the
 * server's time, and agents change tickets several times a second.
 */
const READ_AGAIN_MS = 2_000;

/** Counts for tests and the benchmark (read from the page as `globalThis.trackLive`). */
const counters = { snapshots: 0, deltas: 0, gaps: 0, snapshot_bytes: 0, delta_bytes: 0 };
globalThis.trackLive = counters;

/** GET `path`, or POST `body` as JSON with the token: `{ok: true, data}` or `{ok: false, error}`. */
export async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json", "x-track-token": token },
    body: JSON.stringify(body),
  };
  let res;
  try {
    res = await fetch(path, { cache: "no-store", ...init });
  } catch {
    return { ok: false, error: { message: "The dashboard server is not reachable", hint: null } };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    return {
      ok: false,
      error: data?.error ?? { message: `Request failed (${res.status})`, hint: null },
    };
  }
  return { ok: true, data };
}

/** An API error as one line: the message, then the hint. */
export function errorText(e) {
  return e.hint ? `${e.message} (hint: ${e.hint})` : e.message;
}

/**
 * The live snapshot over /api/events: one full `snapshot` event, then `delta` events applied in
 * version order (deltas.js). A gap in versions or a dropped stream reconnects, and the new
 * stream starts with a full snapshot again. Deltas that arrive together are drawn once.
 */
export function useLiveSnapshot() {
  const [snap, setSnap] = useState(null);
  const [live, setLive] = useState("connecting");
  const [seq, setSeq] = useState(0);
  const [ticketsSeq, setTicketsSeq] = useState(0);
  const state = useRef({
    cur: null,
    timer: 0,
    tickets: null,
    written: 0,
    bumped: 0,
    bumpTimer: 0,
  });

  useEffect(() => {
    const s = state.current;
    let es = null;
    let timer = 0;
    let delay = 250;
    // ticketsSeq: the tickets changed; bumped at most every READ_AGAIN_MS, the last change kept.
    const bumpTickets = () => {
      if (s.bumpTimer !== 0) return;
      s.bumpTimer = setTimeout(() => {
        s.bumpTimer = 0;
        s.bumped = Date.now();
        setTicketsSeq((n) => n + 1);
      }, Math.max(0, s.bumped + READ_AGAIN_MS - Date.now()));
    };
    const show = () => {
      if (s.timer !== 0) return;
      s.timer = setTimeout(() => {
        s.timer = 0;
        setSnap(s.cur);
        setSeq((n) => n + 1);
        if (s.cur.tickets !== s.tickets || s.cur.written !== s.written) {
          s.tickets = s.cur.tickets;
          s.written = s.cur.written;
          bumpTickets();
        }
      }, 0);
    };
    const connect = () => {
      es = new EventSource("/api/events");
      es.addEventListener("hello", (ev) => {
        delay = 250;
        try {
          const hello = JSON.parse(ev.data);
          if (typeof hello.token === "string") token = hello.token;
        } catch {
          // keep the token we have
        }
      });
      es.addEventListener("snapshot", (ev) => {
        // Starts over: older board pages the person loaded are asked for again if wanted.
        s.cur = fromSnapshot(JSON.parse(ev.data), Date.now());
        counters.snapshots++;
        counters.snapshot_bytes = ev.data.length;
        setLive("live");
        show();
      });
      es.addEventListener("delta", (ev) => {
        if (s.cur === null) return;
        const next = applyDelta(s.cur, JSON.parse(ev.data), Date.now());
        if (next === null) {
          // A gap: start over with a fresh stream (and its snapshot).
          counters.gaps++;
          es.close();
          connect();
          return;
        }
        counters.deltas++;
        counters.delta_bytes += ev.data.length;
        s.cur = next;
        show();
      });
      es.onerror = () => {
        setLive("reconnecting");
        es.close();
        clearTimeout(timer);
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 3000);
      };
    };
    connect();
    return () => {
      clearTimeout(timer);
      clearTimeout(s.timer);
      clearTimeout(s.bumpTimer);
      es?.close();
    };
  }, []);

  // Writes show up as deltas on their own; kept for callers that ask after a write.
  const refresh = useCallback(() => {}, []);

  /** Loads the board entries before the oldest shown (the board panel's "older" button). */
  const loadOlderBoard = useCallback(async () => {
    const s = state.current;
    if (s.cur === null) return { ok: true, more: false };
    const oldest = s.cur.board[0]?.id;
    if (oldest === undefined) return { ok: true, more: false };
    const r = await api(`/api/board?before=${encodeURIComponent(oldest)}&last=${BOARD_KEEP}`);
    if (!r.ok) return r;
    s.cur = withOlder(s.cur, r.data.entries);
    setSnap(s.cur);
    return { ok: true, more: r.data.entries.length === BOARD_KEEP };
  }, []);

  return { snap, live, seq, ticketsSeq, refresh, loadOlderBoard };
}
