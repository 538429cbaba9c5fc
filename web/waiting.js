// "Waiting for you": agents that wait for the person (a permission, input, their turn is over),
// from the `waiting` of each agent in the live snapshot (docs/agents.md "Waiting for you"). A
// lane at the top of the page, the count in the tab title, and an opt-in browser notification:
// the page asks for permission only when the person clicks "Notify me".
import { useEffect, useRef, useState } from "/vendor/hooks.mjs";
import { age, html } from "/pieces.js";
import { api, errorText } from "/api.js";

const KIND_LABEL = { permission: "needs permission", idle: "idle", finished: "finished" };

/** The agents waiting, longest first. */
export function waitingAgents(agents) {
  return agents.filter((a) => a.waiting && !a.stale).sort((a, b) =>
    b.waiting.age_s - a.waiting.age_s
  );
}

/** Keeps the tab title as "(N) track dashboard" while N agents wait. */
export function useWaitingTitle(count) {
  useEffect(() => {
    document.title = count > 0 ? `(${count}) track dashboard` : "track dashboard";
  }, [count]);
}

function notificationsAvailable() {
  return typeof Notification !== "undefined";
}

/** A browser notification for each agent that starts waiting, once the person opted in. */
function useWaitingNotifications(waiting, enabled) {
  const seen = useRef(null);
  useEffect(() => {
    const keys = new Map(waiting.map((a) => [a.id, `${a.id}\n${a.waiting.since}`]));
    const before = seen.current;
    seen.current = new Set(keys.values());
    // The first snapshot only records who already waits: nothing "started" then.
    if (before === null || !enabled || Notification.permission !== "granted") return;
    for (const a of waiting) {
      if (before.has(keys.get(a.id))) continue;
      new Notification(`${a.id} is waiting for you`, { body: a.waiting.reason, tag: a.id });
    }
  }, [waiting, enabled]);
}

/** A one-line answer to one agent: a board post addressed to it (`board --to`), as human. */
function AnswerForm({ agent }) {
  const [state, setState] = useState({ text: "", busy: false, note: null });
  const send = async (e) => {
    e.preventDefault();
    const message = state.text.trim();
    if (message === "" || state.busy) return;
    setState({ ...state, busy: true, note: null });
    const r = await api("/api/board", { message, to: [agent] });
    setState(
      r.ok
        ? { text: "", busy: false, note: "sent to its inbox" }
        : { ...state, busy: false, note: errorText(r.error) },
    );
  };
  return html`<form class="answer" onSubmit=${send}>
    <input type="text" value=${state.text} placeholder=${`Message ${agent}…`}
      aria-label=${`message to ${agent}`} maxlength="2000"
      onInput=${(e) => setState({ ...state, text: e.currentTarget.value })} />
    <button type="submit" disabled=${state.busy}>Send</button>
    ${state.note ? html`<span class="muted note">${state.note}</span>` : null}
  </form>`;
}

/** The lane: one card per waiting agent, with the reason and how long. */
export function WaitingLane({ agents, received }) {
  const waiting = waitingAgents(agents);
  const extra = (Date.now() - received) / 1000;
  const [enabled, setEnabled] = useState(
    () =>
      notificationsAvailable() && Notification.permission === "granted" &&
      localStorage.getItem("track-notify") === "on",
  );
  useWaitingTitle(waiting.length);
  useWaitingNotifications(waiting, enabled);
  const optIn = async () => {
    if (enabled) {
      localStorage.setItem("track-notify", "off");
      setEnabled(false);
      return;
    }
    const answer = Notification.permission === "granted"
      ? "granted"
      : await Notification.requestPermission();
    const on = answer === "granted";
    localStorage.setItem("track-notify", on ? "on" : "off");
    setEnabled(on);
  };
  return html`
    <section class=${`waiting-lane ${waiting.length > 0 ? "has-waiting" : ""}`} id="waiting"
      aria-label="agents waiting for you">
      <h3>Waiting for you <span class="count">${waiting.length}</span></h3>
      ${notificationsAvailable()
        ? html`
          <button class="notify" onClick=${optIn}
            title="Browser notification when an agent starts waiting">${enabled
              ? "🔔 Notifications on"
              : "🔕 Notify me"}</button>
        `
        : null}
      ${waiting.length === 0
        ? html`<span class="muted">No agent is waiting for you.</span>`
        : html`<ul>
          ${
          waiting.map((a) =>
            html`<li key=${a.id} class=${`waiting-card kind-${a.waiting.kind}`} data-agent=${a.id}>
              <strong>${a.id}</strong>
              <span class="badge">${KIND_LABEL[a.waiting.kind] ?? a.waiting.kind}</span>
              <span class="reason">${a.waiting.reason}</span>
              <span class="muted">for ${age(a.waiting.age_s + extra)}</span>
              ${a.tickets.map((id) => html`<a href=${`#${id}`} class="tlink" key=${id}>${id}</a>`)}
              <${AnswerForm} agent=${a.id} />
            </li>`
          )
        }
        </ul>`}
    </section>
  `;
}

/** The busy badge of an agent row: the oldest tool call in progress and how long it runs. */
export function BusyBadge({ agent, extra }) {
  if (!agent.busy || agent.busy.length === 0) return null;
  const b = agent.busy[0];
  const what = b.what ? `${b.tool} ${b.what}` : b.tool;
  return html`<span class="badge busy" title=${`busy since ${b.since}: ${what}`}>busy ${b.tool} ${
    age(b.age_s + extra)
  }</span>`;
}
