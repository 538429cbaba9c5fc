/**
 * Suite sync-race (issue 21): exactly one winner across machines. One bare repository, 4 clones,
 * 8 agents in each (32 long-lived real processes, tests/suites/sync_agent.ts, each inside its
 * clone), released together through their stdin gate.
 * - `next` race: in each run the 32 agents race `next` on 20 tickets (each retries until it is
 *   granted a ticket or nothing is ready). No tenure is ever granted twice, checked three ways:
 *   on the exit-0 outputs (a grant says `"confirmed": true` and its `claim_id`; the tickets of a
 *   run are distinct and no `claim_id` is told twice), on the final tree once the clones agree
 *   (every ticket held by the agent told it won, under that `claim_id`), and on every commit of
 *   the state ref's first-parent history (tests/suites/sync_lib.ts `tenures`: a `claim_id` names
 *   one agent on one ticket; a ticket's `claim_id` changes only where the parent commit shows it
 *   free; every exit-0 grant is there). All 20 tickets are granted in every run. Then every
 *   winner releases its ticket (published before the next run) and the next run starts.
 * - One ticket: in each round the 32 agents race `claim` of the same ticket: exactly one exit 0;
 *   every other agent exits 3 (the ticket is someone else's) or 8 (not confirmed: withdrawn),
 *   and once the clones agree the ticket is held by the winner alone.
 * The figure lines give the exit codes seen and the latency of the granting calls.
 * Sizes: TRACK_SUITE_SYNC_RACE_RUNS (CI 2; the 100), TRACK_SUITE_SYNC_RACE_ROUNDS (CI 3;
 * the 50), or TRACK_SUITE_SCALE. The remote: TRACK_SUITE_SYNC_REMOTE (path in CI).
 */
import { assert, assertEquals } from "../assert.ts";
import { type Clone, suiteRemote, SyncWorld } from "../sync_world.ts";
import { report, size } from "./pool.ts";
import type { AgentOutcome } from "./sync_agent.ts";
import {
  AgentPool,
  checkGrants,
  claimIdOf,
  converge,
  type Grant,
  grantOf,
  quantileMs,
  stateHistory,
  tenures,
  ticketsOf,
} from "./sync_lib.ts";

const CLONES = ["a", "b", "c", "d"];
const PER_CLONE = 8;
const TICKETS = 20;
/** How often one agent calls `next` again after a lost race or a withdrawn grant, per run. */
const ATTEMPTS = 20;

const ids = Array.from({ length: TICKETS }, (_, i) => `T-${String(i + 1).padStart(4, "0")}`);

/** 4 synced clones, `tickets` tickets created on the first and fetched by all. */
async function raceWorld(tickets: number) {
  const world = await SyncWorld.create({ remote: suiteRemote() });
  const clones = await world.syncedClones(CLONES);
  for (let i = 0; i < tickets; i++) await clones[0].ok(["create", "-t", `race ${i + 1}`]);
  await converge(world, clones);
  const agents = clones.flatMap((clone) =>
    Array.from({ length: PER_CLONE }, (_, k) => ({ clone, name: `bot-${clone.name}${k + 1}` }))
  );
  return { world, clones, agents };
}

/** Tallies exit codes; fails on any code the contract does not allow here. */
function tally(codes: Record<number, number>, o: AgentOutcome, allowed: number[], who: string) {
  codes[o.code] = (codes[o.code] ?? 0) + 1;
  assert(
    allowed.includes(o.code),
    `${who}: track ${
      o.args.join(" ")
    } exited ${o.code} (allowed ${allowed}): ${o.stderr}${o.stdout}`,
  );
}

/** The holder and claim_id of each ticket in `clone` (after the clones agree). */
function holders(clone: Clone): Map<string, { by: string | null; claimId: string | null }> {
  return new Map(
    ticketsOf(clone).map((t) => [t.id, { by: t.claimed_by, claimId: claimIdOf(t) }]),
  );
}

Deno.test("suite sync-race: 4 clones x 8 agents race next on 20 tickets; no tenure granted twice, all 20 granted", async () => {
  const runs = size("TRACK_SUITE_SYNC_RACE_RUNS", 2);
  const started = performance.now();
  const { world, clones, agents } = await raceWorld(TICKETS);
  await using _world = world;
  await using pool = await AgentPool.start(agents);
  const codes: Record<number, number> = {};
  const grants: Grant[] = [];
  const grantMs: number[] = [];
  const callMs: number[] = [];
  let mopUps = 0;
  for (let run = 1; run <= runs; run++) {
    const won = new Map<string, Grant>(); // ticket -> grant of this run
    const winners = new Set<string>();
    const collect = (outs: Array<AgentOutcome[] | null>) => {
      for (const [i, rs] of outs.entries()) {
        for (const o of rs ?? []) {
          const who = `run ${run}, ${agents[i].name}`;
          tally(codes, o, [0, 3, 4, 8], who);
          callMs.push(o.endMs - o.startMs);
          if (o.code !== 0) continue;
          const g = grantOf(agents[i].name, o.stdout, who, agents[i].clone);
          grantMs.push(o.endMs - o.startMs);
          assert(!g.already, `${who}: "already" in a race where it held nothing`);
          const other = won.get(g.ticket);
          assert(
            other === undefined,
            `double grant: ${g.ticket} told to ${other?.agent} (${other?.claim_id}) and ` +
              `${g.agent} (${g.claim_id}) in run ${run}`,
          );
          won.set(g.ticket, g);
          winners.add(g.agent);
          grants.push(g);
        }
      }
    };
    const next = (name: string) => ({
      runs: [["next", "--agent", name, "--json"]],
      until: [0, 4],
      attempts: ATTEMPTS,
    });
    collect(await pool.round(agents.map(({ name }) => next(name))));
    await converge(world, clones);
    if (won.size < TICKETS) {
      // An agent told "nothing ready" while a claim elsewhere was later withdrawn: once the
      // clones agree, those without a ticket ask again (counted: mop_ups).
      mopUps++;
      collect(
        await pool.round(agents.map(({ name }) => (winners.has(name) ? null : next(name)))),
      );
      await converge(world, clones);
    }
    assertEquals(won.size, TICKETS, `run ${run}: granted ${[...won.keys()].sort()}`);
    // The final tree: every ticket held by the agent told it won, under that claim_id.
    for (const c of clones) {
      const h = holders(c);
      for (const id of ids) {
        const g = won.get(id)!;
        assertEquals(
          h.get(id),
          { by: g.agent, claimId: g.claim_id },
          `run ${run}: ${id} in ${c.name}`,
        );
      }
    }
    // Every winner releases (its own release, published before the next run).
    const release = await pool.round(agents.map(({ name }) => {
      const g = [...won.values()].find((w) => w.agent === name);
      return g === undefined
        ? null
        : { runs: [["update", g.ticket, "--status", "backlog", "--agent", name, "--json"]] };
    }));
    for (const [i, rs] of release.entries()) {
      for (const o of rs ?? []) assertEquals(o.code, 0, `${agents[i].name} release: ${o.stderr}`);
    }
    await converge(world, clones);
  }
  const history = await stateHistory(world);
  const seen = tenures(history);
  const problems = [...seen.problems, ...checkGrants(grants, seen)];
  assertEquals(problems, [], "tenures granted twice or grants lost");
  report("sync-race", {
    clones: CLONES.length,
    agents: agents.length,
    tickets: TICKETS,
    runs,
    design_runs: 100,
    double_grants: 0,
    regrants: seen.regrants.length,
    granted: `${TICKETS}/${TICKETS}`,
    grants: grants.length,
    exit0: codes[0] ?? 0,
    exit3: codes[3] ?? 0,
    exit4: codes[4] ?? 0,
    exit8: codes[8] ?? 0,
    mop_ups: mopUps,
    p50_ms: quantileMs(grantMs, 0.5),
    p95_ms: quantileMs(grantMs, 0.95),
    call_p95_ms: quantileMs(callMs, 0.95),
    state_commits: history.length,
    remote: world.remote,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
  });
});

Deno.test("suite sync-race: 32 agents on 4 clones claim one ticket; exactly one exit 0 per round", async () => {
  const rounds = size("TRACK_SUITE_SYNC_RACE_ROUNDS", 3);
  const started = performance.now();
  const { world, clones, agents } = await raceWorld(1);
  await using _world = world;
  await using pool = await AgentPool.start(agents);
  const ticket = ids[0];
  const codes: Record<number, number> = {};
  const grants: Grant[] = [];
  const winMs: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const outs = await pool.round(
      agents.map(({ name }) => ({ runs: [["claim", ticket, "--agent", name, "--json"]] })),
    );
    const winners: Grant[] = [];
    const withdrawn: string[] = [];
    for (const [i, rs] of outs.entries()) {
      const o = rs![0];
      const who = `round ${round}, ${agents[i].name}`;
      tally(codes, o, [0, 3, 8], who);
      if (o.code === 8) withdrawn.push(agents[i].name);
      if (o.code !== 0) continue;
      winners.push(grantOf(agents[i].name, o.stdout, who, agents[i].clone));
      winMs.push(o.endMs - o.startMs);
    }
    assertEquals(
      winners.map((w) => w.agent).length,
      1,
      `round ${round}: exit 0 for ${winners.map((w) => w.agent).join(", ") || "nobody"}`,
    );
    grants.push(...winners);
    await converge(world, clones);
    // Held by the winner alone, in every clone: no agent told 8 (or 3) holds it.
    for (const c of clones) {
      assertEquals(
        holders(c).get(ticket),
        { by: winners[0].agent, claimId: winners[0].claim_id },
        `round ${round}: ${ticket} in ${c.name} (withdrawn: ${withdrawn.join(", ")})`,
      );
    }
    const w = agents.findIndex((a) => a.name === winners[0].agent);
    const rel = await pool.round(
      agents.map((_, i) =>
        i === w
          ? { runs: [["update", ticket, "--status", "backlog", "--agent", agents[i].name]] }
          : null
      ),
    );
    assertEquals(rel[w]![0].code, 0, `release: ${rel[w]![0].stderr}`);
    await converge(world, clones);
  }
  const seen = tenures(await stateHistory(world));
  assertEquals([...seen.problems, ...checkGrants(grants, seen)], []);
  report("sync-race-one-ticket", {
    clones: CLONES.length,
    agents: agents.length,
    rounds,
    design_rounds: 50,
    winners_per_round: 1,
    double_grants: 0,
    exit0: codes[0] ?? 0,
    exit3: codes[3] ?? 0,
    exit8: codes[8] ?? 0,
    p50_ms: quantileMs(winMs, 0.5),
    p95_ms: quantileMs(winMs, 0.95),
    remote: world.remote,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
  });
});
