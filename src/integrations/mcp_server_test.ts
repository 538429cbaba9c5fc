import { assertEquals } from "../../tests/assert.ts";
import type { Store } from "../store/store.ts";
import { serveMcp } from "./mcp_server.ts";

const ctx = {
  store: (): Store => {
    throw new Error("no store in this test");
  },
  defaultAgent: null,
  cwd: "/",
  now: () => new Date(),
};

/** Runs the server over `chunks` (each one read of the input) and returns the answers, parsed. */
async function serve(chunks: string[], maxLineBytes: number): Promise<unknown[]> {
  const enc = new TextEncoder();
  const input = ReadableStream.from(chunks.map((c) => enc.encode(c)));
  let out = "";
  const output = {
    writeSync(p: Uint8Array) {
      out += new TextDecoder().decode(p);
      return p.length;
    },
  };
  await serveMcp(ctx, "0.0.0", { input, output, maxLineBytes });
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

const ping = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });
const pong = (id: number) => ({ jsonrpc: "2.0", id, result: {} });
const tooLong = {
  jsonrpc: "2.0",
  id: null,
  error: {
    code: -32600,
    message: "Invalid Request: a line is longer than 64 bytes; it was skipped up to its end",
  },
};

Deno.test("serveMcp() refuses a line over the limit, skips its rest and serves the next", async () => {
  const long = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", pad: "x".repeat(100) });
  // The long line arrives in many pieces, the limit is crossed inside one, and the next
  // request starts in the same chunk as the long line's end.
  const pieces = long.match(/.{1,7}/gs)!;
  const answers = await serve([
    ...pieces,
    "\n" + ping(2) + "\n" + ping(3).slice(0, 5),
    ping(3).slice(5) + "\n",
  ], 64);
  assertEquals(answers, [tooLong, pong(2), pong(3)]);
});

Deno.test("serveMcp() takes a line of exactly the limit, split or whole", async () => {
  const exact = JSON.stringify({ jsonrpc: "2.0", id: 4, method: "ping", p: "" });
  const line = exact.slice(0, -1) + " ".repeat(64 - exact.length) + "}";
  assertEquals(line.length, 64);
  assertEquals(await serve([line + "\n"], 64), [pong(4)]);
  assertEquals(await serve([line.slice(0, 30), line.slice(30), "\n" + ping(5)], 64), [
    pong(4),
    pong(5),
  ]);
  // One byte more is refused, also when the input ends without a final LF.
  assertEquals(await serve([line + " "], 64), [tooLong]);
});

Deno.test("serveMcp() refuses a long line that ends the input without answering twice", async () => {
  assertEquals(await serve([ping(1) + "\n", "y".repeat(200)], 64), [pong(1), tooLong]);
});
