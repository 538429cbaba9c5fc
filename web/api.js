// Talking to the server: API calls (writes carry the per-run token) and the live snapshot,
// refetched on every change event of /api/events.
import { useCallback, useEffect, useRef, useState } from "/vendor/hooks.mjs";

// From the page's <meta>; replaced by the token in a new server's `hello` event.
let token = document.querySelector('meta[name="track-token"]')?.getAttribute("content") ?? "";

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

/** The live snapshot: fetched on start and on every change event; reconnects on its own. */
export function useLiveSnapshot() {
  const [snap, setSnap] = useState(null);
  const [live, setLive] = useState("connecting");
  const [seq, setSeq] = useState(0);
  const state = useRef({ inFlight: false, again: false });

  const refresh = useCallback(async () => {
    const s = state.current;
    if (s.inFlight) {
      s.again = true;
      return;
    }
    s.inFlight = true;
    try {
      do {
        s.again = false;
        const r = await api("/api/snapshot");
        if (r.ok) {
          r.data.received_at = Date.now();
          setSnap(r.data);
          setSeq((n) => n + 1);
        }
      } while (s.again);
    } finally {
      s.inFlight = false;
    }
  }, []);

  useEffect(() => {
    let es = null;
    let timer = 0;
    let delay = 250;
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
        setLive("live");
        refresh();
      });
      es.addEventListener("change", () => refresh());
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
      es?.close();
    };
  }, [refresh]);

  return { snap, live, seq, refresh };
}
