/**
 * A long-lived worker process for the suites: loads track once, says "ready", then for each
 * JSON line on stdin (a round) waits the round's start offset, runs its commands in-process
 * through `main()` against the real store (real lock, real files) and answers one JSON line.
 * Rounds are released to all workers at once by the parent writing their lines together.
 */
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";

/** One round for one worker. */
export interface Round {
  cwd: string;
  /** argv arrays, run in order. */
  runs: string[][];
  /** Start offset after the release, in ms (suite 2 staggers starts). */
  delayMs?: number;
  /** Stop at the first run that exits non-zero. */
  stopOnError?: boolean;
}

/** Result of one command in a round. */
export interface RunOutcome {
  code: number;
  stdout: string;
  stderr: string;
  /** When the command started and ended, in ms on one clock shared by all workers. */
  startMs: number;
  endMs: number;
}

if (import.meta.main) {
  const enc = new TextEncoder();
  const write = (s: string) => {
    const bytes = enc.encode(s + "\n");
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  };
  write("ready");
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buf = "";
  for await (const chunk of lines) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const round = JSON.parse(line) as Round;
      if (round.delayMs) await new Promise((r) => setTimeout(r, round.delayMs));
      const out: RunOutcome[] = [];
      for (const args of round.runs) {
        const io = new MemoryIo();
        const startMs = performance.timeOrigin + performance.now();
        const code = await main(args, { io, cwd: round.cwd });
        const endMs = performance.timeOrigin + performance.now();
        out.push({ code, stdout: io.stdout, stderr: io.stderr, startMs, endMs });
        if (code !== 0 && round.stopOnError) break;
      }
      write(JSON.stringify(out));
    }
  }
}
