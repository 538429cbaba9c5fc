/**
 * Suite sync-kill: `track sync` is SIGKILLed at a random moment of its run (fetch, merge, push,
 * applying the accepted state), again and again, while this clone keeps creating tickets and
 * another clone publishes its own now and then (so there is something to fetch and merge). git
 * children of a killed sync run on as orphans, as they would on a real machine (a push may land
 * after its sync died). After every kill: the remote's state ref is a complete commit (every
 * object present, meta.json in its tree); once the next local writer rolled forward any
 * journal the kill left, every ticket file of the clone parses and every ticket it created is
 * there. At the end the clones converge to byte-identical state holding every
 * ticket exactly once (after `doctor --fix` removed killed writers' temp files, doctor is
 * healthy). Half of the kills come right after a given git command of the sync returned (a
 * git wrapper holds the sync there): `git push` (the remote has answered, nothing else done),
 * the update of refs/track/remote-state, the update of refs/track/local; the rest at moments
 * drawn over the median measured duration of a whole sync (most of them in its later part,
 * where the push and the apply are). The suite requires kills on both sides of the push (the
 * remote moved, or not).
 * Sizes: TRACK_SUITE_SYNC_KILLS (CI 30; the design's 200: TRACK_SUITE_SYNC_KILLS=200). The
 * remote: TRACK_SUITE_SYNC_REMOTE (path in CI; daemon or proxy: git daemon in a netns).
 */
import { assert, assertEquals } from "../assert.ts";
import { exists } from "../helpers.ts";
import { suiteRemote, SyncWorld } from "../sync_world.ts";
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

/** Kills right after a git command of the sync returned: by run number modulo 6. */
const BARRIERS: Record<number, { name: string; words: string[] }> = {
  3: { name: "after-push", words: ["push"] },
  4: { name: "after-remote-state", words: ["update-ref", "refs/track/remote-state"] },
  5: { name: "after-local-ref", words: ["update-ref", "refs/track/local"] },
};

Deno.test("suite sync-kill: kill -9 of track sync at random moments; the state ref stays whole, nothing is lost, the next sync converges", async () => {
  const runs = size("TRACK_SUITE_SYNC_KILLS", 30);
  const s = seed();
  const pick = rng(s);
  const started = performance.now();
  await using world = await SyncWorld.create({ remote: suiteRemote() });
  const [a, b] = await world.syncedClones(["a", "b"]);
  const titles: string[] = [];
  const create = async (clone: typeof a, title: string) => {
    await clone.ok(["create", "-t", title]);
    titles.push(title);
  };

  // The kill window: at first the median duration of whole syncs that had work to do (fetch,
  // merge, push, apply); then it shrinks whenever a sync finished before its kill and grows a
  // little when one was killed, so most random kills land inside a sync however fast it is.
  const durations: number[] = [];
  let window = 0;
  const windowMs = () => Math.ceil(window);
  for (let i = 0; i < 3; i++) {
    await create(b, `warm b${i}`);
    await syncOk(b);
    await create(a, `warm a${i}`);
    const t0 = performance.now();
    await syncOk(a);
    durations.push(performance.now() - t0);
  }
  window = durations.sort((x, y) => x - y)[1];

  let finished = 0;
  let beforePush = 0;
  let afterPush = 0;
  let journalsLeft = 0;
  const atBarrier: Record<string, number> = Object.fromEntries(
    Object.values(BARRIERS).map((b) => [b.name, 0]),
  );
  let last = "";
  // Local data intact once the next writer rolled forward what the killed sync committed:
  // every file parses, every ticket this clone made is there.
  const localIntact = () => {
    const have = new Set(ticketsOf(a).map((t) => t.title));
    const mine = titles.filter((t) => !t.startsWith("warm b") && !t.startsWith("other "));
    assertEquals(mine.filter((t) => !have.has(t)), [], `after ${last}`);
    assert(!exists(`${a.storeDir}/journal`), `after ${last}: the next writer rolled forward`);
  };
  for (let i = 0; i < runs; i++) {
    await create(a, `kill ${i}`); // the next writer after the last kill
    if (i > 0) localIntact();
    if (i % 5 === 1) {
      const list = await a.track(["list", "--json"]);
      assertEquals(list.code, 0, `track list after ${last}: ${list.stderr}`);
    }
    if (i % 4 === 3) {
      await create(b, `other ${i}`);
      await syncOk(b);
    }
    const remoteBefore = await world.remoteRef();
    const span = windowMs();
    let delay: number | string;
    let out: Deno.CommandOutput;
    const at = BARRIERS[i % 6];
    if (at !== undefined) {
      // Right after a given git command of the sync returned, before anything else.
      const barrier = await world.gitBarrier(at.words, { after: true });
      const child = a.spawn(["sync"], { env: barrier.env });
      const first = await Promise.race([
        barrier.reached().then(() => "reached"),
        child.status.then(() => "exit"),
      ]);
      if (first === "reached") {
        child.kill("SIGKILL");
        out = await child.output();
        await barrier.release();
      } else {
        await barrier.cancel();
        out = await child.output();
      }
      delay = at.name;
      atBarrier[at.name] += out.signal === null ? 0 : 1;
    } else {
      // At a random moment; every other one in the late part (the push and the apply).
      const child = a.spawn(["sync"]);
      const ms = i % 6 === 0 ? pick(span) : (span >> 1) + pick(span);
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // It finished first.
        }
      }, ms);
      out = await child.output();
      clearTimeout(timer);
      delay = ms;
      window = out.signal === null ? window * 0.8 : Math.min(window * 1.05, durations[2] * 2);
    }
    if (out.signal === null) {
      assertEquals(out.code, 0, `unkilled sync: ${new TextDecoder().decode(out.stderr)}`);
      finished++;
    } else if ((await world.remoteRef()) === remoteBefore) beforePush++;
    else afterPush++;

    await assertCompleteState(world);
    if (exists(`${a.storeDir}/journal`)) journalsLeft++;
    last = `kill ${i} (at ${delay}, seed ${s})`;
  }
  await create(a, "after the kills");
  localIntact();
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
    journal_left: journalsLeft,
    ...Object.fromEntries(Object.entries(atBarrier).map(([k, v]) => [`kills_${k}`, v])),
    lost: 0,
    converge_rounds: rounds,
    remote: world.remote,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s,
  });
});
