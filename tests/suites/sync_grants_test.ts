/**
 * Suite sync-grants (issue 21): the process pushing a claim is SIGKILLed at random moments,
 * again and again, while an agent of another clone claims the same ticket at the same time.
 * The killed command is a `claim` or a `next` (each syncs before returning, design §7.1); a
 * quarter of the kills come right after its `git push` returned (the remote has answered, and
 * accepted it when the lease held: the agent holds a ticket it was never told about), a quarter
 * right before that push, the rest at moments drawn over the measured run time of a claim. git
 * children of a killed command run on as orphans, as on a real machine.
 * Every few kills the clones agree (each syncs until a whole round leaves the state ref where it
 * was), and then: no agent holds a ticket it was last told exit 8 for; every holder writes a Work
 * Log line and releases its ticket (both must exit 0; the release is published before its clone
 * claims again). At the end, on the state ref's whole first-parent history
 * (tests/suites/sync_lib.ts `tenures`): no tenure granted twice (a `claim_id` names one agent on
 * one ticket; a ticket's `claim_id` changes only where the parent commit shows it free, or held
 * by the same agent claiming it again after a claim it was never told it won: killed, or told 8
 * and published after all; counted as `regrants`), and every write that exited 0 is present: each granted `claim_id` with its agent, each release, and each
 * Work Log line in the final tickets.
 * Sizes: TRACK_SUITE_SYNC_CLAIM_KILLS (CI 16; the issue's 500), or TRACK_SUITE_SCALE. The
 * remote: TRACK_SUITE_SYNC_REMOTE (path in CI).
 */
import { assert, assertEquals } from "../assert.ts";
import { type Clone, type Outcome, suiteRemote, SyncWorld } from "../sync_world.ts";
import { report, rng, seed, size } from "./pool.ts";
import {
  assertCompleteState,
  checkGrants,
  claimIdOf,
  type Grant,
  grantOf,
  stateHistory,
  tenures,
  ticketsOf,
} from "./sync_lib.ts";

const NAMES = ["a", "b", "c"];
const AGENTS_PER_CLONE = 2;
const TICKETS = 6;
/** Kills between two points where the clones agree and every holder releases. */
const SETTLE_EVERY = 4;

const dec = new TextDecoder();

/**
 * A `git` first on the PATH of a rival whose push fails: `hangup` runs the real push once and
 * then exits 128 as if the connection dropped after the remote accepted it (the claim is
 * published, the client does not know); `unreachable` fails every push before sending anything.
 */
async function failingGit(world: SyncWorld, mode: "hangup" | "unreachable") {
  const dir = await Deno.makeTempDir({ dir: world.root, prefix: `git-${mode}-` });
  const real = (await world.mustGit(["--exec-path"])).trim() + "/git";
  const once = `${dir}/once`;
  await Deno.writeTextFile(once, "");
  const fail = `echo "fatal: the remote end hung up unexpectedly" >&2; exit 128`;
  await Deno.writeTextFile(
    `${dir}/git`,
    `#!/bin/sh
push=
for arg in "$@"; do [ "$arg" = push ] && push=1 && break; done
[ -n "$push" ] || exec '${real}' "$@"
${
      mode === "unreachable" ? fail : `'${real}' "$@" || exit $?
if rm '${once}' 2>/dev/null; then ${fail}; fi
exit 0`
    }
`,
  );
  await Deno.chmod(`${dir}/git`, 0o755);
  return { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` };
}

/** Syncs `clone`; a sync that exits 8 (a remote ref still locked by a killed push's orphan) is tried again. */
async function sync(clone: Clone): Promise<Outcome> {
  let r: Outcome | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    r = await clone.sync();
    if (r.code !== 8) break;
  }
  assertEquals(r!.code, 0, `${clone.name}: track sync exited ${r!.code}: ${r!.stderr}`);
  return r!;
}

/** Syncs every clone round after round until a whole round leaves the state ref in place. */
async function agree(world: SyncWorld, clones: Clone[]): Promise<void> {
  for (let round = 1; round <= 6; round++) {
    const before = await world.remoteRef();
    for (const c of clones) await sync(c);
    if (round > 1 && (await world.remoteRef()) === before) return;
  }
  throw new Error("the clones did not agree in 6 rounds");
}

Deno.test("suite sync-grants: kill -9 of a pushing claim at random moments; no tenure granted twice, no write lost, no agent holds what it was told 8 for", async () => {
  const kills = size("TRACK_SUITE_SYNC_CLAIM_KILLS", 16);
  const s = seed();
  const pick = rng(s);
  const started = performance.now();
  await using world = await SyncWorld.create({ remote: suiteRemote() });
  const clones = await world.syncedClones(NAMES);
  for (let i = 0; i < TICKETS; i++) await clones[0].ok(["create", "-t", `contested ${i + 1}`]);
  await agree(world, clones);
  const ids = Array.from({ length: TICKETS }, (_, i) => `T-${String(i + 1).padStart(4, "0")}`);
  const agentsOf = (c: Clone) =>
    Array.from({ length: AGENTS_PER_CLONE }, (_, k) => `kb-${c.name}${k + 1}`);
  const hostOf = (agent: string) => clones.find((c) => agent === `kb-${c.name}${agent.at(-1)}`)!;

  const grants: Grant[] = [];
  const releases: Array<{ ticket: string; claimId: string; agent: string }> = [];
  const logs: Array<{ ticket: string; line: string }> = [];
  /** (agent, ticket) -> the last exit code the agent was told for a claim of it. */
  const told = new Map<string, number>();
  const codes: Record<number, number> = {};
  /** Exit codes of rivals whose push failed: `hangup_0`, `unreachable_8`, … */
  const rivalCodes: Record<string, number> = {};
  let checked8 = 0;
  let settles = 0;

  /** Records what an unkilled claim/next said. */
  const record = (agent: string, args: string[], r: Outcome, where: string) => {
    const clone = hostOf(agent);
    codes[r.code] = (codes[r.code] ?? 0) + 1;
    const allowed = args[0] === "next" ? [0, 3, 4, 8] : [0, 3, 8];
    assert(allowed.includes(r.code), `${where}: ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    if (r.code === 0) {
      const g = grantOf(agent, r.stdout, where, clone);
      if (!g.already) grants.push(g);
      told.set(`${agent} ${g.ticket}`, 0);
    } else if (r.code === 8 && args[0] === "claim") {
      told.set(`${agent} ${args[1]}`, 8);
    } else if (r.code === 8) {
      // `next` withdrawn: the error names the ticket it had picked (detail.ticket; else any
      // ticket the message names counts as told 8).
      const json = r.stderr.split("\n").filter((l) => l.startsWith("{")).at(-1);
      const named = json === undefined
        ? undefined
        : (JSON.parse(json) as { error?: { detail?: { ticket?: string } } }).error?.detail?.ticket;
      for (const id of ids) {
        if (named === id || (named === undefined && r.stderr.includes(id))) {
          told.set(`${agent} ${id}`, 8);
        }
      }
    }
  };
  /** A killed claim/next was told nothing: what it may have been granted is not "told 8". */
  const forget = (agent: string, args: string[]) => {
    for (const id of ids) {
      if (args[0] === "next" || args[1] === id) told.delete(`${agent} ${id}`);
    }
  };
  const outcome = (out: Deno.CommandOutput): Outcome => ({
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  });

  /**
   * The clones agree; no agent holds a ticket it was last told 8 for; every holder logs a line
   * and releases (each exit 0), and its clone publishes the release before claiming again.
   */
  const settle = async () => {
    settles++;
    await agree(world, clones);
    for (const c of clones) {
      for (const t of ticketsOf(c)) {
        if (t.claimed_by !== null && told.get(`${t.claimed_by} ${t.id}`) === 8) {
          throw new Error(
            `${c.name}: ${t.claimed_by} holds ${t.id}, told exit 8 for it (seed ${s})`,
          );
        }
      }
    }
    checked8 += [...told.values()].filter((v) => v === 8).length;
    told.clear();
    const held = ticketsOf(clones[0]).filter((t) => t.claimed_by !== null);
    const releasing = new Set<Clone>();
    for (const t of held) {
      const agent = t.claimed_by!;
      const host = hostOf(agent);
      assert(host !== undefined, `${t.id} held by ${agent}, no agent of this suite`);
      const line = `kill-suite log ${settles} ${t.id}`;
      await host.ok(["log", t.id, "--agent", agent, "-m", line]);
      logs.push({ ticket: t.id, line });
      await host.ok(["update", t.id, "--status", "backlog", "--agent", agent]);
      releases.push({ ticket: t.id, claimId: claimIdOf(t)!, agent });
      releasing.add(host);
    }
    for (const c of releasing) await sync(c);
  };

  // The kill window: the median run time of unkilled claims, then adapted like sync-kill's.
  const durations: number[] = [];
  for (const [k, c] of clones.entries()) {
    const agent = agentsOf(c)[0];
    const t0 = performance.now();
    const r = await c.track(["claim", ids[k], "--agent", agent, "--json"]);
    durations.push(performance.now() - t0);
    record(agent, ["claim", ids[k]], r, `warm-up ${c.name}`);
  }
  await settle();
  let window = durations.sort((x, y) => x - y)[1];

  let killed = 0;
  let finishedFirst = 0;
  let afterPush = 0;
  let acceptedThenKilled = 0;
  let beforePush = 0;
  let last = "";
  for (let i = 0; i < kills; i++) {
    const victimClone = clones[i % clones.length];
    const victim = agentsOf(victimClone)[pick(AGENTS_PER_CLONE)];
    const rivalClone = clones[(i + 1 + pick(clones.length - 1)) % clones.length];
    const rival = agentsOf(rivalClone)[pick(AGENTS_PER_CLONE)];
    const ticket = ids[pick(TICKETS)];
    const victimArgs = i % 2 === 0 ? ["claim", ticket] : ["next"];
    const rivalArgs = ["claim", ticket];
    const remoteBefore = await world.remoteRef();
    const mode = i % 4 === 1 ? "after-push" : i % 4 === 3 ? "before-push" : "random";
    const barrier = mode === "random"
      ? null
      : await world.gitBarrier(["push"], { after: mode === "after-push" });
    const child = victimClone.spawn([...victimArgs, "--agent", victim, "--json"], {
      env: barrier?.env,
    });
    const rivalMode = i % 5 === 3 ? "hangup" : i % 5 === 4 ? "unreachable" : "plain";
    const rivalEnv = rivalMode === "plain" ? undefined : await failingGit(world, rivalMode);
    const rivalRun = rivalClone.spawn([...rivalArgs, "--agent", rival, "--json"], {
      env: rivalEnv,
    }).output();
    let delay: string | number = mode;
    if (barrier !== null) {
      const first = await Promise.race([
        barrier.reached().then(() => "reached"),
        child.status.then(() => "exit"),
      ]);
      if (first === "reached") {
        child.kill("SIGKILL");
        await child.status.catch(() => {});
        if (mode === "after-push") {
          afterPush++;
          const tip = await world.remoteRef();
          if (tip !== null && tip !== remoteBefore) {
            const range = remoteBefore === null ? tip : `${remoteBefore}..${tip}`;
            const msgs = await world.bareGit(["log", "--format=%B", range]);
            const mine = new RegExp(`^Track-Op: \\d+ (claim|next) \\S+ ${victim} `, "m");
            if (mine.test(msgs.stdout)) acceptedThenKilled++;
          }
        } else beforePush++;
        await barrier.release();
      } else await barrier.cancel();
    } else {
      const ms = i % 6 === 0 ? pick(Math.ceil(window)) : (window >> 1) + pick(Math.ceil(window));
      delay = ms;
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // It finished first.
        }
      }, ms);
      await child.status;
      clearTimeout(timer);
    }
    const out = await child.output();
    last = `kill ${i} (${
      victimArgs[0]
    } by ${victim} on ${victimClone.name} at ${delay}, seed ${s})`;
    if (out.signal === null) {
      finishedFirst++;
      record(victim, victimArgs, outcome(out), last);
      if (barrier === null) window *= 0.8;
    } else {
      killed++;
      forget(victim, victimArgs);
      if (barrier === null) window = Math.min(window * 1.05, durations[2] * 2);
    }
    const rivalOut = outcome(await rivalRun);
    record(rival, rivalArgs, rivalOut, `rival ${rival} (${rivalMode}) of ${last}`);
    rivalCodes[`${rivalMode}_${rivalOut.code}`] =
      (rivalCodes[`${rivalMode}_${rivalOut.code}`] ?? 0) + 1;
    await assertCompleteState(world);
    if (i % SETTLE_EVERY === SETTLE_EVERY - 1 || i === kills - 1) await settle();
  }

  // The whole first-parent history: no tenure granted twice, every exit-0 write present.
  const history = await stateHistory(world);
  const seen = tenures(history);
  const problems = [...seen.problems, ...checkGrants(grants, seen)];
  for (const r of releases) {
    const found = history.some((c) => {
      const t = c.tickets.get(r.ticket);
      return t !== undefined && t.claim_id === r.claimId && t.claimed_by === null;
    });
    if (!found) {
      problems.push(`release of ${r.ticket} (${r.claimId}) by ${r.agent} never published`);
    }
  }
  const final = history.at(-1)!.tickets;
  for (const l of logs) {
    if (!final.get(l.ticket)?.text.includes(l.line)) {
      problems.push(`lost Work Log line "${l.line}"`);
    }
  }
  assertEquals(problems, [], `after ${last}`);
  if (kills >= 8) {
    assert(killed > 0, "no claim was killed");
    assert(afterPush > 0, "no claim was killed right after its push returned");
  }
  report("sync-grants", {
    runs: kills,
    design_runs: 500,
    kills: killed,
    finished_first: finishedFirst,
    kills_after_push: afterPush,
    accepted_then_killed: acceptedThenKilled,
    kills_before_push: beforePush,
    window_ms: Math.ceil(window),
    double_grants: 0,
    regrants: seen.regrants.length,
    grants: grants.length,
    releases: releases.length,
    logs: logs.length,
    lost_writes: 0,
    told8_checked: checked8,
    exit0: codes[0] ?? 0,
    exit3: codes[3] ?? 0,
    exit4: codes[4] ?? 0,
    exit8: codes[8] ?? 0,
    ...Object.fromEntries(
      Object.entries(rivalCodes).filter(([k]) => !k.startsWith("plain")).sort().map((
        [k, v],
      ) => [`rival_${k}`, v]),
    ),
    state_commits: history.length,
    remote: world.remote,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s,
  });
});
