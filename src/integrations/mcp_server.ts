/**
 * The MCP server over stdio: newline-delimited JSON-RPC 2.0, tools only. Written here rather
 * than on the official SDK: a tools-only server needs `initialize`, `ping`, `tools/list` and
 * `tools/call`, while the SDK brought 98 npm packages into deno.lock, and resolving that lock
 * cost every `track` command about a millisecond of startup (and `track mcp` about 100 ms).
 * Imported only by `track mcp` (dynamically).
 *
 * What a client gets, per the MCP specification:
 * - `initialize`: the client's protocol version when we know it, else our newest; capabilities
 *   `{tools: {listChanged: false}}`; serverInfo; instructions.
 * - `ping`: `{}`. `tools/list`: every tool, one page. `tools/call`: a CallToolResult; a refused
 *   call is a result with `isError: true` and the CLI's message, as the specification asks.
 * - Notifications (`notifications/initialized`, `notifications/cancelled`, …) get no answer.
 * - JSON-RPC errors: -32700 for a line that is not UTF-8 JSON (id null), -32600 for a message
 *   that is not a request, -32601 for an unknown method, -32602 for bad `tools/call` params,
 *   -32603 when a tool fails unexpectedly. A batch (an array, protocol 2025-03-26) is answered
 *   with an array.
 * - A line longer than {@linkcode MAX_LINE_BYTES} (4 MiB) gets -32600 with id null; the rest
 *   of that line is skipped and the next lines are served.
 * - At end of input, calls in flight still finish and answer before the server stops.
 * Only JSON-RPC messages go to stdout, one per line.
 */
import { callTool, type ToolContext, TOOLS } from "./mcp_tools.ts";

/** Protocol versions this server speaks, newest first. */
export const PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const INSTRUCTIONS = "Ticket tracker and coordination for coding agents. Claim work with " +
  "next/claim, reserve files before editing, log progress, talk on the board.";

type Id = string | number | null;
type Message = Record<string, unknown>;

/** A JSON-RPC error response. */
function failure(id: Id, code: number, message: string): Message {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function isId(v: unknown): v is string | number {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/**
 * Answers one message: a response, or null for a notification or a response from the client.
 * Never throws.
 */
export async function answer(
  msg: unknown,
  ctx: ToolContext,
  version: string,
): Promise<Message | null> {
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
    return failure(null, -32600, "Invalid Request: expected a JSON-RPC object");
  }
  const m = msg as Message;
  const hasId = "id" in m;
  if (hasId && !isId(m.id)) return failure(null, -32600, "Invalid Request: bad id");
  const id = hasId ? m.id as string | number : null;
  if (typeof m.method !== "string") {
    // A response to a request of ours (we send none), or garbage with an id.
    return "result" in m || "error" in m ? null : failure(id, -32600, "Invalid Request");
  }
  if (m.jsonrpc !== "2.0") return hasId ? failure(id, -32600, 'Invalid Request: not "2.0"') : null;
  if (!hasId) return null; // Notifications: initialized, cancelled, progress, roots…
  const params = (typeof m.params === "object" && m.params !== null ? m.params : {}) as Message;
  const ok = (result: unknown): Message => ({ jsonrpc: "2.0", id, result });
  switch (m.method) {
    case "initialize": {
      const asked = params.protocolVersion;
      return ok({
        protocolVersion: typeof asked === "string" && PROTOCOL_VERSIONS.includes(asked)
          ? asked
          : PROTOCOL_VERSIONS[0],
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: "track", version },
        instructions: INSTRUCTIONS,
      });
    }
    case "ping":
      return ok({});
    case "tools/list":
      return ok({ tools: TOOLS });
    case "tools/call": {
      const args = params.arguments;
      if (typeof params.name !== "string") {
        return failure(id, -32602, "Invalid params: tools/call needs a tool name");
      }
      if (
        args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))
      ) {
        return failure(id, -32602, "Invalid params: arguments must be an object");
      }
      try {
        return ok(await callTool(params.name, (args ?? {}) as Record<string, unknown>, ctx));
      } catch (e) {
        return failure(id, -32603, `Internal error: ${e instanceof Error ? e.message : e}`);
      } finally {
        await ctx.afterCall?.().catch(() => {});
      }
    }
    default:
      return failure(id, -32601, `Method not found: ${m.method}`);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Answers one line of input (a message or a batch); null when nothing is to be sent. */
async function answerLine(
  bytes: Uint8Array,
  ctx: ToolContext,
  version: string,
): Promise<Message | Message[] | null> {
  let parsed: unknown;
  try {
    // Invalid UTF-8 is refused, not replaced: the replacement would end up in a ticket.
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return failure(null, -32700, "Parse error: a line is not UTF-8 JSON");
  }
  if (!Array.isArray(parsed)) return await answer(parsed, ctx, version);
  if (parsed.length === 0) return failure(null, -32600, "Invalid Request: empty batch");
  const all = await Promise.all(parsed.map((m) => answer(m, ctx, version)));
  const replies = all.filter((r): r is Message => r !== null);
  return replies.length === 0 ? null : replies;
}

/**
 * Longest line accepted, in bytes. The largest honest message carries a 1 MiB ticket body
 * (MAX_BODY_BYTES); written with every character `\u`-escaped that is at most 3 MiB of JSON,
 * so 4 MiB leaves room for the rest of the request. A longer line gets a -32600 error with id
 * null (its id cannot be known without reading it all), its remaining bytes are skipped up to
 * the next LF, and the lines after it are served as usual.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Joins the pieces of one line into one buffer (one copy, whatever the number of pieces). */
function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Serves `track`'s tools on `input`/`output` (stdin/stdout by default) until the input ends.
 * Calls run concurrently, as the protocol allows; each answer is written as one line.
 */
export async function serveMcp(
  ctx: ToolContext,
  version: string,
  io: {
    input?: ReadableStream<Uint8Array>;
    output?: { writeSync(p: Uint8Array): number };
    /** Longest line accepted (tests make it small); {@linkcode MAX_LINE_BYTES} by default. */
    maxLineBytes?: number;
  } = {},
): Promise<void> {
  const input = io.input ?? Deno.stdin.readable;
  const output = io.output ?? Deno.stdout;
  const maxLine = io.maxLineBytes ?? MAX_LINE_BYTES;
  const encoder = new TextEncoder();
  const send = (reply: Message | Message[]) => {
    const bytes = encoder.encode(JSON.stringify(reply) + "\n");
    let off = 0;
    while (off < bytes.length) off += output.writeSync(bytes.subarray(off));
  };
  const inFlight = new Set<Promise<void>>();
  const handle = (line: Uint8Array) => {
    // A line of only blanks (or a CR before the LF) carries no message.
    if (line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) return;
    const p = answerLine(line, ctx, version).then((reply) => {
      if (reply !== null) send(reply);
    });
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => {});
  };
  const tooLong = () =>
    send(failure(
      null,
      -32600,
      `Invalid Request: a line is longer than ${maxLine} bytes; it was skipped up to its end`,
    ));
  // Lines are split on LF in bytes, so each is decoded whole (and strictly). The pieces of an
  // unfinished line are kept apart and joined once at its LF: reading stays linear in the input.
  let pieces: Uint8Array[] = [];
  let length = 0;
  let skipping = false; // inside a line that was already refused as too long
  const add = (piece: Uint8Array) => {
    if (skipping || piece.length === 0) return;
    if (length + piece.length > maxLine) {
      tooLong();
      pieces = [];
      length = 0;
      skipping = true;
      return;
    }
    pieces.push(piece);
    length += piece.length;
  };
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      add(chunk.subarray(start, nl));
      if (!skipping) handle(concat(pieces, length));
      pieces = [];
      length = 0;
      skipping = false;
      start = nl + 1;
    }
    // The stream may reuse its buffer: keep a copy of the unfinished part.
    add(chunk.slice(start));
  }
  if (!skipping) handle(concat(pieces, length));
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}
