// The dashboard page: Preact + htm, no build step. Everything an agent wrote is passed to
// Preact as text (never innerHTML); markdown goes through markdown.js, which builds vnodes.
import { h, render } from "/vendor/preact.mjs";
import { useCallback, useEffect, useMemo, useRef, useState } from "/vendor/hooks.mjs";
import htm from "/vendor/htm.mjs";
import { renderMarkdown } from "/markdown.js";

const html = htm.bind(h);

const STATUSES = ["backlog", "claimed", "in-progress", "review", "done"];
const STATUS_LABEL = {
  "backlog": "Backlog",
  "claimed": "Claimed",
  "in-progress": "In progress",
  "review": "Review",
  "done": "Done",
};
const PRIORITIES = ["critical", "high", "medium", "low"];
/** Cards shown per column before "show more"; done starts collapsed to the most recent. */
const COLUMN_LIMIT = 150;
const DONE_LIMIT = 20;
const KNOWN_TAGS = new Set([
  "note",
  "question",
  "answer",
  "blocked",
  "conflict",
  "status",
  "joined",
  "claimed",
  "created",
  "reclaim",
  "left",
]);

/** How much of a board post or log entry shows before "Show all" (a post may be 1 MiB). */
const ENTRY_CLIP = { chars: 600, lines: 12 };
/** How much of a ticket description is rendered before "Show all". */
const BODY_CLIP = { chars: 20_000, lines: 400 };

let token = document.querySelector('meta[name="track-token"]')?.getAttribute("content") ?? "";

// ---------------------------------------------------------------------------------------------
// Data

async function api(path, body) {
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

function errorText(e) {
  return e.hint ? `${e.message} (hint: ${e.hint})` : e.message;
}

/** The live snapshot: fetched on start and on every change event; reconnects on its own. */
function useLiveSnapshot() {
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

// ---------------------------------------------------------------------------------------------
// Small pieces

function age(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function since(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${age((Date.now() - t) / 1000)} ago`;
}

function tagClass(tag) {
  if (KNOWN_TAGS.has(tag)) return `tag tag-${tag}`;
  let n = 0;
  for (const c of tag) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return `tag tag-h${n % 6}`;
}

/** Where to cut `text` to show at most `clip.chars` characters and `clip.lines` lines. */
function cutAt(text, clip) {
  const end = Math.min(text.length, clip.chars);
  let nl = -1;
  for (let n = 0; n < clip.lines; n++) {
    nl = text.indexOf("\n", nl + 1);
    if (nl === -1 || nl >= end) return cutPair(text, end);
  }
  return cutPair(text, nl);
}

/** Moves a cut off the middle of a surrogate pair. */
function cutPair(text, end) {
  const c = text.charCodeAt(end - 1);
  return end < text.length && c >= 0xd800 && c <= 0xdbff ? end - 1 : end;
}

/**
 * Long agent-written text, shown clipped: `[shown, button]`, where `button` (null when nothing
 * is cut) toggles between the start and all of it, so a 300 KB post is not laid out on load.
 */
function useClipped(text, clip) {
  const [open, setOpen] = useState(false);
  const end = cutAt(text, clip);
  if (end >= text.length) return [text, null];
  const rest = text.length - end;
  const button = html`<button class="more more-text" onClick=${() => setOpen(!open)}>${
    open ? "Show less" : `Show all (${rest.toLocaleString("en")} more characters)`
  }</button>`;
  return [open ? text : text.slice(0, end) + "…", button];
}

/** A board post or log entry: plain text, clipped. */
function EntryBody({ text }) {
  const [shown, button] = useClipped(text, ENTRY_CLIP);
  return html`<div class="entry-body">${shown}</div>${button}`;
}

/** A ticket description: markdown, clipped before rendering. */
function Description({ source }) {
  const [shown, button] = useClipped(source, BODY_CLIP);
  return html`<div class="markdown">${renderMarkdown(shown, h)}</div>${button}`;
}

function Priority({ p }) {
  return html`<span class=${`prio prio-${p}`} title=${`priority ${p}`}>${p}</span>`;
}

function Labels({ labels }) {
  if (!labels || labels.length === 0) return null;
  return html`<span class="labels">${
    labels.map((l) => html`<span class="label" key=${l}>${l}</span>`)
  }</span>`;
}

// ---------------------------------------------------------------------------------------------
// Kanban

function Card({ t, onOpen, pending }) {
  const waiting = t.waiting_on.length > 0 && t.status !== "done";
  return html`
    <article
      class=${`card prio-edge-${t.priority}` + (pending ? " pending" : "")}
      draggable="true"
      data-id=${t.id}
      data-status=${t.status}
      tabindex="0"
      onDragStart=${(e) => {
        e.dataTransfer.setData("text/plain", t.id);
        e.dataTransfer.effectAllowed = "move";
      }}
      onClick=${() => onOpen(t.id)}
      onKeyDown=${(e) => {
        if (e.key === "Enter") onOpen(t.id);
      }}
    >
      <div class="card-head">
        <span class="tid">${t.id}</span>
        <${Priority} p=${t.priority} />
      </div>
      <div class="card-title">${t.title}</div>
      <div class="card-foot">
        ${t.claimed_by ? html`<span class="claimer">@${t.claimed_by}</span>` : null}
        <${Labels} labels=${t.labels} />
        ${waiting
          ? html`<span class="waiting" title=${
            "waits on " +
            t.waiting_on.map((d) => `${d.id} (${d.status})`).join(", ")
          }>waits on ${t.waiting_on.length}</span>`
          : null}
      </div>
    </article>
  `;
}

function byPriorityThenId(a, b) {
  return PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function byRecent(a, b) {
  const ua = a.updated ?? a.created;
  const ub = b.updated ?? b.created;
  return ua < ub ? 1 : ua > ub ? -1 : (a.id < b.id ? 1 : -1);
}

function Column({ status, tickets, onOpen, onDrop, pending }) {
  const [limit, setLimit] = useState(status === "done" ? DONE_LIMIT : COLUMN_LIMIT);
  const [over, setOver] = useState(false);
  const sorted = useMemo(
    () => [...tickets].sort(status === "done" ? byRecent : byPriorityThenId),
    [tickets, status],
  );
  const shown = sorted.slice(0, limit);
  return html`
    <section
      class=${"column" + (over ? " drop-over" : "")}
      data-status=${status}
      onDragOver=${(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        if (!over) setOver(true);
      }}
      onDragLeave=${(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setOver(false);
      }}
      onDrop=${(e) => {
        e.preventDefault();
        setOver(false);
        const id = e.dataTransfer.getData("text/plain");
        if (id) onDrop(id, status);
      }}
    >
      <header class="column-head">
        <span class=${`dot dot-${status}`}></span>
        <h2>${STATUS_LABEL[status]}</h2>
        <span class="count">${tickets.length}</span>
      </header>
      <div class="cards">
        ${shown.map((t) =>
          html`<${Card} key=${t.id} t=${t} onOpen=${onOpen} pending=${pending.has(t.id)} />`
        )}
        ${sorted.length > shown.length
          ? html`<button class="more" onClick=${() =>
            setLimit(limit + (status === "done" ? 100 : COLUMN_LIMIT))}>
              Show ${
            Math.min(sorted.length - shown.length, status === "done" ? 100 : COLUMN_LIMIT)
          } more
              of ${sorted.length - shown.length} ${status === "done" ? "older" : ""}
            </button>`
          : null}
      </div>
    </section>
  `;
}

function matches(t, f) {
  if (f.agent && t.claimed_by !== f.agent) return false;
  if (f.label && !t.labels.includes(f.label)) return false;
  if (f.priority && t.priority !== f.priority) return false;
  if (f.text) {
    const q = f.text.toLowerCase();
    if (!t.title.toLowerCase().includes(q) && !t.id.toLowerCase().includes(q)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Side panels

function AgentsPanel({ agents, received }) {
  const extra = (Date.now() - received) / 1000;
  return html`
    <section class="panel" id="agents">
      <h3>Agents <span class="count">${agents.length}</span></h3>
      ${agents.length === 0 ? html`<p class="empty">No agents registered</p>` : html`
        <table class="grid">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Heartbeat</th>
              <th>Tickets</th>
              <th>Files</th>
            </tr>
          </thead>
          <tbody>
                    ${agents.map((a) =>
                      html`
                        <tr key=${a.id} class=${a.stale ? "stale" : ""}>
                          <td><span class=${`live-dot ${a.stale ? "bad" : "ok"}`}></span>${a.id}
                                          ${a.stale
                                            ? html`<span class="badge bad">stale</span>`
                                            : null}</td>
                          <td>${age(a.heartbeat_age_s + extra)} ago</td>
                          <td>${a.tickets.length === 0
                            ? html`<span class="muted">–</span>`
                            : a.tickets.map((id) =>
                              html`
                                <a href=${`#${id}`} class="tlink" key=${id}>${id}</a>
                              `
                            )}</td>
                          <td>${a.reservations}</td>
                        </tr>
                      `
                    )}
                  </tbody>
        </table>
      `}
    </section>
  `;
}

function ReservationsPanel({ reservations }) {
  const overlapping = reservations.filter((r) => r.overlaps.length > 0).length;
  return html`
    <section class="panel" id="reservations">
      <h3>File reservations <span class="count">${reservations.length}</span>
        ${overlapping > 0
          ? html`<span class="badge bad">${overlapping} overlapping</span>`
          : null}</h3>
      ${reservations.length === 0
        ? html`<p class="empty">No files reserved</p>`
        : html`<ul class="reslist">
          ${
          reservations.map((r, i) =>
            html`
              <li key=${i} class=${r.overlaps.length > 0 ? "overlap" : ""}
                title=${r.overlaps.length > 0
                  ? "overlaps " +
                    r.overlaps.map((j) => `${reservations[j].path} (${reservations[j].agent})`)
                      .join(", ")
                  : ""}>
                <code>${r.path}</code>
                <span
                  class="resmeta">${r.overlaps.length > 0 ? "⚠ " : ""}${r
                    .agent} · <a class="tlink" href=${`#${r.ticket}`}>${r.ticket}</a> · ${r
                    .mode}</span>
              </li>
            `
          )
        }
        </ul>`}
    </section>
  `;
}

function BoardPanel({ board, onPosted }) {
  const [message, setMessage] = useState("");
  const [ticket, setTicket] = useState("");
  const [tag, setTag] = useState("note");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const r = await api("/api/board", { message, ticket: ticket.trim() || null, tag });
    setBusy(false);
    if (!r.ok) setError(errorText(r.error));
    else {
      setError(null);
      setMessage("");
      onPosted();
    }
  };
  const entries = [...board].reverse();
  return html`
    <section class="panel" id="board">
      <h3>Message board</h3>
      <form class="post" onSubmit=${submit}>
        <textarea name="message" rows="2" placeholder="Post to the board as human…"
          value=${message} onInput=${(e) => setMessage(e.currentTarget.value)}></textarea>
        <div class="post-row">
          <input name="ticket" placeholder="T-0001 (optional)" size="10" value=${ticket}
            onInput=${(e) => setTicket(e.currentTarget.value)} />
          <select name="tag" value=${tag} onChange=${(e) => setTag(e.currentTarget.value)}>
            ${["note", "question", "answer", "blocked", "conflict"].map((t) =>
              html`<option key=${t}>${t}</option>`
            )}
          </select>
          <button type="submit" disabled=${busy || message.trim() === ""}>Post</button>
        </div>
        ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      </form>
      <ol class="entries">
        ${entries.map((e) =>
          html`
            <li key=${e.id} class=${e.kind === "event" ? "event" : "post"}>
              <div class="entry-head">
                          <span class=${tagClass(e.tag)}>${e.tag}</span>
                          <span class="who">${e.agent}</span>
                          ${e.ticket
                            ? html`<a class="tlink" href=${`#${e.ticket}`}>${e.ticket}</a>`
                            : null}
                          <time title=${e.at}>${since(e.at)}</time>
                        </div>
              <${EntryBody} text=${e.message} />
            </li>
          `
        )}
      </ol>
    </section>
  `;
}

// ---------------------------------------------------------------------------------------------
// Ticket detail

function bodyWithoutLog(body) {
  const i = body.lastIndexOf("## Work Log");
  return i === -1 ? body : body.slice(0, i);
}

function Detail({ id, seq, onClose }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let gone = false;
    api(`/api/tickets/${encodeURIComponent(id)}`).then((r) => {
      if (gone) return;
      if (r.ok) {
        setData(r.data.ticket);
        setError(null);
      } else setError(errorText(r.error));
    });
    return () => {
      gone = true;
    };
  }, [id, seq]);
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === "Escape") onClose();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  const t = data && data.id === id ? data : null;
  return html`
    <div class="overlay" onClick=${(e) => {
      if (e.target === e.currentTarget) onClose();
    }}>
      <aside class="detail" role="dialog" aria-label=${`Ticket ${id}`}>
        <button class="close" onClick=${onClose} title="Close (Esc)">×</button>
        ${error ? html`<p class="error">${error}</p>` : null}
        ${!t ? (error ? null : html`<p class="muted">Loading ${id}…</p>`) : html`
          <header>
            <div class="detail-id">${t.id} <${Priority} p=${t.priority} />
              <span class=${`status status-${t.status}`}>${STATUS_LABEL[t.status]}</span></div>
            <h2 class="detail-title">${t.title}</h2>
          </header>
          <dl class="meta">
            <dt>Claimed by</dt>
            <dd>${t.claimed_by ?? "–"}${t.claimed_at
              ? html`
                <span class="muted">${" "}(${since(t.claimed_at)})</span>
              `
              : null}</dd>
            <dt>Created</dt>
            <dd>${since(t.created)}${t.created_by ? ` by ${t.created_by}` : ""}</dd>
            <dt>Updated</dt>
            <dd>${t.updated ? since(t.updated) : "–"}</dd>
            <dt>Labels</dt>
            <dd>${t.labels.length ? html`<${Labels} labels=${t.labels} />` : "–"}</dd>
            <dt>Branch</dt>
            <dd>${t.branch ? html`<code>${t.branch}</code>` : "–"}</dd>
            <dt>Files</dt>
            <dd>${t.files.length
              ? t.files.map((f) =>
                html`
                  <code key=${f}>${f}</code>
                `
              )
              : "–"}</dd>
            <dt>Depends on</dt>
            <dd>${t.deps.length === 0 ? "–" : t.deps.map((d) =>
              html`
                <a key=${d.id} class=${`tlink dep dep-${d.status}`} href=${`#${d.id}`}>${d
                  .id} <small>${d.status}</small></a>
              `
            )}</dd>
          </dl>
          <${Description} key=${t.id} source=${bodyWithoutLog(t.body)} />
          <h3>Work log</h3>
          ${t.log.length === 0 ? html`<p class="muted">No entries yet</p>` : html`
            <ol class="log">
              ${t.log.map((e, i) =>
                html`
                  <li key=${i}>
                    <div class="entry-head"><span class="who">${e.agent}</span>
                                    <time title=${e.at}>${since(e.at)}</time></div>
                    <${EntryBody} text=${e.message} />
                  </li>
                `
              )}
            </ol>
          `}
        `}
      </aside>
    </div>
  `;
}

// ---------------------------------------------------------------------------------------------
// App

function useTheme() {
  const initial = localStorage.getItem("track-theme") ??
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const [theme, setTheme] = useState(initial);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("track-theme", theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === "dark" ? "light" : "dark"))];
}

function useHashTicket() {
  const read = () => {
    const m = /^#(T-\d{4,9})$/.exec(location.hash);
    return m ? m[1] : null;
  };
  const [id, setId] = useState(read);
  useEffect(() => {
    const on = () => setId(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  const open = useCallback((next) => {
    if (next === null) {
      history.replaceState(null, "", location.pathname);
      setId(null);
    } else location.hash = next;
  }, []);
  return [id, open];
}

/** What the person is asked before moving a ticket another agent is working on. */
function takeOverQuestion(id, to, detail) {
  const holder = detail.holder;
  return `"${holder}" is working on ${id} (${detail.status}). Move it to ${
    STATUS_LABEL[to] ?? to
  } anyway?\n\n` +
    `The ticket is taken from "${holder}": its later updates and logs on ${id} are refused ` +
    `until it claims the ticket again (as with track update --force).`;
}

function App() {
  const { snap, live, seq, refresh } = useLiveSnapshot();
  const [theme, toggleTheme] = useTheme();
  const [openId, setOpenId] = useHashTicket();
  const [filters, setFilters] = useState({ agent: "", label: "", priority: "", text: "" });
  const [moves, setMoves] = useState(() => new Map());
  const [toast, setToast] = useState(null);

  // A snapshot newer than a move makes its optimistic placement unnecessary.
  useEffect(
    () => setMoves((m) => (m.size === 0 ? m : new Map([...m].filter(([, v]) => v.inFlight)))),
    [seq],
  );

  const onDrop = useCallback(async (id, status) => {
    const t = snap?.tickets.find((x) => x.id === id);
    if (!t || t.status === status) return;
    setMoves((m) => new Map(m).set(id, { status, inFlight: true }));
    let r = await api("/api/move", { id, status });
    // Another agent is working on it: the server says so (the CLI's rule, for a person too).
    // Ask before taking it; force then fences the holder, as `track update --force` does.
    const detail = r.ok ? null : r.error.detail;
    let cancelled = false;
    if (detail?.needs_force === true) {
      if (confirm(takeOverQuestion(id, status, detail))) {
        r = await api("/api/move", { id, status, force: true });
      } else cancelled = true;
    }
    if (!r.ok) {
      setMoves((m) => {
        const n = new Map(m);
        n.delete(id);
        return n;
      });
      if (!cancelled) setToast({ kind: "error", text: errorText(r.error) });
    } else {
      setMoves((m) => new Map(m).set(id, { status, inFlight: false }));
      setToast(null);
      refresh();
    }
  }, [snap, refresh]);

  const closeDetail = useCallback(() => setOpenId(null), [setOpenId]);

  const view = useMemo(() => {
    if (!snap) return null;
    const cols = Object.fromEntries(STATUSES.map((s) => [s, []]));
    for (const t0 of snap.tickets) {
      const mv = moves.get(t0.id);
      const t = mv ? { ...t0, status: mv.status } : t0;
      if (matches(t, filters)) cols[t.status].push(t);
    }
    const labels = [...new Set(snap.tickets.flatMap((t) => t.labels))].sort();
    const agents = [...new Set(snap.tickets.map((t) => t.claimed_by).filter(Boolean))].sort();
    return { cols, labels, agents };
  }, [snap, moves, filters]);

  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });
  const pending = useMemo(() => new Set([...moves].filter(([, v]) => v.inFlight).map(([k]) => k)), [
    moves,
  ]);

  return html`
    <div class="app">
      <header class="top">
        <h1><span class="logo">▦</span> track</h1>
        <span class=${`conn conn-${live}`} title="live updates">${live === "live"
          ? "● live"
          : live === "connecting"
          ? "○ connecting"
          : "○ reconnecting…"}</span>
        <div class="filters">
          <input type="search" placeholder="Filter: text or id" value=${filters.text} onInput=${set(
            "text",
          )} aria-label="text filter" />
          <select value=${filters.agent} onChange=${set("agent")} aria-label="agent filter">
            <option value="">All agents</option>
            ${view?.agents.map((a) => html`<option key=${a} value=${a}>${a}</option>`)}
          </select>
          <select value=${filters.label} onChange=${set("label")} aria-label="label filter">
            <option value="">All labels</option>
            ${view?.labels.map((l) => html`<option key=${l} value=${l}>${l}</option>`)}
          </select>
          <select value=${filters.priority} onChange=${set(
            "priority",
          )} aria-label="priority filter">
            <option value="">All priorities</option>
            ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
          </select>
        </div>
        <button class="theme" onClick=${toggleTheme} title="Toggle light/dark">${theme === "dark"
          ? "☀"
          : "☾"}</button>
      </header>
      ${toast
        ? html`<div class=${`toast ${toast.kind}`} role="alert" id="toast">
        <span>${toast.text}</span><button onClick=${() =>
          setToast(null)} title="Dismiss">×</button></div>`
        : null}
      ${snap && snap.problems.length > 0
        ? html`<div class="toast warn">${snap.problems.length} file(s) could not be read: ${
          snap.problems[0]
        }</div>`
        : null}
      ${!view ? html`<p class="muted loading">Loading…</p>` : html`
        <main class="layout">
          <div class="kanban" id="kanban">
            ${STATUSES.map((s) =>
              html`
                <${Column} key=${s} status=${s} tickets=${view.cols[s]} onOpen=${setOpenId}
                  onDrop=${onDrop} pending=${pending} />
              `
            )}
          </div>
          <div class="side">
            <${AgentsPanel} agents=${snap.agents} received=${snap.received_at} />
            <${ReservationsPanel} reservations=${snap.reservations} />
            <${BoardPanel} board=${snap.board} onPosted=${refresh} />
          </div>
        </main>
      `}
      ${openId ? html`<${Detail} id=${openId} seq=${seq} onClose=${closeDetail} />` : null}
    </div>
  `;
}

render(html`<${App} />`, document.getElementById("root"));
