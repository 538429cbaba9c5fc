/**
 * `deno task bench`: measures track against the startup floor of the same run (an empty
 * `deno run` of a one-line script) and writes bench/RESULTS.md. Every timed figure is a real
 * subprocess, reported as median, p10-p90 spread and ratio to the floor. Then every module in
 * bench/sections/*.ts is run (contract in HELPER_BRIEF: default export returning rows).
 * `--section NAME` runs only bench/sections/NAME.ts and replaces its rows in RESULTS.md.
 * TRACK_BENCH_REPS sets the repetitions (default 21).
 */
import { fileURLToPath } from "node:url";
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";
import { Store } from "../src/store/store.ts";
import { CACHE_MIN_TICKETS } from "../src/store/ticket_cache.ts";
import { postEntry } from "../src/operations/board.ts";
import { WorkerPool } from "../tests/suites/pool.ts";
import {
  floorScript,
  freshStore,
  machine,
  ms,
  repeat,
  repeatAgainstFloor,
  REPS,
  type Row,
  summarize,
  timeFloor,
  timeTrack,
  writeTickets,
} from "./lib.ts";

const FLOOR_DIR = Deno.makeTempDirSync({ prefix: "track-bench-floor-" });
const FLOOR = floorScript(FLOOR_DIR);
const rows: Row[] = [];
const cleanup: string[] = [FLOOR_DIR];

function log(text: string): void {
  // deno-lint-ignore no-console
  console.error(text);
}

async function storeWith(tickets: number): Promise<string> {
  const root = await freshStore();
  cleanup.push(root);
  writeTickets(root, tickets);
  if (tickets >= CACHE_MIN_TICKETS) {
    // As in real use, some write has refreshed the metadata cache after the files settled
    // (entries of files modified within 2 s of being recorded are not trusted).
    await new Promise((r) => setTimeout(r, 2100));
    await timeTrack(["update", "T-0001", "--priority", "low"], { cwd: root });
  }
  return root;
}

/** Every floor sample of the run, for the floor row. */
const floorSamples: number[] = [];

/** A timed `track` figure, its runs interleaved with runs of the floor. */
async function timed(
  name: string,
  run: (i: number) => Promise<number>,
  extra: Partial<Row> = {},
): Promise<Row> {
  const { floor_samples, ...s } = await repeatAgainstFloor(REPS, FLOOR, run);
  floorSamples.push(...floor_samples);
  return { name, ...s, ...extra };
}

async function contention(): Promise<Row> {
  const root = await storeWith(50);
  const agents = 16;
  const attempts = Number(Deno.env.get("TRACK_BENCH_CLAIM_ATTEMPTS") ?? 40);
  await using pool = await WorkerPool.start(agents);
  const plans = Array.from({ length: agents }, (_, p) => {
    const runs: string[][] = [];
    for (let k = 0; k < attempts; k++) {
      const id = String(1 + ((p * 7 + k * 13) % 50));
      runs.push(["claim", id, "--agent", `a${p}`], [
        "update",
        id,
        "--status",
        "backlog",
        "--agent",
        `a${p}`,
      ]);
    }
    return runs;
  });
  const t0 = performance.now();
  const outs = await pool.round(plans.map((runs) => ({ cwd: root, runs })));
  const seconds = (performance.now() - t0) / 1000;
  let won = 0;
  for (const [p, rs] of outs.entries()) {
    for (const [k, r] of rs!.entries()) if (plans[p][k][0] === "claim" && r.code === 0) won++;
  }
  return {
    name: "claims/second, 16 agents contending on 50 tickets (fsync on)",
    value: Math.round(won / seconds),
    unit: "claims/s",
    note: `${won} claims won of ${agents * attempts} attempts in ${
      seconds.toFixed(1)
    } s, each released again`,
  };
}

async function boardStore(posts: number): Promise<string> {
  const root = await storeWith(0);
  const store = new Store(`${root}/.track`);
  await store.mutate("bench", (tx) => {
    const base = Date.parse("2026-01-01T00:00:00Z");
    for (let i = 0; i < posts; i++) {
      postEntry(tx, {
        at: new Date(base + i * 60_000),
        agent: `agent-${i % 8}`,
        ticket: null,
        tag: "note",
        kind: "post",
        message: `Message ${i}: something worth telling the other agents.`,
      });
    }
  });
  return root;
}

async function crashRate(): Promise<Row> {
  const worker = fileURLToPath(new URL("../tests/suites/crash_worker.ts", import.meta.url));
  const root = await storeWith(5);
  const runs = Number(Deno.env.get("TRACK_BENCH_CRASH_RUNS") ?? 30);
  const store = new Store(`${root}/.track`);
  const t0 = performance.now();
  for (let run = 1; run <= runs; run++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", worker, root, String(run), "5"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, (run * 37) % 80));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    if (store.readAllTickets().problems.length > 0) throw new Error("crash left a broken ticket");
  }
  const seconds = (performance.now() - t0) / 1000;
  const io = new MemoryIo();
  await main(["doctor", "--fix"], { io, cwd: root });
  return {
    name: "crash suite: kill + check runs/second",
    value: Number((runs / seconds).toFixed(1)),
    unit: "runs/s",
    note: `${runs} SIGKILLs of a write-heavy process, every ticket re-parsed after each`,
  };
}

async function sections(only?: string): Promise<Row[]> {
  const dir = fileURLToPath(new URL("./sections", import.meta.url));
  const out: Row[] = [];
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ts"))
      .map((e) => e.name).filter((n) => only === undefined || n === `${only}.ts`).sort();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for (const name of names) {
    log(`section ${name}`);
    const base = name.replace(/\.ts$/, "");
    try {
      const mod = await import(new URL(`./sections/${name}`, import.meta.url).href);
      const got = await mod.default() as Row[];
      for (const r of got) {
        out.push({ ...r, name: r.name.startsWith(`${base}:`) ? r.name : `${base}: ${r.name}` });
      }
    } catch (e) {
      // Named like the section's rows (so the next --section run replaces it), on one line.
      const why = String((e as Error)?.message ?? e).replace(/\s+/g, " ").slice(0, 200);
      out.push({ name: `${base}: failed`, note: why });
    }
  }
  return out;
}

function ratio(r: Row, floorMs: number): string {
  return r.median_ms === undefined ? "" : `${(r.median_ms / (r.floor_ms ?? floorMs)).toFixed(2)}x`;
}

function verdict(r: Row, floorMs: number): string {
  if (r.target_x === undefined || r.median_ms === undefined) return "";
  const ok = r.median_ms / (r.floor_ms ?? floorMs) <= r.target_x;
  return `${ok ? "met" : "MISSED"} (<= ${r.target_x}x)`;
}

/** One row of the results table. */
function rowLine(r: Row, f: number): string {
  const spread = r.p10_ms !== undefined
    ? `${ms(r.p10_ms)}-${ms(r.p90_ms)}`
    : r.p95_ms !== undefined
    ? `p95 ${ms(r.p95_ms)}`
    : "";
  const value = r.value !== undefined ? `${r.value} ${r.unit ?? ""}`.trim() : "";
  return `| ${r.name} | ${ms(r.median_ms)} | ${spread} | ${ms(r.floor_ms)} | ${ratio(r, f)} | ${
    verdict(r, f)
  } | ${value} | ${(r.note ?? "").replaceAll("|", "/")} |`;
}

/**
 * `deno run -A bench/run.ts --section NAME`: runs only bench/sections/NAME.ts and replaces its
 * rows in RESULTS.md (ratios without a floor of their own use the floor RESULTS.md states).
 */
async function runSection(name: string): Promise<void> {
  const path = fileURLToPath(new URL("./RESULTS.md", import.meta.url));
  const text = Deno.readTextFileSync(path);
  const floor = Number(/Startup floor: ([\d.]+) ms/.exec(text)?.[1] ?? NaN);
  const fresh = (await sections(name)).map((r) => rowLine(r, floor));
  const lines = text.replace(/\n$/, "").split("\n");
  const mine = (l: string) => l.startsWith(`| ${name}: `);
  const at = lines.findIndex(mine);
  const kept = lines.filter((l) => !mine(l));
  // New rows go at the end of the figures table (not of a later table of the file).
  let end = kept.findIndex((l) => l.startsWith("| Figure |"));
  while (end !== -1 && end + 1 < kept.length && kept[end + 1].startsWith("| ")) end++;
  kept.splice(at !== -1 ? at : end !== -1 ? end + 1 : kept.length, 0, ...fresh);
  Deno.writeTextFileSync(path, kept.join("\n") + "\n");
  await Deno.stdout.write(new TextEncoder().encode(fresh.join("\n") + "\n"));
}

/** Heading of the hand-measured A/B table that a full run keeps as it is. */
const KEPT_HEADING = "## Before/after";

/** The hand-measured sections of the current RESULTS.md (from {@linkcode KEPT_HEADING} on). */
function keptSections(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return "";
  }
  const at = text.indexOf(`\n${KEPT_HEADING}`);
  return at === -1 ? "" : text.slice(at);
}

function render(floorRow: Row, started: Date): string {
  const f = floorRow.median_ms!;
  const lines = [
    "# Benchmark results",
    "",
    "Written by `deno task bench` (bench/run.ts); do not edit by hand.",
    "",
    `- Machine: ${machine()}`,
    `- Deno: ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    `- Date: ${started.toISOString().slice(0, 19)}Z`,
    `- Repetitions per timed figure: ${REPS} (after a warm-up run)`,
    `- Startup floor: ${ms(f)} ms median (an empty \`deno run -A\` of a one-line script, same run)`,
    "",
    "Times are wall-clock milliseconds of a real `track` subprocess (start to exit). Spread is",
    "p10-p90. Each run of a figure with a floor column follows a run of the startup floor, and",
    "its ratio is its median over the median of those floor runs, so a machine that changes speed",
    "during the benchmark moves both sides; other ratios use the overall floor. Targets from",
    "issue 3.",
    "",
    "| Figure | Median ms | Spread (p10-p90) ms | Floor ms | Ratio to floor | Target | Value | Note |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
  ];
  for (const r of rows) lines.push(rowLine(r, f));
  return lines.join("\n") + "\n";
}

const only = Deno.args.indexOf("--section");
if (import.meta.main && only !== -1) {
  await runSection(Deno.args[only + 1]);
  for (const d of cleanup) await Deno.remove(d, { recursive: true }).catch(() => {});
} else if (import.meta.main) {
  const started = new Date();
  try {
    log("startup floor");
    for (let i = 0; i < 2; i++) await timeFloor(FLOOR); // Warm-up.
    for (const n of [100, 1000, 10000]) {
      log(`list of ${n}`);
      const root = await storeWith(n);
      rows.push(
        await timed(
          `list, ${n.toLocaleString("en")} tickets`,
          () => timeTrack(["list"], { cwd: root }),
          {
            target_x: n === 1000 ? 2.5 : n === 10000 ? 8 : undefined,
          },
        ),
      );
    }
    {
      log("show / create / claim");
      const root = await storeWith(1000);
      rows.push(
        await timed("show, 1,000 tickets", () => timeTrack(["show", "T-0500"], { cwd: root })),
      );
      rows.push(
        await timed(
          "create, 1,000 tickets",
          () => timeTrack(["create", "--title", "bench"], { cwd: root }),
          { target_x: 3 },
        ),
      );
      rows.push(
        await timed(
          "claim, 1,000 tickets",
          (i) => timeTrack(["claim", String(201 + i * 10), "--agent", "bench"], { cwd: root }),
          { target_x: 3, note: "a different backlog ticket each run" },
        ),
      );
    }
    const floorRow: Row = {
      name: "startup floor (deno run of a one-line script)",
      ...summarize(floorSamples),
      note: "every floor run of the figures above",
    };
    rows.unshift(floorRow);
    log("contention");
    rows.push(await contention());
    for (const posts of [100, 10000]) {
      log(`board of ${posts}`);
      const root = await boardStore(posts);
      rows.push({
        name: `board --last 20, ${posts.toLocaleString("en")} posts`,
        ...await repeat(REPS, () => timeTrack(["board", "--last", "20"], { cwd: root })),
      });
    }
    log("crash rate");
    rows.push(await crashRate());
    rows.push(...await sections());
    const path = fileURLToPath(new URL("./RESULTS.md", import.meta.url));
    const text = render(floorRow, started);
    Deno.writeTextFileSync(path, text + keptSections(path));
    await Deno.stdout.write(new TextEncoder().encode(text));
  } finally {
    for (const d of cleanup) await Deno.remove(d, { recursive: true }).catch(() => {});
  }
}
