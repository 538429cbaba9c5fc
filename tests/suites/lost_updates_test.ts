/**
 * Suite 2, lost updates: 2, 4 and 8 real processes each change a different field of one ticket
 * (title, log, labels, priority, branch), starting 0/5/20/50 ms apart. No field may be lost.
 * Sizes: TRACK_SUITE_LOST_TRIALS (per configuration; 25), TRACK_SUITE_SCALE.
 */
import { assertEquals } from "../assert.ts";
import { mainEnv, tempStore } from "../helpers.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { report, size, WorkerPool } from "./pool.ts";

interface Shown {
  ticket: {
    title: string;
    priority: string;
    branch: string | null;
    labels: string[];
    log: Array<{ agent: string; message: string }>;
  };
}

/** What worker `i` does to ticket `id` in trial `t`, and how to see it afterwards. */
function edit(i: number, id: string, t: number): { args: string[]; kept: (s: Shown) => boolean } {
  switch (i) {
    case 0:
      return {
        args: ["update", id, "--title", `title ${t}`],
        kept: (s) => s.ticket.title === `title ${t}`,
      };
    case 3:
      return {
        args: ["update", id, "--priority", "high"],
        kept: (s) => s.ticket.priority === "high",
      };
    case 5:
      return {
        args: ["update", id, "--branch", `b-${t}`],
        kept: (s) => s.ticket.branch === `b-${t}`,
      };
    case 2:
    case 6:
      return {
        args: ["update", id, "--add-label", `l${i}`],
        kept: (s) => s.ticket.labels.includes(`l${i}`),
      };
    default:
      return {
        args: ["log", id, "--agent", `w${i}`, "-m", `w${i} trial ${t}`],
        kept: (s) => s.ticket.log.some((e) => e.message === `w${i} trial ${t}`),
      };
  }
}

Deno.test("suite lost-updates: concurrent edits of different fields all survive", async () => {
  const trials = size("TRACK_SUITE_LOST_TRIALS", 25);
  await using s = await tempStore();
  await using pool = await WorkerPool.start(8);
  let lost = 0;
  let edits = 0;
  let n = 0;
  const started = performance.now();
  for (const procs of [2, 4, 8]) {
    for (const offset of [0, 5, 20, 50]) {
      for (let t = 0; t < trials; t++) {
        n++;
        const io = new MemoryIo();
        assertEquals(
          await main(["create", "--title", `trial ${n}`, "--json"], {
            io,
            cwd: s.root,
            env: mainEnv(),
          }),
          0,
        );
        const id = JSON.parse(io.stdout).ticket.id as string;
        const plan = Array.from({ length: pool.size }, (_, i) => i < procs ? edit(i, id, n) : null);
        const outs = await pool.round(
          plan.map((p, i) =>
            p === null ? null : { cwd: s.root, runs: [p.args], delayMs: i * offset }
          ),
        );
        for (const o of outs) if (o !== null) assertEquals(o[0].code, 0, o[0].stderr);
        const shown = new MemoryIo();
        assertEquals(
          await main(["show", id, "--json"], { io: shown, cwd: s.root, env: mainEnv() }),
          0,
        );
        const after = JSON.parse(shown.stdout) as Shown;
        for (const p of plan) {
          if (p === null) continue;
          edits++;
          if (!p.kept(after)) lost++;
        }
      }
    }
  }
  report("lost-updates", {
    configurations: "procs 2/4/8 x offsets 0/5/20/50ms",
    trials_each: trials,
    trials: n,
    edits,
    lost_fields: lost,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
  });
  assertEquals(lost, 0, "lost fields");
});
