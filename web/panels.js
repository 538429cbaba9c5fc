// The side panels: agents, file reservations and the message board.
import { useEffect, useState } from "/vendor/hooks.mjs";
import { api, errorText } from "/api.js";
import { age, EntryBody, html, since } from "/pieces.js";
import { BusyBadge } from "/waiting.js";

/** Board tags with a colour of their own; any other tag gets one of six by its hash. */
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

function tagClass(tag) {
  if (KNOWN_TAGS.has(tag)) return `tag tag-${tag}`;
  let n = 0;
  for (const c of tag) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return `tag tag-h${n % 6}`;
}

/** Names in natural order: agent-2 before agent-10. */
const NATURAL = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Stale agents first, then those waiting for the person, then the rest; by name within each. */
export function agentOrder(agents) {
  const rank = (a) => (a.stale ? 0 : a.waiting ? 1 : 2);
  return [...agents].sort((a, b) => rank(a) - rank(b) || NATURAL.compare(a.id, b.id));
}

/**
 * Agents by the machine (clone) hosting them, this machine first, when any agent names its host
 * (sync on); null otherwise (one list). Within a group the order of `ordered` is kept.
 */
export function machineGroups(ordered, cloneId) {
  if (!ordered.some((a) => a.host)) return null;
  const byHost = new Map();
  for (const a of ordered) {
    const key = a.host ?? null;
    if (!byHost.has(key)) byHost.set(key, []);
    byHost.get(key).push(a);
  }
  const label = (host) =>
    host === null
      ? "Machine not recorded"
      : host === cloneId
      ? `This machine (clone ${host})`
      : `Machine: clone ${host}`;
  const rank = (host) => (host === cloneId ? 0 : host === null ? 2 : 1);
  return [...byHost.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || NATURAL.compare(a ?? "", b ?? ""))
    .map(([host, list]) => ({ host, label: label(host), agents: list }));
}

function agentState(a) {
  if (a.stale) return ["stale", "bad"];
  if (a.waiting) return ["waiting", "waiting"];
  if (a.busy?.length > 0) return ["busy", "busy"];
  return ["active", "ok"];
}

/**
 * Agents, one compact row each (state, heartbeat, tickets and reservations counted, the current
 * ticket); the row opens to the details (every ticket, the tool call, why it waits). Heartbeat
 * ages are as of now, not of the snapshot.
 */
export function AgentsPanel({ agents, received, cloneId = null }) {
  const extra = (Date.now() - received) / 1000;
  const ordered = agentOrder(agents);
  const groups = machineGroups(ordered, cloneId);
  const stale = agents.filter((a) => a.stale).length;
  return html`
    <section class="panel" id="agents" aria-labelledby="agents-title">
      <h3 id="agents-title">Agents <span class="count">${agents.length}</span>
        ${stale > 0 ? html`<span class="badge bad">${stale} stale</span>` : null}</h3>
      ${agents.length === 0 ? html`<p class="empty">No agents registered</p>` : html`
        ${groups === null
          ? html`<ul class="agent-rows">${ordered.map((a) => agentRowView(a, extra))}</ul>`
          : groups.map((g) =>
            html`
              <div class="machine" key=${g.host ?? "-"} data-host=${g.host ?? ""}>
                <h4 class="machine-name">${g.label} <span class="count">${g.agents
                  .length}</span></h4>
                <ul class="agent-rows">${g.agents.map((a) => agentRowView(a, extra))}</ul>
              </div>
            `
          )}
      `}
    </section>
  `;
}

/** One agent's row (see {@linkcode AgentsPanel}). */
function agentRowView(a, extra) {
  const [state, tone] = agentState(a);
  const current = a.tickets[0];
  return html`
    <li key=${a.id} class=${`agent ${a.stale ? "stale" : ""}`} data-agent=${a.id}>
      <details>
        <summary>
          <span class=${`live-dot ${tone === "bad" ? "bad" : "ok"}`}></span>
          <span class="agent-name">${a.id}</span>
          ${state === "busy"
            ? html`<${BusyBadge} agent=${a} extra=${extra} />`
            : html`<span class=${`badge state ${tone}`}>${state}</span>`}
          <span class="agent-beat muted"><span class="sr-only">heartbeat</span> ${age(
            a.heartbeat_age_s + extra,
          )}</span>
          <span class="agent-counts muted" title="tickets held · files reserved">${a
            .tickets.length}t<span class="sr-only"> tickets</span> · ${a
            .reservations}f<span class="sr-only"> files</span></span>
          <span class="agent-current">${current ?? ""}</span>
        </summary>
        <div class="agent-more">
          ${a.waiting ? html`<p><strong>Waiting:</strong> ${a.waiting.reason}</p>` : null}
          ${a.busy?.length > 0
            ? html`<p><strong>Busy:</strong> ${a.busy[0].tool} ${a.busy[0].what}</p>`
            : null}
          <p>Heartbeat ${age(a.heartbeat_age_s + extra)} ago${a.stale
            ? " (past the stale threshold: track stale --reclaim)"
            : ""}</p>
          <p>${a.tickets.length === 0 ? html`<span class="muted">No tickets held</span>` : html`
            Tickets: <span class="tlinks">${a.tickets.map((id) =>
              html`<a href=${`#${id}`} class="tlink" key=${id}>${id}</a>`
            )}</span>
          `}</p>
          <p>${a.reservations} file reservation${a.reservations === 1 ? "" : "s"}</p>
        </div>
      </details>
    </li>
  `;
}

/** File reservations; those overlapping another agent's are marked. */
export function ReservationsPanel({ reservations }) {
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

/** The message board, newest first, with a form that posts as `human`; "older" pages back. */
export function BoardPanel({ board, onPosted, onOlder }) {
  const [message, setMessage] = useState("");
  const [ticket, setTicket] = useState("");
  const [tag, setTag] = useState("note");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [older, setOlder] = useState({ busy: false, more: true });
  const loadOlder = async () => {
    setOlder({ busy: true, more: true });
    const r = await onOlder();
    if (!r.ok) setError(errorText(r.error));
    setOlder({ busy: false, more: r.ok ? r.more : true });
  };
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
        <textarea name="message" aria-label="message to post" rows="2" placeholder="Post to the board as human…"
          value=${message} onInput=${(e) => setMessage(e.currentTarget.value)}></textarea>
        <div class="post-row">
          <input name="ticket" aria-label="ticket (optional)" placeholder="T-0001 (optional)" size="10" value=${ticket}
            onInput=${(e) => setTicket(e.currentTarget.value)} />
          <select name="tag" aria-label="tag" value=${tag} onChange=${(e) =>
            setTag(e.currentTarget.value)}>
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
      ${older.more && board.length > 0
        ? html`<button class="more" id="board-older" disabled=${older.busy} onClick=${loadOlder}>
          Older messages</button>`
        : null}
    </section>
  `;
}

function tokens(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(n);
}

function dollars(row) {
  return row.cost_usd === null ? "-" : `$${row.cost_usd.toFixed(2)}`;
}

/** How often the cost panel asks again while changes arrive. */
const COST_REFRESH_MS = 30_000;

/** Cost (track cost): totals and the costliest tickets; refetched when the snapshot changes. */
export function CostPanel({ received }) {
  const [report, setReport] = useState(null);
  // The report reads every ticket and the whole board: asked again at most every 30 s while
  // changes arrive, not on each one (at 5 changes a second that was most of the server's CPU).
  const every = Math.floor(received / COST_REFRESH_MS);
  useEffect(() => {
    api("/api/cost").then((r) => setReport(r.ok ? r.data : { error: errorText(r.error) }));
  }, [every]);
  if (report === null) return null;
  if (report.error) {
    return html`
      <section class="panel" id="cost">
        <h3>Cost</h3>
        <p class="empty">${report.error}</p>
      </section>
    `;
  }
  const top = report.rows.filter((r) => r.tokens.total > 0 || r.over_budget)
    .sort((a, b) => b.tokens.total - a.tokens.total).slice(0, 8);
  return html`
    <section class="panel" id="cost">
      <h3>Cost <span class="count">${dollars(report.total)} · ${tokens(
        report.total.tokens.total,
      )} tokens</span></h3>
      ${top.length === 0 ? html`<p class="empty">No recorded sessions (track cost)</p>` : html`
        <table class="grid">
          <thead>
            <tr>
              <th>Ticket</th>
              <th>Tokens</th>
              <th>Cost</th>
            </tr>
          </thead>
          <tbody>
            ${top.map((r) =>
              html`
                <tr class=${r.over_budget ? "over-budget" : ""}>
                  <td>${r.key}</td>
                  <td>${tokens(r.tokens.total)}</td>
                  <td title=${r.budget ? `budget ${r.budget}` : ""}>${dollars(r)}${r.over_budget
                    ? " (over budget)"
                    : ""}</td>
                </tr>
              `
            )}
            <tr class="unattributed"><td>no ticket</td><td>${tokens(
              report.unattributed.tokens.total,
            )}</td><td>${dollars(report.unattributed)}</td></tr>
          </tbody>
        </table>
      `}
    </section>
  `;
}
