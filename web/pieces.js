// Small pieces shared by the kanban, the side panels and the ticket detail: the htm binding,
// status names, ages, long text clipped, priority and label badges.
import { h } from "/vendor/preact.mjs";
import { useState } from "/vendor/hooks.mjs";
import htm from "/vendor/htm.mjs";

/** Preact's `h` as tagged templates. */
export const html = htm.bind(h);

/** How much of a board post or log entry shows before "Show all" (a post may be 1 MiB). */
const ENTRY_CLIP = { chars: 600, lines: 12 };

/** A status as people read it: "in-progress" is "In progress". */
export function statusLabel(status) {
  return status.charAt(0).toUpperCase() + status.slice(1).replaceAll("-", " ");
}

/** A duration in seconds as its largest unit: "42s", "5m", "3h", "2d". */
export function age(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** How long ago an ISO time was: "5m ago" (the text itself when it does not parse). */
export function since(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${age((Date.now() - t) / 1000)} ago`;
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
export function useClipped(text, clip) {
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
export function EntryBody({ text }) {
  const [shown, button] = useClipped(text, ENTRY_CLIP);
  return html`<div class="entry-body">${shown}</div>${button}`;
}

/** A priority badge. */
export function Priority({ p }) {
  return html`<span class=${`prio prio-${p}`} title=${`priority ${p}`}>${p}</span>`;
}

/** A ticket's labels, or nothing when it has none. */
export function Labels({ labels }) {
  if (!labels || labels.length === 0) return null;
  return html`<span class="labels">${
    labels.map((l) => html`<span class="label" key=${l}>${l}</span>`)
  }</span>`;
}
