/**
 * Suite sync-remote: what the remote can do behind a clone's back, and what the clone does
 * about it. A state ref force-pushed back to an older commit, or deleted by `git push --mirror`
 * from a plain clone: no clone follows silently (it restores the history it knew on top, or
 * refuses with exit 6, and says so either way; no ticket disappears). A force-push to another
 * history: exit 6, nothing changed. A stale ref lock on a path remote: exit 8 after the first
 * push and at most two more (pushes counted by a pre-receive hook, not by time), with the
 * doctor hint. A push SIGKILLed after the remote accepted it (the remote's post-receive hook
 * holds the push at a barrier until the sync is dead): the next sync converges, every ticket
 * once. Over `git daemon` behind the proxy: a cut and a black-holed remote are exit 8 with
 * nothing lost, then the healed remote syncs. A push that lost the race (the remote moved
 * between its fetch and its push: a `git` wrapper holds it at a barrier while another clone
 * publishes) is refused by its lease and retried on the new state, never forced over it.
 */
import { assert, assertEquals } from "../assert.ts";
import { type Clone, mkfifo, netnsUnavailable, type Proxy, SyncWorld } from "../sync_world.ts";
import { report } from "./pool.ts";
import {
  assertCompleteState,
  assertSameState,
  converge,
  syncedFiles,
  syncOk,
  ticketsOf,
} from "./sync_lib.ts";

const figures: Record<string, string | number | boolean> = {};
const noNetns = await netnsUnavailable();
const CI = Deno.env.get("CI") === "true";
const EXPLAINS = /restor|rewound|rewind|went back|moved back|lost (its )?history|deleted/i;

const titlesOf = (c: Clone) => ticketsOf(c).map((t) => t.title).sort();

/** Whether `older` is an ancestor of (or equal to) `newer` in the bare repository. */
async function descends(world: SyncWorld, older: string, newer: string): Promise<boolean> {
  return (await world.bareGit(["merge-base", "--is-ancestor", older, newer])).code === 0;
}

/** A plain clone of the project (no track, no state ref unless fetched), as a person has. */
async function plainClone(world: SyncWorld, name: string): Promise<string> {
  const dir = `${world.root}/${name}`;
  await world.mustGit(["clone", "-q", world.bare, dir]);
  return dir;
}

/**
 * After the remote lost history `known`: a sync either restores it (exit 0, `known` an ancestor
 * of the new tip) or refuses (exit 6); it says which, and the clone keeps every ticket. Once
 * another clone restored the history, a plain sync (nothing left to explain).
 */
async function noSilentFollow(world: SyncWorld, clone: Clone, known: string, what: string) {
  const before = titlesOf(clone);
  const tip = await world.remoteRef();
  if (tip !== null && await descends(world, known, tip)) {
    await syncOk(clone);
    assertEquals(titlesOf(clone), before, `${what}: tickets changed`);
    return "plain";
  }
  const r = await clone.sync();
  const said = r.stdout + r.stderr;
  assert(r.code === 0 || r.code === 6, `${what}: sync exited ${r.code}: ${said}`);
  assert(EXPLAINS.test(said), `${what}: the sync did not say what happened to the remote: ${said}`);
  assertEquals(titlesOf(clone), before, `${what}: tickets changed`);
  if (r.code === 0) {
    const tip = await world.remoteRef();
    assert(tip !== null && await descends(world, known, tip), `${what}: history not restored`);
    await assertCompleteState(world);
  }
  return r.code;
}

Deno.test("suite sync-remote: a state ref force-pushed to an older commit is never followed silently", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "first"]);
  await syncOk(a);
  const r1 = (await world.remoteRef())!;
  await a.ok(["create", "-t", "second"]);
  await a.ok(["update", "T-0001", "--priority", "high"]);
  await syncOk(a);
  const r2 = (await world.remoteRef())!;
  await syncOk(b);
  assertEquals(titlesOf(b), ["first", "second"]);

  const plain = await plainClone(world, "plain");
  await world.mustGit(["fetch", "-q", "origin", "refs/track/state:refs/track/state"], plain);
  await world.mustGit(["push", "-q", "--force", "origin", `${r1}:refs/track/state`], plain);
  assertEquals(await world.remoteRef(), r1);
  figures.rewound_b = await noSilentFollow(world, b, r2, "b after the rewind");
  figures.rewound_a = await noSilentFollow(world, a, r2, "a after the rewind");
  if (figures.rewound_a !== 6 && figures.rewound_b !== 6) {
    await converge(world, [a, b]);
    assertSameState([a, b]);
    assertEquals(ticketsOf(a).find((t) => t.id === "T-0001")?.priority, "high");
  }
});

Deno.test("suite sync-remote: a push that lost the race is refused by its lease; the clone fetches, merges and retries", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "from a"]);
  await b.ok(["create", "-t", "from b"]);
  // a fetches and merges, then waits in front of its push while b publishes.
  const barrier = await world.pushBarrier();
  const child = a.spawn(["sync"], { env: barrier.env });
  await barrier.reached();
  await syncOk(b);
  const won = (await world.remoteRef())!;
  await barrier.release();
  const out = await child.output();
  const said = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `a's sync after losing the race: ${said}`);
  const tip = (await world.remoteRef())!;
  assert(await descends(world, won, tip), "a's push replaced the state b had published");
  await converge(world, [a, b]);
  assertSameState([a, b]);
  assertEquals(titlesOf(a), ["from a", "from b"]);
  figures.lost_race = "retried";
});

Deno.test("suite sync-remote: a state ref force-pushed to another history is refused (exit 6), nothing changes", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "-t", "mine"]);
  await syncOk(a);
  const plain = await plainClone(world, "plain");
  await world.mustGit(["fetch", "-q", "origin", "refs/track/state:refs/track/state"], plain);
  const rogue = (await world.mustGit(
    ["commit-tree", "refs/track/state^{tree}", "-m", "rogue state"],
    plain,
  )).trim();
  await world.mustGit(["push", "-q", "--force", "origin", `${rogue}:refs/track/state`], plain);
  const before = syncedFiles(a);
  const r = await a.sync();
  assertEquals(r.code, 6, `sync onto another history: ${r.stdout}${r.stderr}`);
  assert(EXPLAINS.test(r.stderr), r.stderr);
  assertEquals(await world.remoteRef(), rogue, "the clone pushed over the other history");
  // Nothing changed but the alarm on the local board (published once the rewind is resolved).
  const after = syncedFiles(a);
  const added = [...after.keys()].filter((p) => !before.has(p));
  assertEquals(added.map((p) => /^tag: remote-rewound$/m.test(after.get(p)!)), [true]);
  for (const p of added) after.delete(p);
  assertEquals(after, before, "the store changed");
  figures.diverged = 6;
});

Deno.test("suite sync-remote: a state ref deleted by git push --mirror from a plain clone is never followed silently", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "one"]);
  await a.ok(["create", "-t", "two"]);
  await syncOk(a);
  await syncOk(b);
  const known = (await world.remoteRef())!;
  const plain = await plainClone(world, "plain");
  const mirror = await world.git(["push", "-q", "--mirror", "origin"], plain);
  assertEquals(mirror.code, 0, mirror.stderr);
  assertEquals(await world.remoteRef(), null, "git push --mirror deleted the state ref");
  figures.deleted_a = await noSilentFollow(world, a, known, "a after the deletion");
  figures.deleted_b = await noSilentFollow(world, b, known, "b after the deletion");
  assertEquals(titlesOf(a), ["one", "two"]);
  assertEquals(titlesOf(b), ["one", "two"]);
});

Deno.test("suite sync-remote: a stale ref lock on a path remote is exit 8 after at most 3 pushes", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "-t", "before the lock"]);
  await syncOk(a);
  const pushes = await world.countPushes();
  const lock = `${world.bare}/refs/track/state.lock`;
  await Deno.writeTextFile(lock, "");
  await a.ok(["create", "-t", "queued"]);
  const r = await a.sync();
  assertEquals(r.code, 8, `sync against a stale ref lock: ${r.stdout}${r.stderr}`);
  const tried = pushes();
  assert(tried >= 1 && tried <= 3, `${tried} pushes reached the remote (want 1..3)`);
  assert(/doctor/.test(r.stderr), `no doctor hint: ${r.stderr}`);
  assertEquals(titlesOf(a), ["before the lock", "queued"], "local data kept");
  await Deno.remove(lock); // What doctor tells a person to do.
  await syncOk(a);
  const b = (await world.syncedClones(["b"]))[0];
  assertEquals(titlesOf(b), ["before the lock", "queued"]);
  figures.stale_lock_pushes = tried;
});

Deno.test("suite sync-remote: a push SIGKILLed after the remote accepted it: the next sync converges, every ticket once", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "base"]);
  await syncOk(a);
  await syncOk(b);
  // X clashes with b's Y (same number, Y published first), so the killed push carries X
  // renumbered; after the kill a new local ticket Z takes X's old number here.
  await a.ok(["create", "-t", "accepted then killed"]);
  await b.ok(["create", "-t", "published first"]);
  await syncOk(b);
  const accepted = `${world.root}/accepted.fifo`;
  const release = `${world.root}/release.fifo`;
  const once = `${world.root}/block-once`;
  await mkfifo(accepted);
  await mkfifo(release);
  await Deno.writeTextFile(once, "");
  // Runs after the remote updated the ref, while the pushing git still waits for the answer.
  await world.hook(
    "post-receive",
    `cat >/dev/null\nif rm '${once}' 2>/dev/null; then timeout 60 sh -c "echo accepted > '${accepted}'; read x < '${release}'"; fi`,
  );
  const before = (await world.remoteRef())!;
  const child = a.spawn(["sync"]);
  const reader = await Deno.open(accepted, { read: true }); // barrier: the remote accepted
  const line = new TextDecoder().decode(
    (await new Response(reader.readable).arrayBuffer()) as ArrayBuffer,
  );
  assertEquals(line.trim(), "accepted");
  const after = (await world.remoteRef())!;
  assert(after !== before, "the remote moved before the kill");
  child.kill("SIGKILL");
  const killed = await child.output();
  assertEquals(killed.signal, "SIGKILL");
  const w = await Deno.open(release, { write: true });
  await w.write(new TextEncoder().encode("go\n"));
  w.close();

  await a.ok(["create", "-t", "made after the kill"]);
  await syncOk(a);
  await syncOk(b);
  await converge(world, [a, b]);
  assertSameState([a, b]);
  assertEquals(titlesOf(a), [
    "accepted then killed",
    "base",
    "made after the kill",
    "published first",
  ]);
  assert(await descends(world, after, (await world.remoteRef())!), "the accepted commit stays");
  figures.killed_after_accept = "converged";
});

Deno.test({
  name:
    "suite sync-remote: over git daemon behind the proxy: cut and black-holed remote exit 8, nothing lost, then sync",
  ignore: noNetns !== null && !CI,
  async fn() {
    if (noNetns !== null) throw new Error(`CI must be able to make a netns: ${noNetns}`);
    await using world = await SyncWorld.create({ remote: "proxy" });
    const proxy = world.proxy as Proxy;
    const [a, b] = await world.syncedClones(["a", "b"]);
    await proxy.delay(3); // a little latency on every chunk
    await a.ok(["create", "-t", "over the daemon"]);
    await syncOk(a);
    await syncOk(b);
    assertEquals(titlesOf(b), ["over the daemon"]);

    await a.ok(["create", "-t", "while cut"]);
    await proxy.cut();
    const cut = await a.sync();
    assertEquals(cut.code, 8, `sync through a cut: ${cut.stdout}${cut.stderr}`);
    await proxy.hold();
    const held = await a.sync([], { env: { TRACK_SYNC_TIMEOUT: "1500" } });
    assertEquals(held.code, 8, `sync into a black hole: ${held.stdout}${held.stderr}`);
    assertEquals(titlesOf(a), ["over the daemon", "while cut"], "nothing lost");
    const stats = await proxy.heal();
    assert(stats.held >= 1 && stats.cut >= 1, JSON.stringify(stats));
    await syncOk(a);
    await syncOk(b);
    assertSameState([a, b]);
    assertEquals(titlesOf(b), ["over the daemon", "while cut"]);
    figures.daemon_cut = 8;
    figures.daemon_hold = 8;
  },
});

Deno.test("suite sync-remote: figures", () => {
  report("sync-remote", figures);
});
