/**
 * The agent protocol: the text agents follow, and its idempotent placement between marker
 * comments inside CLAUDE.md or AGENTS.md (the rest of the file is never touched).
 */

/** Flavours of the protocol text: `claude` (CLAUDE.md, hooks do the chores) or `agents`. */
export type ProtocolFormat = "claude" | "agents";

/** First line of the managed block. */
export const BEGIN_MARKER =
  "<!-- track:protocol:begin (managed by `track protocol --write`; edit outside this block) -->";
/** Last line of the managed block. */
export const END_MARKER = "<!-- track:protocol:end -->";

const BEGIN_PREFIX = "<!-- track:protocol:begin";

/**
 * The protocol text (markdown, no markers) for `format`. Wrapped the way `deno fmt` (and other
 * 100-column markdown formatters) leave it, so formatting the file never fights `--write`.
 */
export function protocolText(format: ProtocolFormat): string {
  const identity = format === "claude"
    ? [
      "- With `track hooks install --claude`, the SessionStart hook registers you under a name bound to",
      "  your session id, puts `TRACK_AGENT` in your shell and prints your context (`track prime`). Without",
      "  hooks: `export TRACK_AGENT=$(track register)`.",
    ]
    : [
      "- Register once per session and keep the name: `export TRACK_AGENT=$(track register)`. Every command",
      "  then acts as you (or pass `--agent NAME`).",
    ];
  const chores = format === "claude"
    ? [
      "- Hooks heartbeat after tool calls and refuse Edit/Write on files another agent reserved. Before",
      "  changing a file any other way (a shell command): `track files --check PATH` (exit 3 = held).",
    ]
    : [
      "- Heartbeat while you work (`track heartbeat`); any command that names you counts too.",
      "- Before editing a file: `track files --check PATH` (exit 3 = someone else holds it).",
    ];
  const leaving = format === "claude"
    ? "- When the session ends, the SessionEnd hook deregisters you and returns unfinished tickets."
    : "- End of session: `track deregister --release-tickets` returns unfinished tickets to the backlog.";
  return [
    "## Agent protocol (track)",
    "",
    "This project coordinates agents with `track`. All state lives in `.track/`: change it only through",
    "`track` commands, never by editing the files.",
    "",
    "### Start of session",
    "",
    ...identity,
    "- See where things stand: `track prime` (your tickets, ready work, new board posts).",
    "- Take work: `track next` claims the best ready ticket atomically (exit 4: nothing ready). To pick",
    "  one yourself: `track ready`, then `track claim T-0001`. `next` offers only tickets whose needs",
    "  (`--needs`) your capabilities cover (`track register --capabilities review,frontend`); the exit 4",
    "  says when that is why. `--parent T-0001` takes work from one epic.",
    "- Review: `track next --review` hands you a ticket in review that you did not submit.",
    "- Find past work or discussion: `track search WORDS` (titles, bodies, logs, board posts).",
    "",
    "### While working",
    "",
    "- Move the ticket on: `track update T-0001 --status in-progress`.",
    "- Reserve what you will edit: `track files --add src/foo.ts --ticket T-0001`.",
    '- Log progress: `track log T-0001 -m "what changed and why"`.',
    '- Talk: `track board --ticket T-0001 --tag question -m "..."`; read: `track board`. Ask one agent:',
    '  `track board --to agent-bravo --ack -m "..."`; answer with `--reply-to MSG`.',
    "- Messages for you (`track inbox`): read them, answer, and `track ack MSG` what you handled.",
    ...chores,
    "- Reference the ticket in commits: `T-0001: add the parser`.",
    "",
    "### Finishing",
    "",
    "- A ticket with verify commands (`track show T-0001`) needs them passing on the code as it stands:",
    "  `track verify T-0001` before review or done; any later edit means running it again.",
    "- `track update T-0001 --status review`; a reviewer moves it to done (reservations end).",
    leaving,
    "",
    "### Rules",
    "",
    "- One ticket at a time. Never edit a file another agent reserved: ask on the board.",
    "- Exit codes: 0 ok, 2 usage, 3 conflict (claimed, reserved, illegal move), 4 not found or nothing",
    "  ready, 5 lock busy (retry), 6 bad data in .track/ (tell a human).",
    "- With sync (a git remote), a claim (`claim`, `next`) may also end in exit 8: not granted: do not",
    "  start; the claim was withdrawn. Exit 9: granted on this machine, not confirmed: at risk until the",
    "  next sync (views mark it unconfirmed). A warning `lease at risk`: your heartbeats are not reaching",
    "  the remote; exit 3 `lease expired`: stop work on that ticket and run the hint's command.",
    "- Add `--json` to any command for machine-readable output; errors then come as JSON too.",
    "- A refused command prints a hint with the next command to run: follow it, never force past another",
    "  agent (`--force`) without asking on the board first.",
  ].join("\n") + "\n";
}

/** The managed block: markers around the protocol text (blank lines keep formatters quiet). */
export function protocolBlock(format: ProtocolFormat): string {
  return `${BEGIN_MARKER}\n\n${protocolText(format)}\n${END_MARKER}\n`;
}

/** Result of placing the block into a file's text. */
export interface UpsertResult {
  text: string;
  /** `created` (no file), `appended`, `updated` (block replaced) or `unchanged`. */
  action: "created" | "appended" | "updated" | "unchanged";
}

/**
 * Puts `block` into `existing` (null when the file does not exist): replaces the first managed
 * block in place, removes any later duplicate blocks, or appends after one blank line. Bytes
 * outside the block are kept as they are. Throws on a begin marker without an end marker.
 */
export function upsertBlock(existing: string | null, block: string): UpsertResult {
  if (existing === null) return { text: block, action: "created" };
  const lines = existing.split("\n");
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(BEGIN_PREFIX)) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === END_MARKER);
    if (end === -1) {
      throw new Error(`line ${i + 1} opens a track protocol block that is never closed`);
    }
    spans.push([i, end]);
    i = end;
  }
  if (spans.length === 0) {
    const base = existing === "" ? "" : existing.endsWith("\n") ? existing : existing + "\n";
    const sep = base === "" || base.endsWith("\n\n") ? "" : "\n";
    return { text: base + sep + block, action: "appended" };
  }
  const blockLines = block.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let cursor = 0;
  spans.forEach(([s, e], k) => {
    out.push(...lines.slice(cursor, s));
    if (k === 0) out.push(...blockLines);
    cursor = e + 1;
  });
  out.push(...lines.slice(cursor));
  const text = out.join("\n");
  return { text, action: text === existing ? "unchanged" : "updated" };
}
