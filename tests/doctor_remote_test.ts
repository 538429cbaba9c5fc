/**
 * `track doctor` learns the sync remote (src/operations/doctor_remote.ts), against a real bare
 * repository in a temp dir (tests/sync_world.ts): git present and new enough, the remote
 * reachable, the state ref present and of a known layout, a stale ref lock reported with how to
 * remove it (never removed), receive.denyNonFastForwards / denyDeletes advice; with sync off no
 * git runs at all.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runTrack, tempStore } from "./helpers.ts";
import { type Clone, SyncWorld } from "./sync_world.ts";
import { syncPaths } from "../src/store/sync_config.ts";

interface DoctorJson {
  healthy: boolean;
  findings: Array<
    { kind: string; file: string | null; message: string; advice: string; warning: boolean }
  >;
  remote: {
    remote: string;
    ref: string;
    git: string | null;
    reachable: boolean;
    state: string | null;
    path: string | null;
  } | null;
}

/** A state commit on the bare repository's `ref` whose tree holds `meta` as meta.json. */
async function publishState(world: SyncWorld, meta: string | null, ref = "refs/track/state") {
  const scratch = `${world.root}/state-scratch`;
  await Deno.remove(scratch, { recursive: true }).catch(() => {});
  await world.mustGit(["init", "-q", scratch]);
  await Deno.writeTextFile(
    `${scratch}/${meta === null ? "other.txt" : "meta.json"}`,
    meta ?? "x\n",
  );
  await world.mustGit(["add", "-A"], scratch);
  await world.mustGit(["commit", "-q", "-m", "state"], scratch);
  await world.mustGit(["push", "-q", "--force", world.bare, `HEAD:${ref}`], scratch);
  await Deno.remove(scratch, { recursive: true });
  return (await world.remoteRef(ref))!;
}

/**
 * Turns sync on in `clone` with `remote` (an empty sync store, then sync.json; the engine's
 * `remote add` moves the data with relocateStore and does more).
 */
function syncOn(clone: Clone, remote = "origin"): void {
  const paths = syncPaths(clone.gitDir);
  Deno.mkdirSync(paths.store, { recursive: true });
  Deno.writeTextFileSync(
    paths.config,
    JSON.stringify({ schema: 1, remote, ref: "refs/track/state", interval_ms: null }) + "\n",
  );
}

async function doctor(clone: Clone, env: Record<string, string> = {}) {
  const r = await clone.track(["doctor", "--json"], { env });
  return { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) as DoctorJson };
}

async function protect(world: SyncWorld): Promise<void> {
  await world.bareGit(["config", "receive.denyNonFastForwards", "true"]);
  await world.bareGit(["config", "receive.denyDeletes", "true"]);
}

const kinds = (j: DoctorJson) => j.findings.map((f) => `${f.kind}${f.warning ? " (warning)" : ""}`);

Deno.test("doctor with sync off runs no git: a git on the PATH that records calls is never called", async () => {
  await using s = await tempStore();
  const bin = await Deno.makeTempDir({ prefix: "track-fake-git-" });
  try {
    const calls = `${bin}/calls`;
    await Deno.writeTextFile(`${bin}/git`, `#!/bin/sh\necho "$@" >> '${calls}'\nexit 1\n`);
    await Deno.chmod(`${bin}/git`, 0o755);
    // A git repository around the store, without sync.json: sync is off.
    Deno.mkdirSync(`${s.root}/.git`);
    const r = await runTrack(["doctor", "--json"], { cwd: s.root, env: { PATH: bin } });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).remote, null);
    let called = "";
    try {
      called = Deno.readTextFileSync(calls);
    } catch {
      // Never called: no file.
    }
    assertEquals(called, "", "git was run with sync off");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("doctor with sync on: a healthy path remote is reachable, its state ref read, exit 0", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  const oid = await publishState(world, '{"schema":1,"layout":1}\n');
  syncOn(clone);
  const { code, json, stderr } = await doctor(clone);
  assertEquals(kinds(json), []);
  assertEquals(code, 0, stderr);
  assertEquals(json.remote?.reachable, true);
  assertEquals(json.remote?.state, oid);
  assertEquals(json.remote?.path, world.bare);
  assert(/^\d+\.\d+$/.test(json.remote?.git ?? ""), `git version ${json.remote?.git}`);
  const text = await clone.track(["doctor"]);
  assertStringIncludes(
    text.stderr,
    `remote "origin" reachable (refs/track/state ${oid.slice(0, 12)})`,
  );
});

Deno.test("doctor: receive.denyNonFastForwards and receive.denyDeletes unset on a path remote are advice (warnings)", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await publishState(world, '{"schema":1,"layout":1}\n');
  syncOn(clone);
  const { code, json } = await doctor(clone);
  assertEquals(code, 0);
  assertEquals(kinds(json), ["remote-protection (warning)", "remote-protection (warning)"]);
  assertStringIncludes(json.findings[0].message, "receive.denyNonFastForwards");
  assertEquals(
    json.findings[0].advice,
    `git --git-dir='${world.bare}' config receive.denyNonFastForwards true`,
  );
  assertEquals(
    json.findings[1].advice,
    `git --git-dir='${world.bare}' config receive.denyDeletes true`,
  );
});

Deno.test("doctor: a stale refs/track/state.lock on a path remote is exit 8 with how to remove it; doctor never removes it", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  await publishState(world, '{"schema":1,"layout":1}\n');
  syncOn(clone);
  const lock = `${world.bare}/refs/track/state.lock`;
  Deno.writeTextFileSync(lock, "");
  // A fresh lock may be a push in flight: a warning only.
  let r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-ref-lock (warning)"]);
  assertEquals(r.code, 0);
  const old = new Date(Date.now() - 10 * 60_000);
  Deno.utimeSync(lock, old, old);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-ref-lock"]);
  assertEquals(r.code, 8);
  assertEquals(r.json.findings[0].file, lock);
  assertStringIncludes(r.json.findings[0].advice, `rm '${lock}'`);
  assertStringIncludes(r.json.findings[0].message, "10 min old");
  const fixed = await clone.track(["doctor", "--fix"]);
  assertEquals(fixed.code, 8, fixed.stderr);
  assertStringIncludes(fixed.stdout, `hint: if no git push to this remote is running`);
  assert(Deno.statSync(lock).isFile, "the lock is still there");
});

Deno.test("doctor: an unreachable remote is exit 8 naming it (a path that is not a repository, a closed loopback port)", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  syncOn(clone, `${world.root}/nowhere.git`);
  let r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-unreachable"]);
  assertEquals(r.code, 8);
  assertStringIncludes(r.json.findings[0].message, "nowhere.git");
  assertStringIncludes(r.json.findings[0].message, "everything stays queued locally");
  assertEquals(r.json.remote?.reachable, false);
  // A listener that is closed again: its port is free, nothing answers there.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  syncOn(clone, `git://127.0.0.1:${port}/remote.git`);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-unreachable"]);
  assertEquals(r.code, 8);
});

Deno.test("doctor: git missing from the PATH with sync on is exit 8 saying git 2.20 is needed", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  syncOn(clone);
  const empty = await Deno.makeTempDir({ prefix: "track-no-git-" });
  try {
    const r = await doctor(clone, { PATH: empty });
    assertEquals(kinds(r.json), ["git"]);
    assertEquals(r.code, 8);
    assertStringIncludes(r.json.findings[0].message, "git 2.20 or newer");
    assertEquals(r.json.remote?.git, null);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("doctor: a state ref without meta.json or of a newer layout is exit 6; none yet is a warning", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  syncOn(clone);
  let r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state (warning)"]);
  assertEquals(r.code, 0);
  assertStringIncludes(r.json.findings[0].message, "has no refs/track/state");
  assertStringIncludes(r.json.findings[0].advice, "track sync (publishes this clone's store)");
  await publishState(world, null);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state"]);
  assertStringIncludes(r.json.findings[0].message, "has no meta.json");
  assertEquals(r.code, 6);
  await publishState(world, '{"schema":1,"layout":2}\n');
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state"]);
  assertStringIncludes(r.json.findings[0].message, "newer than this track");
  assertStringIncludes(r.json.findings[0].advice, "upgrade track");
  assertEquals(r.code, 6);
});

Deno.test("doctor after track remote add: a state ref deleted or rewound to an older state is a warning (sync restores it); another history is exit 6", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  await clone.ok(["remote", "add", "origin"]);
  const first = (await world.remoteRef())!;
  await clone.ok(["create", "--title", "one"]);
  await clone.ok(["sync"]);
  const second = (await world.remoteRef())!;
  assert(first !== second, "the sync published a new state");
  let r = await doctor(clone);
  assertEquals(kinds(r.json), []);
  assertEquals(r.code, 0, r.stderr);
  // Rewound to an older state of the same history (a restored backup).
  await world.bareGit(["update-ref", "refs/track/state", first]);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state (warning)"]);
  assertStringIncludes(r.json.findings[0].message, "an older state of the same history");
  assertEquals(r.code, 0);
  // Deleted (a git push --mirror from a plain clone does this).
  await world.bareGit(["update-ref", "-d", "refs/track/state"]);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state (warning)"]);
  assertStringIncludes(
    r.json.findings[0].message,
    `though this clone saw it at ${second.slice(0, 12)}`,
  );
  assertStringIncludes(r.json.findings[0].advice, "restores it from this clone's copy");
  // Another history under the ref.
  await publishState(world, '{"schema":1,"layout":1}\n');
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["remote-state"]);
  assertStringIncludes(r.json.findings[0].message, "another history");
  assertEquals(r.code, 6);
});

Deno.test("doctor with sync on reports an oplog or a clone id that does not read (they refuse every write), with how to move it aside", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  await clone.ok(["remote", "add", "origin"]);
  const oplog = `${clone.storeDir}/oplog`;
  Deno.writeTextFileSync(oplog, '{"seq":1}\n');
  let r = await doctor(clone);
  assertEquals(kinds(r.json), ["unparseable"]);
  assertEquals(r.code, 6);
  assertEquals(r.json.findings[0].file, oplog);
  assertStringIncludes(r.json.findings[0].advice, `mv '${oplog}' '${oplog}.broken'`);
  Deno.renameSync(oplog, `${oplog}.broken`);
  const cloneId = syncPaths(clone.gitDir).cloneId;
  Deno.writeTextFileSync(cloneId, "not an id\n");
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["unparseable"]);
  assertEquals(r.json.findings[0].file, cloneId);
  assertStringIncludes(r.json.findings[0].advice, `mv '${cloneId}' '${cloneId}.broken'`);
  Deno.removeSync(cloneId);
  r = await doctor(clone);
  assertEquals(kinds(r.json), []);
  assertEquals(r.code, 0);
});

Deno.test("doctor: a ref lock a killed git left in the clone's own repository is reported with how to remove it (exit 6), never removed", async () => {
  await using world = await SyncWorld.create();
  const clone = await world.clone("a");
  await protect(world);
  await clone.ok(["remote", "add", "origin"]);
  const lock = `${clone.gitDir}/refs/track/fetched.lock`;
  Deno.writeTextFileSync(lock, "");
  let r = await doctor(clone);
  assertEquals(kinds(r.json), ["local-ref-lock (warning)"]);
  assertEquals(r.code, 0);
  const old = new Date(Date.now() - 10 * 60_000);
  Deno.utimeSync(lock, old, old);
  r = await doctor(clone);
  assertEquals(kinds(r.json), ["local-ref-lock"]);
  assertEquals(r.code, 6);
  assertEquals(r.json.findings[0].file, lock);
  assertStringIncludes(r.json.findings[0].advice, `rm '${lock}'`);
  await clone.track(["doctor", "--fix"]);
  assert(Deno.statSync(lock).isFile, "the lock is still there");
});
