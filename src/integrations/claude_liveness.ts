/**
 * Liveness from the Claude Code hooks (docs/agents.md "Liveness" and "Waiting for you"): the
 * tool call an agent is inside (`busy`, PreToolUse adds it, PostToolUse removes it), the Claude
 * Code process its session runs in (`process`), and whether it waits for the person (`waiting`:
 * Notification, PermissionRequest and Stop set it; the next tool call or prompt clears it).
 * Kept apart from claude_hooks.ts (settings, SessionStart) and from the messages delivery.
 */
import type { AgentProcess, BusyCall, Waiting } from "../model/agent.ts";
import { isoSeconds } from "../model/time.ts";
import { appendLogEntry, logEntriesOf } from "../model/ticket.ts";
import { heldBy } from "../model/holding.ts";
import { WEBHOOK_AT_KEY, webhookDue } from "./waiting_webhook.ts";
import { readAgent, touchAgent, writeAgent } from "../store/agent_records.ts";
import { claudeProcess } from "../store/processes.ts";
import type { Store } from "../store/store.ts";
import { type ClaudeHookInput, quietSession, resolveSessionAgent } from "./claude_session.ts";

/**
 * Tools that return in moments: PreToolUse records no busy entry for them (so most tool calls
 * write nothing), only the heartbeat when it is due. Every other tool (Bash, Task, WebFetch, MCP
 * tools, …) is recorded as busy until its PostToolUse.
 */
export const QUICK_TOOLS: ReadonlySet<string> = new Set([
  "Read",
  "Glob",
  "Grep",
  "LS",
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
  "NotebookRead",
  "TodoWrite",
  "TodoRead",
]);

/** At most this many calls in progress are kept (parallel calls); the oldest go first. */
const MAX_BUSY = 8;
/** A call's description is one line of at most this many characters. */
const WHAT_MAX = 80;

/** One line, no control characters, at most `max` characters. */
export function oneLine(text: string, max = WHAT_MAX): string {
  // deno-lint-ignore no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ")
    .trim();
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** What a tool call is about, shortly: its command, file, URL, pattern or prompt. */
export function describeCall(input: ClaudeHookInput): { tool: string; what: string } {
  const tool = oneLine(typeof input.tool_name === "string" ? input.tool_name : "tool", 40);
  const ti = input.tool_input ?? {};
  for (
    const key of [
      "command",
      "description",
      "file_path",
      "notebook_path",
      "url",
      "pattern",
      "query",
      "prompt",
    ]
  ) {
    const v = ti[key];
    if (typeof v === "string" && v.trim() !== "") return { tool, what: oneLine(v) };
  }
  return { tool, what: "" };
}

function sameProcess(a: AgentProcess | null, b: AgentProcess | null): boolean {
  return b === null || (a !== null && a.pid === b.pid && a.start === b.start && a.boot === b.boot);
}

/**
 * PreToolUse (after the reservation check allowed the call): records the call as busy unless it
 * is a quick tool, clears "waiting" (the agent is working again) and records the session's Claude
 * Code process. A quick tool with nothing to change and a fresh heartbeat writes nothing.
 */
export async function preToolUseBusy(
  store: Store,
  input: ClaudeHookInput,
  now: Date,
): Promise<"written" | "fresh" | null> {
  if (!input.session_id) return null;
  const sessionId = input.session_id;
  const { tool, what } = describeCall(input);
  const quick = QUICK_TOOLS.has(tool);
  const proc = claudeProcess();
  const current = readAgent(store, resolveSessionAgent(store, sessionId));
  if (quick && quietSession(current, sessionId, now) && sameProcess(current!.process, proc)) {
    return "fresh";
  }
  await store.mutate("hook pre-tool-use", (tx) => {
    const record = touchAgent(tx, resolveSessionAgent(tx.store, sessionId), now);
    const id = typeof input.tool_use_id === "string" ? input.tool_use_id : null;
    const busy: BusyCall[] = quick ? record.busy : [
      ...record.busy.filter((b) => id === null || b.id !== id),
      { id, tool, what, since: isoSeconds(now) },
    ].slice(-MAX_BUSY);
    writeAgent(tx, {
      ...record,
      session_id: record.session_id ?? sessionId,
      process: proc ?? record.process,
      busy,
      waiting: null,
    });
  });
  return "written";
}

/** The hook events that mean "waiting for you". */
export type WaitingEvent = "notification" | "permission-request" | "stop";

/**
 * What a Notification / PermissionRequest / Stop payload says the agent waits for, or null when
 * it waits for nothing (e.g. Notification's auth_success).
 */
export function waitingFor(
  event: WaitingEvent,
  input: ClaudeHookInput,
): Omit<Waiting, "since"> | null {
  if (event === "stop") return { kind: "finished", reason: "finished its turn" };
  if (event === "permission-request") {
    const { tool, what } = describeCall(input);
    return {
      kind: "permission",
      reason: oneLine(`permission for ${tool}${what ? `: ${what}` : ""}`, 120),
    };
  }
  const message = typeof input.message === "string" ? oneLine(input.message, 120) : "";
  const type = typeof input.notification_type === "string" ? input.notification_type : "";
  if (type === "permission_prompt" || type === "elicitation_dialog") {
    return { kind: "permission", reason: message || "permission needed" };
  }
  if (type === "idle_prompt") return { kind: "idle", reason: message || "waiting for your input" };
  if (type !== "") return null; // auth_success and types added later: nothing to answer
  // Older Claude Code sends no type: tell the two messages apart by their text.
  if (/permission/i.test(message)) return { kind: "permission", reason: message };
  return { kind: "idle", reason: message || "waiting for your input" };
}

/**
 * Marks the session's agent as waiting (Stop also ends every busy call: the turn is over).
 * `entered` is true when it was not waiting before (what the webhook announces); a repeated
 * notice keeps the first `since`.
 */
export async function markWaiting(
  store: Store,
  input: ClaudeHookInput,
  event: WaitingEvent,
  now: Date,
  options: { webhook?: string | null } = {},
): Promise<
  { agent: string; waiting: Waiting; entered: boolean; notify: boolean; tickets: string[] } | null
> {
  if (!input.session_id) return null;
  const sessionId = input.session_id;
  const w = waitingFor(event, input);
  if (w === null) return null;
  return await store.mutate(`hook ${event}`, (tx) => {
    const agent = resolveSessionAgent(tx.store, sessionId);
    const record = touchAgent(tx, agent, now);
    const before = record.waiting;
    const same = before !== null && before.kind === w.kind && before.reason === w.reason;
    const waiting: Waiting = { ...w, since: same ? before.since : isoSeconds(now) };
    const entered = before === null;
    // The webhook announces entering "waiting", once per agent per debounce window.
    const notify = entered && !!options.webhook && webhookDue(record.extra[WEBHOOK_AT_KEY], now);
    writeAgent(tx, {
      ...record,
      session_id: record.session_id ?? sessionId,
      busy: event === "stop" ? [] : record.busy,
      waiting,
      extra: notify ? { ...record.extra, [WEBHOOK_AT_KEY]: isoSeconds(now) } : record.extra,
    });
    const tickets = notify ? heldBy(tx.store.readAllTickets().tickets, agent).map((t) => t.id) : [];
    return { agent, waiting, entered, notify, tickets };
  });
}

/**
 * UserPromptSubmit: the person answered, so the agent waits no longer, and a new turn starts with
 * no tool call in progress. Writes only when there is something to clear or the heartbeat is due.
 */
export async function promptSubmitted(
  store: Store,
  input: ClaudeHookInput,
  now: Date,
): Promise<"written" | "fresh" | null> {
  if (!input.session_id) return null;
  const sessionId = input.session_id;
  const current = readAgent(store, resolveSessionAgent(store, sessionId));
  if (quietSession(current, sessionId, now) && current!.busy.length === 0) return "fresh";
  await store.mutate("hook user-prompt-submit", (tx) => {
    const record = touchAgent(tx, resolveSessionAgent(tx.store, sessionId), now);
    writeAgent(tx, {
      ...record,
      session_id: record.session_id ?? sessionId,
      busy: [],
      waiting: null,
    });
  });
  return "written";
}

/** How much of the end of the transcript PreCompact reads for the last thing the agent said. */
const TRANSCRIPT_TAIL = 256 * 1024;

/** Work Log notes PreCompact writes start with this (SessionStart "compact" finds them). */
export const COMPACT_NOTE = "before compaction";

/**
 * The last thing the agent said and the last tool it called, from the end of the session's
 * transcript (JSONL, one message per line). Only a regular `.jsonl` file is read, only its last
 * 256 KB; anything unreadable gives nulls.
 */
export function lastActivity(path: unknown): { said: string | null; tool: string | null } {
  const none = { said: null, tool: null };
  if (typeof path !== "string" || !path.endsWith(".jsonl")) return none;
  let text: string;
  try {
    if (!Deno.lstatSync(path).isFile) return none;
    using f = Deno.openSync(path);
    const size = f.statSync().size;
    const start = Math.max(0, size - TRANSCRIPT_TAIL);
    f.seekSync(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let n = 0;
    while (n < buf.length) {
      const got = f.readSync(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    text = new TextDecoder().decode(buf.subarray(0, n));
  } catch {
    return none;
  }
  let said: string | null = null;
  let tool: string | null = null;
  const lines = text.split("\n").reverse();
  for (const line of lines) {
    if (said !== null && tool !== null) break;
    let entry: { type?: unknown; message?: { content?: unknown } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // the first line may be cut; blank lines
    }
    if (entry?.type !== "assistant" || !Array.isArray(entry.message?.content)) continue;
    for (const part of [...entry.message.content].reverse()) {
      if (said === null && part?.type === "text" && typeof part.text === "string") {
        const t = oneLine(part.text, 160);
        if (t !== "") said = t;
      }
      if (tool === null && part?.type === "tool_use" && typeof part.name === "string") {
        const d = describeCall({ tool_name: part.name, tool_input: part.input ?? {} });
        tool = d.what ? `${d.tool} ${d.what}` : d.tool;
      }
    }
  }
  return { said, tool };
}

/** The one-line note PreCompact writes: what the agent was doing when its context was compacted. */
export function compactNote(
  input: ClaudeHookInput,
  busy: BusyCall[],
  activity: { said: string | null; tool: string | null },
): string {
  const parts: string[] = [];
  if (busy.length > 0) {
    const b = busy[0];
    parts.push(`busy with ${b.tool}${b.what ? ` ${b.what}` : ""} since ${b.since}`);
  }
  if (activity.said !== null) parts.push(`last said "${activity.said}"`);
  if (activity.tool !== null) parts.push(`last tool ${activity.tool}`);
  if (typeof input.custom_instructions === "string" && input.custom_instructions.trim() !== "") {
    parts.push(`/compact asked "${oneLine(input.custom_instructions, 120)}"`);
  }
  const trigger = input.trigger === "manual" ? "manual" : "auto";
  return `${COMPACT_NOTE} (${trigger}): ${parts.join("; ") || "no activity recorded"}`;
}

/**
 * PreCompact: every ticket the session's agent holds (claimed or in progress) gets a one-line
 * Work Log note of what it was doing, so the compacted session (and anyone else) can pick up the
 * thread. Returns the tickets noted.
 */
export async function preCompact(
  store: Store,
  input: ClaudeHookInput,
  now: Date,
): Promise<string[]> {
  if (!input.session_id) return [];
  const sessionId = input.session_id;
  const agent = resolveSessionAgent(store, sessionId);
  if (heldBy(store.readAllTickets().tickets, agent).length === 0) return [];
  const activity = lastActivity(input.transcript_path);
  return await store.mutate("hook pre-compact", (tx) => {
    const record = touchAgent(tx, agent, now);
    const note = compactNote(input, record.busy, activity);
    const at = isoSeconds(now);
    const noted: string[] = [];
    for (const t of heldBy(tx.readAllTickets().tickets, agent)) {
      tx.writeTicket({
        ...t,
        updated: at,
        body: appendLogEntry(t.body, { at, agent, message: note }),
      });
      noted.push(t.id);
    }
    return noted;
  });
}

/**
 * The newest PreCompact note of `agent` on each ticket it holds, for SessionStart after a
 * compaction (source "compact") to put back in front of the agent.
 */
export function compactNotes(store: Store, agent: string): Array<{ ticket: string; note: string }> {
  const out: Array<{ ticket: string; note: string }> = [];
  for (const t of heldBy(store.readAllTickets().tickets, agent)) {
    const mine = logEntriesOf(t.body).filter((e) =>
      e.agent === agent && e.message.startsWith(COMPACT_NOTE)
    );
    if (mine.length > 0) out.push({ ticket: t.id, note: mine[mine.length - 1].message });
  }
  return out;
}
