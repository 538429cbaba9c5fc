/**
 * Liveness from the Claude Code hooks (docs/agents.md "Liveness", "Waiting for you"): real hook
 * payload shapes driven through `track hook claude …` from inside a process named `claude` (a
 * link to /bin/sh, so /proc shows what Claude Code's own process shows), then `stale --reclaim`.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, type TempStore, tempStore, testCommand } from "./helpers.ts";

const SESSION = "7d2a9c4e-5b1f-4e8a-9c3d-2f6b8a0e1d4c";
const AGENT = "claude-7d2a9c4e";
const linux = Deno.build.os === "linux";

function payload(root: string, event: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: SESSION,
    transcript_path: `${root}/transcript.jsonl`,
    cwd: root,
    permission_mode: "default",
    hook_event_name: event,
    ...extra,
  });
}

/**
 * A stand-in for the Claude Code process: a shell started as `claude` that runs each hook
 * command it is sent (as Claude Code does) and stays alive between them, until killed.
 */
class FakeClaude implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  #n = 0;
  constructor(private s: TempStore) {
    const bin = `${s.root}/bin`;
    Deno.mkdirSync(bin, { recursive: true });
    Deno.symlinkSync("/bin/sh", `${bin}/claude`);
    this.#child = testCommand(`${bin}/claude`, {
      args: ["-s"],
      cwd: s.root,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TransformStream<string, string>({
        buf: "",
        transform(chunk, c) {
          // deno-lint-ignore no-explicit-any
          const self = this as any;
          self.buf = (self.buf ?? "") + chunk;
          const parts: string[] = self.buf.split("\n");
          self.buf = parts.pop();
          for (const p of parts) c.enqueue(p);
        },
      } as Transformer<string, string>),
    )[Symbol.asyncIterator]();
  }
  get pid(): number {
    return this.#child.pid;
  }
  /** Runs `track hook claude <event>` with `input` on stdin; returns its exit code and stdout. */
  async hook(event: string, input: string): Promise<{ code: number; stdout: string }> {
    const n = ++this.#n;
    const inFile = `${this.s.root}/hook-in-${n}.json`;
    const outFile = `${this.s.root}/hook-out-${n}.txt`;
    Deno.writeTextFileSync(inFile, input);
    const cmd = `'${Deno.execPath()}' run -A --quiet '${MAIN}' hook claude ${event} ` +
      `< '${inFile}' > '${outFile}'; echo "done ${n} $?"\n`;
    await this.#writer.write(new TextEncoder().encode(cmd));
    for (;;) {
      const { value, done } = await this.#lines.next();
      if (done) throw new Error("the fake claude process ended");
      const m = /^done (\d+) (\d+)$/.exec(value);
      if (m && Number(m[1]) === n) {
        return { code: Number(m[2]), stdout: Deno.readTextFileSync(outFile) };
      }
    }
  }
  /** Kills the process (SIGKILL: no SessionEnd) and waits until it is gone. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.status;
  }
  async [Symbol.asyncDispose]() {
    await this.kill();
    await this.#child.stdout.cancel().catch(() => {});
  }
}

interface AgentRow {
  id: string;
  status: string;
  busy: Array<{ id: string | null; tool: string; what: string; since: string }>;
  waiting: { kind: string; reason: string; since: string } | null;
}

async function agentRow(s: TempStore): Promise<AgentRow> {
  const { agents } = await s.json<{ agents: AgentRow[] }>(["agents", "--all"]);
  return agents.find((a) => a.id === AGENT)!;
}

/** A session that started, claimed T-0001 and is inside a long Bash call. */
async function busySession(s: TempStore, claude: FakeClaude): Promise<void> {
  const start = await claude.hook(
    "session-start",
    payload(s.root, "SessionStart", { source: "startup" }),
  );
  assertEquals(start.code, 0);
  assertEquals((await s.track(["create", "--title", "Build"])).code, 0);
  assertEquals((await s.track(["claim", "T-0001", "--agent", AGENT])).code, 0);
  const pre = await claude.hook(
    "pre-tool-use",
    payload(s.root, "PreToolUse", {
      tool_name: "Bash",
      tool_input: { command: "npm run build:all", description: "Full build" },
      tool_use_id: "toolu_01BUILD",
    }),
  );
  assertEquals(pre.code, 0);
}

async function ticketStatus(s: TempStore): Promise<string> {
  return (await s.json<{ ticket: { status: string } }>(["show", "T-0001"])).ticket.status;
}

Deno.test({
  name: "a busy agent whose Claude Code process is alive is never reclaimed, at any threshold",
  ignore: !linux,
  async fn() {
    await using s = await tempStore();
    await using claude = new FakeClaude(s);
    await busySession(s, claude);
    const row = await agentRow(s);
    assertEquals(row.busy.map((b) => [b.id, b.tool, b.what]), [[
      "toolu_01BUILD",
      "Bash",
      "npm run build:all",
    ]]);
    const record = JSON.parse(s.read(`agents/${AGENT}.json`));
    assertEquals(record.process.pid, claude.pid, "the claude process, found through the parents");
    // 45 minutes and 30 days into the build, with the tightest threshold.
    for (const uptime of ["+2700000", "+2592000000"]) {
      const r = await s.track(["stale", "--reclaim", "--threshold", "1s", "--json"], {
        clock: { now: uptime, uptime },
      });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout).reclaimed, []);
    }
    assertEquals(await ticketStatus(s), "claimed");
    // 45 minutes in: `agents` shows it busy, not "no heartbeat"; prime shows it to others.
    const text = await s.track(["agents"], { clock: { now: "+2700000", uptime: "+2700000" } });
    assertStringIncludes(text.stdout, "busy: Bash npm run build:all");
    assertStringIncludes(text.stdout, "(45m)");
    assert(!text.stdout.includes("no heartbeat"), text.stdout);
    const prime = await s.track(["prime", "--agent", "someone-else"]);
    assertStringIncludes(prime.stdout, `Others now: ${AGENT} busy: Bash npm run build:all`);
    // PostToolUse ends the call: no longer busy, so the threshold applies again.
    const post = await claude.hook(
      "post-tool-use",
      payload(s.root, "PostToolUse", {
        tool_name: "Bash",
        tool_input: { command: "npm run build:all" },
        tool_response: { stdout: "ok", stderr: "", interrupted: false },
        tool_use_id: "toolu_01BUILD",
      }),
    );
    assertEquals(post.code, 0);
    assertEquals((await agentRow(s)).busy, []);
    const r = await s.track(["stale", "--reclaim", "--json"], {
      clock: { now: "+2700000", uptime: "+2700000" },
    });
    assertEquals(JSON.parse(r.stdout).reclaimed.map((x: { agent: string }) => x.agent), [AGENT]);
  },
});

Deno.test({
  name:
    "an agent whose Claude Code process was killed is reclaimed after a minute, not the threshold",
  ignore: !linux,
  async fn() {
    await using s = await tempStore();
    const claude = new FakeClaude(s);
    await busySession(s, claude);
    await claude.kill(); // no SessionEnd
    // Within the grace (a resumed session's SessionStart may still come): kept.
    const early = await s.json<{ reclaimed: unknown[] }>(["stale", "--reclaim"]);
    assertEquals(early.reclaimed, []);
    // 61 s later, far below the 30m threshold: reclaimed, and it says why.
    const r = await s.track(["stale", "--reclaim", "--json"], {
      clock: { now: "+61000", uptime: "+61000" },
    });
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout).reclaimed;
    assertEquals(
      out.map((x: { agent: string; process_gone: boolean; tickets: string[] }) => [
        x.agent,
        x.process_gone,
        x.tickets,
      ]),
      [[AGENT, true, ["T-0001"]]],
    );
    assertEquals(await ticketStatus(s), "backlog");
    const row = await agentRow(s);
    assertEquals([row.status, row.busy, row.waiting], ["stale", [], null]);
    await claude[Symbol.asyncDispose]();
  },
});

Deno.test({
  name: "a pid reused by another process counts as gone (recorded start time differs)",
  ignore: !linux,
  async fn() {
    await using s = await tempStore();
    await using claude = new FakeClaude(s);
    await busySession(s, claude);
    // The same pid, started at another time: what a reused pid looks like.
    const path = `${s.dir}/agents/${AGENT}.json`;
    const record = JSON.parse(Deno.readTextFileSync(path));
    record.process.start += 1;
    Deno.writeTextFileSync(path, JSON.stringify(record, null, 2) + "\n");
    const r = await s.track(["stale", "--reclaim", "--json"], {
      clock: { now: "+61000", uptime: "+61000" },
    });
    assertEquals(JSON.parse(r.stdout).reclaimed.map((x: { agent: string }) => x.agent), [AGENT]);
  },
});

Deno.test("Notification, PermissionRequest and Stop mark 'waiting for you'; the next call or prompt clears it", async () => {
  await using s = await tempStore();
  const hook = async (event: string, name: string, extra: Record<string, unknown> = {}) => {
    const r = await s.track(["hook", "claude", event], { stdin: payload(s.root, name, extra) });
    assertEquals(r.code, 0, r.stderr);
    return r;
  };
  await hook("session-start", "SessionStart", { source: "startup" });
  assertEquals((await agentRow(s)).waiting, null);
  // PreToolUse (a long tool), then Claude Code asks for permission.
  await hook("pre-tool-use", "PreToolUse", {
    tool_name: "Bash",
    tool_input: { command: "rm -rf build/" },
    tool_use_id: "toolu_02RM",
  });
  await hook("permission-request", "PermissionRequest", {
    tool_name: "Bash",
    tool_input: { command: "rm -rf build/", description: "Clean the build" },
    permission_suggestions: [],
  });
  let row = await agentRow(s);
  assertEquals([row.waiting?.kind, row.waiting?.reason], [
    "permission",
    "permission for Bash: rm -rf build/",
  ]);
  const since = row.waiting!.since;
  // The permission notification that follows keeps the state (and its start).
  await hook("notification", "Notification", {
    message: "Claude needs your permission to use Bash",
    notification_type: "permission_prompt",
  });
  row = await agentRow(s);
  assertEquals([row.waiting?.kind, row.waiting?.reason], [
    "permission",
    "Claude needs your permission to use Bash",
  ]);
  const waitingOnly = await s.json<{ agents: AgentRow[] }>(["agents", "--waiting"]);
  assertEquals(waitingOnly.agents.map((a) => a.id), [AGENT]);
  const text = await s.track(["agents", "--waiting"]);
  assertStringIncludes(text.stdout, "waiting for you: Claude needs your permission to use Bash");
  assert(since <= row.waiting!.since);
  // Approved: the tool ran, its PostToolUse clears both the call and the waiting.
  await hook("post-tool-use", "PostToolUse", {
    tool_name: "Bash",
    tool_input: { command: "rm -rf build/" },
    tool_response: { stdout: "", stderr: "", interrupted: false },
    tool_use_id: "toolu_02RM",
  });
  row = await agentRow(s);
  assertEquals([row.waiting, row.busy], [null, []]);
  assertEquals((await s.json<{ agents: AgentRow[] }>(["agents", "--waiting"])).agents, []);
  // Turn over: Stop marks it finished; idle notification; a prompt clears it.
  await hook("stop", "Stop", { stop_hook_active: false });
  assertEquals((await agentRow(s)).waiting?.kind, "finished");
  await hook("notification", "Notification", {
    message: "Claude is waiting for your input",
    notification_type: "idle_prompt",
  });
  assertEquals((await agentRow(s)).waiting?.kind, "idle");
  await hook("notification", "Notification", {
    message: "Authenticated",
    notification_type: "auth_success",
  });
  assertEquals((await agentRow(s)).waiting?.kind, "idle", "auth_success is nothing to answer");
  await hook("user-prompt-submit", "UserPromptSubmit", { prompt: "go on" });
  assertEquals((await agentRow(s)).waiting, null);
  // A quick tool call clears it too (the agent works again).
  await hook("stop", "Stop", { stop_hook_active: false });
  await hook("pre-tool-use", "PreToolUse", {
    tool_name: "Read",
    tool_input: { file_path: `${s.root}/README.md` },
    tool_use_id: "toolu_03RD",
  });
  row = await agentRow(s);
  assertEquals([row.waiting, row.busy], [null, []], "Read is quick: not recorded as busy");
});

Deno.test("PreCompact notes what the agent was doing; SessionStart after compaction brings it back", async () => {
  await using s = await tempStore();
  const hook = async (event: string, name: string, extra: Record<string, unknown> = {}) => {
    const r = await s.track(["hook", "claude", event], { stdin: payload(s.root, name, extra) });
    assertEquals(r.code, 0, r.stderr);
    return r;
  };
  await hook("session-start", "SessionStart", { source: "startup" });
  assertEquals((await s.track(["create", "--title", "Parser"])).code, 0);
  assertEquals((await s.track(["claim", "T-0001", "--agent", AGENT])).code, 0);
  // The transcript as Claude Code writes it: one JSON message per line.
  const lines = [
    { type: "user", message: { role: "user", content: "fix the parser" } },
    {
      type: "assistant",
      message: {
        role: "assistant",
        content: [
          { type: "text", text: "The tokenizer drops the last token; adding a test first." },
          {
            type: "tool_use",
            id: "toolu_9",
            name: "Bash",
            input: { command: "deno test parser_test.ts" },
          },
        ],
      },
    },
  ];
  Deno.writeTextFileSync(
    `${s.root}/transcript.jsonl`,
    lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
  );
  await hook("pre-compact", "PreCompact", {
    trigger: "manual",
    custom_instructions: "keep the test plan",
  });
  const shown = await s.json<{ ticket: { log: Array<{ agent: string; message: string }> } }>([
    "show",
    "T-0001",
  ]);
  const note = shown.ticket.log.at(-1)!;
  assertEquals(note.agent, AGENT);
  assertEquals(
    note.message,
    'before compaction (manual): last said "The tokenizer drops the last token; adding a test first."; ' +
      'last tool Bash deno test parser_test.ts; /compact asked "keep the test plan"',
  );
  const after = await hook("session-start", "SessionStart", { source: "compact" });
  const ctx: string = JSON.parse(after.stdout).hookSpecificOutput.additionalContext;
  assertStringIncludes(ctx, "Your context was just compacted");
  assertStringIncludes(ctx, `T-0001: ${note.message}`);
  // A plain resume does not repeat it.
  const resume = await hook("session-start", "SessionStart", { source: "resume" });
  assert(!resume.stdout.includes("compacted"));
});

Deno.test({
  name:
    "waiting_webhook: one JSON POST on entering 'waiting', debounced per agent; a hung listener never fails the hook",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using s = await tempStore();
    const received: Array<Record<string, unknown>> = [];
    let hang = false;
    let release = () => {};
    const hung = new Promise<void>((r) => release = r);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        received.push({
          method: req.method,
          type: req.headers.get("content-type"),
          body: await req.json(),
        });
        if (hang) await hung; // answers only when the test ends
        return new Response("ok");
      },
    );
    try {
      const config = JSON.parse(s.read("config.json"));
      config.waiting_webhook = `http://127.0.0.1:${server.addr.port}/track`;
      Deno.writeTextFileSync(`${s.dir}/config.json`, JSON.stringify(config, null, 2) + "\n");
      const hook = async (
        event: string,
        name: string,
        extra: Record<string, unknown> = {},
        clock?: { now: string; uptime: string },
      ) => {
        const r = await s.track(["hook", "claude", event], {
          stdin: payload(s.root, name, extra),
          clock,
        });
        assertEquals(r.code, 0, r.stderr);
        return r;
      };
      await hook("session-start", "SessionStart", { source: "startup" });
      assertEquals((await s.track(["create", "--title", "Deploy"])).code, 0);
      assertEquals((await s.track(["claim", "T-0001", "--agent", AGENT])).code, 0);
      await hook("permission-request", "PermissionRequest", {
        tool_name: "Bash",
        tool_input: { command: "kubectl apply -f prod.yaml" },
      });
      assertEquals(received.length, 1);
      const first = received[0];
      assertEquals([first.method, first.type], ["POST", "application/json"]);
      const body = first.body as Record<string, unknown>;
      assertEquals(
        [body.event, body.agent, body.kind, body.reason, body.tickets],
        ["waiting", AGENT, "permission", "permission for Bash: kubectl apply -f prod.yaml", [
          "T-0001",
        ]],
      );
      // Still waiting (the notification that follows): no second POST.
      await hook("notification", "Notification", {
        message: "Claude needs your permission to use Bash",
        notification_type: "permission_prompt",
      });
      // Answered, then waiting again within the minute: debounced.
      await hook("post-tool-use", "PostToolUse", { tool_name: "Bash", tool_input: {} });
      await hook("stop", "Stop", { stop_hook_active: false });
      assertEquals(received.length, 1, "one POST per agent per minute");
      // A minute later: announced again.
      await hook("user-prompt-submit", "UserPromptSubmit", { prompt: "next" });
      const later = { now: "+61000", uptime: "+61000" };
      await hook("stop", "Stop", { stop_hook_active: false }, later);
      assertEquals(received.length, 2);
      assertEquals((received[1].body as Record<string, unknown>).kind, "finished");
      // A listener that never answers: the hook gives up after its timeout and still succeeds.
      hang = true;
      await hook("user-prompt-submit", "UserPromptSubmit", { prompt: "go" }, later);
      const r = await hook("stop", "Stop", { stop_hook_active: false }, {
        now: "+125000",
        uptime: "+125000",
      });
      assertEquals(received.length, 3);
      assertStringIncludes(r.stderr, "no answer within");
      assertEquals((await agentRow(s)).waiting?.kind, "finished", "the state was written first");
    } finally {
      release();
      await server.shutdown();
    }
  },
});
