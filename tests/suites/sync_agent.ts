/**
 * One agent of the sync race suites (tests/suites/sync_race_test.ts) and of the race bench rows
 * (bench/sections/sync_race.ts): a long-lived real process started inside its clone, that loads
 * track once, says "ready", then for each JSON line on stdin (a {@linkcode AgentRound}) runs its
 * commands in-process through `main()` against the clone's real store (real lock, real files,
 * real git pushes) and answers one JSON line of {@linkcode AgentOutcome}s. The parent writes
 * every agent's round line at once: stdin is the gate all agents wait on, so they start together.
 */
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";

/** One round for one agent. */
export interface AgentRound {
  cwd: string;
  /** argv arrays, run in order. */
  runs: string[][];
  /**
   * Run each argv again until its exit code is one of these (`next` until granted or nothing is
   * ready), at most `attempts` times in all; absent: each argv once.
   */
  until?: number[];
  attempts?: number;
}

/** Result of one command of a round. */
export interface AgentOutcome {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** When the command started and ended, in ms on one clock shared by all agents. */
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
      const round = JSON.parse(buf.slice(0, nl)) as AgentRound;
      buf = buf.slice(nl + 1);
      const out: AgentOutcome[] = [];
      for (const args of round.runs) {
        for (let attempt = 1;; attempt++) {
          const io = new MemoryIo();
          const startMs = performance.timeOrigin + performance.now();
          const code = await main(args, { io, cwd: round.cwd });
          const endMs = performance.timeOrigin + performance.now();
          out.push({ args, code, stdout: io.stdout, stderr: io.stderr, startMs, endMs });
          if (round.until === undefined || round.until.includes(code)) break;
          if (attempt >= (round.attempts ?? 1)) break;
        }
      }
      write(JSON.stringify(out));
    }
  }
}
