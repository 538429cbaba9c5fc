/**
 * Suite reservations: an exclusive path has one holder. 8 real processes, each holding its own
 * ticket, race to reserve one of eight overlapping paths and globs per round, all released
 * together; then each releases. Overlap is judged against a table written by hand for this set
 * (not by the code under test): no two agents ever hold overlapping exclusive reservations, every
 * told winner holds what it was told, and every refusal names a real overlap with a winner (a
 * reservation that blocks files it cannot match is a bug too).
 * Sizes: TRACK_SUITE_RESERVATION_ROUNDS (40), TRACK_SUITE_SCALE.
 */
import { assert, assertEquals } from "../assert.ts";
import { mainEnv, tempStore } from "../helpers.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { report, rng, seed, size, WorkerPool } from "./pool.ts";

const PATTERNS = [
  "src/app.ts",
  "src/*.ts",
  "src/**",
  "**/*.ts",
  "docs/guide.md",
  "**/*.md",
  "docs/**",
  "lib/util.js",
];

/** Pairs of PATTERNS indexes that some file matches both of (besides each with itself). */
const OVERLAPS: Array<[number, number]> = [
  [0, 1], // src/app.ts
  [0, 2],
  [0, 3],
  [1, 2], // src/x.ts
  [1, 3],
  [2, 3], // src/x.ts
  [2, 5], // src/x.md
  [3, 6], // docs/x.ts
  [4, 5], // docs/guide.md
  [4, 6],
  [5, 6], // docs/x.md
];

function overlaps(a: number, b: number): boolean {
  return a === b || OVERLAPS.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

async function cli(args: string[], cwd: string): Promise<string> {
  const io = new MemoryIo();
  const code = await main(args, { io, cwd, env: mainEnv() });
  assertEquals(code, 0, `track ${args.join(" ")}: ${io.stderr}`);
  return io.stdout;
}

Deno.test("suite reservations: overlapping exclusive paths never have two holders", async () => {
  const rounds = size("TRACK_SUITE_RESERVATION_ROUNDS", 40);
  const processes = 8;
  const s0 = seed();
  const rand = rng(s0);
  await using s = await tempStore();
  for (let p = 0; p < processes; p++) {
    await cli(["create", "--title", `R${p}`], s.root);
    await cli(["claim", String(p + 1), "--agent", `r${p}`], s.root);
  }
  await using pool = await WorkerPool.start(processes);
  let won = 0;
  let refused = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const picks = Array.from({ length: processes }, () => rand(PATTERNS.length));
    const results = await pool.round(picks.map((pick, p) => ({
      cwd: s.root,
      runs: [["files", "--add", PATTERNS[pick], "--agent", `r${p}`, "--ticket", String(p + 1)]],
    })));
    const winners: number[] = [];
    for (const [p, outs] of results.entries()) {
      const r = outs![0];
      if (r.code === 0) winners.push(p);
      else assertEquals(r.code, 3, `files --add ${PATTERNS[picks[p]]}: ${r.stderr}`);
    }
    // No two winners hold overlapping paths.
    for (const p of winners) {
      for (const q of winners) {
        assert(
          p >= q || !overlaps(picks[p], picks[q]),
          `round ${round}: r${p} got "${PATTERNS[picks[p]]}" and r${q} got "${
            PATTERNS[picks[q]]
          }", which overlap: two holders of one path`,
        );
      }
    }
    // Every refusal is explained by a winner's overlapping path.
    for (let p = 0; p < processes; p++) {
      if (winners.includes(p)) continue;
      assert(
        winners.some((q) => overlaps(picks[p], picks[q])),
        `round ${round}: r${p} was refused "${PATTERNS[picks[p]]}" though no winner's path (${
          winners.map((q) => `"${PATTERNS[picks[q]]}"`).join(", ")
        }) overlaps it`,
      );
    }
    // The store holds exactly what the winners were told.
    const listed = JSON.parse(await cli(["files", "--list", "--json"], s.root)) as {
      reservations: Array<{ path: string; agent: string; mode: string }>;
    };
    assertEquals(
      listed.reservations.map((r) => `${r.agent} ${r.path} ${r.mode}`).sort(),
      winners.map((p) => `r${p} ${PATTERNS[picks[p]]} exclusive`).sort(),
      `round ${round}: reservations on disk`,
    );
    won += winners.length;
    refused += processes - winners.length;
    await pool.round(
      picks.map((_, p) => ({ cwd: s.root, runs: [["files", "--release", "--agent", `r${p}`]] })),
    );
  }
  assert(refused > 0 && won > rounds, `no contention: ${won} won, ${refused} refused`);
  report("reservations", {
    processes,
    rounds,
    patterns: PATTERNS.length,
    reservations_won: won,
    refused_for_overlap: refused,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s0,
  });
});
