// The sync panel (docs/dashboard.md "Sync"): the remote, last fetch and push, what waits to be
// published, the Sync button, and the "offline since" banner. Everything comes from
// GET /api/sync (local files on the server; never the network), asked every few seconds.
import { useCallback, useEffect, useState } from "/vendor/hooks.mjs";
import { api, errorText } from "/api.js";
import { html, since } from "/pieces.js";

/** How often the page asks /api/sync: while sync is on, and (slower) while it is off. */
const EVERY_MS = 2_000;
const EVERY_OFF_MS = 15_000;

/** `/api/sync`'s `sync` (null: sync off, or not known yet), asked again every few seconds. */
export function useSync() {
  const [sync, setSync] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    let timer = 0;
    const ask = async () => {
      const r = await api("/api/sync");
      if (!live) return;
      const next = r.ok ? r.data.sync : null;
      setSync(next);
      timer = setTimeout(ask, next === null ? EVERY_OFF_MS : EVERY_MS);
    };
    ask();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick]);
  // After the button: ask again at once.
  const again = useCallback(() => setTick((n) => n + 1), []);
  return [sync, again];
}

function short(oid) {
  return oid ? oid.slice(0, 10) : "none";
}

/** When the last sync step failed and none completed since: since when, and why. */
export function OfflineBanner({ sync }) {
  if (!sync?.offline_since) return null;
  return html`
    <div class="toast warn offline" role="status" id="offline-banner">
      <span><strong>Offline since ${new Date(sync.offline_since)
        .toLocaleString()}</strong> (${since(
          sync.offline_since,
        )}): the last sync with ${sync.url} failed${sync.last_error
        ? html`: <span class="offline-why">${sync.last_error.message}</span>`
        : null} <span class="muted">(${sync.pending_changes} change${sync.pending_changes === 1
        ? ""
        : "s"} waiting here)</span></span>
    </div>
  `;
}

/** The panel: remote, fetch and push, pending changes and decisions, the Sync button. */
export function SyncPanel({ sync, onSynced, setToast }) {
  const [asked, setAsked] = useState(false);
  const run = async () => {
    setAsked(true);
    const r = await api("/api/sync", {});
    setAsked(false);
    if (!r.ok) setToast({ kind: "error", text: errorText(r.error) });
    onSynced();
  };
  const busy = asked || sync.running;
  return html`
    <section class="panel" id="sync" aria-labelledby="sync-title">
      <h3 id="sync-title">Sync
        ${sync.offline_since
          ? html`<span class="badge bad">offline</span>`
          : sync.remote_changed
          ? html`<span class="badge waiting">remote changed</span>`
          : html`<span class="badge busy">${busy ? "syncing…" : "on"}</span>`}
        <button class="sync-now" id="sync-now" onClick=${run} disabled=${busy}
          title="Fetch the shared state, merge, and publish this clone's changes">${busy
            ? "Syncing…"
            : "Sync"}</button>
      </h3>
      <dl class="sync-facts">
        <dt>Remote</dt>
        <dd class="sync-remote"
          title=${sync.ref}>${sync.url} <span class="muted">${sync
            .ref}</span></dd>
        <dt>Last fetch</dt>
        <dd class="sync-fetch">${sync.last_fetch
          ? html`${since(sync.last_fetch.at)} <span class="muted">${
            short(
              sync.last_fetch.commit,
            )
          }</span>`
          : html`<span class="muted">never</span>`}</dd>
        <dt>Last push</dt>
        <dd class="sync-push">${sync.last_push
          ? html`${since(sync.last_push.at)} <span class="muted">${
            short(
              sync.last_push.commit,
            )
          }</span>`
          : html`<span class="muted">never</span>`}</dd>
        <dt>Pending</dt>
        <dd
          class="sync-pending">${sync.pending_changes} change${sync
              .pending_changes === 1
            ? ""
            : "s"}, <span class="sync-decisions">${sync.pending_decisions} decision${sync
              .pending_decisions === 1
            ? ""
            : "s"}</span>${sync.unconfirmed.length > 0
            ? html`, <span class="unconfirmed-count">${sync.unconfirmed.length} unconfirmed claim${
              sync
                  .unconfirmed.length === 1
                ? ""
                : "s"
            }</span>`
            : null}</dd>
      </dl>
    </section>
  `;
}
