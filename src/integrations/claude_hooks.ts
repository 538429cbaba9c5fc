/**
 * Claude Code hooks: the entries `track hooks install --claude` merges into
 * `.claude/settings.json`, and what each hook does when Claude Code runs it with the event's
 * JSON on stdin (session_id, cwd, hook_event_name, tool_name, tool_input, …).
 *
 * Identity is bound to the session id the hook receives: the agent name is derived from it
 * deterministically (`claude-<first 8 characters>`), and the record stores the full id. This
 * module is on the PostToolUse path, so it imports only what the heartbeat needs.
 */
import { resolve } from "../model/path.ts";
import { deregisterAgent, registerAgent } from "../operations/lifecycle.ts";
import { TrackError } from "../model/errors.ts";
import { buildPrime, markBoardRead, renderPrime } from "./prime.ts";
import { markDelivered } from "../operations/inbox.ts";
import { conflictsFor, readReservations } from "../operations/reservations.ts";
import { normalizePath, patternsOverlap } from "../model/reservation_paths.ts";
import { isHeldBy } from "../model/holding.ts";
import { holderLeaseOf } from "../operations/leases.ts";
import type { Store } from "../store/store.ts";
import { claudeProcess } from "../store/processes.ts";
import {
  agentForSession,
  type ClaudeHookInput,
  EDIT_TOOLS,
  NAME_LENGTHS,
  parseHookInput,
  postToolUse,
  resolveSessionAgent,
} from "./claude_session.ts";

export { agentForSession, type ClaudeHookInput, parseHookInput, postToolUse, resolveSessionAgent };

/** The events we hook, with the `track hook claude <event>` argument each runs. */
export const CLAUDE_EVENTS = [
  { event: "SessionStart", arg: "session-start", matcher: null },
  // Every tool: edits are checked against reservations, long calls are recorded as busy.
  { event: "PreToolUse", arg: "pre-tool-use", matcher: "*" },
  { event: "PostToolUse", arg: "post-tool-use", matcher: "*" },
  { event: "PostToolUseFailure", arg: "post-tool-use-failure", matcher: "*" },
  { event: "UserPromptSubmit", arg: "user-prompt-submit", matcher: null },
  { event: "Notification", arg: "notification", matcher: null },
  { event: "PermissionRequest", arg: "permission-request", matcher: "*" },
  { event: "Stop", arg: "stop", matcher: null },
  { event: "PreCompact", arg: "pre-compact", matcher: null },
  { event: "SessionEnd", arg: "session-end", matcher: null },
] as const;

/** The hook-runner argument of each event. */
export type ClaudeEventArg = typeof CLAUDE_EVENTS[number]["arg"];

/** Marks our entries in settings.json so uninstall removes only them. */
export const HOOK_MARK = "hook claude ";

// ---------------------------------------------------------------------------------------------
// settings.json

/** One hook command in settings.json. */
interface HookCommand {
  type: string;
  command?: string;
  [k: string]: unknown;
}
/** One matcher group in settings.json. */
interface MatcherGroup {
  matcher?: string;
  hooks?: HookCommand[];
  [k: string]: unknown;
}

const OUR_COMMAND = new RegExp(
  `\\bhook claude (${CLAUDE_EVENTS.map((e) => e.arg).join("|")})$`,
);

function isOurs(h: HookCommand): boolean {
  return typeof h.command === "string" && OUR_COMMAND.test(h.command.trim());
}

/** Removes our hook entries from a settings object (in place); returns how many were removed. */
export function removeClaudeHooks(settings: Record<string, unknown>): number {
  const hooks = settings.hooks;
  if (typeof hooks !== "object" || hooks === null || Array.isArray(hooks)) return 0;
  let removed = 0;
  const table = hooks as Record<string, unknown>;
  for (const { event } of CLAUDE_EVENTS) {
    const groups = table[event];
    if (!Array.isArray(groups)) continue;
    const kept: MatcherGroup[] = [];
    for (const g of groups as MatcherGroup[]) {
      if (typeof g !== "object" || g === null || !Array.isArray(g.hooks)) {
        kept.push(g);
        continue;
      }
      const rest = g.hooks.filter((h) => !isOurs(h));
      removed += g.hooks.length - rest.length;
      if (rest.length > 0) kept.push({ ...g, hooks: rest });
      else if (g.hooks.length === 0) kept.push(g);
    }
    if (kept.length > 0) table[event] = kept;
    else delete table[event];
  }
  if (Object.keys(table).length === 0) delete settings.hooks;
  return removed;
}

/** Adds our hook entries (after removing older ones of ours, so reinstalling is idempotent). */
export function addClaudeHooks(settings: Record<string, unknown>, command: string): void {
  removeClaudeHooks(settings);
  if (typeof settings.hooks !== "object" || settings.hooks === null) settings.hooks = {};
  const table = settings.hooks as Record<string, unknown>;
  for (const { event, arg, matcher } of CLAUDE_EVENTS) {
    const groups = Array.isArray(table[event]) ? table[event] as MatcherGroup[] : [];
    const group: MatcherGroup = matcher === null ? {} : { matcher };
    group.hooks = [{ type: "command", command: `${command} ${HOOK_MARK}${arg}`, timeout: 30 }];
    groups.push(group);
    table[event] = groups;
  }
}

// ---------------------------------------------------------------------------------------------
// Hook handlers. Each returns what to print on stdout (JSON for Claude Code) or null.

/** The store root (the repository directory holding .track/; never derived from store.dir). */
function rootOf(store: Store): string {
  return store.root;
}

/** The deny decision of PreToolUse, in Claude Code's hook output format. */
export interface PreToolUseDeny {
  hookSpecificOutput: {
    hookEventName: "PreToolUse";
    permissionDecision: "deny";
    permissionDecisionReason: string;
  };
}

function deny(reason: string): PreToolUseDeny {
  return {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: reason,
    },
  };
}

/** Paths a file-editing tool call targets (Edit, MultiEdit, Write, NotebookEdit). */
export function targetPaths(input: ClaudeHookInput): string[] {
  const ti = input.tool_input ?? {};
  return ["file_path", "notebook_path", "path"].map((k) => ti[k]).filter((v): v is string =>
    typeof v === "string" && v !== ""
  );
}

/**
 * PreToolUse on Edit/Write: deny when the target is reserved exclusively by another agent;
 * otherwise allow silently (null). Paths outside the repository are not ours to guard.
 */
export function preToolUse(store: Store, input: ClaudeHookInput): PreToolUseDeny | null {
  // PreToolUse runs for every tool; only edits are checked (reading a reserved file is fine).
  if (!EDIT_TOOLS.has(input.tool_name ?? "")) return null;
  const paths = targetPaths(input);
  if (paths.length === 0) return null;
  const root = rootOf(store);
  for (const p of paths) {
    const abs = resolve(input.cwd ?? root, p);
    if (abs === store.dir || abs.startsWith(store.dir + "/")) {
      return deny(
        `"${store.display(abs)}" is track's state: it changes only through track commands, ` +
          `never by editing files (run: track --help; e.g. track update T-0001 --status review)`,
      );
    }
  }
  const me = input.session_id ? resolveSessionAgent(store, input.session_id) : "\0";
  const all = readReservations(store);
  if (all.length === 0) return null;
  // With sync on, a holder whose lease expired edits none of its claimed tickets' files.
  const expired = store.synced ? holderLeaseOf(store, me) : null;
  for (const p of paths) {
    let rel: string;
    try {
      rel = normalizePath(p, { cwd: input.cwd ?? root, root, literal: true });
    } catch {
      continue; // outside the repository, or not a path we can reserve
    }
    if (expired?.level === "expired") {
      const mine = all.find((r) =>
        r.agent === me && patternsOverlap(r.path, rel) && heldTicket(store, r.ticket, me)
      );
      if (mine !== undefined) {
        return deny(
          `"${rel}" is reserved for ${mine.ticket}, but ${me}'s lease expired: remote ` +
            `unreachable since ${expired.since}, stop work on ${mine.ticket}, run track sync ` +
            `(another machine may reclaim it; once a heartbeat is published: ` +
            `track heartbeat --agent ${me} && track sync)`,
        );
      }
    }
    const holder = conflictsFor(all, rel, me, "exclusive").find((r) => r.mode === "exclusive");
    if (holder) {
      return deny(
        `"${rel}" is reserved by "${holder.agent}" for ${holder.ticket} (reservation "${holder.path}"). ` +
          `Do not edit it; ask the holder: track board --ticket ${holder.ticket} --tag conflict -m "..." ` +
          `or pick other work: track next`,
      );
    }
  }
  return null;
}

/** Whether `agent` holds ticket `id` (claimed or in progress); false when it cannot be read. */
function heldTicket(store: Store, id: string, agent: string): boolean {
  try {
    return isHeldBy(store.readTicket(id), agent);
  } catch {
    return false;
  }
}

/** SessionStart output: context added to the conversation. */
export interface SessionStartOutput {
  hookSpecificOutput: { hookEventName: "SessionStart"; additionalContext: string };
}

/**
 * SessionStart: registers the agent bound to this session id (re-registering the same session,
 * e.g. on resume, is accepted), exports TRACK_AGENT through `CLAUDE_ENV_FILE` when Claude Code
 * provides it, and returns `prime` as additional context. The board read marker moves here.
 */
export async function sessionStart(
  store: Store,
  input: ClaudeHookInput,
  options: { now: Date; envFile: string | undefined },
): Promise<SessionStartOutput | null> {
  if (!input.session_id) return null;
  let agent = "";
  // A different live session holding the short name: use a longer prefix of the id.
  for (const length of NAME_LENGTHS) {
    agent = agentForSession(input.session_id, length);
    try {
      await registerAgent(store, {
        agent,
        capabilities: [],
        sessionId: input.session_id,
        worktree: input.cwd ?? null,
        force: false,
        process: claudeProcess(),
      }, options.now);
      break;
    } catch (e) {
      if (!(e instanceof TrackError) || e.kind !== "conflict" || length === 64) throw e;
    }
  }
  await recordSessionTranscript(store, agent, input);
  const data = buildPrime(store, agent, options.now);
  const prime = renderPrime(data);
  await markBoardRead(store, agent, options.now);
  // The unread messages prime shows are in the context now: PostToolUse does not repeat them.
  await markDelivered(store, agent, data.inbox.messages.map((m) => m.id));
  let envNote = `Pass --agent ${agent} to track commands (or export TRACK_AGENT=${agent}).`;
  if (options.envFile) {
    try {
      await Deno.writeTextFile(options.envFile, `export TRACK_AGENT=${agent}\n`, { append: true });
      envNote = `TRACK_AGENT=${agent} is set in your shell; track commands act as you.`;
    } catch (e) {
      // The session still works with --agent; say so instead of failing the hook.
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied)) {
        throw e;
      }
    }
  }
  return {
    hookSpecificOutput: {
      hookEventName: "SessionStart",
      additionalContext: `${prime}\n${envNote}${
        input.source === "compact" ? await afterCompaction(store, agent) : ""
      }`,
    },
  };
}

/** SessionStart after a compaction: the PreCompact notes of the tickets the agent holds. */
async function afterCompaction(store: Store, agent: string): Promise<string> {
  const { compactNotes } = await import("./claude_liveness.ts");
  const notes = compactNotes(store, agent);
  if (notes.length === 0) return "";
  return "\nYour context was just compacted. Where you were:\n" +
    notes.map((n) => `- ${n.ticket}: ${n.note}`).join("\n") +
    `\n(track show ${notes[0].ticket} has the whole Work Log.)`;
}

/** SessionEnd: deregisters the session's agent and returns its tickets to the backlog. */
export async function sessionEnd(
  store: Store,
  input: ClaudeHookInput,
  now: Date,
): Promise<{ agent: string; released: string[] } | null> {
  if (!input.session_id) return null;
  const agent = resolveSessionAgent(store, input.session_id);
  await recordSessionTranscript(store, agent, input);
  try {
    const r = await deregisterAgent(store, agent, { releaseTickets: true, now });
    return { agent, released: r.released };
  } catch (e) {
    if (e instanceof TrackError && e.kind === "notFound") return null;
    throw e;
  }
}

/**
 * Records the session's transcript path on its agent record (issue 16: `track cost` reads it at
 * report time). SessionStart and SessionEnd only: PostToolUse stays a heartbeat.
 */
async function recordSessionTranscript(
  store: Store,
  agent: string,
  input: ClaudeHookInput,
): Promise<void> {
  if (typeof input.transcript_path !== "string") return;
  // Loaded here: the cost module is not on the path of the other hooks.
  const { recordTranscript } = await import("../operations/cost.ts");
  await recordTranscript(store, agent, resolve(input.cwd ?? ".", input.transcript_path));
}
