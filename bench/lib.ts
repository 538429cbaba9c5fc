/** Shared pieces of the benchmark runners: timing a command, statistics, fixtures, reports. */
import { fileURLToPath } from "node:url";
import { newTicketBody, serializeTicket, type Ticket } from "../src/model/ticket.ts";
import { formatId } from "../src/model/ids.ts";
import { V8_FLAGS_ARG } from "../src/store/self_argv.ts";

/** Absolute path of main.ts. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** One row of a results table. */
export interface Row {
  name: string;
  median_ms?: number;
  /** p10 and p90 of the samples, in ms. */
  p10_ms?: number;
  p90_ms?: number;
  p95_ms?: number;
  samples?: number;
  value?: number;
  unit?: string;
  /** Target as a multiple of the startup floor, when issue 3 sets one. */
  target_x?: number;
  /** Median of the startup floor runs interleaved with this figure's runs, when measured so. */
  floor_ms?: number;
  note?: string;
}

/** Quantile of sorted numbers (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Summary of samples in ms. */
export function summarize(
  samples: number[],
): Pick<Row, "median_ms" | "p10_ms" | "p90_ms" | "p95_ms" | "samples"> {
  const s = [...samples].sort((a, b) => a - b);
  return {
    median_ms: quantile(s, 0.5),
    p10_ms: quantile(s, 0.1),
    p90_ms: quantile(s, 0.9),
    p95_ms: quantile(s, 0.95),
    samples: s.length,
  };
}

/**
 * Runs a command once, returning wall time in ms; throws unless it exits with `expect`. `stdin`
 * is written to it (then closed); without it stdin is empty.
 */
export async function timeCommand(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; expect?: number[]; stdin?: string } = {},
): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    // One command alone: a write to a sync store starts no background sync (docs/sync.md
    // "Auto-sync") unless a row sets TRACK_SYNC itself.
    env: { NO_COLOR: "1", TRACK_SYNC: "manual", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const ms = performance.now() - t0;
  const ok = options.expect ?? [0];
  if (!ok.includes(out.code)) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ms;
}

/**
 * How the benchmark runs `track`: as every shipped `track` runs, with its V8 flags
 * (src/store/self_argv.ts).
 */
export const TRACK_RUN = ["run", "-A", "--quiet", V8_FLAGS_ARG, MAIN];

/**
 * Times `track args` as a real subprocess; `defaultV8`: without the shipped V8 flags (what a
 * plain `deno run -A main.ts` costs).
 */
export function timeTrack(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    expect?: number[];
    stdin?: string;
    defaultV8?: boolean;
  },
): Promise<number> {
  const run = options.defaultV8 ? ["run", "-A", "--quiet", MAIN] : TRACK_RUN;
  return timeCommand(Deno.execPath(), [...run, ...args], options);
}

/** Repeats `fn` `n` times (after `warmup` untimed runs) and summarizes. */
export async function repeat(
  n: number,
  fn: (i: number) => Promise<number>,
  warmup = 1,
): Promise<ReturnType<typeof summarize>> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await fn(i));
  return summarize(samples);
}

/** A one-line script whose `deno run` is the startup floor; returns its path. */
export function floorScript(dir: string): string {
  const script = `${dir}/floor.ts`;
  Deno.writeTextFileSync(script, "export {};\n");
  return script;
}

/** Times one `deno run` of the floor script. */
export function timeFloor(script: string): Promise<number> {
  return timeCommand(Deno.execPath(), ["run", "-A", "--quiet", script]);
}

/**
 * Like {@linkcode repeat}, but each run of `fn` follows a run of the startup floor, and the row
 * carries the floor's median of those runs: a ratio then compares runs made moments apart, so a
 * machine that slows down or speeds up during the benchmark moves both sides.
 */
export async function repeatAgainstFloor(
  n: number,
  floor: string,
  fn: (i: number) => Promise<number>,
  warmup = 1,
): Promise<ReturnType<typeof summarize> & { floor_ms: number; floor_samples: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await timeFloor(floor);
    await fn(-1 - i);
  }
  const samples: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < n; i++) {
    floors.push(await timeFloor(floor));
    samples.push(await fn(i));
  }
  return {
    ...summarize(samples),
    floor_ms: summarize(floors).median_ms!,
    floor_samples: floors,
  };
}

/**
 * Writes `n` backlog tickets straight into `dir/.track/tickets` with the real serializer (a
 * fixture: going through `create` 10,000 times would only measure fsync).
 */
export function writeTickets(root: string, n: number): void {
  const dir = `${root}/.track/tickets`;
  Deno.mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= n; i++) {
    const t: Ticket = {
      id: formatId(i),
      title: `Benchmark ticket number ${i} with a realistic title`,
      status: "backlog",
      priority: (["critical", "high", "medium", "low"] as const)[i % 4],
      created: "2026-01-01T00:00:00Z",
      created_by: "bench",
      claimed_by: null,
      claimed_at: null,
      labels: i % 3 === 0 ? ["backend"] : ["ui", "web"],
      branch: null,
      files: [],
      depends_on: i > 1 && i % 10 === 0 ? [formatId(i - 1)] : [],
      updated: "2026-01-01T00:00:00Z",
      claim_epoch: 0,
      extra: [],
      body: newTicketBody(`Description of ticket ${i}.\nIt has a couple of lines.`),
    };
    Deno.writeTextFileSync(`${dir}/${t.id}.md`, serializeTicket(t));
  }
}

/** A fresh project directory with `track init` done. */
export async function freshStore(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "track-bench-" });
  await timeTrack(["init"], { cwd: root });
  return root;
}

/** Machine description for the report. */
export function machine(): string {
  let cpu = "unknown CPU";
  try {
    const m = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"));
    if (m) cpu = m[1].trim();
  } catch {
    // Not Linux.
  }
  const mem = Deno.systemMemoryInfo();
  return `${cpu}, ${navigator.hardwareConcurrency} logical CPUs, ` +
    `${
      (mem.total / 2 ** 30).toFixed(1)
    } GiB RAM, ${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`;
}

/** Formats a number of ms for the table. */
export function ms(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "";
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** Repetitions of each timed figure (TRACK_BENCH_REPS, default 21). */
export const REPS = Number(Deno.env.get("TRACK_BENCH_REPS") ?? 21);

/** `n` to one decimal place, for the table. */
export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Runs `track args` in `cwd` as a real subprocess and returns its stdout; throws unless 0. */
export async function trackOutput(args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...TRACK_RUN, ...args],
    cwd,
    env: { NO_COLOR: "1", TRACK_AGENT: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`track ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}
