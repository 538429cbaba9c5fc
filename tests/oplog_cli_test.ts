/**
 * The sync oplog through the real CLI, against a real bare repository (tests/sync_world.ts):
 * with sync on every command that changes the store appends its line, the next sync carries the
 * lines as Track-Op trailers of the state commit, a broken oplog refuses writes with how to move
 * it aside, one moved aside is still carried, and `track remote remove` leaves no oplog in the
 * work tree.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { type Clone, SyncWorld } from "./sync_world.ts";
import { race } from "./helpers.ts";
import { syncPaths } from "../src/store/sync_config.ts";
import { writeIdBlocks } from "../src/store/id_blocks.ts";
import { readCloneId, readOplog } from "../src/store/oplog.ts";

/** The Track-Op trailers of the state commit on the remote. */
async function trailers(world: SyncWorld): Promise<string[]> {
  const r = await world.bareGit(["log", "-1", "--format=%B", "refs/track/state"]);
  return r.stdout.split("\n").filter((l) => l.startsWith("Track-Op: "));
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function synced(world: SyncWorld): Promise<Clone> {
  const clone = await world.clone("a");
  await clone.ok(["remote", "add", "origin"]);
  return clone;
}

Deno.test("oplog CLI: each command with sync on appends its line; track sync carries them as Track-Op trailers", async () => {
  await using world = await SyncWorld.create();
  const clone = await synced(world);
  await clone.ok(["create", "--title", "one"]);
  // A claim is a decision that syncs before it returns (docs/sync.md): --offline keeps it here
  // (provisional, exit 9), so all three lines are still unpublished below.
  const claimed = await clone.track(["claim", "T-0001", "--agent", "alice", "--offline"]);
  assertEquals(claimed.code, 9, claimed.stderr);
  await clone.ok(["log", "T-0001", "--agent", "alice", "-m", "did it"]);
  await clone.ok(["list"]); // A read writes nothing, so no line.
  const id = readCloneId(syncPaths(clone.gitDir))!;
  assertEquals(
    readOplog(clone.storeDir, 0).map((e) => `${e.seq} ${e.op} ${e.ticket} ${e.agent} ${e.clone}`),
    [`1 create T-0001 null ${id}`, `2 claim T-0001 alice ${id}`, `3 log T-0001 alice ${id}`],
  );
  await clone.ok(["sync"]);
  assertEquals(await trailers(world), [
    `Track-Op: 1 create T-0001 - clone=${id}`,
    `Track-Op: 2 claim T-0001 alice clone=${id}`,
    `Track-Op: 3 log T-0001 alice clone=${id}`,
  ]);
  // Published lines are dropped (the last stays); the next command goes on from there.
  assertEquals(readOplog(clone.storeDir, 0).map((e) => e.seq), [3]);
  await clone.ok(["update", "T-0001", "--status", "in-progress", "--agent", "alice"]);
  await clone.ok(["sync"]);
  assertEquals(await trailers(world), [`Track-Op: 4 update T-0001 alice clone=${id}`]);
});

Deno.test("oplog CLI: a broken oplog refuses writes with how to move it aside; moved aside, its successor's lines are still carried", async () => {
  await using world = await SyncWorld.create();
  const clone = await synced(world);
  for (const t of ["one", "two", "three"]) await clone.ok(["create", "--title", t]);
  await clone.ok(["sync"]);
  const oplog = `${clone.storeDir}/oplog`;
  Deno.writeTextFileSync(oplog, Deno.readTextFileSync(oplog) + "garbage\n");
  const r = await clone.track(["create", "--title", "four"]);
  assertEquals(r.code, 6, r.stderr);
  assertStringIncludes(r.stderr, `mv '${oplog}' '${oplog}.broken'`);
  assert(!exists(`${clone.storeDir}/tickets/T-0004.md`), "nothing was written");
  Deno.renameSync(oplog, `${oplog}.broken`);
  await clone.ok(["create", "--title", "four"]);
  await clone.ok(["sync"]);
  // Numbering started again at 1, below the 3 already published: still carried.
  const id = readCloneId(syncPaths(clone.gitDir))!;
  assertEquals(await trailers(world), [`Track-Op: 1 create T-0004 - clone=${id}`]);
});

Deno.test("oplog CLI: track remote remove leaves no oplog in the work tree's .track/", async () => {
  await using world = await SyncWorld.create();
  const clone = await synced(world);
  await clone.ok(["create", "--title", "one"]);
  assert(exists(`${clone.storeDir}/oplog`));
  await clone.ok(["remote", "remove"]);
  assertEquals(clone.storeDir, `${clone.dir}/.track`);
  assert(exists(`${clone.dir}/.track/tickets/T-0001.md`), "the store moved back");
  assert(!exists(`${clone.dir}/.track/oplog`), "no oplog in the work tree");
  // Sync off: a write adds no oplog.
  await clone.ok(["create", "--title", "two"]);
  assert(!exists(`${clone.dir}/.track/oplog`));
});

Deno.test("oplog CLI: concurrent writers in the main and a linked worktree get one gapless seq, one line per command", async () => {
  await using world = await SyncWorld.create();
  const clone = await synced(world);
  await world.mustGit(["worktree", "add", "-q", `${world.root}/linked`], clone.dir);
  // Numbers for every create from one confirmed id block (docs/sync.md "Ticket numbers"), so no
  // create syncs (a sync trims the published lines) while they race.
  writeIdBlocks(syncPaths(clone.gitDir), {
    schema: 1,
    grabs: 1,
    blocks: [{ start: 1, end: 1000, commit: "0".repeat(40), on: null, state: "confirmed" }],
  });
  const racers = 6;
  const each = 4;
  const plans = Array.from(
    { length: racers },
    (_, r) => Array.from({ length: each }, (_, i) => ["create", "--title", `r${r} t${i}`]),
  );
  const results = await race(plans, {
    cwd: clone.dir,
    cwds: plans.map((_, r) => r % 2 === 0 ? clone.dir : `${world.root}/linked`),
    env: world.env,
  });
  for (const r of results.flat()) assertEquals(r.code, 0, r.stderr);
  const lines = readOplog(clone.storeDir, 0);
  assertEquals(lines.map((e) => e.seq), Array.from({ length: racers * each }, (_, i) => i + 1));
  assertEquals(new Set(lines.map((e) => e.ticket)).size, racers * each, "one line per ticket");
  assertEquals(lines.every((e) => e.op === "create"), true);
});
