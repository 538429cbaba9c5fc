/**
 * `track mcp` against the official MCP SDK's client, so our hand-written JSON-RPC server cannot
 * drift from the protocol. The SDK is installed with npm into a temp directory (cached between
 * runs, never in deno.lock) and driven by a small node script: initialize, tools/list, every
 * tool, a refused call, an unknown tool, and the inbox/ack of directed posts.
 *
 * Without node or npm the test is skipped locally, but fails under CI=true (tests/npm_package.ts).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, tempStore, testCommand, testEnv } from "./helpers.ts";
import { inCi, npmAvailable as available, npmPackage } from "./npm_package.ts";

/** The SDK version the test pins (the cache directory is per version). */
const SDK_VERSION = "1.32.2";

/**
 * The client script: every step's result on one JSON line of stdout. Arguments: the JSON of
 * {command, args, cwd, env}.
 */
const CLIENT = `
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const server = JSON.parse(process.argv[2]);
const transport = new StdioClientTransport({ ...server, stderr: "pipe" });
const client = new Client({ name: "track-sdk-test", version: "1.0.0" });
const out = {};
const text = (r) => r.content.map((c) => c.text).join("");
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  return { isError: r.isError === true, text: text(r) };
};
await client.connect(transport);
out.server = client.getServerVersion();
out.capabilities = client.getServerCapabilities();
out.tools = (await client.listTools()).tools;
out.ready = await call("ready", {});
out.claim = await call("claim", { id: "T-0001" });
out.update = await call("update", { id: "T-0001", status: "in-progress" });
out.log = await call("log", { id: "T-0001", message: "halfway" });
out.tickets = await call("tickets", { id: "T-0001" });
out.list = await call("tickets", {});
out.next = await call("next", {});
out.files_reserve = await call("files_reserve", { paths: ["src/lexer.ts"], ticket: "T-0001" });
out.files_check = await call("files_check", { paths: ["src/lexer.ts"], agent: "bravo" });
out.post = await call("board", { message: "Can you review src/lexer.ts?", to: ["bravo"], ack: true });
out.read = await call("board", { last: 5 });
out.inbox_bravo = await call("inbox", { agent: "bravo" });
const id = JSON.parse(out.post.text).entry.id;
out.reply = await call("board", { message: "Yes", reply_to: id, agent: "bravo" });
out.ack = await call("inbox", { agent: "bravo", ack: [id] });
out.inbox_bravo_after = await call("inbox", { agent: "bravo" });
out.inbox_alpha = await call("inbox", {});
out.refused = await call("claim", { id: "T-0001", agent: "bravo" });
out.bad_ack = await call("inbox", { ack: ["nonsense"] });
try {
  out.unknown = await call("no_such_tool", {});
} catch (e) {
  out.unknown = { thrown: String(e.message ?? e) };
}
await client.close();
process.stdout.write(JSON.stringify(out) + "\\n");
`;

Deno.test({
  name:
    "the official MCP SDK client drives track mcp: initialize, tools/list, every tool, errors, inbox/ack",
  ignore: !available && !inCi,
  async fn() {
    assert(available, "CI=true: node and npm are required for the MCP SDK test");
    const dir = await npmPackage("@modelcontextprotocol/sdk", SDK_VERSION, "mcp-sdk");
    Deno.writeTextFileSync(`${dir}/client.mjs`, CLIENT);
    await using s = await tempStore();
    for (const t of ["Lexer", "Parser"]) await s.json(["create", "--title", t]);
    await s.json(["register", "--agent", "alpha"]);
    await s.json(["register", "--agent", "bravo"]);
    const server = {
      command: Deno.execPath(),
      args: ["run", "-A", "--quiet", MAIN, "mcp"],
      cwd: s.root,
      env: testEnv({ TRACK_AGENT: "alpha" }),
    };
    const out = await testCommand("node", {
      args: [`${dir}/client.mjs`, JSON.stringify(server)],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(r.server.name, "track");
    assert(r.capabilities.tools);
    const names: string[] = r.tools.map((t: { name: string }) => t.name);
    assertEquals(names, [
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
    // Every tool was called and answered without error but the refused ones.
    for (
      const k of [
        "ready",
        "claim",
        "update",
        "log",
        "tickets",
        "list",
        "next",
        "files_reserve",
        "files_check",
        "post",
        "read",
        "inbox_bravo",
        "reply",
        "ack",
        "inbox_bravo_after",
        "inbox_alpha",
      ]
    ) assertEquals(r[k].isError, false, `${k}: ${r[k].text}`);
    assertEquals(JSON.parse(r.claim.text).ticket.claimed_by, "alpha");
    assertEquals(JSON.parse(r.tickets.text).ticket.status, "in-progress");
    assertEquals(JSON.parse(r.next.text).ticket.id, "T-0002");
    assertEquals(JSON.parse(r.files_check.text).results[0].free, false);
    const inboxB = JSON.parse(r.inbox_bravo.text);
    assertEquals(
      inboxB.messages.map((m: { message: string; ack: boolean }) => [m.message, m.ack]),
      [
        ["Can you review src/lexer.ts?", true],
      ],
    );
    assertEquals(JSON.parse(r.inbox_bravo_after.text).messages, []);
    const alpha = JSON.parse(r.inbox_alpha.text);
    assertEquals(alpha.messages.map((m: { tag: string }) => m.tag), ["note", "acked"]);
    // A refused call is a tool error with the CLI's message; a bad id too; an unknown tool is a
    // JSON-RPC error the SDK throws.
    assertEquals(r.refused.isError, true);
    assertStringIncludes(r.refused.text, 'Cannot claim "T-0001"');
    assertEquals(r.bad_ack.isError, true);
    assertStringIncludes(r.bad_ack.text, "Invalid message id");
    assert(
      r.unknown.thrown !== undefined || r.unknown.isError === true,
      `unknown tool: ${JSON.stringify(r.unknown)}`,
    );
  },
});
