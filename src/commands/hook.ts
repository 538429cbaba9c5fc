/**
 * `track hook claude <event>` and `track hook git <hook> [args]`: what installed hooks run.
 * Claude Code hooks read the event JSON on stdin and never block the session on our own
 * failure: errors are reported on stderr with exit 1 (a non-blocking error for Claude Code).
 */
import { resolve } from "../model/path.ts";
import { defineCommand } from "../cli/command.ts";
import { conflictError, TrackError, usageError } from "../model/errors.ts";
import type { Context } from "../cli/context.ts";
import { locateStore } from "../store/discovery.ts";
import type { Store } from "../store/store.ts";
import {
  type ClaudeHookInput,
  deliverPending,
  EDIT_TOOLS,
  parseHookInput,
  postToolUse,
} from "../integrations/claude_session.ts";

/** Mirrors CLAUDE_EVENTS and GIT_HOOKS (tested); listed here so parsing loads neither module. */
export const CLAUDE_EVENT_ARGS = [
  "session-start",
  "pre-tool-use",
  "post-tool-use",
  "post-tool-use-failure",
  "user-prompt-submit",
  "notification",
  "permission-request",
  "stop",
  "pre-compact",
  "session-end",
] as const;
type ClaudeEventArg = typeof CLAUDE_EVENT_ARGS[number];
/** The git hooks `track hook git` runs. */
export const GIT_HOOK_NAMES = ["pre-commit", "commit-msg"] as const;
type GitHookName = typeof GIT_HOOK_NAMES[number];

const CLAUDE_ARGS: readonly string[] = CLAUDE_EVENT_ARGS;

type HookOpts =
  | { kind: "claude"; event: ClaudeEventArg }
  | { kind: "git"; hook: GitHookName; args: string[] };

function storeOrNull(ctx: Context): Store | null {
  const dir = locateStore(ctx.cwd, ctx.env);
  return dir === null ? null : ctx.store();
}

async function runClaude(event: ClaudeEventArg, ctx: Context): Promise<number> {
  const store = storeOrNull(ctx);
  if (store === null) return 0; // not a track project: stay out of the way
  const raw = ctx.io.stdinIsTty ? "" : new TextDecoder().decode(await ctx.io.readStdin());
  const input = parseHookInput(raw);
  const now = ctx.now();
  try {
    if (
      event === "post-tool-use" || event === "post-tool-use-failure" ||
      event === "user-prompt-submit"
    ) {
      if (event === "user-prompt-submit") {
        // The person answered: no longer waiting, no call in progress (and a heartbeat).
        const { promptSubmitted } = await import("../integrations/claude_liveness.ts");
        await promptSubmitted(store, input, now);
      } else await postToolUse(store, input, now);
      // Both may add unread messages to the agent's context.
      if (event === "post-tool-use-failure") return 0;
      const out = await deliverPending(
        store,
        input,
        event === "post-tool-use" ? "PostToolUse" : "UserPromptSubmit",
      );
      if (out) ctx.io.out(JSON.stringify(out));
      return 0;
    }
    if (
      event === "notification" || event === "permission-request" || event === "stop" ||
      event === "pre-compact"
    ) {
      await runLiveness(event, store, input, ctx);
      return 0;
    }
    if (event === "pre-tool-use") {
      // Every tool call runs this: the reservation check (and its module) only for edits.
      if (EDIT_TOOLS.has(input.tool_name ?? "")) {
        const { preToolUse } = await import("../integrations/claude_hooks.ts");
        const deny = preToolUse(store, input);
        if (deny) {
          ctx.io.out(JSON.stringify(deny));
          return 0;
        }
      }
      const { preToolUseBusy } = await import("../integrations/claude_liveness.ts");
      const busy = await preToolUseBusy(store, input, now);
      if (busy === "written" && store.synced && input.session_id) {
        // Sync on: a long call of a ticket holder gets a lease keeper (lease_keeper.ts).
        const { resolveSessionAgent } = await import("../integrations/claude_session.ts");
        const { startLeaseKeeper } = await import("../operations/lease_keeper.ts");
        const agent = resolveSessionAgent(store, input.session_id);
        startLeaseKeeper(store, agent, ctx.env.get("TRACK_SYNC"));
      }
      return 0;
    }
    // The other events run once per session: load the rest only for them.
    const { sessionEnd, sessionStart } = await import("../integrations/claude_hooks.ts");
    if (event === "session-start") {
      const out = await sessionStart(store, input, {
        now,
        envFile: ctx.env.get("CLAUDE_ENV_FILE") || undefined,
      });
      if (out) ctx.io.out(JSON.stringify(out));
    } else {
      const r = await sessionEnd(store, input, now);
      if (r && r.released.length > 0) {
        ctx.io.err(`track: ${r.agent} left; returned ${r.released.join(", ")} to backlog`);
      }
    }
    return 0;
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    ctx.io.err(`track hook ${event}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
    return 1;
  }
}

/** The hooks of docs/agents.md "Liveness" and "Waiting for you" (claude_liveness.ts). */
async function runLiveness(
  event: "notification" | "permission-request" | "stop" | "pre-compact",
  store: Store,
  input: ClaudeHookInput,
  ctx: Context,
): Promise<void> {
  const live = await import("../integrations/claude_liveness.ts");
  const now = ctx.now();
  if (event === "pre-compact") {
    await live.preCompact(store, input, now);
    return;
  }
  const { postWebhook, waitingWebhookUrl } = await import(
    "../integrations/waiting_webhook.ts"
  );
  const webhook = waitingWebhookUrl(store);
  const r = await live.markWaiting(store, input, event, now, { webhook });
  if (r === null || !r.notify || webhook === null) return;
  // After the write, with a short timeout: a slow or failing webhook never fails the hook.
  const problem = await postWebhook(webhook, {
    event: "waiting",
    agent: r.agent,
    kind: r.waiting.kind,
    reason: r.waiting.reason,
    since: r.waiting.since,
    tickets: r.tickets,
  });
  if (problem !== null) ctx.io.err(`track hook ${event}: waiting_webhook ${webhook}: ${problem}`);
}

async function runGit(hook: GitHookName, args: string[], ctx: Context): Promise<number> {
  const mode = ctx.env.get("TRACK_GUARD") ?? "";
  if (mode === "off") return 0;
  const store = storeOrNull(ctx);
  if (store === null) return 0;
  const agent = ctx.agent(undefined);
  const { commitMessageWarning, describeConflicts, guardConflicts, stagedPaths } = await import(
    "../integrations/git_hooks.ts"
  );
  if (hook === "pre-commit") {
    const conflicts = guardConflicts(store, stagedPaths(ctx.cwd), agent);
    if (conflicts.length === 0) return 0;
    const what = describeConflicts(conflicts);
    if (agent === null || mode === "warn") {
      ctx.io.err(
        `track-guard: warning: this commit touches paths reserved by other agents: ${what}` +
          (agent === null ? " (set TRACK_AGENT to enforce the guard)" : " (TRACK_GUARD=warn)"),
      );
      return 0;
    }
    const first = conflicts[0].holder;
    throw conflictError(
      `Cannot commit as "${agent}": ${conflicts.length} staged path(s) reserved by other agents: ${what}`,
      `ask the holder: track board --agent ${agent} --ticket ${first.ticket} --tag conflict -m "..."; ` +
        `or unstage with git restore --staged PATH (TRACK_GUARD=off skips this check)`,
      { conflicts: conflicts.map((c) => ({ ...c.holder, staged: c.path })) },
    );
  }
  // commit-msg: warn when the agent holds tickets and the message names none.
  if (agent === null || args[0] === undefined) return 0;
  const file = resolve(ctx.cwd, args[0]);
  const warning = commitMessageWarning(store, agent, () => {
    try {
      return Deno.readTextFileSync(file);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      return "";
    }
  });
  if (warning !== null) ctx.io.err(warning);
  return 0;
}

export default defineCommand<HookOpts>({
  name: "hook",
  summary: "Run an installed hook: claude <event> (JSON on stdin) or git <hook> (internal)",
  hidden: true,
  usage: `hook claude ${CLAUDE_ARGS.join("|")} | hook git ${GIT_HOOK_NAMES.join("|")} [ARGS]`,
  positionals: ["kind", "event"],
  flags: [],
  parse(args) {
    const [kind, event, ...rest] = args.positionals;
    if (kind === "claude" && CLAUDE_ARGS.includes(event)) {
      return { kind, event: event as ClaudeEventArg };
    }
    if (kind === "git" && (GIT_HOOK_NAMES as readonly string[]).includes(event)) {
      return { kind, hook: event as GitHookName, args: rest };
    }
    throw usageError(
      `Unknown hook ${JSON.stringify([kind, event].filter(Boolean).join(" "))}: expected ` +
        `"claude ${CLAUDE_ARGS.join("|")}" or "git ${GIT_HOOK_NAMES.join("|")}"`,
      "track hooks install --claude --git (installs the hooks that call this)",
    );
  },
  run(opts, ctx) {
    if (opts.kind === "claude") return runClaude(opts.event, ctx);
    return runGit(opts.hook, opts.args, ctx);
  },
});
