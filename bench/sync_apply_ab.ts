/**
 * Interleaved A/B of materialising a fetched sync state (issue 20, design §7.5), for the
 * "Before/after" table of bench/RESULTS.md: two checkouts' `track` (their main.ts) run
 * alternately, each run after a run of the startup floor.
 *
 *   deno run -A bench/sync_apply_ab.ts <before main.ts> <after main.ts> [sizes] [runs]
 *
 * Figures per size N (N tickets; at 10,000 also 10,000 board posts):
 * - adopt: `track remote add <bare>` in a fresh clone with no tickets (adopts the remote's state);
 * - reconnect: `track sync` on a clone in agreement with the remote after another clone changed
 *   every ticket (a line appended to each body by hand, then synced: untimed).
 */
import { runGit } from "../src/store/git.ts";
import { floorScript, summarize, timeCommand, timeFloor, writeTickets } from "./lib.ts";

const [beforeMain, afterMain, sizesArg, runsArg] = Deno.args;
if (afterMain === undefined) {
  throw new Error("usage: sync_apply_ab.ts <before main.ts> <after main.ts> [sizes] [runs]");
}
const SIZES = (sizesArg ?? "1000,10000").split(",").map(Number);
const RUNS = Number(runsArg ?? 5);

async function git(args: string[], cwd: string): Promise<void> {
  const r = await runGit(args, { cwd });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

function track(main: string, args: string[], cwd: string): Promise<number> {
  return timeCommand(Deno.execPath(), ["run", "-A", "--quiet", main, ...args], {
    cwd,
    env: { TRACK_SYNC_TIMEOUT: "600000" },
  });
}

function writePosts(root: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const day = `2026-11-${String(10 + (i % 10))}`;
    const dir = `${root}/.track/board/${day}`;
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(
      `${dir}/${String(i % 24).padStart(2, "0")}0000${String(i % 1000).padStart(3, "0")}-k${
        i.toString(36)
      }.md`,
      `---\nat: 2026-11-10T00:00:00Z\nagent: bench\nticket: null\ntag: note\nkind: post\n---\n\nMessage ${i}\n`,
    );
  }
}

function unpaced(root: string): void {
  const path = `${root}/.git/track/sync.json`;
  const config = JSON.parse(Deno.readTextFileSync(path));
  Deno.writeTextFileSync(path, JSON.stringify({ ...config, interval_ms: 0 }, null, 2) + "\n");
}

/** A fresh clone (git init + track init) adopting the remote; returns the time of `remote add`. */
async function adopt(main: string, root: string, remote: string, name: string): Promise<number> {
  const dir = `${root}/${name}`;
  await git(["init", "-q", dir], root);
  await track(main, ["init"], dir);
  const ms = await track(main, ["remote", "add", remote], dir);
  await Deno.remove(dir, { recursive: true });
  return ms;
}

/** Appends a line to every ticket body in clone `a`'s store, by hand, then syncs it. */
async function changeAll(main: string, a: string, run: number): Promise<void> {
  const dir = `${a}/.git/track/store/tickets`;
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) Deno.writeTextFileSync(`${dir}/${e.name}`, `\nrun ${run}\n`, { append: true });
  }
  await track(main, ["sync"], a);
}

const root = await Deno.makeTempDir({ prefix: "track-bench-apply-" });
const floor = floorScript(root);
const out: string[] = [];
try {
  for (const size of SIZES) {
    const dir = `${root}/n${size}`;
    const remote = `${dir}/remote.git`;
    await git(["init", "-q", "--bare", remote], root);
    const a = `${dir}/a`;
    await git(["init", "-q", a], root);
    await track(afterMain, ["init"], a);
    writeTickets(a, size);
    if (size >= 10000) writePosts(a, size);
    await track(afterMain, ["remote", "add", remote], a);
    unpaced(a);
    const b = `${dir}/b`;
    await git(["init", "-q", b], root);
    await track(afterMain, ["init"], b);
    await track(afterMain, ["remote", "add", remote], b);
    unpaced(b);
    const sides = [["before", beforeMain], ["after", afterMain]] as const;
    const samples = {
      adopt: { before: [] as number[], after: [] as number[], floor: [] as number[] },
      reconnect: { before: [] as number[], after: [] as number[], floor: [] as number[] },
    };
    for (let i = -1; i < RUNS; i++) {
      for (const [side, main] of i % 2 === 0 ? sides : [...sides].reverse()) {
        const f1 = await timeFloor(floor);
        const t1 = await adopt(main, dir, remote, `adopt-${side}-${i + 1}`);
        await changeAll(afterMain, a, i * 2 + (side === "after" ? 1 : 0) + 10);
        const f2 = await timeFloor(floor);
        const t2 = await track(main, ["sync"], b);
        if (i >= 0) {
          samples.adopt[side].push(t1);
          samples.adopt.floor.push(f1);
          samples.reconnect[side].push(t2);
          samples.reconnect.floor.push(f2);
        }
        // deno-lint-ignore no-console
        console.error(
          `${size} ${side} run ${i}: adopt ${t1.toFixed(0)} ms, reconnect ${t2.toFixed(0)} ms`,
        );
      }
    }
    for (const what of ["adopt", "reconnect"] as const) {
      const s = samples[what];
      const fl = summarize(s.floor).median_ms!;
      const bm = summarize(s.before).median_ms!;
      const am = summarize(s.after).median_ms!;
      out.push(
        `${what} ${size}: before ${bm.toFixed(0)} ms (${(bm / fl).toFixed(2)}x), after ${
          am.toFixed(0)
        } ms (${(am / fl).toFixed(2)}x), floor ${fl.toFixed(1)} ms, ${RUNS} runs each`,
      );
      // deno-lint-ignore no-console
      console.log(out[out.length - 1]);
    }
  }
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
