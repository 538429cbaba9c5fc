// Acting from the page as `human` (issue 18): the create and edit form, the log form, and the
// modal dialog they open in. Every write is one call of the server's action endpoints, which run
// the CLI's operations under its lock; a refusal shows the CLI's message and hint in the form.
import { useLayoutEffect, useRef, useState } from "/vendor/hooks.mjs";
import { api, errorText } from "/api.js";
import { html } from "/pieces.js";

/** Words of a "bug, ui" or "bug ui" field. */
export function words(text) {
  return text.split(/[\s,]+/).filter((w) => w !== "");
}

const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex='0']";

/**
 * A modal dialog: focus moves into it when it opens, Tab stays inside it, and the focus goes back
 * to where it was when it closes; Esc or a click outside closes it.
 */
export function Dialog({ label, onClose, children, wide }) {
  const box = useRef(null);
  // A layout effect: in place as soon as the dialog is in the DOM, so an Esc pressed at once
  // is not lost.
  useLayoutEffect(() => {
    const before = document.activeElement;
    (box.current.querySelector("[autofocus]") ?? box.current).focus();
    const onKey = (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onClose();
      } else if (e.key === "Tab" && box.current) {
        // Modal: Tab and Shift+Tab cycle through the dialog's own controls.
        const all = [...box.current.querySelectorAll(FOCUSABLE)].filter((el) =>
          !el.disabled && el.offsetParent !== null
        );
        if (all.length === 0) return;
        const first = all[0];
        const last = all[all.length - 1];
        const at = document.activeElement;
        if (e.shiftKey && (at === first || at === box.current)) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && at === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    addEventListener("keydown", onKey, true);
    return () => {
      removeEventListener("keydown", onKey, true);
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);
  return html`
    <div class="overlay" onClick=${(e) => {
      if (e.target === e.currentTarget) onClose();
    }}>
      <div class=${`detail ${wide ? "" : "dialog-form"}`} role="dialog" aria-modal="true"
        aria-label=${label} tabindex="-1" ref=${box}>
        <button class="close" onClick=${onClose} title="Close (Esc)" aria-label="Close">×</button>
        ${children}
      </div>
    </div>
  `;
}

/**
 * The fields of a ticket: title, priority, labels, description, and when creating, dependencies
 * and parent (only when epics exist). `initial` holds the current values when editing.
 * `onSubmit(values)` returns the API result; its error is shown in the form.
 */
export function TicketForm({ mode, initial, priorities, epics, onSubmit, onCancel }) {
  const [v, setV] = useState(() => ({
    title: initial?.title ?? "",
    priority: initial?.priority ?? "medium",
    labels: (initial?.labels ?? []).join(", "),
    description: initial?.description ?? "",
    deps: "",
    parent: "",
  }));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const r = await onSubmit(v);
    setBusy(false);
    setError(r.ok ? null : errorText(r.error));
  };
  const id = (name) => `${mode}-${name}`;
  return html`
    <form class="ticket-form" onSubmit=${submit} aria-label=${mode === "create"
      ? "New ticket"
      : "Edit ticket"}>
      <label for=${id("title")}><span>Title</span>
        <input id=${id("title")} name="title" value=${v.title} onInput=${set("title")}
          required maxlength="500" autofocus /></label>
      <div class="form-row">
        <label for=${id("priority")}><span>Priority</span>
          <select id=${id("priority")} name="priority" value=${v.priority}
            onChange=${set("priority")}>
            ${priorities.map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
          </select></label>
        <label for=${id("labels")}><span>Labels</span>
          <input id=${id("labels")} name="labels" value=${v.labels} onInput=${set("labels")}
            placeholder="bug, ui" /></label>
      </div>
      ${mode === "create"
        ? html`
          <div class="form-row">
            <label for=${id("deps")}><span>Depends on</span>
              <input id=${id("deps")} name="depends_on" value=${v.deps} onInput=${set("deps")}
                placeholder="T-0001, T-0002" /></label>
            ${epics.length > 0
              ? html`<label for=${id("parent")}><span>Epic (parent)</span>
                <select id=${id("parent")} name="parent" value=${v.parent}
                  onChange=${set("parent")}>
                  <option value="">None</option>
                  ${
                epics.map((e) =>
                  html`<option key=${e.id} value=${e.id}>${e.id} ${e.title}</option>`
                )
              }
                </select></label>`
              : null}
          </div>
        `
        : null}
      <label for=${id("description")}><span>Description</span> (markdown)
        <textarea id=${id("description")} name="description" value=${v.description}
          onInput=${set("description")} rows="8"></textarea></label>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <div class="form-row">
        <button type="submit" class="primary" disabled=${busy || v.title.trim() === ""}>${mode ===
            "create"
          ? "Create ticket"
          : "Save"}</button>
        <button type="button" onClick=${onCancel}>Cancel</button>
      </div>
    </form>
  `;
}

/** Tickets that are some ticket's parent: what the create form offers as epics. */
export function epicsOf(tickets) {
  const parents = new Set(tickets.map((t) => t.parent).filter(Boolean));
  return tickets.filter((t) => parents.has(t.id) && t.status !== "done");
}

/** "New ticket": the create form in a dialog; opens the new ticket when created. */
export function CreateDialog({ snap, onClose, onCreated }) {
  const submit = async (v) => {
    const r = await api("/api/create", {
      title: v.title,
      priority: v.priority,
      labels: words(v.labels),
      description: v.description,
      depends_on: words(v.deps),
      parent: v.parent === "" ? null : v.parent,
    });
    if (r.ok) onCreated(r.data.ticket.id);
    return r;
  };
  return html`
    <${Dialog} label="New ticket" onClose=${onClose}>
      <h2 class="detail-title">New ticket</h2>
      <p class="muted">Created in backlog as human, as <code>track create</code> does.</p>
      <${TicketForm} mode="create" priorities=${snap.priorities} epics=${epicsOf(snap.tickets)}
        onSubmit=${submit} onCancel=${onClose} />
      <//>
  `;
}

/** A Work Log entry as human (`track log`). */
export function LogForm({ id, onLogged }) {
  const [text, setText] = useState("");
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (busy || text.trim() === "") return;
    setBusy(true);
    const r = await api("/api/log", { id, message: text });
    setBusy(false);
    if (r.ok) {
      setText("");
      setNote(null);
      onLogged();
    } else setNote(errorText(r.error));
  };
  return html`
    <form class="log-form" onSubmit=${submit}>
      <label for="log-text" class="muted">Add a log entry (as human)</label>
      <textarea id="log-text" name="message" rows="2" value=${text}
        onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      ${note ? html`<p class="error" role="alert">${note}</p>` : null}
      <div><button type="submit" disabled=${busy || text.trim() === ""}>Add to log</button></div>
    </form>
  `;
}
