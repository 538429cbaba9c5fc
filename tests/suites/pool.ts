/** Parent side of tests/suites/worker.ts: a pool of real processes released together per round. */
import { fileURLToPath } from "node:url";
import type { Round, RunOutcome } from "./worker.ts";
import { testCommand } from "../helpers.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buf = "";
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  async line(): Promise<string> {
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl !== -1) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("worker exited");
      this.#buf += value;
    }
  }
}

/** `n` worker processes, each a real OS process contending on the real lock. */
export class WorkerPool implements AsyncDisposable {
  #children: Deno.ChildProcess[];
  #readers: LineReader[];
  #writers: WritableStreamDefaultWriter<Uint8Array>[];

  private constructor(children: Deno.ChildProcess[]) {
    this.#children = children;
    this.#readers = children.map((c) => new LineReader(c.stdout));
    this.#writers = children.map((c) => c.stdin.getWriter());
  }

  /** Starts `n` workers and waits until every one has loaded track. */
  static async start(n: number, env: Record<string, string> = {}): Promise<WorkerPool> {
    const children = Array.from({ length: n }, () =>
      testCommand(Deno.execPath(), {
        args: ["run", "-A", "--quiet", WORKER],
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn());
    const pool = new WorkerPool(children);
    await Promise.all(pool.#readers.map(async (r) => {
      const line = await r.line();
      if (line !== "ready") throw new Error(`worker said ${line}`);
    }));
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.#children.length;
  }

  /**
   * Runs one round: worker i gets `rounds[i]` (workers without one sit out). All lines are
   * written before any answer is awaited, so the workers start together.
   */
  async round(rounds: Array<Round | null>): Promise<Array<RunOutcome[] | null>> {
    const enc = new TextEncoder();
    const payloads = rounds.map((r) => (r === null ? null : enc.encode(JSON.stringify(r) + "\n")));
    await Promise.all(payloads.map((p, i) => (p === null ? null : this.#writers[i].write(p))));
    return await Promise.all(
      payloads.map(async (p, i) =>
        p === null ? null : JSON.parse(await this.#readers[i].line()) as RunOutcome[]
      ),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.close().catch(() => {})));
    await Promise.all(this.#children.map((c) => c.status));
  }
}

/**
 * Suite size multiplier from TRACK_SUITE_SCALE (default 1 = the CI size). Anything but a number
 * above 0 is refused: a suite that silently shrinks to nothing passes without checking anything.
 */
export function scale(): number {
  const raw = Deno.env.get("TRACK_SUITE_SCALE");
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`TRACK_SUITE_SCALE=${raw}: expected a number above 0 (1 is the CI size)`);
  }
  return n;
}

/**
 * An integer size: `env` var if set, else `base` times TRACK_SUITE_SCALE (at least `min`). A
 * variable below `min` (0 above all: a suite that runs nothing and passes) is refused.
 */
export function size(env: string, base: number, min = 1): number {
  const raw = Deno.env.get(env);
  if (raw !== undefined && raw !== "") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`${env}=${raw}: expected a whole number of at least ${min}`);
    }
    return n;
  }
  return Math.max(min, Math.round(base * scale()));
}

/** Prints a suite's figures on one line, for the CI log. */
export function report(suite: string, figures: Record<string, string | number | boolean>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  // deno-lint-ignore no-console
  console.log(`[suite ${suite}] ${parts.join(" ")}`);
}

/** Random integer in [0, n) from a seeded generator (mulberry32), so failures replay. */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Seed from TRACK_SUITE_SEED, else a fresh one (printed by each suite for replay). */
export function seed(): number {
  const raw = Deno.env.get("TRACK_SUITE_SEED");
  return raw ? Number(raw) : crypto.getRandomValues(new Uint32Array(1))[0];
}
