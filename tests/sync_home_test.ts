/**
 * Where the store lives with sync on (docs/sync.md "Where the data lives"): relocateStore /
 * restoreStore move it into `<git common dir>/track/store/` and back, crash-safely (kill -9
 * after every step: the store that discovery finds is always complete, and the next call
 * finishes the move); every linked worktree then shares that one store and its lock; the tracked
 * config.json says schema 2 with a hint a fresh clone acts on only when it names a configured
 * remote and a ref under refs/track/.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  claudeHookInput,
  exists,
  mainEnv,
  race,
  runTrack,
  snapshot,
  tempStore,
  testCommand,
} from "./helpers.ts";
import { createContext } from "../src/cli/context.ts";
import { MemoryIo } from "../src/cli/io.ts";
import type { Store } from "../src/store/store.ts";
import type { TrackError } from "../src/model/errors.ts";
import { relocateStore, restoreStore } from "../src/store/sync_home.ts";
import { DEFAULT_STATE_REF, type SyncConfig, syncPaths } from "../src/store/sync_config.ts";
import { writeIdBlocks } from "../src/store/id_blocks.ts";

const WORKER = fileURLToPath(new URL("./sync_home_worker.ts", import.meta.url));

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

function git(cwd: string, args: string[]): string {
  const out = testCommand("git", { args, cwd, env: GIT_ENV, stdout: "piped", stderr: "piped" })
    .outputSync();
  const dec = new TextDecoder();
  assertEquals(out.code, 0, `git ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

const SYNC: SyncConfig = {
  schema: 1,
  remote: "origin",
  ref: DEFAULT_STATE_REF,
  interval_ms: null,
};

/** A git repository whose committed `.track/` holds three tickets, an agent and board posts. */
async function repoWithStore(options: { idBlock?: boolean } = {}) {
  const s = await tempStore({ init: false });
  git(s.root, ["init", "-q", "-b", "main"]);
  git(s.root, ["remote", "add", "origin", `${s.root}-remote.git`]);
  assertEquals((await s.track(["init"])).code, 0);
  for (const t of ["One", "Two", "Three"]) await s.json(["create", "-t", t]);
  await s.json(["claim", "T-0002", "--agent", "a"]);
  await s.json(["board", "-m", "hello", "--agent", "a"]);
  git(s.root, ["add", ".track"]);
  git(s.root, ["commit", "-q", "-m", "Set up track"]);
  const common = `${s.root}/.git`;
  const paths = syncPaths(common);
  // With sync on, create draws numbers from this clone's id blocks (docs/sync.md "Ticket
  // numbers"); these tests have no reachable remote, so the clone is given a confirmed one.
  if (options.idBlock) {
    writeIdBlocks(paths, {
      schema: 1,
      grabs: 1,
      blocks: [{ start: 1, end: 1000, commit: "0".repeat(40), on: null, state: "confirmed" }],
    });
  }
  return { s, common, paths };
}

async function ticketIds(cwd: string): Promise<string[]> {
  const r = await runTrack(["list", "--all", "--json"], { cwd });
  assertEquals(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout).tickets as Array<{ id: string }>).map((t) => t.id);
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function config(trackDir: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(`${trackDir}/config.json`));
}

Deno.test("relocateStore moves the data into the git common dir; restoreStore moves it back", async () => {
  const { s, paths } = await repoWithStore({ idBlock: true });
  await using _ = s;
  const before = snapshot(s.dir);
  const moved = await relocateStore(s.dir, paths, SYNC);
  assertEquals(moved.store, paths.store);
  assert(exists(paths.config), "sync.json written");
  // .track/ keeps only the tracked files; the data is in the store, byte for byte.
  assertEquals(names(s.dir), [".gitattributes", ".gitignore", "config.json"]);
  const after = snapshot(paths.store);
  for (const [rel, bytes] of before) {
    if (["config.json", ".gitignore", ".gitattributes", "lock"].includes(rel)) continue;
    if (rel.startsWith("cache/")) continue;
    assertEquals(after.get(rel), bytes, rel);
  }
  assert(!after.has("config.json"), "config.json stays in the work tree only");
  assertEquals(config(s.dir).schema, 2);
  assertEquals(config(s.dir).sync, { remote: "origin", ref: DEFAULT_STATE_REF });
  assertEquals(config(s.dir).stale_threshold, "30m", "other settings kept");
  // Every command now uses the sync store, from the root and from a subdirectory.
  assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"]);
  Deno.mkdirSync(`${s.root}/sub`);
  assertEquals(await ticketIds(`${s.root}/sub`), ["T-0001", "T-0002", "T-0003"]);
  const created = await s.json<{ ticket: { id: string } }>(["create", "-t", "Four"]);
  assertEquals(created.ticket.id, "T-0004");
  assert(exists(`${paths.store}/tickets/T-0004.md`), "written to the sync store");
  assert(!exists(`${s.dir}/tickets`), "nothing written to .track/");
  const shown = await s.track(["show", "T-0009"]);
  assertEquals(shown.code, 4);
  assertStringIncludes(shown.stderr, ".git/track/store/tickets", "errors name the real place");

  const back = await restoreStore(paths, s.dir);
  assertEquals(back.store, s.dir);
  assert(!exists(paths.config), "sync.json removed");
  assert(!exists(paths.store), "sync store removed");
  assertEquals(config(s.dir).schema, 1);
  assertEquals(config(s.dir).sync, undefined);
  assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003", "T-0004"]);
  const t2 = await s.json<{ ticket: { claimed_by: string } }>(["show", "T-0002"]);
  assertEquals(t2.ticket.claimed_by, "a");
});

Deno.test("relocateStore records no remote in the hint when sync uses a URL, not a remote name", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  await relocateStore(s.dir, paths, { ...SYNC, remote: `${s.root}-remote.git` });
  assertEquals(config(s.dir).sync, { remote: null, ref: DEFAULT_STATE_REF });
});

Deno.test("relocateStore refuses a store holding a symbolic link, changing nothing", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  Deno.symlinkSync("/etc", `${s.dir}/tickets/evil`);
  const before = snapshot(s.dir);
  let err: Error | null = null;
  try {
    await relocateStore(s.dir, paths, SYNC);
  } catch (e) {
    err = e as Error;
  }
  assertStringIncludes(String(err?.message), "symbolic link");
  assert(!exists(paths.config) && !exists(paths.store) && !exists(paths.store + ".tmp"));
  const now = snapshot(s.dir);
  now.delete("lock");
  before.delete("lock");
  assertEquals(now, before);
});

/** Runs the worker; returns the steps it printed and whether it finished. */
async function worker(
  mode: "relocate" | "restore",
  trackDir: string,
  common: string,
  killAt: number,
): Promise<{ steps: string[]; done: boolean }> {
  const out = await testCommand(Deno.execPath(), {
    args: ["run", "-A", "--quiet", WORKER, mode, trackDir, common, String(killAt)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "");
  const done = lines.at(-1) === "done";
  if (!done) assertEquals(out.signal, "SIGKILL", new TextDecoder().decode(out.stderr));
  return { steps: lines.filter((l) => l !== "done"), done };
}

for (const mode of ["relocate", "restore"] as const) {
  Deno.test(`${mode}: kill -9 after every step leaves a store that works; the next call finishes`, async () => {
    let total = Infinity;
    let killed = 0;
    for (let k = 1; k <= total; k++) {
      const { s, common, paths } = await repoWithStore({ idBlock: true });
      await using _ = s;
      if (mode === "restore") await relocateStore(s.dir, paths, SYNC);
      const run = await worker(mode, s.dir, common, k);
      if (run.done) {
        total = run.steps.length;
        break;
      }
      killed++;
      assertEquals(run.steps.length, k);
      // Whatever store discovery picks is complete, and takes writes.
      assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"], run.steps.at(-1));
      const c = await s.json<{ ticket: { id: string } }>(["create", "-t", "After the crash"]);
      assertEquals(c.ticket.id, "T-0004", run.steps.at(-1));
      // The next call completes the move, with the write made in between (after the last
      // step the move is complete: a restore then says sync is off).
      if (mode === "relocate" && exists(paths.config)) {
        // Sync is on: track sync finishes the move (before it even reaches the remote, which
        // does not exist here: exit 8).
        const sync = await s.track(["sync"]);
        assertEquals(sync.code, 8, sync.stderr);
        assert(!exists(`${paths.home}/moving`), "the move is finished");
      } else if (!run.steps.at(-1)!.endsWith(" done")) {
        const again = await worker(mode, s.dir, common, 0);
        assert(again.done, `${mode} again after step ${run.steps.at(-1)}`);
      }
      assertEquals(
        await ticketIds(s.root),
        ["T-0001", "T-0002", "T-0003", "T-0004"],
        `after ${run.steps.at(-1)} and a second ${mode}`,
      );
      if (mode === "relocate") {
        assert(exists(paths.config));
        assertEquals(names(s.dir), [".gitattributes", ".gitignore", "config.json"]);
        assertEquals(config(s.dir).schema, 2);
      } else {
        assert(!exists(paths.config) && !exists(paths.store));
        assertEquals(config(s.dir).schema, 1);
      }
      assert(!exists(paths.store + ".tmp") && !exists(`${s.dir}/.restore.tmp`), "no leftovers");
    }
    assert(killed >= 6, `killed at ${killed} steps`);
  });
}

Deno.test("with sync on, linked worktrees share one store and one lock: one winner of a claim", async () => {
  const { s, paths } = await repoWithStore({ idBlock: true });
  await using _ = s;
  await relocateStore(s.dir, paths, SYNC);
  git(s.root, ["commit", "-q", "-am", "Sync on: the data moved to the git dir"]);
  const wts = [`${s.root}-wt1`, `${s.root}-wt2`];
  try {
    for (const [i, wt] of wts.entries()) git(s.root, ["worktree", "add", "-q", "-b", `f${i}`, wt]);
    for (const wt of wts) {
      assertEquals(names(`${wt}/.track`), [".gitattributes", ".gitignore", "config.json"]);
      assertEquals(await ticketIds(wt), ["T-0001", "T-0002", "T-0003"]);
    }
    const results = await race(
      [[["claim", "T-0001", "--agent", "w1", "--json"]], [[
        "claim",
        "T-0001",
        "--agent",
        "w2",
        "--json",
      ]], [["claim", "T-0001", "--agent", "m", "--json"]]],
      // This repository's remote is not reachable: the winner's claim stays provisional (9).
      { cwd: s.root, cwds: [wts[0], wts[1], s.root], env: { TRACK_SYNC: "off" } },
    );
    const codes = results.map((r) => r[0].code).sort();
    assertEquals(codes, [3, 3, 9], JSON.stringify(results));
    // A ticket created in one worktree is seen in the others.
    const c = await s.json<{ ticket: { id: string } }>(["create", "-t", "From wt1"], {
      cwd: wts[0],
    });
    assertEquals(c.ticket.id, "T-0004");
    assertEquals(await ticketIds(wts[1]), ["T-0001", "T-0002", "T-0003", "T-0004"]);
    // Files are named so that they can be found from the worktree: its .git is a file.
    const missing = await runTrack(["show", "T-0009"], { cwd: wts[0] });
    assertEquals(missing.code, 4);
    assertStringIncludes(missing.stderr, `${paths.store}/tickets`);
    assert(exists(`${paths.store}/tickets/T-0004.md`));
  } finally {
    for (const wt of wts) await Deno.remove(wt, { recursive: true }).catch(() => {});
  }
});

Deno.test("a writer that found the store before it moved refuses (exit 5) instead of writing to the old place", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  const open = () =>
    createContext({ io: new MemoryIo(), env: mainEnv(), cwd: s.root, json: true }).store();
  // Found in .track/ (sync off), then sync turned on before it got the lock.
  const stale = open();
  assertEquals(stale.dir, s.dir);
  await relocateStore(s.dir, paths, SYNC);
  const write = (store: Store) =>
    store.mutate("create", (tx) => tx.writeFile(`${store.dir}/reservations.json`, "[]\n"));
  const err = await write(stale).then(() => null, (e) => e as TrackError);
  assertEquals(err?.kind, "lockBusy", String(err));
  assertStringIncludes(err!.message, "moved");
  assert(!exists(`${s.dir}/reservations.json`), "nothing written to .track/");
  // Found in the sync store, then sync turned off.
  const synced = open();
  assertEquals(synced.dir, paths.store);
  await restoreStore(paths, s.dir);
  const err2 = await write(synced).then(() => null, (e) => e as TrackError);
  assertEquals(err2?.kind, "lockBusy", String(err2));
  assert(!exists(paths.store), "the removed sync store is not recreated");
});

Deno.test("a symbolic link at the sync store's place is refused (exit 6), never followed", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  await relocateStore(s.dir, paths, SYNC);
  const elsewhere = `${s.root}-elsewhere`;
  Deno.renameSync(paths.store, elsewhere);
  try {
    Deno.symlinkSync(elsewhere, paths.store);
    const before = snapshot(elsewhere);
    for (const args of [["list"], ["create", "-t", "x"]]) {
      const r = await s.track(args);
      assertEquals(r.code, 6, r.stderr);
      assertStringIncludes(r.stderr, "symbolic link");
    }
    assertEquals(snapshot(elsewhere), before);
    // A link inside the store: refused as in .track/ (no_follow.ts rules unchanged).
    Deno.removeSync(paths.store);
    Deno.renameSync(elsewhere, paths.store);
    Deno.renameSync(`${paths.store}/tickets`, `${s.root}-tickets`);
    Deno.symlinkSync(`${s.root}-tickets`, `${paths.store}/tickets`);
    const r = await s.track(["create", "-t", "x"]);
    assertEquals(r.code, 6, r.stderr);
    assertStringIncludes(r.stderr, "symbolic link");
  } finally {
    await Deno.remove(elsewhere, { recursive: true }).catch(() => {});
    await Deno.remove(`${s.root}-tickets`, { recursive: true }).catch(() => {});
  }
});

/**
 * A bare remote and clone A whose store (tickets committed on main) was moved by
 * `track remote add origin`, with the removal committed and pushed: what a teammate clones.
 */
async function sharedRepo() {
  const { s, paths } = await repoWithStore();
  const bare = `${s.root}-remote.git`;
  git(s.root, ["init", "-q", "--bare", bare]);
  git(s.root, ["branch", "old"]); // A branch from before sync: it tracks .track/tickets/.
  const add = await s.track(["remote", "add", "origin", "--json"]);
  assertEquals(add.code, 0, add.stderr);
  assertEquals(JSON.parse(add.stdout).outcome, "published");
  assert(exists(paths.config) && exists(`${paths.store}/tickets/T-0001.md`));
  git(s.root, ["add", "-A", ".track"]);
  git(s.root, ["commit", "-q", "-m", "Sync on: the data lives in the git dir"]);
  git(s.root, ["push", "-q", "origin", "main"]);
  return {
    s,
    paths,
    bare,
    async [Symbol.asyncDispose]() {
      await Deno.remove(bare, { recursive: true }).catch(() => {});
      await Deno.remove(`${s.root}-b`, { recursive: true }).catch(() => {});
      await s[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a fresh clone with the schema-2 config.json is told to join; track sync joins through the hint", async () => {
  await using repo = await sharedRepo();
  const b = `${repo.s.root}-b`;
  git(repo.s.root, ["clone", "-q", "-b", "main", repo.bare, b]);
  assertEquals(names(`${b}/.track`), [".gitattributes", ".gitignore", "config.json"]);
  const list = await runTrack(["list"], { cwd: b });
  assertEquals(list.code, 4, list.stderr);
  assertStringIncludes(list.stderr, 'sync through "origin" (refs/track/state)');
  assertStringIncludes(list.stderr, "track sync");
  const doctor = await runTrack(["doctor", "--json"], { cwd: b });
  assertEquals(doctor.code, 4, doctor.stderr);
  assertEquals(JSON.parse(doctor.stdout).findings.map((f: { kind: string }) => f.kind), [
    "unjoined",
  ]);
  assert(!exists(`${b}/.git/track`), "a refused command changes nothing");
  const join = await runTrack(["sync"], { cwd: b });
  assertEquals(join.code, 0, join.stderr);
  assertStringIncludes(join.stdout, "Joined");
  assertEquals(await ticketIds(b), ["T-0001", "T-0002", "T-0003"]);
  assert(exists(`${b}/.git/track/store/tickets/T-0002.md`));
});

Deno.test("a hostile sync hint (a URL, refs/heads/main, an unknown remote, no remote) is never acted on", async () => {
  await using repo = await sharedRepo();
  const b = `${repo.s.root}-b`;
  git(repo.s.root, ["clone", "-q", "-b", "main", repo.bare, b]);
  const original = config(`${b}/.track`);
  const evil = `${repo.s.root}-evil.git`;
  git(repo.s.root, ["init", "-q", "--bare", evil]);
  try {
    const cases: Array<[{ remote: string | null; ref: string }, string]> = [
      [{ remote: evil, ref: "refs/track/state" }, "not a remote name"],
      [{ remote: "https://evil.example/x.git", ref: "refs/track/state" }, "not a remote name"],
      [{ remote: "origin", ref: "refs/heads/main" }, "not under refs/track/"],
      [{ remote: "upstream", ref: "refs/track/state" }, 'no remote named "upstream"'],
      [{ remote: null, ref: "refs/track/state" }, "names no remote"],
    ];
    for (const [hint, why] of cases) {
      Deno.writeTextFileSync(
        `${b}/.track/config.json`,
        JSON.stringify({ ...original, sync: hint }, null, 2) + "\n",
      );
      const before = snapshot(`${b}/.git`);
      for (const args of [["list"], ["sync"], ["create", "-t", "x"]]) {
        const r = await runTrack(args, { cwd: b });
        assertEquals(r.code, 4, `${args[0]} with ${JSON.stringify(hint)}: ${r.stderr}`);
        assertStringIncludes(r.stderr, "not acted on");
        assertStringIncludes(r.stderr, why);
      }
      assertEquals(snapshot(`${b}/.git`), before, `nothing changed for ${JSON.stringify(hint)}`);
      assertEquals(git(evil, ["for-each-ref"]), "", "nothing was pushed anywhere");
    }
  } finally {
    await Deno.remove(evil, { recursive: true }).catch(() => {});
  }
});

Deno.test("config.json schema 3 is refused by every command (exit 6); schema 2 needs sync on", async () => {
  await using repo = await sharedRepo();
  const { s } = repo;
  const c = config(s.dir);
  Deno.writeTextFileSync(`${s.dir}/config.json`, JSON.stringify({ ...c, schema: 3 }) + "\n");
  for (const args of [["list"], ["create", "-t", "x"], ["sync"]]) {
    const r = await s.track(args);
    assertEquals(r.code, 6, r.stderr);
    assertStringIncludes(r.stderr, "newer than this track understands (schema 2)");
  }
});

Deno.test("checking out an old branch that tracked .track/tickets/ and back loses and reverts nothing", async () => {
  await using repo = await sharedRepo();
  const { s, paths } = repo;
  await s.json(["log", "T-0001", "--agent", "a", "-m", "after the move"]);
  git(s.root, ["checkout", "-q", "old"]);
  assert(exists(`${s.dir}/tickets/T-0001.md`), "the old branch checked out its tickets");
  assertEquals(config(s.dir).schema, 1, "the old branch's config.json");
  const first = await s.track(["list", "--json"]);
  assertEquals(first.code, 0, first.stderr);
  assertStringIncludes(first.stderr, "holds tickets");
  assertStringIncludes(first.stderr, "ignored");
  const second = await s.track(["list", "--json"]);
  assertEquals(second.stderr, "", "reported once");
  // Work on the old branch goes to the one store.
  const c = await s.json<{ ticket: { id: string } }>(["create", "-t", "On the old branch"]);
  assertEquals(c.ticket.id, "T-0004");
  const t1 = await s.json<{ ticket: { body: string } }>(["show", "T-0001"]);
  assertStringIncludes(t1.ticket.body, "after the move", "not the old branch's copy");
  assert(!exists(`${s.dir}/tickets/T-0004.md`), "nothing written to the checked-out copy");
  git(s.root, ["checkout", "-q", "main"]);
  assert(!exists(`${s.dir}/tickets`), "main has no data in the work tree");
  assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003", "T-0004"]);
  const again = await s.json<{ ticket: { body: string } }>(["show", "T-0001"]);
  assertStringIncludes(again.ticket.body, "after the move");
  assert(exists(`${paths.store}/tickets/T-0004.md`));
});

Deno.test("track remote remove moves the store back into .track/ (schema 1, no hint)", async () => {
  await using repo = await sharedRepo();
  const { s, paths } = repo;
  const r = await s.track(["remote", "remove"]);
  assertEquals(r.code, 0, r.stderr);
  assert(!exists(paths.config) && !exists(paths.store));
  assertEquals(config(s.dir).schema, 1);
  assertEquals(config(s.dir).sync, undefined);
  assert(exists(`${s.dir}/tickets/T-0003.md`));
  assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"]);
});

Deno.test("track path prints the store or a ticket's file; track edit opens it in $EDITOR and checks it parses", async () => {
  await using repo = await sharedRepo();
  const { s, paths } = repo;
  const store = await s.track(["path"]);
  assertEquals([store.code, store.stdout.trim()], [0, paths.store]);
  const t2 = await s.json<{ path: string; archived: boolean; synced: boolean }>(["path", "2"]);
  assertEquals(t2, {
    schema: 1,
    path: `${paths.store}/tickets/T-0002.md`,
    ticket: "T-0002",
    archived: false,
    track_dir: s.dir,
    synced: true,
  } as never);
  assertEquals((await s.track(["path", "T-0009"])).code, 4);
  await s.json(["archive", "T-0003"]);
  const archived = await s.json<{ path: string; archived: boolean }>(["path", "3"]);
  assertEquals([archived.path, archived.archived], [`${paths.store}/archive/T-0003.md`, true]);

  // An editor that appends a line to the description: the edit lands in the store's file.
  const bin = `${s.root}-bin`;
  Deno.mkdirSync(bin);
  try {
    Deno.writeTextFileSync(
      `${bin}/ed.sh`,
      `#!/bin/sh\nsed -i 's/^## Description$/## Description\\n\\nEdited by hand./' "$1"\n`,
    );
    Deno.writeTextFileSync(
      `${bin}/break.sh`,
      `#!/bin/sh\nsed -i 's/^status: .*/status: [nonsense/' "$1"\n`,
    );
    Deno.writeTextFileSync(`${bin}/touch.sh`, `#!/bin/sh\ntouch '${bin}/ran'\n`);
    for (const f of ["ed.sh", "break.sh", "touch.sh"]) Deno.chmodSync(`${bin}/${f}`, 0o755);
    const ok = await s.track(["edit", "T-0001"], { env: { EDITOR: `${bin}/ed.sh` } });
    assertEquals(ok.code, 0, ok.stderr);
    const shown = await s.json<{ ticket: { body: string } }>(["show", "1"]);
    assertStringIncludes(shown.ticket.body, "Edited by hand.");
    // --json prints the path and runs no editor.
    const json = await s.track(["edit", "T-0001", "--json"], {
      env: { EDITOR: `${bin}/touch.sh` },
    });
    assertEquals(json.code, 0, json.stderr);
    assertEquals(JSON.parse(json.stdout).path, `${paths.store}/tickets/T-0001.md`);
    assert(!exists(`${bin}/ran`), "no editor with --json");
    // No editor set: a usage error, nothing changed.
    const before = snapshot(paths.store);
    const none = await s.track(["edit", "T-0001"]);
    assertEquals(none.code, 2, none.stderr);
    assertStringIncludes(none.stderr, "$EDITOR");
    // An archived ticket cannot be edited.
    assertEquals(
      (await s.track(["edit", "T-0003"], { env: { EDITOR: `${bin}/touch.sh` } })).code,
      4,
    );
    assert(!exists(`${bin}/ran`));
    assertEquals(snapshot(paths.store), before);
    // An edit that breaks the file: exit 6 naming it (and its line).
    const broken = await s.track(["edit", "T-0002"], { env: { VISUAL: `${bin}/break.sh` } });
    assertEquals(broken.code, 6, broken.stderr);
    assertStringIncludes(broken.stderr, ".git/track/store/tickets/T-0002.md");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("track remote add refuses what would stop the move before it touches the remote, changing nothing", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  // origin names a repository that does not exist: any attempt to reach it would be exit 8.
  try {
    const before = snapshot(s.dir);
    // A dashboard running on the store.
    Deno.writeTextFileSync(`${s.dir}/server.json`, "{}\n");
    const busy = await s.track(["remote", "add", "origin"]);
    assertEquals(busy.code, 3, busy.stderr);
    assertStringIncludes(busy.stderr, "track stop");
    Deno.removeSync(`${s.dir}/server.json`);
    // A link where the sync home should be.
    Deno.symlinkSync(`${s.root}-elsewhere`, paths.home);
    const linked = await s.track(["remote", "add", "origin"]);
    assertEquals(linked.code, 6, linked.stderr);
    assertStringIncludes(linked.stderr, "symbolic link");
    Deno.removeSync(paths.home);
    assertEquals(git(s.root, ["for-each-ref", "refs/track"]), "", "no ref fetched or made");
    assert(!exists(`${s.root}-remote.git`), "nothing pushed");
    assert(!exists(`${s.root}-elsewhere`) && !exists(paths.home));
    const now = snapshot(s.dir);
    now.delete("lock");
    before.delete("lock");
    assertEquals(now, before);
  } finally {
    await Deno.remove(`${s.root}-remote.git`, { recursive: true }).catch(() => {});
  }
});

Deno.test("with sync on, paths are relative to the project (files, the Claude hook, verify, doctor), never to the store in .git", async () => {
  await using repo = await sharedRepo();
  const { s } = repo;
  Deno.mkdirSync(`${s.root}/src/lexer`, { recursive: true });
  Deno.writeTextFileSync(`${s.root}/src/lexer/scan.ts`, "x\n");
  await s.json(["claim", "T-0001", "--agent", "bravo"]);
  const add = await s.json<{ reserved: Array<{ path: string }> }>(
    ["files", "--add", "lexer/", "--agent", "bravo", "--ticket", "T-0001"],
    { cwd: `${s.root}/src` },
  );
  assertEquals(add.reserved.map((r) => r.path), ["src/lexer/**"]);
  // Claude's PreToolUse hook: another session's edit of the reserved file is denied.
  const deny = await s.track(["hook", "claude", "pre-tool-use"], {
    stdin: claudeHookInput("5c1f0e2a-93b4-4d7e-8a61-0f2b9c3d4e5f", s.root, "PreToolUse", {
      tool_name: "Edit",
      tool_input: { file_path: `${s.root}/src/lexer/scan.ts`, old_string: "x", new_string: "y" },
    }),
  });
  assertEquals(deny.code, 0, deny.stderr);
  assertEquals(JSON.parse(deny.stdout).hookSpecificOutput.permissionDecision, "deny");
  // ...and so is an edit of the store's own files, now in .git/track/store.
  const own = await s.track(["hook", "claude", "pre-tool-use"], {
    stdin: claudeHookInput("5c1f0e2a-93b4-4d7e-8a61-0f2b9c3d4e5f", s.root, "PreToolUse", {
      tool_name: "Write",
      tool_input: { file_path: `${repo.paths.store}/tickets/T-0001.md` },
    }),
  });
  assertStringIncludes(
    JSON.parse(own.stdout).hookSpecificOutput.permissionDecisionReason,
    "track's state",
  );
  // verify runs its commands in the project (the worktree), not in the git dir.
  await s.json(["update", "T-0001", "--verify", "test -f src/lexer/scan.ts", "--agent", "bravo"]);
  const v = await s.track(["verify", "T-0001", "--agent", "bravo", "--json"]);
  assertEquals(v.code, 0, v.stderr);
  assertEquals(JSON.parse(v.stdout).dir, s.root);
  // doctor judges reservation paths against the project too.
  const doctor = await s.track(["doctor", "--json"]);
  const kinds = JSON.parse(doctor.stdout).findings.map((f: { kind: string }) => f.kind);
  assert(!kinds.includes("bad-reservation-path"), JSON.stringify(kinds));
});

Deno.test("with sync on, a branch without .track/ says where the store is; back on main nothing is lost", async () => {
  await using repo = await sharedRepo();
  const { s } = repo;
  git(s.root, ["checkout", "-q", "-b", "no-track"]);
  git(s.root, ["rm", "-rq", ".track"]);
  git(s.root, ["commit", "-q", "-m", "a branch without track"]);
  const r = await s.track(["list"]);
  assertEquals(r.code, 4, r.stderr);
  assertStringIncludes(r.stderr, "this repository syncs: its store is");
  assertStringIncludes(r.stderr, ".git/track/store");
  git(s.root, ["checkout", "-q", "main"]);
  assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"]);
});

Deno.test("two track remote add at once, then two track remote remove at once: one store, nothing lost", async () => {
  const { s, paths } = await repoWithStore();
  await using _ = s;
  const bare = `${s.root}-remote.git`;
  git(s.root, ["init", "-q", "--bare", bare]);
  try {
    const added = await race([[["remote", "add", "origin", "--json"]], [[
      "remote",
      "add",
      "origin",
      "--json",
    ]]], { cwd: s.root });
    const addCodes = added.map((r) => r[0].code).sort();
    assert(addCodes[0] === 0 && [0, 3].includes(addCodes[1]), JSON.stringify(added));
    assert(exists(paths.config));
    assertEquals(names(s.dir), [".gitattributes", ".gitignore", "config.json"]);
    assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"]);
    const removed = await race(
      [[["remote", "remove", "--json"]], [["remote", "remove", "--json"]]],
      {
        cwd: s.root,
      },
    );
    const removeCodes = removed.map((r) => r[0].code).sort();
    assertEquals(removeCodes, [0, 4], JSON.stringify(removed));
    assert(!exists(paths.config) && !exists(paths.store));
    assertEquals(config(s.dir).schema, 1);
    assertEquals(await ticketIds(s.root), ["T-0001", "T-0002", "T-0003"]);
  } finally {
    await Deno.remove(bare, { recursive: true }).catch(() => {});
  }
});
