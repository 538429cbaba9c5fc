// The ticket detail: metadata, dependencies, the description as markdown, the work log, and
// the person's actions on it (edit, move, release, assign, log: web/forms.js).
import { h } from "/vendor/preact.mjs";
import { useEffect, useRef, useState } from "/vendor/hooks.mjs";
import { renderMarkdown } from "/markdown.js";
import { api, errorText } from "/api.js";
import { EntryBody, html, Labels, Priority, since, statusLabel, useClipped } from "/pieces.js";
import { Dialog, LogForm, TicketForm, words } from "/forms.js";

/** How much of a ticket description is rendered before "Show all". */
const BODY_CLIP = { chars: 20_000, lines: 400 };

/** A ticket description: markdown, clipped before rendering. */
function Description({ source }) {
  const [shown, button] = useClipped(source, BODY_CLIP);
  return html`<div class="markdown">${renderMarkdown(shown, h)}</div>${button}`;
}

function bodyWithoutLog(body) {
  const i = body.lastIndexOf("## Work Log");
  return i === -1 ? body : body.slice(0, i);
}

/** What the person is asked before giving another agent's ticket to `agent`. */
function assignQuestion(id, agent, detail) {
  return `"${detail.holder}" holds ${id} (${detail.status}). Give it to "${agent}" anyway?\n\n` +
    `It is taken from "${detail.holder}" as with track claim --force: its later updates and ` +
    `logs on ${id} are refused, and both agents are told on the board.`;
}

/**
 * What a person can do with the ticket: edit, move (the keyboard's way to drag), release to
 * backlog, assign to a registered agent. Moves go through `onMove` (the board's drop: it asks
 * before taking a held ticket).
 */
function Actions({ t, snap, onMove, onEdit, refresh, setToast }) {
  // Uncontrolled selects, read when the button is pressed: a snapshot arriving in between
  // re-renders their options but never loses the choice.
  const moveTo = useRef(null);
  const assignTo = useRef(null);
  const agents = snap.agents.filter((a) => !a.stale).map((a) => a.id).sort(
    new Intl.Collator("en", { numeric: true }).compare,
  );
  const move = async () => {
    const to = moveTo.current.value;
    if (to === "") return;
    await onMove(t.id, to);
    moveTo.current.value = "";
  };
  const assign = async () => {
    const who = assignTo.current.value;
    if (who === "") return;
    let r = await api("/api/assign", { id: t.id, agent: who });
    const detail = r.ok ? null : r.error.detail;
    if (detail?.needs_force === true) {
      if (!confirm(assignQuestion(t.id, who, detail))) return;
      r = await api("/api/assign", { id: t.id, agent: who, force: true });
    }
    if (r.ok) {
      setToast(null);
      if (assignTo.current) assignTo.current.value = "";
      refresh();
    } else setToast({ kind: "error", text: errorText(r.error) });
  };
  const held = t.status === "claimed" || t.status === "in-progress";
  return html`
    <div class="detail-actions" role="group" aria-label="Actions">
      <button onClick=${onEdit} id="edit-ticket">Edit</button>
      <label class="sr-only" for="move-to">Move to</label>
      <select id="move-to" ref=${moveTo}>
        <option value="">Move to…</option>
        ${snap.statuses.filter((s) => s !== t.status).map((s) =>
          html`<option key=${s} value=${s}>${statusLabel(s)}</option>`
        )}
      </select>
      <button id="move" onClick=${move}>Move</button>
      ${held
        ? html`
          <button id="release" onClick=${() => onMove(t.id, "backlog")}
            title="Back to backlog; the holder is told and fenced">Release to backlog</button>
        `
        : null}
      ${t.status !== "done"
        ? html`
          <label class="sr-only" for="assign-to">Assign to</label>
          <select id="assign-to" ref=${assignTo}>
            <option value="">Assign to…</option>
            ${agents.map((a) =>
              html`<option key=${a} value=${a} disabled=${a === t.claimed_by}>${a}</option>`
            )}
          </select>
          <button id="assign" onClick=${assign}>Assign</button>
        `
        : null}
    </div>
  `;
}

/**
 * The ticket `id` in a dialog, refetched whenever a snapshot arrives (`seq`); Esc closes. With
 * the snapshot (`snap`) it offers the actions: edit, move, release, assign, log.
 */
export function Detail({ id, seq, onClose, snap, onMove, refresh, setToast }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(false);
  // Bumped after the person's own write: a log entry may leave the snapshot's metadata as it was
  // (same second), so no delta would ask for the ticket again.
  const [mine, setMine] = useState(0);
  const reload = () => setMine((n) => n + 1);
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
  }, [id, seq, mine]);
  useEffect(() => setEditing(false), [id]);
  const t = data && data.id === id ? data : null;
  const save = async (v) => {
    const labels = words(v.labels);
    const r = await api("/api/edit", {
      id: t.id,
      title: v.title,
      priority: v.priority,
      description: v.description,
      add_labels: labels.filter((l) => !t.labels.includes(l)),
      remove_labels: t.labels.filter((l) => !labels.includes(l)),
    });
    if (r.ok) {
      setEditing(false);
      reload();
      refresh();
    }
    return r;
  };
  return html`
    <${Dialog} label=${`Ticket ${id}`} onClose=${onClose} wide=${true}>
        ${error ? html`<p class="error">${error}</p>` : null}
        ${!t ? (error ? null : html`<p class="muted">Loading ${id}…</p>`) : editing
          ? html`
            <h2 class="detail-title">Edit ${t.id}</h2>
            <${TicketForm} mode="edit" initial=${{ ...t, description: t.description ?? "" }}
              priorities=${snap?.priorities ?? []} epics=${[]} onSubmit=${save}
              onCancel=${() => setEditing(false)} />
          `
          : html`
            <header>
              <div class="detail-id">${t.id} <${Priority} p=${t.priority} />
                <span class=${`status status-${t.status}`}>${statusLabel(t.status)}</span></div>
              <h2 class="detail-title">${t.title}</h2>
            </header>
            ${snap
              ? html`
                <${Actions} t=${t} snap=${snap} onMove=${onMove} refresh=${refresh}
                  setToast=${setToast} onEdit=${() => setEditing(true)} />
              `
              : null}
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
            <${LogForm} key=${t.id} id=${t.id} onLogged=${() => {
              reload();
              refresh();
            }} />
          `}
    <//>
  `;
}
