/**
 * The light part of the Claude Code hooks: hook input, the agent bound to a session id, and the
 * PostToolUse heartbeat. Kept apart from claude_hooks.ts so the hook Claude Code runs after every
 * tool call loads only the agent store.
 */
import { readAgent, touchAgent, writeAgent } from "../store/agent_records.ts";
import { FUTURE_TOLERANCE_MS } from "../model/clock.ts";
import type { Store } from "../store/store.ts";
import type { Agent } from "../model/agent.ts";
import { readInbox, undelivered } from "../store/inbox_records.ts";
import type { BusyCall } from "../model/agent.ts";

/** The part of Claude Code's hook input we read. */
export interface ClaudeHookInput {
  session_id?: string;
  cwd?: string;
  hook_event_name?: string;
  source?: string;
  reason?: string;
  tool_name?: string;
  tool_input?: Record<string, unknown>;
  /** The session's transcript (JSONL), read by `track cost`. */
  transcript_path?: string;
  /** PreToolUse / PostToolUse / PostToolUseFailure: the id pairing a call's Pre and Post. */
  tool_use_id?: string;
  /** Notification: the text shown, and its type (permission_prompt, idle_prompt, …). */
  message?: string;
  notification_type?: string;
  /** PreCompact: "manual" or "auto", and what the person typed after /compact. */
  trigger?: string;
  custom_instructions?: string;
}

/** The tools that edit files: PreToolUse checks their target against reservations. */
export const EDIT_TOOLS: ReadonlySet<string> = new Set([
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
]);

/** Parses the hook input; anything malformed becomes an empty object. */
export function parseHookInput(text: string): ClaudeHookInput {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v as ClaudeHookInput : {};
  } catch {
    return {};
  }
}

/** The agent name bound to a Claude Code session id (`length` grows only on a collision). */
export function agentForSession(sessionId: string, length = 8): string {
  const clean = sessionId.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (clean.length > 0) return `claude-${clean.slice(0, Math.min(length, 56))}`;
  // Session ids are UUIDs; anything else still gets a stable name (FNV-1a).
  let h = 0x811c9dc5;
  for (const ch of sessionId) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return `claude-${h.toString(36)}`;
}

/** Name lengths tried, shortest first, when a different session holds the shorter name. */
export const NAME_LENGTHS = [8, 16, 64];

/**
 * The agent registered for `sessionId`: the short name unless a collision made SessionStart use
 * a longer one (then the record whose session_id matches). Falls back to the short name.
 */
export function resolveSessionAgent(store: Store, sessionId: string): string {
  for (const length of NAME_LENGTHS) {
    const name = agentForSession(sessionId, length);
    const record = readAgent(store, name);
    if (record === null) break;
    if (record.session_id === sessionId || record.session_id === null) return name;
  }
  return agentForSession(sessionId);
}

/** PostToolUse skips the write when the last heartbeat is younger than this. */
export const HEARTBEAT_THROTTLE_MS = 10_000;

/** Young enough to skip; a heartbeat dated in the future is suspect and gets rewritten. */
export function fresh(ageMs: number): boolean {
  return ageMs < HEARTBEAT_THROTTLE_MS && ageMs >= -FUTURE_TOLERANCE_MS;
}

/**
 * Whether `current`, the record of session `sessionId`'s agent, needs no write now: active, bound
 * to this session, not waiting for a person, and its heartbeat fresh.
 */
export function quietSession(current: Agent | null, sessionId: string, now: Date): boolean {
  return current !== null && current.status === "active" && current.session_id === sessionId &&
    current.waiting === null && fresh(now.getTime() - Date.parse(current.last_heartbeat));
}

/**
 * PostToolUse: heartbeat for the session's agent (registering it on the spot when the session
 * started before the hooks were installed). Agents call tools many times a minute; a heartbeat
 * younger than {@linkcode HEARTBEAT_THROTTLE_MS} is left alone, so most calls take no lock.
 */
export async function postToolUse(
  store: Store,
  input: ClaudeHookInput,
  now: Date,
): Promise<"written" | "fresh" | null> {
  if (!input.session_id) return null;
  const sessionId = input.session_id;
  const current = readAgent(store, resolveSessionAgent(store, sessionId));
  if (quietSession(current, sessionId, now) && finishedCall(current!.busy, input) === null) {
    return "fresh";
  }
  await store.mutate("hook post-tool-use", (tx) => {
    // Decided again under the lock: the record may have changed since the read above.
    const agent = resolveSessionAgent(tx.store, sessionId);
    const record = touchAgent(tx, agent, now);
    const done = finishedCall(record.busy, input);
    if (record.session_id === null || done !== null || record.waiting !== null) {
      writeAgent(tx, {
        ...record,
        session_id: record.session_id ?? sessionId,
        busy: record.busy.filter((b) => b !== done),
        // The tool ran, so whatever it waited for was answered.
        waiting: null,
      });
    }
  });
  return "written";
}

/** The output of PostToolUse / UserPromptSubmit when messages are waiting. */
export interface ContextOutput {
  hookSpecificOutput: {
    hookEventName: "PostToolUse" | "UserPromptSubmit";
    additionalContext: string;
  };
}

/**
 * Unread messages for the session's agent, as context for Claude Code (null when none). Only
 * an agent bound to this session (the hooks registered it) gets anything. When nothing waits
 * this is one read of a small file; the delivery code loads only when something does.
 */
export async function deliverPending(
  store: Store,
  input: ClaudeHookInput,
  event: "PostToolUse" | "UserPromptSubmit",
): Promise<ContextOutput | null> {
  if (!input.session_id) return null;
  const agent = resolveSessionAgent(store, input.session_id);
  if (undelivered(readInbox(store, agent)).length === 0) return null;
  const record = readAgent(store, agent);
  if (record === null || record.session_id !== input.session_id) return null;
  const { deliverInbox } = await import("../operations/inbox.ts");
  const d = await deliverInbox(store, agent);
  if (d === null) return null;
  return { hookSpecificOutput: { hookEventName: event, additionalContext: d.text } };
}

/**
 * The busy entry a PostToolUse (or PostToolUseFailure) ends: the one with its tool_use_id, or,
 * when the payload has none, the oldest call of the same tool without an id.
 */
export function finishedCall(busy: BusyCall[], input: ClaudeHookInput): BusyCall | null {
  if (busy.length === 0) return null;
  const id = typeof input.tool_use_id === "string" ? input.tool_use_id : null;
  if (id !== null) return busy.find((b) => b.id === id) ?? null;
  return busy.find((b) => b.id === null && b.tool === input.tool_name) ?? null;
}
