/**
 * Suite sync-lease: leases across machines (docs/sync.md "Leases across machines"; design
 * sync.md §7.3). Clones of one world stand for machines: each runs track with a boot id of its
 * own and a wall clock set apart (±2 h), and time goes by on a virtual clock (the boot clock
 * and the wall clock of every run are shifted by it, tests/track_test_main.ts): minutes of
 * stale threshold pass without sleeping. T is config.json's default, 30 minutes.
 *
 * - an agent whose commands come 9 and 25 minutes apart is never reclaimed from another
 *   machine, and only every T/3 a heartbeat alone makes a push;
 * - observers that each live T/2 together reclaim a killed agent's ticket within 3T/2 plus
 *   one sync interval, and never before 3T/2 (their observation time relayed through the
 *   state ref, one predecessor each);
 * - a partitioned holder refuses its own writes (and the PreToolUse hook its edits) before any
 *   observer may reclaim it.
 */
import { assert, assertEquals } from "../assert.ts";
import { claudeHookInput, exists, MAIN } from "../helpers.ts";
import { type Clone, type Outcome, SyncWorld } from "../sync_world.ts";
import type { FakeClock } from "../track_test_main.ts";
import { stateHistory, ticketsOf } from "./sync_lib.ts";
import { agentForSession } from "../../src/integrations/claude_session.ts";
import { keeperPidFile, keeperRunning } from "../../src/operations/lease_keeper.ts";
import { syncPaths } from "../../src/store/sync_config.ts";

/** Prints one figure line of this suite (`[suite sync-lease] …`). */
function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A clone standing for a machine: its own boot id and wall-clock skew, on the test's clock. */
class Machine {
  constructor(
    readonly clone: Clone,
    readonly boot: string,
    readonly skewMs: number,
    readonly clock: { t: number },
  ) {}
  fake(): FakeClock {
    const wall = this.skewMs + this.clock.t;
    return {
      boot: this.boot,
      uptime: `+${this.clock.t}`,
      now: wall >= 0 ? `+${wall}` : `${wall}`,
    };
  }
  run(args: string[], stdin?: string): Promise<Outcome> {
    return this.clone.track(args, { clock: this.fake(), stdin });
  }
  async ok(args: string[]): Promise<Outcome> {
    const r = await this.run(args);
    if (r.code !== 0) {
      throw new Error(
        `${this.clone.name} at ${this.clock.t / MIN} min: track ${args.join(" ")} exited ` +
          `${r.code}: ${r.stderr}`,
      );
    }
    return r;
  }
  async json<T = Record<string, unknown>>(args: string[]): Promise<T> {
    return JSON.parse((await this.ok([...args, "--json"])).stdout) as T;
  }
  /** Syncs; returns whether it pushed. */
  async sync(): Promise<{ pushed: boolean; deferred_reason: string | null }> {
    return await this.json(["sync"]);
  }
  /** `stale --reclaim`: the tickets it returned to backlog. */
  async reclaim(): Promise<string[]> {
    const out = await this.json<{ reclaimed?: Array<{ tickets?: string[] }> }>([
      "stale",
      "--reclaim",
      "--agent",
      `watcher-${this.clone.name}`,
    ]);
    return JSON.stringify(out).match(/T-\d{4}/g) ?? [];
  }
}

/** A machine joining the world now: a new clone, sync on (adopting the state), unpaced. */
async function join(
  w: SyncWorld,
  name: string,
  skewMs: number,
  clock: { t: number },
): Promise<Machine> {
  const c = await w.clone(name);
  const m = new Machine(c, `boot-${name}`, skewMs, clock);
  await m.ok(["remote", "add", "origin"]);
  c.setInterval(0);
  return m;
}

/** A world whose first machine `a` published one ticket, T-0001. */
async function started(skewA: number, clock: { t: number }): Promise<[SyncWorld, Machine]> {
  const w = await SyncWorld.create();
  const c = await w.clone("a");
  const a = new Machine(c, "boot-a", skewA, clock);
  await a.ok(["create", "--title", "Lease test ticket"]);
  await a.ok(["remote", "add", "origin"]);
  c.setInterval(0);
  return [w, a];
}

Deno.test("sync-lease: an agent whose commands come 9 and 25 minutes apart (T = 30) is never reclaimed from another machine", async () => {
  const clock = { t: 0 };
  const [w, a] = await started(2 * HOUR, clock);
  await using _ = w;
  const b = await join(w, "b", -2 * HOUR, clock);
  // A claim with sync on is published before it returns (a decision, docs/sync.md).
  await a.ok(["claim", "T-0001", "--agent", "bob"]);
  await b.sync();
  // The holder's commands: gaps of 9 and 25 minutes; the observer syncs and tries to reclaim
  // every 4 minutes and just before each of the holder's commands.
  const holder = [9, 34, 43, 68, 77, 102, 111, 136].map((m) => m * MIN);
  const watch = new Set<number>();
  for (let m = 4; m <= 140; m += 4) watch.add(m * MIN);
  for (const h of holder) watch.add(h - MIN);
  const times = [...new Set([...holder, ...watch])].sort((x, y) => x - y);
  const published: number[] = [];
  let checks = 0;
  for (const t of times) {
    clock.t = t;
    if (holder.includes(t)) {
      await a.ok(["heartbeat", "--agent", "bob"]);
      const s = await a.sync();
      if (s.pushed) published.push(t / MIN);
      else assertEquals(s.deferred_reason, "heartbeat");
    }
    if (watch.has(t)) {
      await b.sync();
      const taken = await b.reclaim();
      checks++;
      assertEquals(taken, [], `reclaimed at ${t / MIN} min`);
    }
  }
  // A heartbeat alone is published once the published one is T/3 (10 min) old, no sooner.
  assertEquals(published, [34, 68, 102, 136]);
  // The observer did observe: its observation of bob is on the state ref.
  const files = await w.mustGit([
    "--git-dir",
    w.bare,
    "ls-tree",
    "-r",
    "--name-only",
    "refs/track/state",
    "observations",
  ]);
  const seen = await Promise.all(
    files.trim().split("\n").filter((f) => f !== "").map((f) =>
      w.mustGit(["--git-dir", w.bare, "show", `refs/track/state:${f}`])
    ),
  );
  assert(seen.some((text) => "bob" in JSON.parse(text)), files);
  // Still the holder, on both machines, and its writes go through.
  await a.ok(["log", "T-0001", "--agent", "bob", "-m", "still here"]);
  await b.sync();
  for (const m of [a, b]) {
    const t = ticketsOf(m.clone).find((x) => x.id === "T-0001")!;
    assertEquals([t.status, t.claimed_by], ["claimed", "bob"], m.clone.name);
  }
  say(
    `[suite sync-lease] 9/25-minute holder, T=30m, ±2h skew: ${checks} reclaim attempts, ` +
      `0 reclaims; heartbeats published at ${published.join(", ")} min`,
  );
});

Deno.test("sync-lease: observers that each live T/2 together reclaim a killed agent within 3T/2 plus one sync interval", async () => {
  const clock = { t: 0 };
  const [w, a] = await started(0, clock);
  await using _ = w;
  // A claim with sync on is published before it returns (a decision, docs/sync.md).
  await a.ok(["claim", "T-0001", "--agent", "bob"]);
  // Killed now: machine a runs nothing more. Containers come and go, each for T/2 = 15 min,
  // syncing every 5 min (the sync interval here) and trying to reclaim after each sync.
  const interval = 5 * MIN;
  let reclaimedAt: number | null = null;
  let by = "";
  let attempts = 0;
  for (let i = 1; i <= 5 && reclaimedAt === null; i++) {
    const start = (i - 1) * 15 * MIN;
    clock.t = start;
    const c = await join(w, `c${i}`, (i % 2 === 0 ? -2 : 2) * HOUR, clock);
    for (let t = start + interval; t <= start + 15 * MIN; t += interval) {
      clock.t = t;
      await c.sync();
      const taken = await c.reclaim();
      attempts++;
      if (taken.length > 0) {
        assert(t >= 45 * MIN, `reclaimed at ${t / MIN} min, before 3T/2`);
        reclaimedAt = t;
        by = c.clone.name;
        await c.sync();
        break;
      }
    }
  }
  assert(reclaimedAt !== null, "never reclaimed");
  assert(reclaimedAt <= 45 * MIN + interval, `reclaimed at ${reclaimedAt / MIN} min`);
  // Published: the holder's machine sees it once it syncs again.
  clock.t += MIN;
  await a.sync();
  const t = ticketsOf(a.clone).find((x) => x.id === "T-0001")!;
  assertEquals([t.status, t.claimed_by], ["backlog", null]);
  say(
    `[suite sync-lease] observers living T/2 each: reclaimed by ${by} at ` +
      `${reclaimedAt / MIN} min after the kill (3T/2 = 45 min, sync interval 5 min), ` +
      `${attempts} attempts`,
  );
});

Deno.test("sync-lease: a partitioned holder refuses its own writes and edits before any observer may reclaim it (±2 h skew)", async () => {
  for (const skew of [2 * HOUR, -2 * HOUR]) {
    const clock = { t: 0 };
    const [w, a] = await started(skew, clock);
    await using _ = w;
    const b = await join(w, "b", -skew, clock);
    const session = "lease-session-1";
    const agent = agentForSession(session);
    await a.ok(["register", "--agent", agent, "--session-id", session]);
    await a.ok(["claim", "T-0001", "--agent", agent]);
    await a.ok(["files", "--add", "src/lease.ts", "--agent", agent, "--ticket", "T-0001"]);
    await a.sync();
    await b.sync();
    // The partition: machine a no longer reaches the remote.
    await a.clone.git(["remote", "set-url", "origin", `${w.root}/gone.git`]);
    const edit = claudeHookInput(session, a.clone.dir, "PreToolUse", {
      tool_name: "Edit",
      tool_input: { file_path: `${a.clone.dir}/src/lease.ts` },
    });
    let refusedAt: number | null = null;
    let deniedAt: number | null = null;
    let warnedAt: number | null = null;
    let reclaimedAt: number | null = null;
    const steps = [5, 10, 14, 15, 20, 25, 30, 35, 40, 41, 42, 43, 44, 45, 46, 47, 48];
    for (const m of steps) {
      clock.t = m * MIN;
      const log = await a.run(["log", "T-0001", "--agent", agent, "-m", `minute ${m}`]);
      if (log.code === 3 && /lease expired/.test(log.stderr)) refusedAt ??= m;
      else assertEquals(log.code, 0, `${m} min: ${log.stderr}`);
      if (/lease at risk/.test(log.stderr)) warnedAt ??= m;
      const hook = await a.run(["hook", "claude", "pre-tool-use"], edit);
      assertEquals(hook.code, 0, hook.stderr);
      if (/lease expired/.test(hook.stdout)) deniedAt ??= m;
      assertEquals((await a.run(["sync"])).code, 8);
      await b.sync();
      if ((await b.reclaim()).length > 0) {
        reclaimedAt = m;
        break;
      }
    }
    assertEquals(warnedAt, 15, "warns from T/2");
    assert(refusedAt !== null && deniedAt !== null, "the holder never stopped");
    assertEquals([refusedAt, deniedAt], [44, 44], "refuses from 3T/2 - T/20 = 43.5 min");
    assert(reclaimedAt !== null && reclaimedAt >= 45, `reclaimed at ${reclaimedAt}`);
    assert(refusedAt < reclaimedAt && deniedAt < reclaimedAt);
    say(
      `[suite sync-lease] partitioned holder (skew ${skew / HOUR} h): warned at ${warnedAt} ` +
        `min, refused its writes and edits at ${refusedAt} min, reclaimed elsewhere at ` +
        `${reclaimedAt} min`,
    );
  }
});

/** Sets `stale_threshold` in a clone's config.json. */
function setThreshold(c: Clone, value: string): void {
  const file = `${c.dir}/.track/config.json`;
  const config = JSON.parse(Deno.readTextFileSync(file));
  Deno.writeTextFileSync(
    file,
    JSON.stringify({ ...config, stale_threshold: value }, null, 2) + "\n",
  );
}

/** Waits (bounded) until `check` holds; throws with `what` when it never does. */
async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("sync-lease: an agent in one long tool call keeps its lease through the keeper; once its Claude Code process is gone another machine reclaims", async () => {
  // Real time here (the keeper is a detached process on the real clocks), with T = 12 s.
  const T = 12_000;
  const w = await SyncWorld.create();
  await using _ = w;
  const [a, b] = await w.syncedClones(["a", "b"]);
  for (const c of [a, b]) setThreshold(c, "12s");
  const session = "lease-keeper-session";
  const agent = agentForSession(session);
  await a.ok(["create", "--title", "A long build"]);
  await a.ok(["register", "--agent", agent, "--session-id", session]);
  await a.ok(["claim", "T-0001", "--agent", agent]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  // A stand-in for Claude Code: a shell named claude that runs the hook, then "works".
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  Deno.copyFileSync("/bin/sh", `${bin}/claude`);
  Deno.chmodSync(`${bin}/claude`, 0o755);
  const input = `${w.root}/pre-tool-use.json`;
  Deno.writeTextFileSync(
    input,
    claudeHookInput(session, a.dir, "PreToolUse", {
      tool_name: "Bash",
      tool_use_id: "toolu_build",
      tool_input: { command: "make build" },
    }),
  );
  const hook = [Deno.execPath(), "run", "-A", "--quiet", MAIN, "hook", "claude", "pre-tool-use"]
    .map((x) => `'${x}'`).join(" ");
  const claude = w.spawn([`${bin}/claude`, "-c", `${hook} < '${input}'; sleep 600`], {
    cwd: a.dir,
    env: { TRACK_SYNC: "auto" },
  });
  const paths = syncPaths(a.gitDir);
  await until(() => keeperRunning(paths, agent) !== null, "the keeper to start");
  // Two thresholds of one tool call: another machine tries to reclaim all along, in vain.
  const seqOf = () => {
    const text = Deno.readTextFileSync(`${b.storeDir}/agents/${agent}.json`);
    return (JSON.parse(text).heartbeat_seq ?? 0) as number;
  };
  const seq0 = seqOf();
  const start = Date.now();
  let attempts = 0;
  while (Date.now() - start < 2 * T) {
    await b.ok(["sync"]);
    const r = await b.json<{ reclaimed: unknown[] }>(["stale", "--reclaim", "--agent", "watcher"]);
    attempts++;
    assertEquals(r.reclaimed, [], `reclaimed ${Date.now() - start} ms into the call`);
  }
  const beats = seqOf() - seq0;
  assert(beats >= 2, `the keeper published ${beats} heartbeats in 2T`);
  // The call's process dies (no PostToolUse comes): the keeper ends, the lease runs out.
  claude.kill("SIGKILL");
  await claude.status;
  const killed = Date.now();
  await until(() => keeperRunning(paths, agent) === null, "the keeper to exit", 4 * T);
  let reclaimedAfter: number | null = null;
  while (reclaimedAfter === null && Date.now() - killed < 8 * T) {
    await b.ok(["sync"]);
    const r = await b.json<{ reclaimed: unknown[] }>(["stale", "--reclaim", "--agent", "watcher"]);
    if (r.reclaimed.length > 0) reclaimedAfter = Date.now() - killed;
  }
  assert(reclaimedAfter !== null, "never reclaimed after the process was gone");
  say(
    `[suite sync-lease] keeper, T=12s: ${attempts} reclaim attempts in a 2T tool call, 0 ` +
      `reclaims, ${beats} heartbeats published by the keeper; reclaimed ${reclaimedAfter} ms ` +
      `after the process was killed (3T/2 = ${1.5 * T} ms after the last published heartbeat)`,
  );
});

Deno.test("sync-lease: PostToolUse ends the keeper; none starts with sync manual", async () => {
  const w = await SyncWorld.create();
  await using _ = w;
  const [a] = await w.syncedClones(["a"]);
  setThreshold(a, "12s");
  const session = "lease-keeper-post";
  const agent = agentForSession(session);
  await a.ok(["create", "--title", "Short call"]);
  await a.ok(["register", "--agent", agent, "--session-id", session]);
  await a.ok(["claim", "T-0001", "--agent", agent]);
  await a.ok(["sync"]);
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  Deno.copyFileSync("/bin/sh", `${bin}/claude`);
  Deno.chmodSync(`${bin}/claude`, 0o755);
  const call = { tool_name: "Bash", tool_use_id: "toolu_1", tool_input: { command: "make" } };
  const pre = `${w.root}/pre.json`;
  const post = `${w.root}/post.json`;
  Deno.writeTextFileSync(pre, claudeHookInput(session, a.dir, "PreToolUse", call));
  Deno.writeTextFileSync(post, claudeHookInput(session, a.dir, "PostToolUse", call));
  const track = [Deno.execPath(), "run", "-A", "--quiet", MAIN, "hook", "claude"]
    .map((x) => `'${x}'`).join(" ");
  const paths = syncPaths(a.gitDir);
  // TRACK_SYNC=manual (the test default): no keeper.
  const manual = w.spawn([`${bin}/claude`, "-c", `${track} pre-tool-use < '${pre}'`], {
    cwd: a.dir,
  });
  assertEquals((await manual.output()).code, 0);
  assert(!exists(keeperPidFile(paths, agent)), "a keeper was started with TRACK_SYNC=manual");
  const claude = w.spawn(
    [
      `${bin}/claude`,
      "-c",
      `${track} pre-tool-use < '${pre}' && read _ && ${track} post-tool-use < '${post}'; sleep 600`,
    ],
    { cwd: a.dir, env: { TRACK_SYNC: "auto" }, stdin: "" },
  );
  try {
    await until(() => keeperRunning(paths, agent) !== null, "the keeper to start");
    // The call ends: PostToolUse clears the busy marker.
    const go = claude.stdin.getWriter();
    await go.write(new TextEncoder().encode("go\n"));
    await go.close();
    await until(() => keeperRunning(paths, agent) === null, "the keeper to exit after PostToolUse");
  } finally {
    claude.kill("SIGKILL");
    await claude.status;
  }
});

Deno.test("sync-lease: a reclaim decided on a view older than the holder's published heartbeat: 0 reclaims", async () => {
  const clock = { t: 0 };
  const [w, a] = await started(2 * HOUR, clock);
  await using _ = w;
  const b = await join(w, "b", -2 * HOUR, clock);
  await a.ok(["claim", "T-0001", "--agent", "bob"]);
  await a.ok(["files", "--add", "src/stale.ts", "--agent", "bob", "--ticket", "T-0001"]);
  await a.sync();
  await b.sync();
  clock.t = 30 * MIN;
  await b.sync();
  // 46 minutes: b's fetch still shows bob's first token (3T/2 seen, the fetch is fresh) ...
  clock.t = 46 * MIN;
  await b.sync();
  // ... when bob's machine publishes a heartbeat ...
  await a.ok(["heartbeat", "--agent", "bob"]);
  assert((await a.sync()).pushed);
  // ... and b decides the reclaim on its older view: lost when replayed on the remote's state.
  const r = await b.run(["stale", "--reclaim", "--agent", "watcher-b", "--json"]);
  await b.run(["sync"]);
  const history = await stateHistory(w);
  const held = (c: (typeof history)[number]) => c.tickets.get("T-0001")?.claimed_by === "bob";
  const since = history.findIndex(held);
  assert(since >= 0, "bob's claim never reached the state ref");
  const released = history.slice(since).filter((c) => !held(c));
  assertEquals(released.map((c) => c.oid), [], "T-0001 was reclaimed on the state ref");
  // The reclaimer is told: exit 3, naming why.
  assertEquals(r.code, 3, r.stderr);
  assert(/published a heartbeat/.test(r.stderr), r.stderr);
  for (const m of [a, b]) {
    const t = ticketsOf(m.clone).find((x) => x.id === "T-0001")!;
    assertEquals([t.status, t.claimed_by], ["claimed", "bob"], m.clone.name);
  }
  // bob stays as its machine published it: active, no lost note, its reservation kept.
  const bob = JSON.parse(Deno.readTextFileSync(`${b.clone.storeDir}/agents/bob.json`));
  assertEquals([bob.status, bob.lost], ["active", []]);
  const files = JSON.parse(Deno.readTextFileSync(`${b.clone.storeDir}/reservations.json`));
  assertEquals(
    files.reservations.map((r: { agent: string; path: string }) => `${r.agent} ${r.path}`),
    ["bob src/stale.ts"],
  );
  say(
    `[suite sync-lease] reclaim decided on a view older than the holder's published ` +
      `heartbeat: ${released.length} reclaims in ${history.length} state commits ` +
      `(reclaim exited ${r.code})`,
  );
});
