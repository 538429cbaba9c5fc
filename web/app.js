// The dashboard page: Preact + htm, no build step. Everything an agent wrote is passed to
// Preact as text (never innerHTML); markdown goes through markdown.js, which builds vnodes.
// This entry composes the modules: api.js (server calls, live snapshot), kanban.js, panels.js
// (agents, reservations, board), detail.js (one ticket), pieces.js (what they share).
import { render } from "/vendor/preact.mjs";
import { useCallback, useEffect, useMemo, useState } from "/vendor/hooks.mjs";
import { api, useLiveSnapshot } from "/api.js";
import { Kanban, ticketColumns, useMoves } from "/kanban.js";
import { AgentsPanel, BoardPanel, CostPanel, ReservationsPanel } from "/panels.js";
import { Detail } from "/detail.js";
import { CreateDialog } from "/forms.js";
import { WaitingLane } from "/waiting.js";
import { OfflineBanner, SyncPanel, useSync } from "/sync.js";
import { html } from "/pieces.js";

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

/** Which view shows: the board, or the dependency graph (`?view=graph`). */
function useView() {
  const [view, setView] = useState(() =>
    new URLSearchParams(location.search).get("view") === "graph" ? "graph" : "board"
  );
  const choose = useCallback((next) => {
    setView(next);
    history.replaceState(
      null,
      "",
      (next === "graph" ? "?view=graph" : location.pathname) + location.hash,
    );
  }, []);
  return [view, choose];
}

// A page opened on the graph asks for its module and data at once, not after the first render.
const early = new URLSearchParams(location.search).get("view") === "graph"
  ? { mod: import("/graph.js"), data: api("/api/graph") }
  : null;

/** The graph view's module, loaded the first time the view opens. */
function LazyGraph(props) {
  const [mod, setMod] = useState(null);
  useEffect(() => {
    (early?.mod ?? import("/graph.js")).then(setMod);
  }, []);
  const [first] = useState(() => {
    const data = early?.data ?? null;
    if (early) early.data = null; // used once: later openings fetch afresh
    return data;
  });
  return mod
    ? html`<${mod.GraphView} ...${props} first=${first} />`
    : html`<p class="muted loading">Loading…</p>`;
}

function App() {
  const { snap, live, seq, ticketsSeq, refresh, loadOlderBoard } = useLiveSnapshot();
  const [theme, toggleTheme] = useTheme();
  const [openId, setOpenId] = useHashTicket();
  const [mode, setMode] = useView();
  const [filters, setFilters] = useState({ agent: "", label: "", priority: "", text: "" });
  const [toast, setToast] = useState(null);
  const { moves, pending, onDrop } = useMoves({ snap, seq, refresh, setToast });
  const [sync, syncAgain] = useSync();
  // Claims granted on this machine that no sync confirmed yet: marked on their cards.
  const unconfirmedKey = sync?.unconfirmed.join(",") ?? "";

  const closeDetail = useCallback(() => setOpenId(null), [setOpenId]);
  const [creating, setCreating] = useState(false);

  // Keys anywhere outside a field: "/" to the filter, "n" for a new ticket.
  useEffect(() => {
    const onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const el = e.target;
      if (el.closest?.("input, textarea, select, [role=dialog]")) return;
      if (e.key === "/") {
        e.preventDefault();
        document.getElementById("filter-text")?.focus();
      } else if (e.key === "n" && mode === "board") {
        e.preventDefault();
        setCreating(true);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [mode]);

  // The filter box searches bodies and Work Logs too (track search), again when tickets change.
  const [hits, setHits] = useState(null);
  useEffect(() => {
    const q = filters.text.trim();
    if (q === "") {
      setHits(null);
      return;
    }
    let live = true;
    api(`/api/search?in=body,log&q=${encodeURIComponent(q)}`).then((r) => {
      // `ids`: every matching ticket (`results` details only the first 1,000 hits).
      if (live) setHits(r.ok ? new Set(r.data.ids) : null);
    });
    return () => (live = false);
  }, [filters.text, ticketsSeq]);

  const view = useMemo(() => {
    if (!snap) return null;
    const marks = new Set(unconfirmedKey === "" ? [] : unconfirmedKey.split(","));
    const tickets = marks.size === 0
      ? snap.tickets
      : snap.tickets.map((t) => marks.has(t.id) ? { ...t, confirmed: false } : t);
    const cols = ticketColumns(tickets, {
      statuses: snap.statuses,
      moves,
      filters: { ...filters, hits },
    });
    const labels = [...new Set(snap.tickets.flatMap((t) => t.labels))].sort();
    const agents = [...new Set(snap.tickets.map((t) => t.claimed_by).filter(Boolean))].sort();
    return { cols, labels, agents };
  }, [snap, moves, filters, hits, unconfirmedKey]);

  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });

  return html`
    <div class="app">
      <header class="top">
        <h1><span class="logo">▦</span> track</h1>
        <nav class="views" aria-label="views">
          <button class=${mode === "board" ? "on" : ""} aria-pressed=${mode === "board"}
            onClick=${() => setMode("board")}>Board</button>
          <button class=${mode === "graph" ? "on" : ""} aria-pressed=${mode === "graph"}
            id="view-graph" onClick=${() => setMode("graph")}>Graph</button>
        </nav>
        <span class=${`conn conn-${live}`} title="live updates">${live === "live"
          ? "● live"
          : live === "connecting"
          ? "○ connecting"
          : "○ reconnecting…"}</span>
        <div class="filters" hidden=${mode === "graph"}>
          <input type="search" id="filter-text" placeholder="Filter (/): words or id" value=${filters
            .text} onInput=${set(
              "text",
            )} aria-label="text filter" aria-keyshortcuts="/" />
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
            ${snap?.priorities.map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
          </select>
        </div>
        ${mode === "board" && snap
          ? html`
            <button class="new-ticket primary" id="new-ticket" aria-keyshortcuts="n"
              onClick=${() => setCreating(true)}>+ New ticket</button>
          `
          : null}
        <button class="theme" onClick=${toggleTheme} title="Toggle light/dark"
          aria-label=${theme === "dark" ? "Light theme" : "Dark theme"}>${theme === "dark"
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
      <${OfflineBanner} sync=${sync} />
      ${snap ? html`<${WaitingLane} agents=${snap.agents} received=${snap.received_at} />` : null}
      ${mode === "graph"
        ? html`<${LazyGraph} seq=${ticketsSeq} selected=${openId} onOpen=${setOpenId} />`
        : !view
        ? html`<p class="muted loading">Loading…</p>`
        : html`
          <main class="layout">
            <${Kanban} statuses=${snap.statuses} priorities=${snap.priorities} cols=${view.cols}
              onOpen=${setOpenId} onDrop=${onDrop} pending=${pending} />
            <div class="side">
              ${sync
                ? html`<${SyncPanel} sync=${sync} onSynced=${syncAgain} setToast=${setToast} />`
                : null}
              <${AgentsPanel} agents=${snap.agents} received=${snap.received_at}
                cloneId=${sync?.clone_id ?? null} />
              <${ReservationsPanel} reservations=${snap.reservations} />
              <${CostPanel} received=${snap.received_at} />
              <${BoardPanel} board=${snap.board} onPosted=${refresh} onOlder=${loadOlderBoard} />
            </div>
          </main>
        `}
      ${mode === "board" && view
        ? html`<p class="keys-help muted" id="keys-help">Keys: <kbd>/</kbd> filter · <kbd
          >n</kbd> new ticket · <kbd>Tab</kbd> to a card, <kbd>Enter</kbd> opens it, <kbd
          >Shift</kbd>+<kbd>←</kbd>/<kbd>→</kbd> moves it, arrows go between cards · <kbd
          >Esc</kbd> closes</p>`
        : null}
      ${openId
        ? html`
          <${Detail} id=${openId} seq=${seq} onClose=${closeDetail} snap=${snap}
            onMove=${onDrop} refresh=${refresh} setToast=${setToast} />
        `
        : null}
      ${creating && snap
        ? html`
          <${CreateDialog} snap=${snap} onClose=${() => setCreating(false)}
            onCreated=${(id) => {
              setCreating(false);
              refresh();
              setOpenId(id);
            }} />
        `
        : null}
    </div>
  `;
}

render(html`<${App} />`, document.getElementById("root"));
