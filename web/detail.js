// The ticket detail: metadata, dependencies, the description as markdown, the work log.
import { h } from "/vendor/preact.mjs";
import { useEffect, useState } from "/vendor/hooks.mjs";
import { renderMarkdown } from "/markdown.js";
import { api, errorText } from "/api.js";
import { EntryBody, html, Labels, Priority, since, statusLabel, useClipped } from "/pieces.js";

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

/** The ticket `id` in a dialog, refetched whenever a snapshot arrives (`seq`); Esc closes. */
export function Detail({ id, seq, onClose }) {
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
              <span class=${`status status-${t.status}`}>${statusLabel(t.status)}</span></div>
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
