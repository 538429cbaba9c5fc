import { assert, assertEquals } from "../../tests/assert.ts";
import {
  addClaudeHooks,
  agentForSession,
  CLAUDE_EVENTS,
  removeClaudeHooks,
} from "./claude_hooks.ts";

Deno.test("agentForSession() is deterministic and a valid agent name", () => {
  const id = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
  assertEquals(agentForSession(id), "claude-3f2504e0");
  assertEquals(agentForSession(id), agentForSession(id));
  assertEquals(agentForSession(id, 16), "claude-3f2504e04f8911d3");
  assert(/^claude-[a-z0-9]+$/.test(agentForSession("!!!")));
  assert(agentForSession("a".repeat(300), 64).length <= 64);
});

Deno.test("addClaudeHooks() keeps the user's hooks and is idempotent", () => {
  const user = {
    model: "x",
    hooks: {
      PostToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "echo mine" }] }],
      Stop: [{ hooks: [{ type: "command", command: "say done" }] }],
    },
  };
  const s: Record<string, unknown> = structuredClone(user);
  addClaudeHooks(s, "track");
  const once = JSON.stringify(s);
  addClaudeHooks(s, "track");
  assertEquals(JSON.stringify(s), once);
  const hooks = s.hooks as Record<string, Array<{ hooks: Array<{ command: string }> }>>;
  assertEquals(hooks.PostToolUse.length, 2);
  assertEquals(hooks.PostToolUse[0].hooks[0].command, "echo mine");
  assertEquals(hooks.PostToolUse[1].hooks[0].command, "track hook claude post-tool-use");
  assertEquals(hooks.SessionStart[0].hooks[0].command, "track hook claude session-start");
  // The user's Stop hook stays first; ours (waiting for you) comes after it.
  assertEquals(hooks.Stop.map((g) => g.hooks[0].command), ["say done", "track hook claude stop"]);
  for (
    const event of [
      "PostToolUseFailure",
      "UserPromptSubmit",
      "Notification",
      "PermissionRequest",
      "PreCompact",
    ]
  ) assert(hooks[event]?.length === 1, `${event} is registered`);
  assertEquals(removeClaudeHooks(s), CLAUDE_EVENTS.length);
  assertEquals(s, user);
});

Deno.test("addClaudeHooks() replaces an entry installed with another command", () => {
  const s: Record<string, unknown> = {};
  addClaudeHooks(s, "/old/deno run -A /old/main.ts");
  addClaudeHooks(s, "track");
  const text = JSON.stringify(s);
  assert(!text.includes("/old/"));
  assertEquals(removeClaudeHooks(s), CLAUDE_EVENTS.length);
  assertEquals(s, {});
});

Deno.test("the hook runner's event lists mirror the installed hooks", async () => {
  const { CLAUDE_EVENT_ARGS, GIT_HOOK_NAMES } = await import("../commands/hook.ts");
  const { CLAUDE_EVENTS } = await import("./claude_hooks.ts");
  const { GIT_HOOKS } = await import("./git_hooks.ts");
  assertEquals([...CLAUDE_EVENT_ARGS], CLAUDE_EVENTS.map((e) => e.arg));
  assertEquals([...GIT_HOOK_NAMES], [...GIT_HOOKS]);
});
