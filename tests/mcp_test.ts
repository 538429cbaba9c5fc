/** `track mcp` end to end: a real server process spoken to over stdio with JSON-RPC. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, tempStore, testCommand } from "./helpers.ts";

/** A JSON-RPC client over a spawned `track mcp`. */
class McpClient implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending = new Map<number, (msg: Record<string, unknown>) => void>();
  /** Waiting raw() calls: they get the next line, whatever its id. */
  #raw: Array<(msg: unknown) => void> = [];
  #nextId = 1;
  #done: Promise<void>;
  stderr = "";

  constructor(cwd: string, env: Record<string, string>) {
    this.#child = testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "mcp"],
      cwd,
      env: { NO_COLOR: "1", TRACK_AGENT: "", ...env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    const errText = new Response(this.#child.stderr).text().then((t) => {
      this.stderr = t;
    });
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === "") continue;
        const msg = JSON.parse(line);
        const raw = this.#raw.shift();
        if (raw) {
          raw(msg);
          continue;
        }
        this.#pending.get(msg.id)?.(msg);
        this.#pending.delete(msg.id);
      }
    }
    await errText;
  }

  async send(msg: Record<string, unknown>): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(msg) + "\n"));
  }

  /** Writes `text` as is. */
  async write(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Writes `text` as is and resolves with the next line the server sends, parsed. */
  async raw(text: string | Uint8Array): Promise<unknown[]> {
    const next = new Promise<unknown>((resolve) => this.#raw.push(resolve));
    await this.#writer.write(typeof text === "string" ? new TextEncoder().encode(text) : text);
    return [await next];
  }

  request(method: string, params: unknown = {}): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const p = new Promise<Record<string, unknown>>((resolve) => this.#pending.set(id, resolve));
    return this.send({ jsonrpc: "2.0", id, method, params }).then(() => p);
  }

  async initialize(): Promise<Record<string, unknown>> {
    const r = await this.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "test", version: "1" },
    });
    await this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return r;
  }

  async call(name: string, args: Record<string, unknown> = {}) {
    const r = await this.request("tools/call", { name, arguments: args });
    const result = r.result as { content: Array<{ text: string }>; isError?: boolean };
    return { isError: result.isError === true, text: result.content[0].text };
  }

  async close(): Promise<number> {
    await this.#writer.close();
    await this.#done;
    return (await this.#child.status).code;
  }

  async [Symbol.asyncDispose]() {
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    await this.#done;
    await this.#child.status;
  }
}

Deno.test("track mcp initializes and lists at most 10 compact tools", async () => {
  await using s = await tempStore();
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  const init = await c.initialize();
  const result = init.result as { serverInfo: { name: string }; capabilities: { tools: unknown } };
  assertEquals(result.serverInfo.name, "track");
  assert(result.capabilities.tools);
  const list = await c.request("tools/list");
  const tools = (list.result as { tools: Array<{ name: string; inputSchema: unknown }> }).tools;
  assert(tools.length <= 10);
  assertEquals(tools.map((t) => t.name), [
    "ready",
    "next",
    "claim",
    "update",
    "log",
    "tickets",
    "board",
    "inbox",
    "files_check",
    "files_reserve",
  ]);
  assert(JSON.stringify(tools).length / 4 < 2500, "tool definitions under 2,500 tokens");
});

Deno.test("MCP tools act through the same domain functions as the CLI", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer"]);
  await s.track(["create", "--title", "Parser"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const ready = JSON.parse((await c.call("ready")).text);
  assertEquals(ready.tickets.map((t: { id: string }) => t.id), ["T-0001", "T-0002"]);
  const next = JSON.parse((await c.call("next")).text);
  assertEquals([next.ticket.id, next.ticket.claimed_by], ["T-0001", "alpha"]);
  const upd = JSON.parse((await c.call("update", { id: "T-0001", status: "in-progress" })).text);
  assertEquals(upd.ticket.status, "in-progress");
  assert(!(await c.call("log", { id: "T-0001", message: "scanner done" })).isError);
  const res = await c.call("files_reserve", { paths: ["src/lexer/"], ticket: "T-0001" });
  assert(!res.isError, res.text);
  const check = JSON.parse(
    (await c.call("files_check", { paths: ["src/lexer/a.ts"], agent: "bravo" })).text,
  );
  assertEquals(check.results[0].free, false);
  assertEquals(check.results[0].holders[0].agent, "alpha");
  assert(!(await c.call("board", { message: "lexer halfway", ticket: "T-0001" })).isError);
  const board = JSON.parse((await c.call("board", { last: 50 })).text);
  assert(board.entries.some((e: { message: string }) => e.message === "lexer halfway"));
  const show = JSON.parse((await c.call("tickets", { id: "T-0001" })).text);
  assertEquals(show.ticket.log.length, 1);
  // The CLI sees the same state.
  const cli = await s.json<{ ticket: { status: string; files: string[] } }>(["show", "T-0001"]);
  assertEquals([cli.ticket.status, cli.ticket.files], ["in-progress", ["src/lexer/**"]]);
  const list = JSON.parse((await c.call("tickets", { agent: "alpha" })).text);
  assertEquals(list.tickets.map((t: { id: string }) => t.id), ["T-0001"]);
});

Deno.test("MCP search (tickets query) and epics (parent on ready, next, tickets)", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Epic"]);
  await s.track(["create", "--title", "Lexer", "--parent", "1", "-b", "tokenize the input"]);
  await s.track(["create", "--title", "Tokenizer docs"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const found = JSON.parse((await c.call("tickets", { query: "tokeni" })).text);
  assertEquals(found.results.map((h: { id: string; field: string }) => [h.id, h.field]), [
    ["T-0003", "title"],
    ["T-0002", "body"],
  ]);
  const ready = JSON.parse((await c.call("ready", { parent: "T-0001" })).text);
  assertEquals(ready.tickets.map((t: { id: string }) => t.id), ["T-0002"]);
  const kids = JSON.parse((await c.call("tickets", { parent: "1" })).text);
  assertEquals(kids.tickets.map((t: { id: string }) => t.id), ["T-0002"]);
  const next = JSON.parse((await c.call("next", { parent: "T-0001" })).text);
  assertEquals(next.ticket.id, "T-0002");
  const epic = JSON.parse((await c.call("tickets", { id: "T-0001" })).text);
  assertEquals([epic.children.length, epic.progress.total, epic.progress.by_status.claimed], [
    1,
    1,
    1,
  ]);
});

Deno.test("a refused MCP call is a tool error with the CLI's message", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer"]);
  await s.track(["claim", "T-0001", "--agent", "bravo"]);
  // Registered, so the CLI adds no "not registered" warning after its error.
  await s.track(["register", "--agent", "alpha"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const r = await c.call("claim", { id: "T-0001" });
  assert(r.isError);
  const cli = await s.track(["claim", "T-0001", "--agent", "alpha"]);
  assertEquals(cli.code, 3);
  const ages = (t: string) => t.trim().replace(/\d+[smhd] ago/g, "N ago");
  assertEquals(ages("track: " + r.text), ages(cli.stderr));
  // Moving another agent's ticket: the same rule as the CLI, and MCP never forces.
  const move = await c.call("update", { id: "T-0001", status: "backlog" });
  assert(move.isError);
  assertStringIncludes(move.text, `"bravo" is working on it (claimed)`);
  assertStringIncludes(s.read("tickets/T-0001.md"), "claimed_by: bravo");
  const missing = await c.call("tickets", { id: "T-0099" });
  assert(missing.isError);
  assertStringIncludes(missing.text, "T-0099");
  const noAgent = new McpClient(s.root, {});
  await noAgent.initialize();
  const na = await noAgent.call("next");
  assert(na.isError);
  assertStringIncludes(na.text, "needs an agent");
  await noAgent.close();
});

Deno.test("MCP files_reserve keeps the CLI's rule: exclusive only for the holder, else shared or force", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer"]);
  await s.track(["claim", "T-0001", "--agent", "bravo"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const refused = await c.call("files_reserve", { paths: ["src/a.ts"], ticket: "T-0001" });
  assert(refused.isError);
  assertStringIncludes(refused.text, `it is held by "bravo"`);
  assert(
    !(await c.call("files_reserve", { paths: ["src/a.ts"], ticket: "1", shared: true }))
      .isError,
  );
  assert(
    !(await c.call("files_reserve", { paths: ["src/b.ts"], ticket: "1", force: true }))
      .isError,
  );
  const none = await c.call("next");
  assert(none.isError);
  assertStringIncludes(none.text, "Nothing is ready to claim: no ticket is in backlog");
});

Deno.test("two MCP clients race for one claim: exactly one wins", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Contested"]);
  await using a = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await using b = new McpClient(s.root, { TRACK_AGENT: "bravo" });
  // Barrier: both servers are up and initialized before either call is sent.
  await Promise.all([a.initialize(), b.initialize()]);
  const [ra, rb] = await Promise.all([
    a.call("claim", { id: "T-0001" }),
    b.call("claim", { id: "T-0001" }),
  ]);
  assertEquals([ra.isError, rb.isError].filter((e) => !e).length, 1, `${ra.text}\n${rb.text}`);
  const loser = ra.isError ? ra : rb;
  const winner = ra.isError ? "bravo" : "alpha";
  assertStringIncludes(loser.text, `Cannot claim "T-0001": claimed by "${winner}"`);
  const t = await s.json<{ ticket: { claimed_by: string } }>(["show", "T-0001"]);
  assertEquals(t.ticket.claimed_by, winner);
});

Deno.test("track mcp exits 0 when the client closes stdin, after answering", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer"]);
  const c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const pending = c.call("claim", { id: "T-0001" });
  const r = await pending;
  assert(!r.isError, r.text);
  assertEquals(await c.close(), 0, c.stderr);
});

Deno.test("track mcp speaks JSON-RPC as the MCP specification asks", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  // The client's version when known, else the newest; tools only.
  const init = (await c.request("initialize", {
    protocolVersion: "2025-03-26",
    capabilities: {},
    clientInfo: { name: "old", version: "1" },
  })).result as Record<string, unknown>;
  assertEquals(init.protocolVersion, "2025-03-26");
  assertEquals(init.capabilities, { tools: { listChanged: false } });
  assertStringIncludes(String(init.instructions), "reserve files");
  const future = (await c.request("initialize", { protocolVersion: "2099-01-01" })).result as {
    protocolVersion: string;
  };
  assertEquals(future.protocolVersion, "2025-11-25");
  assertEquals((await c.request("ping")).result, {});
  const unknown = await c.request("resources/list");
  assertEquals((unknown.error as { code: number }).code, -32601);
  const noName = await c.request("tools/call", { arguments: {} });
  assertEquals((noName.error as { code: number }).code, -32602);
  const badArgs = await c.request("tools/call", { name: "ready", arguments: [1] });
  assertEquals((badArgs.error as { code: number }).code, -32602);
  // Notifications get no answer: the next answer on the wire is the ping's (id 99).
  await c.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  await c.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const raw = await c.raw(
    '{"jsonrpc":"2.0","id":99,"method":"ping"}\n',
  );
  assertEquals(raw, [{ jsonrpc: "2.0", id: 99, result: {} }]);
  // A line that is not JSON, and a batch.
  assertEquals(await c.raw("{not json\n"), [{
    jsonrpc: "2.0",
    id: null,
    error: { code: -32700, message: "Parse error: a line is not UTF-8 JSON" },
  }]);
  // Invalid UTF-8 is refused, never replaced (the replacement would reach a ticket).
  const latin1 = new Uint8Array([
    ...new TextEncoder().encode('{"jsonrpc":"2.0","id":5,"method":"ping","x":"caf'),
    0xe9,
    ...new TextEncoder().encode('"}\n'),
  ]);
  const refused = (await c.raw(latin1))[0] as { id: null; error: { code: number } };
  assertEquals([refused.id, refused.error.code], [null, -32700]);
  // A message split across writes, with a CRLF line end, still arrives whole.
  await c.write('{"jsonrpc":"2.0","id":6,"met');
  assertEquals(await c.raw('hod":"ping"}\r\n'), [{ jsonrpc: "2.0", id: 6, result: {} }]);
  const notRequest = (await c.raw("42\n"))[0] as { id: null; error: { code: number } };
  assertEquals([notRequest.id, notRequest.error.code], [null, -32600]);
  const batch = await c.raw(
    JSON.stringify([
      { jsonrpc: "2.0", id: 7, method: "ping" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "ready" } },
    ]) + "\n",
  );
  const replies = batch[0] as Array<{ id: number; result: { content: Array<{ text: string }> } }>;
  assertEquals(replies.map((r) => r.id), [7, 8]);
  assertEquals(JSON.parse(replies[1].result.content[0].text).tickets[0].id, "T-0001");
  assertEquals(await c.close(), 0, c.stderr);
});

Deno.test("track mcp refuses a 10 MB line with a JSON-RPC error and answers the next request", async () => {
  await using s = await tempStore();
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  // A well-formed request, only too long: without the limit it would be answered as a ping.
  const big = JSON.stringify({
    jsonrpc: "2.0",
    id: 500,
    method: "ping",
    params: { pad: "x".repeat(10 * 1024 * 1024) },
  });
  const [refused] = await c.raw(big + "\n") as Array<{ id: null; error: { code: number } }>;
  assertEquals([refused.id, refused.error.code], [null, -32600]);
  assertStringIncludes(JSON.stringify(refused), "longer than 4194304 bytes");
  assertEquals((await c.request("ping")).result, {});
  assertEquals(await c.close(), 0, c.stderr);
});

Deno.test("MCP update to done keeps the verify rule: refused without passing evidence", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "Lexer", "--verify", "true"]);
  await s.track(["claim", "T-0001", "--agent", "alpha"]);
  await s.track(["update", "T-0001", "--status", "review", "--agent", "alpha"]);
  await using c = new McpClient(s.root, { TRACK_AGENT: "alpha" });
  await c.initialize();
  const r = await c.call("update", { id: "T-0001", status: "done" });
  assert(r.isError);
  assertStringIncludes(r.text, "has no recorded run");
  assertStringIncludes(r.text, "track verify T-0001");
  assertStringIncludes(s.read("tickets/T-0001.md"), "status: review");
  assertEquals((await s.track(["verify", "T-0001", "--agent", "alpha"])).code, 0);
  const ok = await c.call("update", { id: "T-0001", status: "done" });
  assert(!ok.isError, ok.text);
});
