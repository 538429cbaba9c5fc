/**
 * Suite sync-kill: `track sync` is SIGKILLed at a random moment of its run (fetch, merge, push,
 * applying the accepted state), again and again, while this clone keeps creating tickets and
 * another clone publishes its own now and then (so there is something to fetch and merge). git
 * children of a killed sync run on as orphans, as they would on a real machine (a push may land
 * after its sync died). After every kill: the remote's state ref is a complete commit (every
 * object present, meta.json in its tree), every ticket file of the clone parses and every ticket
 * it created is there. At the end the clones converge to byte-identical state holding every
 * ticket exactly once (after `doctor --fix` removed killed writers' temp files, doctor is
 * healthy). Kill moments are drawn over the median measured duration of a whole sync (every
 * other one in its last part, where the push and the apply are), and the suite requires kills
 * on both sides of the push (the remote moved, or not).
 * Sizes: TRACK_SUITE_SYNC_KILLS (CI 30; the design's 200: TRACK_SUITE_SYNC_KILLS=200).
 */
import { assert, assertEquals } from "../assert.ts";
import { SyncWorld } from "../sync_world.ts";
import { report, rng, seed, size } from "./pool.ts";
import {
  assertCompleteState,
  assertSameState,
  conflictMarkers,
  converge,
  syncedFiles,
  syncOk,
  ticketsOf,
} from "./sync_lib.ts";

Deno.test("suite sync-kill: kill -9 of track sync at random moments; the state ref stays whole, nothing is lost, the next sync converges", async () => {
  const runs = size("TRACK_SUITE_SYNC_KILLS", 30);
  const s = seed();
  const pick = rng(s);
  const started = performance.now();
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  const titles: string[] = [];
  const create = async (clone: typeof a, title: string) => {
    await clone.ok(["create", "-t", title]);
    titles.push(title);
  };

  // The kill window: the median duration of whole syncs that had work to do (fetch, merge,
  // push, apply), measured before and between the kills (a sync the kill missed counts too).
  const durations: number[] = [];
  const windowMs = () => Math.ceil([...durations].sort((x, y) => x - y)[durations.length >> 1]);
  for (let i = 0; i < 3; i++) {
    await create(b, `warm b${i}`);
    await syncOk(b);
    await create(a, `warm a${i}`);
    const t0 = performance.now();
    await syncOk(a);
    durations.push(performance.now() - t0);
  }

  let finished = 0;
  let beforePush = 0;
  let afterPush = 0;
  for (let i = 0; i < runs; i++) {
    await create(a, `kill ${i}`);
    if (i % 4 === 3) {
      await create(b, `other ${i}`);
      await syncOk(b);
    }
    const remoteBefore = await world.remoteRef();
    const window = windowMs();
    const t0 = performance.now();
    const child = a.spawn(["sync"]);
    // Every other kill in the late part of a sync (the push and the apply): the moments after
    // the remote accepted are a small share of the whole and must be hit too.
    const delay = i % 2 === 0
      ? pick(window)
      : Math.round(window * 0.6) + pick(Math.ceil(window * 0.6));
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // It finished first.
      }
    }, delay);
    const out = await child.output();
    clearTimeout(timer);
    if (out.signal === null) {
      assertEquals(out.code, 0, `unkilled sync: ${new TextDecoder().decode(out.stderr)}`);
      finished++;
      durations.push(performance.now() - t0);
    } else if ((await world.remoteRef()) === remoteBefore) beforePush++;
    else afterPush++;

    await assertCompleteState(world);
    // Local data intact: every file parses, every ticket this clone made is there.
    const have = new Set(ticketsOf(a).map((t) => t.title));
    const mine = titles.filter((t) => t.startsWith("kill ") || t.startsWith("warm a"));
    assertEquals(mine.filter((t) => !have.has(t)), [], `after kill ${i} (at ${delay} ms)`);
    if (i % 5 === 0) {
      const list = await a.track(["list", "--json"]);
      assertEquals(list.code, 0, `track list after kill ${i}: ${list.stderr}`);
    }
  }
  if (runs >= 10) {
    assert(beforePush > 0, `no kill landed before a push was accepted (${windowMs()} ms)`);
    assert(afterPush > 0, `no kill landed after a push was accepted (${windowMs()} ms)`);
  }

  const rounds = await converge(world, [a, b]);
  assertSameState([a, b]);
  await assertCompleteState(world);
  assertEquals(conflictMarkers(syncedFiles(a)), []);
  const final = ticketsOf(a).map((t) => t.title).sort();
  assertEquals(final, [...titles].sort(), "every ticket exactly once");
  // A killed writer may leave a temp file; doctor --fix removes exactly those.
  await a.track(["doctor", "--fix"]);
  const doctor = await a.track(["doctor", "--json"]);
  assertEquals(doctor.code, 0, `doctor after the kills: ${doctor.stdout}${doctor.stderr}`);

  report("sync-kill", {
    kills: runs - finished,
    runs,
    design_runs: 200,
    before_push: beforePush,
    after_push: afterPush,
    finished_first: finished,
    window_ms: windowMs(),
    tickets: titles.length,
    lost: 0,
    converge_rounds: rounds,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s,
  });
});
