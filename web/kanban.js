// The kanban: one column per status, in the order the snapshot sends (the model's list), cards
// sorted by the snapshot's priorities; drag and drop, or the keyboard, moves a ticket through
// /api/move.
//
// Keyboard, on a focused card: Enter opens it; Shift+Left / Shift+Right move it to the column
// before / after; arrows move the focus (up and down in a column, left and right across).
import { useCallback, useEffect, useMemo, useRef, useState } from "/vendor/hooks.mjs";
import { api, errorText } from "/api.js";
import { html, Labels, Priority, statusLabel } from "/pieces.js";

/**
 * Cards drawn per column before "show more" (a screen shows about seven), and how many more a
 * click adds; done starts collapsed to the most recent. Keeps a 10,000-ticket board's first
 * render small; cards far off screen also skip layout (content-visibility in style.css).
 */
export const COLUMN_LIMIT = 40;
const COLUMN_STEP = 100;
const DONE_LIMIT = 20;

/** The card to focus after a keyboard step: next in the column, or in the column beside. */
function focusNeighbour(el, key) {
  const col = el.closest(".column");
  if (key === "ArrowDown" || key === "ArrowUp") {
    const cards = [...col.querySelectorAll(".card")];
    const i = cards.indexOf(el) + (key === "ArrowDown" ? 1 : -1);
    cards[i]?.focus();
    return;
  }
  let next = key === "ArrowRight" ? col.nextElementSibling : col.previousElementSibling;
  while (next && !next.querySelector(".card")) {
    next = key === "ArrowRight" ? next.nextElementSibling : next.previousElementSibling;
  }
  next?.querySelector(".card")?.focus();
}

function Card({ t, onOpen, onKeyMove, pending }) {
  const waiting = t.waiting_on.length > 0 && t.status !== "done";
  return html`
    <article
      class=${`card prio-edge-${t.priority}` + (pending ? " pending" : "")}
      draggable="true"
      data-id=${t.id}
      data-status=${t.status}
      tabindex="0"
      aria-label=${`${t.id}, ${t.priority}: ${t.title}` +
        (t.claimed_by ? `, held by ${t.claimed_by}` : "") +
        (t.confirmed === false ? " (unconfirmed)" : "")}
      aria-describedby="keys-help"
      aria-keyshortcuts="Enter Shift+ArrowLeft Shift+ArrowRight"
      onDragStart=${(e) => {
        e.dataTransfer.setData("text/plain", t.id);
        e.dataTransfer.effectAllowed = "move";
      }}
      onClick=${() => onOpen(t.id)}
      onKeyDown=${(e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onOpen(t.id);
        } else if (e.shiftKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
          e.preventDefault();
          onKeyMove(t.id, t.status, e.key === "ArrowRight" ? 1 : -1);
        } else if (["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(e.key)) {
          e.preventDefault();
          focusNeighbour(e.currentTarget, e.key);
        }
      }}
    >
      <div class="card-head">
        <span class="tid">${t.id}</span>
        <${Priority} p=${t.priority} />
      </div>
      <div class="card-title">${t.title}</div>
      <div class="card-foot">
        ${t.claimed_by ? html`<span class="claimer">@${t.claimed_by}</span>` : null}
        ${t.confirmed === false
          ? html`
            <span class="unconfirmed"
              title="Claimed on this machine; no sync has confirmed it yet (at risk until the next sync)">unconfirmed</span>
          `
          : null}
        <${Labels} labels=${t.labels} />
        ${waiting
          ? html`<span class="waiting" title=${
            "waits on " +
            t.waiting_on.map((d) => `${d.id} (${d.status})`).join(", ")
          }>waits on ${t.waiting_on.length}</span>`
          : null}
        <${VerifyMark} t=${t} />
      </div>
    </article>
  `;
}

/** Done with verify commands: "verified", or "unverified" when forced past them (issue 16). */
function VerifyMark({ t }) {
  if (t.status !== "done" || !(t.verify?.length > 0 || t.unverified)) return null;
  return t.unverified
    ? html`<span class="verify-mark unverified" title=${t.unverified}>unverified</span>`
    : html`<span class="verify-mark verified" title=${t.verify.join("\n")}>verified</span>`;
}

/** Best priority first (in `priorities` order), then by id. */
function byPriorityThenId(priorities) {
  return (a, b) =>
    priorities.indexOf(a.priority) - priorities.indexOf(b.priority) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function byRecent(a, b) {
  const ua = a.updated ?? a.created;
  const ub = b.updated ?? b.created;
  return ua < ub ? 1 : ua > ub ? -1 : (a.id < b.id ? 1 : -1);
}

function Column({ status, priorities, tickets, onOpen, onDrop, onKeyMove, pending }) {
  const [limit, setLimit] = useState(status === "done" ? DONE_LIMIT : COLUMN_LIMIT);
  const [over, setOver] = useState(false);
  const sorted = useMemo(
    () => [...tickets].sort(status === "done" ? byRecent : byPriorityThenId(priorities)),
    [tickets, status, priorities],
  );
  const shown = sorted.slice(0, limit);
  return html`
    <section
      class=${"column" + (over ? " drop-over" : "")}
      data-status=${status}
      aria-label=${`${statusLabel(status)}: ${tickets.length} tickets`}
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
        <h2>${statusLabel(status)}</h2>
        <span class="count">${tickets.length}</span>
      </header>
      <div class="cards">
        ${shown.map((t) =>
          html`
            <${Card} key=${t.id} t=${t} onOpen=${onOpen} onKeyMove=${onKeyMove}
              pending=${pending.has(t.id)} />
          `
        )}
        ${sorted.length > shown.length
          ? html`<button class="more" onClick=${() => setLimit(limit + COLUMN_STEP)}>
              Show ${Math.min(sorted.length - shown.length, COLUMN_STEP)} more
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
    // `hits`: tickets whose body or Work Log holds the words (GET /api/search), when known.
    if (
      !t.title.toLowerCase().includes(q) && !t.id.toLowerCase().includes(q) && !f.hits?.has(t.id)
    ) return false;
  }
  return true;
}

/**
 * The snapshot's tickets that pass `filters`, by status: one list per status in `statuses`,
 * each ticket where its optimistic move (if any) puts it.
 */
export function ticketColumns(tickets, { statuses, moves, filters }) {
  const cols = Object.fromEntries(statuses.map((s) => [s, []]));
  for (const t0 of tickets) {
    const mv = moves.get(t0.id);
    const t = mv ? { ...t0, status: mv.status } : t0;
    if (matches(t, filters)) cols[t.status].push(t);
  }
  return cols;
}

/** The columns, in the order of `statuses`. */
export function Kanban({ statuses, priorities, cols, onOpen, onDrop, pending }) {
  // A card moved by keyboard lands in another column (a new element): focus follows it.
  const follow = useRef(null);
  useEffect(() => {
    const f = follow.current;
    if (f === null) return;
    const el = document.querySelector(`.card[data-id="${f.id}"][data-status="${f.to}"]`);
    if (el) {
      follow.current = null;
      el.focus();
    }
  });
  const onKeyMove = useCallback((id, from, step) => {
    const to = statuses[statuses.indexOf(from) + step];
    if (to === undefined) return;
    follow.current = { id, to };
    onDrop(id, to).then(() => {
      follow.current = null;
      // Refused or dismissed, the card is back where it was: the focus goes back to it.
      if (document.activeElement === document.body) {
        document.querySelector(`.card[data-id="${id}"]`)?.focus();
      }
    });
  }, [statuses, onDrop]);
  return html`
    <div class="kanban" id="kanban" role="group" aria-label="Board">
      ${statuses.map((s) =>
        html`
          <${Column} key=${s} status=${s} priorities=${priorities} tickets=${cols[s]}
            onOpen=${onOpen} onDrop=${onDrop} onKeyMove=${onKeyMove} pending=${pending} />
        `
      )}
    </div>
  `;
}

/** What the person is asked before moving a ticket another agent is working on. */
function takeOverQuestion(id, to, detail) {
  const holder = detail.holder;
  return `"${holder}" is working on ${id} (${detail.status}). Move it to ${
    statusLabel(to)
  } anyway?\n\n` +
    `The ticket is taken from "${holder}": its later updates and logs on ${id} are refused ` +
    `until it claims the ticket again (as with track update --force).`;
}

/**
 * Moves by drag and drop: `moves` places a dropped card in its new column until a snapshot
 * shows it there, `pending` holds the ids whose move is in flight, `onDrop(id, status)` asks
 * the server (and the person, when an agent holds the ticket).
 */
export function useMoves({ snap, seq, refresh, setToast }) {
  const [moves, setMoves] = useState(() => new Map());

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

  const pending = useMemo(() => new Set([...moves].filter(([, v]) => v.inFlight).map(([k]) => k)), [
    moves,
  ]);
  return { moves, pending, onDrop };
}
