/**
 * Messages that reach the right agent: directed posts, threads, acknowledgements, `track inbox`,
 * events delivered to the agent they concern, and the Claude Code hooks putting unread messages
 * in the agent's context (recorded hook payload shapes on stdin, the real CLI).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  claudeHookInput,
  type RunOptions,
  snapshot,
  type TempStore,
  tempStore,
} from "./helpers.ts";

async function must(s: TempStore, args: string[], options?: RunOptions) {
  const r = await s.track(args, options);
  assertEquals(r.code, 0, `setup: track ${args.join(" ")}: ${r.stderr}`);
  return r;
}

interface Msg {
  id: string;
  agent: string;
  tag: string;
  kind: string;
  message: string;
  to: string[];
  reply_to: string | null;
  ack: boolean;
  read: boolean;
  acked: boolean;
}
interface Inbox {
  agent: string;
  unread: number;
  messages: Msg[];
}

async function post(s: TempStore, args: string[]): Promise<string> {
  const r = await s.json<{ entry: { id: string } }>(["board", ...args]);
  return r.entry.id;
}

function inbox(s: TempStore, agent: string, ...flags: string[]): Promise<Inbox> {
  return s.json<Inbox>(["inbox", "--agent", agent, ...flags]);
}

Deno.test("board --to reaches only the addressee's inbox; an unknown addressee gets a warning; bad input changes nothing", async () => {
  await using s = await tempStore();
  for (const a of ["agent-a", "agent-b", "agent-c"]) await must(s, ["register", "--agent", a]);
  const id = await post(s, [
    "--agent",
    "agent-a",
    "--to",
    "agent-b",
    "-m",
    "Your turn on the parser",
  ]);
  const b = await inbox(s, "agent-b");
  assertEquals(b.unread, 1);
  assertEquals(b.messages.map((m) => [m.id, m.agent, m.to, m.message]), [
    [id, "agent-a", ["agent-b"], "Your turn on the parser"],
  ]);
  assertEquals((await inbox(s, "agent-c")).messages, [], "not addressed to agent-c");
  assertEquals((await inbox(s, "agent-a")).messages, [], "the author is not its own recipient");
  // The post is an ordinary board entry too: everyone reading the board sees it.
  const board = await s.json<{ entries: Msg[] }>(["board"]);
  assert(board.entries.some((e) => e.id === id && e.to[0] === "agent-b"));

  // An addressee nobody has registered as: posted (it may start later), with a warning naming
  // the nearest registered agent, as for an unregistered acting agent.
  const r = await s.track(["board", "--agent", "agent-a", "--to", "agent-bb", "-m", "typo?"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(
    r.stderr,
    'warning: agent "agent-bb" is not registered (did you mean "agent-b"?)',
  );
  assertEquals((await inbox(s, "agent-bb")).messages.map((m) => m.message), ["typo?"]);
  const before = snapshot(s.dir);
  const bad = await s.track(["board", "--agent", "agent-a", "--to", "../x", "-m", "x"]);
  assertEquals(bad.code, 2, bad.stderr);
  const noPost = await s.track(["board", "--to", "agent-b"]);
  assertEquals(noPost.code, 2, noPost.stderr);
  assertStringIncludes(noPost.stderr, "go with a post");
  assertEquals(snapshot(s.dir), before, "refused posts change nothing");
  // The person is always a valid addressee.
  await post(s, ["--agent", "agent-a", "--to", "human", "-m", "Need a decision on the API"]);
  assertEquals((await inbox(s, "human")).messages.map((m) => m.message), [
    "Need a decision on the API",
  ]);
});

Deno.test("--reply-to forms a thread that reaches the asker; --ack waits for track ack, which tells the author", async () => {
  await using s = await tempStore();
  for (const a of ["agent-a", "agent-b"]) await must(s, ["register", "--agent", a]);
  const q = await post(s, [
    "--agent",
    "agent-a",
    "--to",
    "agent-b",
    "--ack",
    "-m",
    "Who owns auth?",
  ]);
  const answer = await post(s, ["--agent", "agent-b", "--reply-to", q, "-m", "I do"]);
  const a = await inbox(s, "agent-a");
  assertEquals(a.messages.map((m) => [m.id, m.reply_to, m.message]), [[answer, q, "I do"]]);
  // --mark-read leaves a post that asks for an acknowledgement unread.
  const marked = await s.json<{ marked_read: string[] }>([
    "inbox",
    "--agent",
    "agent-b",
    "--mark-read",
  ]);
  assertEquals(marked.marked_read, []);
  assertEquals((await inbox(s, "agent-b")).messages.map((m) => [m.id, m.ack]), [[q, true]]);
  const acked = await s.json<{ acked: boolean; notice: { to: string[] } }>([
    "ack",
    q,
    "--agent",
    "agent-b",
  ]);
  assertEquals([acked.acked, acked.notice.to], [true, ["agent-a"]]);
  assertEquals((await inbox(s, "agent-b")).messages, []);
  const all = await inbox(s, "agent-b", "--all");
  assertEquals(all.messages.map((m) => [m.id, m.read, m.acked]), [[q, true, true]]);
  // The author hears of the acknowledgement.
  const told = await inbox(s, "agent-a");
  assertEquals(told.messages.map((m) => [m.tag, m.reply_to]), [["note", q], ["acked", q]]);
  // Acknowledging twice changes nothing; a message that does not exist is exit 4, a bad id 2.
  const before = snapshot(s.dir);
  assertEquals((await s.json<{ acked: boolean }>(["ack", q, "--agent", "agent-b"])).acked, false);
  assertEquals(snapshot(s.dir), before);
  const missing = await s.track(["ack", "2026-01-01/000000000-0000-zz", "--agent", "agent-b"]);
  assertEquals(missing.code, 4, missing.stderr);
  const bad = await s.track(["ack", "nonsense", "--agent", "agent-b"]);
  assertEquals(bad.code, 2, bad.stderr);
  const badReply = await s.track(["board", "--agent", "agent-b", "--reply-to", "x", "-m", "y"]);
  assertEquals(badReply.code, 2, badReply.stderr);
  // The post itself was never edited: read and ack state live in the inbox records.
  assertEquals(
    Object.keys(JSON.parse(s.read("inbox/agent-b.json"))),
    ["schema", "agent", "messages", "delivered", "read", "acked"],
  );
});

Deno.test("inbox lists unread first (oldest first), then with --all the read ones (newest first)", async () => {
  await using s = await tempStore();
  for (const a of ["agent-a", "agent-b"]) await must(s, ["register", "--agent", a]);
  const ids: string[] = [];
  for (const m of ["one", "two", "three", "four"]) {
    ids.push(await post(s, ["--agent", "agent-a", "--to", "agent-b", "-m", m]));
  }
  await must(s, ["ack", ids[0], "--agent", "agent-b"]);
  await must(s, ["ack", ids[2], "--agent", "agent-b"]);
  assertEquals((await inbox(s, "agent-b")).messages.map((m) => m.message), ["two", "four"]);
  assertEquals((await inbox(s, "agent-b", "--all")).messages.map((m) => [m.message, m.read]), [
    ["two", false],
    ["four", false],
    ["three", true],
    ["one", true],
  ]);
  const text = await s.track(["inbox", "--agent", "agent-b", "--mark-read"]);
  assertEquals(text.code, 0, text.stderr);
  assert(text.stdout.indexOf("two") < text.stdout.indexOf("four"));
  assertStringIncludes(text.stdout, ids[1]);
  assertEquals((await inbox(s, "agent-b")).messages, [], "--mark-read marked them");
});

Deno.test("events reach the agent they concern: reclaimed, forced, moved by a person, a dependency done, posts about its ticket or paths", async () => {
  await using s = await tempStore();
  for (const t of ["dep", "work", "other", "moved"]) await s.json(["create", "-t", t]);
  await s.json(["update", "2", "--depends-on", "T-0001"]);
  await s.json(["claim", "1", "--agent", "agent-a"]);
  await s.json(["claim", "2", "--agent", "agent-b", "--force"]);
  await s.json(["files", "--add", "src/auth/**", "--ticket", "2", "--agent", "agent-b"]);
  // A dependency done: the holder of the ticket waiting on it is told.
  await s.json(["update", "1", "--status", "done", "--agent", "agent-a", "--force"]);
  // A post about its ticket, and a post naming a path it reserved.
  await post(s, ["--agent", "agent-c", "--ticket", "T-0002", "-m", "How far are you?"]);
  await post(s, ["--agent", "agent-c", "-m", "I need to touch src/auth/token.ts too"]);
  await post(s, ["--agent", "agent-c", "-m", "Nothing to do with anyone (docs/x.md)"]);
  const b = await inbox(s, "agent-b");
  assertEquals(b.messages.map((m) => [m.agent, m.tag, m.kind]), [
    ["agent-a", "status", "event"],
    ["agent-c", "note", "post"],
    ["agent-c", "note", "post"],
  ]);
  assertStringIncludes(b.messages[0].message, "T-0001");
  // Forced out of a claim.
  await s.json(["claim", "3", "--agent", "agent-c"]);
  await s.json(["claim", "3", "--agent", "agent-d", "--force"]);
  const c = await inbox(s, "agent-c");
  assertEquals(c.messages.map((m) => [m.agent, m.tag]), [["agent-d", "claimed"]]);
  // A person moving its ticket (what the dashboard does).
  await s.json(["claim", "4", "--agent", "agent-e"]);
  await s.json(["update", "4", "--status", "backlog", "--force"]);
  const e = await inbox(s, "agent-e");
  assertEquals(e.messages.map((m) => [m.agent, m.tag]), [["human", "status"]]);
  // Reclaimed by stale --reclaim.
  const rec = JSON.parse(s.read("agents/agent-b.json"));
  rec.last_heartbeat = new Date(Date.now() - 45 * 60_000).toISOString().slice(0, 19) + "Z";
  if (rec.heartbeat_clock) rec.heartbeat_clock.uptime_ms -= 45 * 60_000;
  Deno.writeTextFileSync(`${s.dir}/agents/agent-b.json`, JSON.stringify(rec, null, 2) + "\n");
  await s.json(["stale", "--reclaim", "--agent", "agent-z"]);
  const after = await inbox(s, "agent-b");
  assertEquals(after.messages.at(-1)!.tag, "reclaimed");
  assertStringIncludes(after.messages.at(-1)!.message, "T-0002");
});

// ---------------------------------------------------------------------------------------------
// Claude Code hooks

const SESSION = "7d2e9a41-0b6c-4f3e-9a1d-2c3b4d5e6f70";
const AGENT = "claude-7d2e9a41";

function hookInput(root: string, event: string, extra: Record<string, unknown> = {}): string {
  return claudeHookInput(SESSION, root, event, extra);
}

function postToolUse(s: TempStore) {
  return s.track(["hook", "claude", "post-tool-use"], {
    stdin: hookInput(s.root, "PostToolUse", {
      tool_name: "Bash",
      tool_input: { command: "deno test" },
      tool_response: { stdout: "ok", stderr: "", interrupted: false },
    }),
  });
}

/** The context a hook run added, or null when it printed nothing. */
function context(
  r: { code: number; stdout: string; stderr: string },
  event: string,
): string | null {
  assertEquals(r.code, 0, r.stderr);
  if (r.stdout.trim() === "") return null;
  const out = JSON.parse(r.stdout);
  assertEquals(out.hookSpecificOutput.hookEventName, event);
  return out.hookSpecificOutput.additionalContext;
}

async function startSession(s: TempStore): Promise<void> {
  await must(s, ["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "startup" }),
  });
}

Deno.test("a message to a hooked agent appears in its next PostToolUse output exactly once; read ones never", async () => {
  await using s = await tempStore();
  await startSession(s);
  assertEquals(context(await postToolUse(s), "PostToolUse"), null, "nothing waiting: no output");
  const id = await post(s, [
    "--agent",
    "lead",
    "--to",
    AGENT,
    "-m",
    "Please rebase on \x1b[31mmain",
  ]);
  const first = context(await postToolUse(s), "PostToolUse");
  assert(first !== null);
  assertStringIncludes(first, id);
  assertStringIncludes(first, "from lead");
  // Control characters follow the output rule: shown escaped, never raw.
  assertStringIncludes(first, "Please rebase on \\u001b[31mmain");
  assert(!first.includes("\x1b"));
  assertEquals(context(await postToolUse(s), "PostToolUse"), null, "delivered once");
  // Delivered is not read: the inbox still lists it until it is read.
  assertEquals((await inbox(s, AGENT)).messages.map((m) => m.id), [id]);
  // A message read before any tool call is never injected.
  const read = await post(s, ["--agent", "lead", "--to", AGENT, "-m", "already seen"]);
  await must(s, ["inbox", "--agent", AGENT, "--mark-read"]);
  const prompt = await s.track(["hook", "claude", "user-prompt-submit"], {
    stdin: hookInput(s.root, "UserPromptSubmit", { prompt: "go on" }),
  });
  assertEquals(context(prompt, "UserPromptSubmit"), null, `${read} was read`);
  // UserPromptSubmit delivers too.
  await post(s, ["--agent", "lead", "--to", AGENT, "-m", "one more"]);
  const viaPrompt = context(
    await s.track(["hook", "claude", "user-prompt-submit"], {
      stdin: hookInput(s.root, "UserPromptSubmit", { prompt: "go on" }),
    }),
    "UserPromptSubmit",
  );
  assertStringIncludes(viaPrompt ?? "", "one more");
  assertEquals(context(await postToolUse(s), "PostToolUse"), null);
});

Deno.test("a hook delivery stays within 2,000 characters and counts the rest", async () => {
  await using s = await tempStore();
  await startSession(s);
  for (let i = 0; i < 12; i++) {
    // A marker no message id can hold ("m9 " could end an id's random part, before " from").
    await post(s, ["--agent", "lead", "--to", AGENT, "-m", `<m${i}> ` + "x".repeat(300)]);
  }
  await post(s, ["--agent", "lead", "--to", AGENT, "-m", "huge " + "y".repeat(50_000)]);
  // Escaping makes a message of control characters six times longer: still within the bound.
  await post(s, ["--agent", "lead", "--to", AGENT, "-m", "ctl " + "\x01".repeat(2_000)]);
  const seen: string[] = [];
  for (let round = 0; round < 20; round++) {
    const text = context(await postToolUse(s), "PostToolUse");
    if (text === null) break;
    assert(text.length <= 2000, `delivery of ${text.length} characters`);
    seen.push(text);
  }
  assert(seen.length >= 3, `${seen.length} deliveries`);
  assertStringIncludes(seen[0], "more: track inbox --agent " + AGENT);
  const all = seen.join("\n");
  for (let i = 0; i < 12; i++) assertEquals(all.split(`<m${i}> `).length, 2, `m${i} once`);
  assertStringIncludes(all, "huge y");
  assertStringIncludes(all, "ctl \\u0001\\u0001");
});

Deno.test("a reclaimed agent is told on its next tool call; an agent without the hooks gets nothing", async () => {
  await using s = await tempStore();
  await startSession(s);
  await s.json(["create", "-t", "work"]);
  await s.json(["claim", "1", "--agent", AGENT]);
  assertEquals(context(await postToolUse(s), "PostToolUse"), null);
  await s.json(["claim", "1", "--agent", "agent-x", "--force"]);
  const told = context(await postToolUse(s), "PostToolUse");
  assertStringIncludes(told ?? "", "taken from " + AGENT);
  // An agent that never ran the hooks: its messages wait in its inbox, nothing marks them
  // delivered, and a hook run for another session does not touch them.
  await must(s, ["register", "--agent", "plain"]);
  await post(s, ["--agent", "lead", "--to", "plain", "-m", "hello"]);
  assertEquals(context(await postToolUse(s), "PostToolUse"), null);
  assertEquals(JSON.parse(s.read("inbox/plain.json")).delivered, []);
  assertEquals((await inbox(s, "plain")).unread, 1);
});

Deno.test("prime shows unread messages; SessionStart's prime counts as their delivery", async () => {
  await using s = await tempStore();
  await must(s, ["register", "--agent", AGENT, "--session-id", SESSION]);
  const id = await post(s, ["--agent", "lead", "--to", AGENT, "-m", "Start with T-0001"]);
  const { prime: p } = await s.json<
    { prime: { inbox: { unread: number; messages: Array<{ id: string }> } } }
  >([
    "prime",
    "--agent",
    AGENT,
  ]);
  assertEquals([p.inbox.unread, p.inbox.messages.map((m) => m.id)], [1, [id]]);
  const start = await s.track(["hook", "claude", "session-start"], {
    stdin: hookInput(s.root, "SessionStart", { source: "resume" }),
  });
  assertStringIncludes(context(start, "SessionStart") ?? "", "Start with T-0001");
  assertEquals(context(await postToolUse(s), "PostToolUse"), null, "not injected twice");
});

Deno.test("an inbox record that does not parse is never rewritten: posts to it exit 6, doctor names it", async () => {
  await using s = await tempStore();
  for (const a of ["agent-a", "agent-b"]) await must(s, ["register", "--agent", a]);
  await post(s, ["--agent", "agent-a", "--to", "agent-b", "-m", "first"]);
  Deno.writeTextFileSync(`${s.dir}/inbox/agent-b.json`, '{"agent": "agent-b", "read": 3}\n');
  const before = snapshot(s.dir);
  const r = await s.track(["board", "--agent", "agent-a", "--to", "agent-b", "-m", "second"]);
  assertEquals(r.code, 6, r.stderr);
  assertStringIncludes(r.stderr, "inbox/agent-b.json");
  assertEquals(snapshot(s.dir), before, "nothing written, the record left as it is");
  // An action under way is not blocked by it: a forced claim still happens (its event skips
  // the broken record).
  await s.json(["create", "-t", "work"]);
  await s.json(["claim", "1", "--agent", "agent-b"]);
  await s.json(["claim", "1", "--agent", "agent-a", "--force"]);
  assertEquals(s.read("inbox/agent-b.json"), '{"agent": "agent-b", "read": 3}\n');
  const doctor = await s.track(["doctor"]);
  assertEquals(doctor.code, 6, doctor.stdout + doctor.stderr);
  assertStringIncludes(doctor.stdout, "inbox/agent-b.json");
});

Deno.test("an imported store lists directed messages in the inbox but never pushes them into a context again", async () => {
  await using src = await tempStore();
  await startSession(src);
  const id = await post(src, ["--agent", "lead", "--to", AGENT, "-m", "old news"]);
  const file = `${src.root}/backup.json`;
  await must(src, ["export", "-o", file]);
  await using dst = await tempStore();
  await must(dst, ["import", file]);
  assertEquals((await inbox(dst, AGENT)).messages.map((m) => m.id), [id]);
  assertEquals(context(await postToolUse(dst), "PostToolUse"), null);
});
