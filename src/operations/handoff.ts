/**
 * The handoff note a ticket's Work Log gains when it leaves its holder without the holder
 * handing it over (stale reclaim, `deregister --release-tickets` from a session's end, taken with
 * `claim --force`): what the next agent needs to pick up the thread. docs/agents.md "Handoff".
 *
 * The worktree's uncommitted changes come from `git status` run before the lock is taken (a
 * slow repository never holds the lock), with a timeout, with git's optional locks and fsmonitor
 * off; nothing of the repository's own hooks or configuration runs.
 */
import type { Agent } from "../model/agent.ts";
import { appendLogEntry, logEntriesOf, type LogEntry, type Ticket } from "../model/ticket.ts";
import { isoSeconds } from "../model/time.ts";
import type { Reservation } from "./reservations.ts";
import { gitEnv } from "../store/git_env.ts";

/** Work Log entries written here start with this; `claim` and `next` look for it. */
export const HANDOFF_PREFIX = "handoff from ";

/** `git status` gets this long before the note says it timed out. */
export const GIT_STATUS_TIMEOUT_MS = 3_000;
/** At most this many changed files are listed (then "… N more"). */
const FILES_SHOWN = 20;
/** The holder's last Work Log entries repeated in the note. */
const LOG_SHOWN = 3;

/** What `git status` said about a worktree, or why it could not say. */
export interface WorktreeState {
  branch: string | null;
  /** `git status --porcelain` lines (`XY path`). */
  changes: string[];
  /** Set when the worktree is missing here or git failed or timed out. */
  problem: string | null;
}

/** Runs `git status` in `dir` (when it is a directory on this machine), with a timeout. */
export async function worktreeState(dir: string): Promise<WorktreeState> {
  try {
    if (!Deno.statSync(dir).isDirectory) {
      return { branch: null, changes: [], problem: "not a directory" };
    }
  } catch {
    return { branch: null, changes: [], problem: "not on this machine" };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), GIT_STATUS_TIMEOUT_MS);
  try {
    const out = await new Deno.Command("git", {
      args: [
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.hooksPath=/dev/null",
        "status",
        "--porcelain=v1",
        "--branch",
        "--untracked-files=normal",
        "--no-renames",
      ],
      cwd: dir,
      // Nothing of the caller's git environment (GIT_DIR, GIT_INDEX_FILE, …) leaks in.
      clearEnv: true,
      env: gitEnv(),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: controller.signal,
    }).output();
    if (controller.signal.aborted) {
      return { branch: null, changes: [], problem: "git status timed out" };
    }
    if (!out.success) return { branch: null, changes: [], problem: "not a git worktree" };
    const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
    let branch: string | null = null;
    if (lines[0]?.startsWith("## ")) {
      const head = lines.shift()!.slice(3);
      branch = head.startsWith("HEAD (no branch)") ? "(detached)" : head.split("...")[0];
      if (branch.startsWith("No commits yet on ")) branch = branch.slice(18);
    }
    return { branch, changes: lines, problem: null };
  } catch (e) {
    return {
      branch: null,
      changes: [],
      problem: controller.signal.aborted
        ? "git status timed out"
        : `git failed (${(e as Error).name})`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Worktree states of `agents` (those with a worktree), gathered in parallel. */
export async function worktreeStates(agents: Agent[]): Promise<Map<string, WorktreeState>> {
  const out = new Map<string, WorktreeState>();
  await Promise.all(agents.map(async (a) => {
    if (a.worktree !== null) out.set(a.id, await worktreeState(a.worktree));
  }));
  return out;
}

/** The handoff note's text (a multi-line Work Log message). */
export function handoffText(
  t: Ticket,
  agent: string,
  reason: string,
  worktree: string | null,
  state: WorktreeState | null,
  released: Reservation[],
): string {
  const lines = [`${HANDOFF_PREFIX}${agent} (${reason})`];
  const theirs = logEntriesOf(t.body).filter((e) => e.agent === agent).slice(-LOG_SHOWN);
  if (theirs.length > 0) {
    lines.push("its last Work Log entries:");
    for (const e of theirs) lines.push(`  ${e.at} ${e.message.split("\n")[0]}`);
  } else lines.push("its last Work Log entries: none");
  const branch = t.branch ?? state?.branch ?? null;
  lines.push(`branch: ${branch ?? "unknown"}`);
  if (worktree === null) lines.push("worktree: unknown");
  else if (state === null || state.problem !== null) {
    lines.push(`worktree: ${worktree} (${state?.problem ?? "not checked"})`);
  } else {
    lines.push(`worktree: ${worktree}`);
    if (state.changes.length === 0) lines.push("uncommitted changes: none");
    else {
      lines.push(`uncommitted changes (${state.changes.length}, git status --porcelain):`);
      for (const c of state.changes.slice(0, FILES_SHOWN)) lines.push(`  ${c}`);
      if (state.changes.length > FILES_SHOWN) {
        lines.push(`  … ${state.changes.length - FILES_SHOWN} more`);
      }
    }
  }
  lines.push(
    released.length === 0
      ? "reservations released: none"
      : `reservations released: ${
        released.map((r) => `${r.path} (${r.agent}, ${r.mode})`).join(", ")
      }`,
  );
  return lines.join("\n");
}

/**
 * `t` with the handoff note appended to its Work Log (written by the mutation that takes the
 * ticket from its holder, in the same write).
 */
export function withHandoff(
  t: Ticket,
  from: { agent: string; record: Agent | null; state: WorktreeState | null },
  reason: string,
  released: Reservation[],
  now: Date,
  by: string,
): Ticket {
  const at = isoSeconds(now);
  const message = handoffText(
    t,
    from.agent,
    reason,
    from.record?.worktree ?? null,
    from.state,
    released,
  );
  return { ...t, updated: at, body: appendLogEntry(t.body, { at, agent: by, message }) };
}

/** The newest handoff note on a ticket, or null. */
export function latestHandoff(t: Ticket): LogEntry | null {
  const notes = logEntriesOf(t.body).filter((e) => e.message.startsWith(HANDOFF_PREFIX));
  return notes.at(-1) ?? null;
}
