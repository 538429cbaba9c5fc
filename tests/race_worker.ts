/**
 * A racer for concurrency tests: a real OS process that loads track, says "ready", waits for
 * one byte on stdin (the barrier), then runs each command given as a JSON array of argv arrays
 * and prints one JSON line per result.
 */
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";

const runs: string[][] = JSON.parse(Deno.args[0]);
const enc = new TextEncoder();
await Deno.stdout.write(enc.encode("ready\n"));
await Deno.stdin.read(new Uint8Array(1));
const results = [];
for (const args of runs) {
  const io = new MemoryIo();
  const code = await main(args, { io });
  results.push({ code, stdout: io.stdout, stderr: io.stderr });
}
await Deno.stdout.write(enc.encode(JSON.stringify(results) + "\n"));
