/** Claude Code hooks end to end: the JSON Claude Code sends on stdin, the output and the store. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  claudeHookInput,
  MAIN,
  type RunOptions,
  type RunResult,
  type TempStore,
  tempStore,
  testCommand,
} from "./helpers.ts";

/** Runs a setup step and fails the test unless it worked: a failed setup must not pass vacuously. */
async function must(s: TempStore, args: string[], options?: RunOptions): Promise<RunResult> {
  const r = await s.track(args, options);
  assertEquals(r.code, 0, `setup: track ${args.join(" ")}: ${r.stderr}`);
  return r;
}

const SESSION = "5c1f0e2a-93b4-4d7e-8a61-0f2b9c3d4e5f";
const AGENT = "claude-5c1f0e2a";

function hookInput(root: string, event: string, extra: Record<string, unknown> = {}): string {
  return claudeHookInput(SESSION, root, event, extra);
}

interface AgentJson {
  id: string;
  status: string;
  session_id: string | null;
  last_heartbeat: string;
}

Deno.test("SessionStart registers the session's agent, exports TRACK_AGENT and prints prime", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Parser"]);
  await must(s, ["board", "--agent", "lead", "-m", "Welcome, read docs/agents.md"]);
  const envFile = `${s.root}/claude-env.sh`;
  const r = await s.track(["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup", model: "claude-sonnet-4-5" }),
    env: { CLAUDE_ENV_FILE: envFile },
  });
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assertEquals(out.hookSpecificOutput.hookEventName, "SessionStart");
  const ctx: string = out.hookSpecificOutput.additionalContext;
  assertStringIncludes(ctx, `you are ${AGENT}`);
  assertStringIncludes(ctx, "T-0001");
  assertStringIncludes(ctx, "Welcome, read docs/agents.md");
  assert(ctx.split("\n").length <= 41);
  assertEquals(Deno.readTextFileSync(envFile), `export TRACK_AGENT=${AGENT}\n`);
  const agents = await s.json<{ agents: AgentJson[] }>(["agents"]);
  assertEquals(agents.agents.map((a) => [a.id, a.status, a.session_id]), [
    [AGENT, "active", SESSION],
    ["lead", "active", null],
  ]);
  // Resume: the same session registers again without a conflict; the board read marker moved.
  const again = await s.track(["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "resume" }),
  });
  assertEquals(again.code, 0, again.stderr);
  const ctx2: string = JSON.parse(again.stdout).hookSpecificOutput.additionalContext;
  assert(!ctx2.includes("Welcome"), "posts already read are not shown again");
  assertStringIncludes(ctx2, `export TRACK_AGENT=${AGENT}`);
});

Deno.test("SessionStart picks a longer name when another live session holds the short one", async () => {
  await using s = await tempStore();
  await must(s, ["register", "--agent", AGENT, "--session-id", "someone-else"]);
  const r = await s.track(["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "claude-5c1f0e2a93b44d7e");
  // Later hooks of this session resolve to the same longer name.
  await must(s, ["hook", "claude", "post-tool-use"], {
    stdin: hookInput(s.root, "PostToolUse", { tool_name: "Bash", tool_input: { command: "ls" } }),
  });
  const end = await s.track(["hook", "claude", "session-end"], {
    stdin: hookInput(s.root, "SessionEnd", { reason: "other" }),
  });
  assertEquals(end.code, 0, end.stderr);
  const agents = await s.json<{ agents: AgentJson[] }>(["agents"]);
  assertEquals(agents.agents.map((a) => a.id), [AGENT]);
});

Deno.test("PostToolUse heartbeats the session's agent and prints nothing", async () => {
  await using s = await tempStore();
  await must(s, ["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  const before = JSON.parse(s.read(`agents/${AGENT}.json`));
  // Age the heartbeat so the update is visible at second precision.
  before.last_heartbeat = "2020-01-01T00:00:00Z";
  Deno.writeTextFileSync(`${s.dir}/agents/${AGENT}.json`, JSON.stringify(before, null, 2) + "\n");
  const r = await s.track(["hook", "claude", "post-tool-use"], {
    stdin: hookInput(s.root, "PostToolUse", {
      tool_name: "Write",
      tool_input: { file_path: `${s.root}/a.txt`, content: "x" },
      tool_response: { filePath: `${s.root}/a.txt`, success: true },
    }),
  });
  assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
  const after = JSON.parse(s.read(`agents/${AGENT}.json`));
  assert(after.last_heartbeat > "2020-01-01T00:00:00Z");
  assertEquals(after.session_id, SESSION);
});

Deno.test("PreToolUse denies an edit of a path another agent reserved, naming holder and ticket", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Lexer"]);
  await must(s, ["claim", "T-0001", "--agent", "agent-bravo"]);
  await must(s, ["files", "--add", "src/lexer/", "--agent", "agent-bravo", "--ticket", "T-0001"]);
  const deny = await s.track(["hook", "claude", "pre-tool-use"], {
    stdin: hookInput(s.root, "PreToolUse", {
      tool_name: "Edit",
      tool_input: { file_path: `${s.root}/src/lexer/scan.ts`, old_string: "a", new_string: "b" },
    }),
  });
  assertEquals(deny.code, 0, deny.stderr);
  const out = JSON.parse(deny.stdout).hookSpecificOutput;
  assertEquals(out.hookEventName, "PreToolUse");
  assertEquals(out.permissionDecision, "deny");
  assertStringIncludes(out.permissionDecisionReason, `"agent-bravo"`);
  assertStringIncludes(out.permissionDecisionReason, "T-0001");
  assertStringIncludes(out.permissionDecisionReason, "src/lexer/scan.ts");
  // PreToolUse runs for every tool now: reading (or grepping) a reserved file is never denied.
  for (const tool_name of ["Read", "Grep", "Bash"]) {
    const read = await s.track(["hook", "claude", "pre-tool-use"], {
      stdin: hookInput(s.root, "PreToolUse", {
        tool_name,
        tool_input: { file_path: `${s.root}/src/lexer/scan.ts`, path: "src/lexer" },
      }),
    });
    assertEquals([read.code, read.stdout], [0, ""], `${tool_name}: ${read.stderr}`);
  }
  // A free path, a relative path elsewhere, and a path outside the repository: allowed silently.
  for (
    const file_path of [`${s.root}/src/parser.ts`, "docs/x.md", "/etc/hosts"]
  ) {
    const allow = await s.track(["hook", "claude", "pre-tool-use"], {
      stdin: hookInput(s.root, "PreToolUse", { tool_name: "Write", tool_input: { file_path } }),
    });
    assertEquals([allow.code, allow.stdout], [0, ""], file_path);
  }
});

Deno.test("PreToolUse judges the file itself: brackets are literal, **/*.md holds only Markdown", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Routes"]);
  await must(s, ["claim", "T-0001", "--agent", "agent-bravo"]);
  await must(s, ["files", "--add", "app/**", "**/*.md", "--agent", "agent-bravo", "--ticket", "1"]);
  const edit = (file_path: string) =>
    s.track(["hook", "claude", "pre-tool-use"], {
      stdin: hookInput(s.root, "PreToolUse", { tool_name: "Write", tool_input: { file_path } }),
    });
  // A new Next.js route: the file does not exist yet, its brackets are part of its name.
  const route = await edit(`${s.root}/app/[id]/page.tsx`);
  assertEquals(route.code, 0, route.stderr);
  assertEquals(JSON.parse(route.stdout).hookSpecificOutput.permissionDecision, "deny");
  assertStringIncludes(route.stdout, "app/[id]/page.tsx");
  const md = await edit(`${s.root}/docs/guide.md`);
  assertEquals(JSON.parse(md.stdout).hookSpecificOutput.permissionDecision, "deny");
  const code = await edit(`${s.root}/src/app.ts`);
  assertEquals([code.code, code.stdout], [0, ""], "src/app.ts is not Markdown");
});

Deno.test("PreToolUse allows the holder itself to edit its reserved path", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Lexer"]);
  await must(s, ["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  await must(s, ["claim", "T-0001", "--agent", AGENT]);
  await must(s, ["files", "--add", "src/lexer/", "--agent", AGENT, "--ticket", "T-0001"]);
  const r = await s.track(["hook", "claude", "pre-tool-use"], {
    stdin: hookInput(s.root, "PreToolUse", {
      tool_name: "MultiEdit",
      tool_input: { file_path: `${s.root}/src/lexer/a.ts`, edits: [] },
    }),
  });
  assertEquals([r.code, r.stdout], [0, ""]);
});

Deno.test("SessionEnd deregisters the agent and returns its tickets to the backlog", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Lexer"]);
  await must(s, ["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  await must(s, ["claim", "T-0001", "--agent", AGENT]);
  await must(s, ["files", "--add", "src", "--agent", AGENT, "--ticket", "T-0001"]);
  const r = await s.track(["hook", "claude", "session-end"], {
    stdin: hookInput(s.root, "SessionEnd", { reason: "prompt_input_exit" }),
  });
  assertEquals(r.code, 0, r.stderr);
  const t = await s.json<{ ticket: { status: string; claimed_by: string | null } }>([
    "show",
    "T-0001",
  ]);
  assertEquals([t.ticket.status, t.ticket.claimed_by], ["backlog", null]);
  const all = await s.json<{ agents: AgentJson[] }>(["agents", "--all"]);
  assertEquals(all.agents.map((a) => [a.id, a.status]), [[AGENT, "deregistered"]]);
  const res = await s.json<{ reservations: unknown[] }>(["files", "--list"]);
  assertEquals(res.reservations, []);
});

Deno.test("hooks do nothing outside a track project and never block on bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { runTrack } = await import("./helpers.ts");
    for (const event of ["session-start", "pre-tool-use", "post-tool-use", "session-end"]) {
      const r = await runTrack(["hook", "claude", event], { cwd: dir, stdin: "{}" });
      assertEquals([r.code, r.stdout], [0, ""], event);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await using s = await tempStore();
  const r = await s.track(["hook", "claude", "post-tool-use"], { stdin: "not json" });
  assertEquals([r.code, r.stdout], [0, ""]);
});

Deno.test("hooks install --claude merges into settings.json; uninstall removes only ours", async () => {
  await using s = await tempStore();
  const path = `${s.root}/.claude/settings.json`;
  Deno.mkdirSync(`${s.root}/.claude`);
  const user = {
    permissions: { allow: ["Bash(npm test)"] },
    hooks: {
      PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./guard.sh" }] }],
    },
  };
  Deno.writeTextFileSync(path, JSON.stringify(user, null, 2) + "\n");
  const r = await s.track(["hooks", "install", "--claude", "--command", "track"]);
  assertEquals(r.code, 0, r.stderr);
  const once = Deno.readTextFileSync(path);
  const settings = JSON.parse(once);
  assertEquals(settings.permissions, user.permissions);
  assertEquals(settings.hooks.PreToolUse[0], user.hooks.PreToolUse[0]);
  // Every tool: edits are checked, long calls are recorded as busy.
  assertEquals(settings.hooks.PreToolUse[1].matcher, "*");
  for (
    const [event, arg] of [
      ["PostToolUseFailure", "post-tool-use-failure"],
      ["UserPromptSubmit", "user-prompt-submit"],
      ["Notification", "notification"],
      ["PermissionRequest", "permission-request"],
      ["Stop", "stop"],
      ["PreCompact", "pre-compact"],
    ]
  ) assertEquals(settings.hooks[event][0].hooks[0].command, `track hook claude ${arg}`);
  assertEquals(
    settings.hooks.SessionStart[0].hooks[0].command,
    "track hook claude session-start",
  );
  assertEquals(settings.hooks.PostToolUse[0].hooks[0].command, "track hook claude post-tool-use");
  assertEquals(settings.hooks.SessionEnd[0].hooks[0].command, "track hook claude session-end");
  // Idempotent.
  const again = await s.json<{ claude: { action: string } }>([
    "hooks",
    "install",
    "--claude",
    "--command",
    "track",
  ]);
  assertEquals(again.claude.action, "unchanged");
  assertEquals(Deno.readTextFileSync(path), once);
  const un = await s.track(["hooks", "uninstall", "--claude"]);
  assertEquals(un.code, 0, un.stderr);
  assertEquals(JSON.parse(Deno.readTextFileSync(path)), user);
});

Deno.test("hooks install refuses a settings.json that is not JSON and leaves it alone", async () => {
  await using s = await tempStore();
  Deno.mkdirSync(`${s.root}/.claude`);
  Deno.writeTextFileSync(`${s.root}/.claude/settings.json`, "{ nope");
  const r = await s.track(["hooks", "install", "--claude"]);
  assertEquals(r.code, 6);
  assertStringIncludes(r.stderr, "settings.json");
  assertEquals(Deno.readTextFileSync(`${s.root}/.claude/settings.json`), "{ nope");
});

Deno.test("the installed hook commands run track from a clone", async () => {
  await using s = await tempStore();
  await must(s, ["hooks", "install", "--claude"]);
  const settings = JSON.parse(Deno.readTextFileSync(`${s.root}/.claude/settings.json`));
  const command: string = settings.hooks.SessionStart[0].hooks[0].command;
  const r = await testCommand("sh", {
    args: ["-c", command],
    cwd: s.root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = r.stdin.getWriter();
  await w.write(new TextEncoder().encode(hookInput(s.root, "SessionStart", { source: "startup" })));
  await w.close();
  const out = await r.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertStringIncludes(new TextDecoder().decode(out.stdout), AGENT);
});

Deno.test("PostToolUse leaves a heartbeat younger than 10 s alone (no lock, no write)", async () => {
  await using s = await tempStore();
  await must(s, ["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  // A heartbeat stamped a minute ahead (within the tolerance for clock skew) is "younger than
  // 10 s" for the next minute, whatever the test's pace.
  const record = JSON.parse(s.read(`agents/${AGENT}.json`));
  record.last_heartbeat = new Date(Date.now() + 60_000).toISOString().slice(0, 19) + "Z";
  const before = JSON.stringify(record, null, 2) + "\n";
  Deno.writeTextFileSync(`${s.dir}/agents/${AGENT}.json`, before);
  const r = await s.track(["hook", "claude", "post-tool-use"], {
    stdin: hookInput(s.root, "PostToolUse", { tool_name: "Read", tool_input: { file_path: "x" } }),
  });
  assertEquals([r.code, r.stdout, r.stderr], [0, "", ""]);
  assertEquals(s.read(`agents/${AGENT}.json`), before);
});

Deno.test("PostToolUse rewrites a heartbeat dated far in the future (it would pin the agent)", async () => {
  await using s = await tempStore();
  const start = await s.track(["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
  assertEquals(start.code, 0, start.stderr);
  const record = JSON.parse(s.read(`agents/${AGENT}.json`));
  record.last_heartbeat = "2999-01-01T00:00:00Z";
  Deno.writeTextFileSync(`${s.dir}/agents/${AGENT}.json`, JSON.stringify(record, null, 2) + "\n");
  const r = await s.track(["hook", "claude", "post-tool-use"], {
    stdin: hookInput(s.root, "PostToolUse", { tool_name: "Read", tool_input: { file_path: "x" } }),
  });
  assertEquals(r.code, 0, r.stderr);
  const after = JSON.parse(s.read(`agents/${AGENT}.json`));
  assertEquals(Number(after.last_heartbeat.slice(0, 4)), new Date().getUTCFullYear());
});

Deno.test("PreToolUse denies editing track's own state files", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Lexer"]);
  const r = await s.track(["hook", "claude", "pre-tool-use"], {
    stdin: hookInput(s.root, "PreToolUse", {
      tool_name: "Edit",
      tool_input: { file_path: ".track/tickets/T-0001.md", old_string: "a", new_string: "b" },
    }),
  });
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout).hookSpecificOutput;
  assertEquals(out.permissionDecision, "deny");
  assertStringIncludes(out.permissionDecisionReason, ".track/tickets/T-0001.md");
  assertStringIncludes(out.permissionDecisionReason, "only through track commands");
});

Deno.test("sessions starting at once get distinct identities, even with a shared id prefix", async () => {
  await using s = await tempStore();
  const ids = [
    "abcdef01-0000-4000-8000-000000000001",
    "abcdef01-0000-4000-8000-000000000002",
    "12345678-0000-4000-8000-000000000003",
  ];
  // Every hook process blocks on stdin until all are spawned; then all inputs go out together.
  const children = ids.map(() =>
    testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "hook", "claude", "session-start"],
      cwd: s.root,
      env: { NO_COLOR: "1", TRACK_AGENT: "" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  await Promise.all(children.map(async (c, i) => {
    const w = c.stdin.getWriter();
    await w.write(new TextEncoder().encode(JSON.stringify({
      session_id: ids[i],
      cwd: s.root,
      hook_event_name: "SessionStart",
      source: "startup",
    })));
    await w.close();
  }));
  const outs = await Promise.all(children.map((c) => c.output()));
  for (const o of outs) assertEquals(o.code, 0, new TextDecoder().decode(o.stderr));
  const agents = await s.json<{ agents: AgentJson[] }>(["agents"]);
  assertEquals(agents.agents.length, 3);
  assertEquals(new Set(agents.agents.map((a) => a.session_id)), new Set(ids));
  for (const a of agents.agents) {
    const clean = a.session_id!.replace(/-/g, "");
    assert(a.id === `claude-${clean.slice(0, 8)}` || a.id === `claude-${clean.slice(0, 16)}`);
  }
});
