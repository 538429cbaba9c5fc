/**
 * `track remote add` and `track sync` end to end: a bare repository given as a path and clones
 * of it in a temp dir, real git, the real CLI as a subprocess (the lost race in process, with a
 * barrier at the step between fetch and push).
 */
import { assert, assertEquals } from "./assert.ts";
import {
  exists,
  MAIN,
  mainEnv,
  race,
  type RunResult,
  runTrack,
  snapshot,
  testCommand,
} from "./helpers.ts";
import type { FakeClock } from "./track_test_main.ts";
import { type Store, storeFor } from "../src/store/store.ts";
import { discoverStore } from "../src/store/discovery.ts";
import { namedPaths, syncSetupOf, syncStore } from "../src/operations/sync.ts";
import type { RemoteInfo } from "../src/operations/remote.ts";

const dec = new TextDecoder();

/** Runs git (clean env) and returns stdout; throws on failure. */
async function git(args: string[], cwd: string): Promise<string> {
  const out = await testCommand("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout).trim();
}

/** A bare repository and clones of it (plain `git init` each), removed on dispose. */
interface World extends AsyncDisposable {
  root: string;
  remote: string;
  clone(name: string): Promise<Clone>;
}

interface Clone {
  dir: string;
  track(args: string[], env?: Record<string, string>, clock?: FakeClock): Promise<RunResult>;
  ok(args: string[]): Promise<string>;
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
}

async function world(): Promise<World> {
  const root = await Deno.makeTempDir({ prefix: "track-sync-" });
  const remote = `${root}/remote.git`;
  await git(["init", "-q", "--bare", remote], root);
  return {
    root,
    remote,
    async clone(name) {
      const dir = `${root}/${name}`;
      await git(["init", "-q", dir], root);
      const track = (args: string[], env?: Record<string, string>, clock?: FakeClock) =>
        runTrack(args, { cwd: dir, env, clock });
      const ok = async (args: string[]) => {
        const r = await track(args);
        if (r.code !== 0) {
          throw new Error(`${name}: track ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
        }
        return r.stdout;
      };
      return {
        dir,
        track,
        ok,
        json: async <T>(args: string[]) => JSON.parse(await ok([...args, "--json"])) as T,
      };
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** The store directory of a clone: `<git common dir>/track/store` with sync on (sync_home.ts). */
function storeDir(c: { dir: string }): string {
  return discoverStore(c.dir, mainEnv()).dir!;
}

/** The store of a clone, as a command run there opens it. */
function openStore(dir: string): Store {
  const found = discoverStore(dir, mainEnv());
  return storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
}

/** The synced files of a clone's store (runtime files left out), for "identical" checks. */
function state(c: Clone): Map<string, string> {
  const all = snapshot(storeDir(c));
  for (const k of [...all.keys()]) {
    if (!/^(tickets|archive|agents|inbox|board)\/|^reservations\.json$/.test(k)) all.delete(k);
  }
  return all;
}

async function started(w: World): Promise<[Clone, Clone]> {
  const a = await w.clone("a");
  await a.ok(["init"]);
  await a.ok(["create", "--title", "First"]);
  await a.ok(["create", "--title", "Second"]);
  await a.ok(["remote", "add", w.remote]);
  const b = await w.clone("b");
  await b.ok(["init"]);
  const added = await b.json<{ outcome: string }>(["remote", "add", w.remote]);
  assertEquals(added.outcome, "adopted");
  return [a, b];
}

Deno.test("remote add publishes a store, a second clone adopts it, sync keeps both identical", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  assertEquals(state(b), state(a));
  assert(b.dir !== a.dir);

  // Edits on both sides, some on the same ticket.
  await a.ok(["update", "T-0002", "--priority", "high"]);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "from a"]);
  await a.ok(["board", "--agent", "alpha", "-m", "hello from a"]);
  await b.ok(["log", "T-0001", "--agent", "bravo", "-m", "from b"]);
  await b.ok(["create", "--title", "Third, from b"]);
  await b.ok(["update", "T-0001", "--title", "First (renamed on b)"]);

  const sa = await a.json<{ pushed: boolean }>(["sync"]);
  assert(sa.pushed);
  const sb = await b.json<{ pushed: boolean; applied: number }>(["sync"]);
  assert(sb.pushed);
  assert(sb.applied > 0);
  const sa2 = await a.json<{ pushed: boolean; applied: number }>(["sync"]);
  assertEquals(sa2.pushed, false);

  assertEquals(state(a), state(b));
  const t1 = Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0001.md`);
  assert(t1.includes("from a") && t1.includes("from b"), t1);
  assert(t1.includes("First (renamed on b)"), t1);
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0002.md`).includes("priority: high"));
  assert(Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0003.md`).includes("Third, from b"));

  // The state ref is a chain whose commits each have one parent; a plain clone does not get it.
  const log = await git(["log", "--format=%H %P", "refs/track/state"], w.remote);
  for (const line of log.split("\n")) assert(line.split(" ").length <= 2, line);
  await git(["clone", "-q", w.remote, `${w.root}/plain`], w.root);
  assertEquals(await git(["for-each-ref", "refs/track"], `${w.root}/plain`), "");

  // Sharded tree, meta.json, no runtime files.
  const tree = await git(["ls-tree", "-r", "--name-only", "refs/track/state"], w.remote);
  assert(tree.split("\n").includes("tickets/01/T-0001.md"), tree);
  assert(tree.split("\n").includes("meta.json"), tree);
  assert(!/lock|cache|journal|config\.json/.test(tree), tree);
});

Deno.test("sync with an unreachable remote exits 8 and loses nothing; the next sync publishes", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "offline work"]);
  const before = snapshot(storeDir(a));
  const refsBefore = await git(["for-each-ref", "refs/track"], a.dir);
  await Deno.rename(w.remote, `${w.remote}.away`);
  const r = await a.track(["sync", "--json"]);
  assertEquals(r.code, 8, r.stderr);
  assertEquals(JSON.parse(r.stderr).error.kind, "remote");
  const after = snapshot(storeDir(a));
  after.delete("lock");
  before.delete("lock");
  assertEquals(after, before);
  assertEquals(await git(["for-each-ref", "refs/track"], a.dir), refsBefore);

  await Deno.rename(`${w.remote}.away`, w.remote);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0001.md`).includes("offline work"));
});

Deno.test("a push that lost the race is rebuilt on the new remote tip and retried", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "a's line"]);
  await b.ok(["log", "T-0002", "--agent", "bravo", "-m", "b's line"]);
  const store = openStore(a.dir);
  const setup = syncSetupOf(store)!;
  let raced = false;
  const r = await syncStore(store, setup, {
    now: () => new Date(),
    random: () => 0,
    async onStep(step) {
      // Between a's fetch and its push, b publishes: a's lease names a tip that is gone.
      if (step === "fetched" && !raced) {
        raced = true;
        await b.ok(["sync"]);
      }
    },
  });
  assertEquals(r.attempts, 2);
  assert(r.pushed);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
  assert(Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0002.md`).includes("b's line"));
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0001.md`).includes("a's line"));
});

Deno.test("track sync without a remote changes nothing and runs no git", async () => {
  await using w = await world();
  const a = await w.clone("a");
  await a.ok(["init"]);
  const before = snapshot(`${a.dir}/.git`);
  // An empty PATH: any git run would fail.
  const r = await a.track(["sync", "--json"], { PATH: "/nonexistent" });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).synced, false);
  assertEquals(snapshot(`${a.dir}/.git`), before);
});

Deno.test("sync --fetch-only applies the remote's state and publishes nothing", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await b.ok(["log", "T-0001", "--agent", "bravo", "-m", "b's news"]);
  await b.ok(["sync"]);
  await a.ok(["log", "T-0002", "--agent", "alpha", "-m", "a keeps this local"]);
  const tip = await git(["rev-parse", "refs/track/state"], w.remote);
  const r = await a.json<{ pushed: boolean; applied: number }>(["sync", "--fetch-only"]);
  assertEquals(r.pushed, false);
  assertEquals(await git(["rev-parse", "refs/track/state"], w.remote), tip);
  assert(Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0001.md`).includes("b's news"));
  assert(Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0002.md`).includes("a keeps this"));
  // The local change was kept, and the next sync publishes it.
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0002.md`).includes("a keeps this"));
});

Deno.test("a local write made while a sync applies the remote's version of that file is merged, never overwritten", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await b.ok(["log", "T-0001", "--agent", "bravo", "-m", "published by b"]);
  await b.ok(["sync"]);
  await a.ok(["log", "T-0002", "--agent", "alpha", "-m", "a's queued line"]);
  const store = openStore(a.dir);
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      // Between the fetch and the snapshot: the store lock is free (no network under it).
      if (step === "fetched") {
        const r = await a.track(["log", "T-0002", "--agent", "alpha", "-m", "during fetch"], {
          TRACK_LOCK_TIMEOUT: "200",
        });
        assertEquals(r.code, 0, r.stderr);
      }
      // After the snapshot and the push, before the remote's T-0001 is written here.
      if (step === "pushed") {
        await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "written meanwhile"]);
      }
    },
  });
  assert(r.pushed);
  assertEquals(r.merged_local, 1);
  const t1 = Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0001.md`);
  assert(t1.includes("published by b") && t1.includes("written meanwhile"), t1);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
});

Deno.test("a stale ref lock on the remote is exit 8 after three pushes, not the whole budget", async () => {
  await using w = await world();
  const [a] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "blocked"]);
  Deno.writeTextFileSync(`${w.remote}/refs/track/state.lock`, "");
  const before = snapshot(storeDir(a));
  const r = await a.track(["sync", "--json"], { TRACK_SYNC_TIMEOUT: "600000" });
  assertEquals(r.code, 8, r.stderr);
  const err = JSON.parse(r.stderr).error;
  assertEquals(err.detail.attempts, 3);
  assert(/without moving/.test(err.message), err.message);
  assert(/doctor/.test(err.hint), err.hint);
  const after = snapshot(storeDir(a));
  before.delete("lock");
  after.delete("lock");
  assertEquals(after, before);
  Deno.removeSync(`${w.remote}/refs/track/state.lock`);
  await a.ok(["sync"]);
});

Deno.test("a remote rewound to an ancestor, or whose state ref was deleted, is restored, never followed", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  const first = await git(["rev-parse", "refs/track/state"], w.remote);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "must survive"]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  const known = await git(["rev-parse", "refs/track/state"], w.remote);
  // A force-push back to the first state.
  await git(["update-ref", "refs/track/state", first], w.remote);
  const r = await b.track(["sync", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert(out.restored !== null);
  const tip = await git(["rev-parse", "refs/track/state"], w.remote);
  await git(["merge-base", "--is-ancestor", known, tip], w.remote);
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0001.md`).includes("must survive"));
  const alarm = [...snapshot(storeDir(b)).keys()].filter((k) => k.startsWith("board/"))
    .map((k) => Deno.readTextFileSync(`${storeDir(b)}/${k}`))
    .filter((t) => t.includes("tag: remote-rewound"));
  assertEquals(alarm.length, 1);

  // The ref deleted (what `git push --mirror` from a plain clone does).
  await a.ok(["sync"]);
  await git(["update-ref", "-d", "refs/track/state"], w.remote);
  const r2 = await a.track(["sync", "--json"]);
  assertEquals(r2.code, 0, r2.stderr);
  assert(JSON.parse(r2.stdout).restored !== null);
  const tip2 = await git(["rev-parse", "refs/track/state"], w.remote);
  await git(["merge-base", "--is-ancestor", tip, tip2], w.remote);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
});

Deno.test("a remote rewound to another history is exit 6 with an alarm until --accept-rewind", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  const first = await git(["rev-parse", "refs/track/state"], w.remote);
  await a.ok(["claim", "T-0001", "--agent", "alpha"]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  // Someone replaces the history: a commit on the first state that is not ours.
  const tree = await git(["rev-parse", `${first}^{tree}`], w.remote);
  const other = await git(
    [
      "-c",
      "user.name=x",
      "-c",
      "user.email=x@x",
      "commit-tree",
      tree,
      "-p",
      first,
      "-m",
      "rewritten",
    ],
    w.remote,
  );
  await git(["update-ref", "refs/track/state", other], w.remote);
  await b.ok(["log", "T-0002", "--agent", "bravo", "-m", "b's queued line"]);

  const before = snapshot(storeDir(b));
  const r = await b.track(["sync", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  const err = JSON.parse(r.stderr).error;
  assertEquals(err.detail.tickets, ["T-0001"]);
  assert(/--accept-rewind/.test(err.hint), err.hint);
  assertEquals(await git(["rev-parse", "refs/track/state"], w.remote), other);
  // Nothing changed but the alarm on the board.
  const after = snapshot(storeDir(b));
  const added = [...after.keys()].filter((k) => !before.has(k) && !/^(lock|cache\/)/.test(k));
  assertEquals(added.length, 1);
  assert(Deno.readTextFileSync(`${storeDir(b)}/${added[0]}`).includes("remote-rewound"));
  for (const [k, v] of before) if (!/^(lock|cache\/)/.test(k)) assertEquals(after.get(k), v, k);
  assertEquals((await b.track(["sync"])).code, 6);

  const ok = await b.json<{ pushed: boolean }>(["sync", "--accept-rewind"]);
  assert(ok.pushed);
  const tip = await git(["rev-parse", "refs/track/state"], w.remote);
  await git(["merge-base", "--is-ancestor", other, tip], w.remote);
  assert(Deno.readTextFileSync(`${storeDir(b)}/tickets/T-0002.md`).includes("b's queued line"));
});

Deno.test("one sync step per clone: a second waits for the first (exit 5 past its budget), then both succeed", async () => {
  await using w = await world();
  const [a] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "x"]);
  const store = openStore(a.dir);
  let second: RunResult | null = null;
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      // While this step holds the clone's sync lock, another sync of the clone cannot start.
      if (step === "fetched" && second === null) {
        second = await a.track(["sync", "--json"], { TRACK_SYNC_TIMEOUT: "300" });
      }
    },
  });
  assert(r.pushed);
  assertEquals(second!.code, 5, second!.stderr);
  assert(/another track sync/.test(JSON.parse(second!.stderr).error.message));

  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "y"]);
  const results = await race([[["sync", "--json"]], [["sync", "--json"]]], { cwd: a.dir });
  for (const [one] of results) assertEquals(one.code, 0, one.stderr);
});

Deno.test("pushes of one clone are sync.interval apart: a short rest is waited, a long one deferred", async () => {
  await using w = await world();
  const [a] = await started(w);
  const store = openStore(a.dir);
  const setup = syncSetupOf(store)!;
  const run = (interval: number) =>
    syncStore(store, { ...setup, config: { ...setup.config, interval_ms: interval } }, {
      now: () => new Date(),
      paced: true,
    });
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "one"]);
  assert((await run(0)).pushed);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "two"]);
  const deferred = await run(3_600_000);
  assertEquals(deferred.pushed, false);
  assert(deferred.deferred_ms !== null && deferred.deferred_ms > 3_000_000);
  const waited = await run(300);
  assert(waited.pushed);
});

Deno.test("a state commit carries the oplog lines since the last one as Track-Op trailers", async () => {
  await using w = await world();
  const [a] = await started(w);
  const store = openStore(a.dir);
  const { postMessage } = await import("../src/operations/board.ts");
  await postMessage(
    store,
    { agent: "alpha", message: "one", ticket: null, tag: "note" },
    new Date(),
  );
  await postMessage(
    store,
    { agent: "alpha", message: "two", ticket: null, tag: "note" },
    new Date(),
  );
  const setup = syncSetupOf(store)!;
  assert((await syncStore(store, setup, { now: () => new Date() })).pushed);
  const msg = await git(["log", "-1", "--format=%B", "refs/track/state"], w.remote);
  const ops = msg.split("\n").filter((l) => l.startsWith("Track-Op: "));
  assertEquals(ops.length, 2, msg);
  assert(/^Track-Op: 1 board - alpha clone=[0-9a-f]{12}$/.test(ops[0]), ops[0]);
  await postMessage(
    store,
    { agent: "alpha", message: "three", ticket: null, tag: "note" },
    new Date(),
  );
  assert((await syncStore(store, setup, { now: () => new Date() })).pushed);
  const msg2 = await git(["log", "-1", "--format=%B", "refs/track/state"], w.remote);
  assertEquals(msg2.split("\n").filter((l) => l.startsWith("Track-Op: ")).length, 1, msg2);
  // The published lines are trimmed from the local oplog (the last one stays).
  assertEquals(Deno.readTextFileSync(`${storeDir(a)}/oplog`).trim().split("\n").length, 1);
});

Deno.test("a change of heartbeats alone is not pushed until a heartbeat is due", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "alpha exists"]);
  await a.ok(["sync"]);
  const tip = await git(["rev-parse", "refs/track/state"], w.remote);
  await a.ok(["heartbeat", "--agent", "alpha"]);
  const held = await a.json<{ pushed: boolean; deferred_reason: string | null }>(["sync"]);
  assertEquals(held.pushed, false);
  assertEquals(held.deferred_reason, "heartbeat");
  assertEquals(await git(["rev-parse", "refs/track/state"], w.remote), tip);
  // Due (the published heartbeat is a third of the stale threshold old on this machine's boot
  // clock, from the push that published it): published. Its wall clock alone changes nothing.
  const skewed = await a.track(["sync", "--json"], undefined, { now: "+86400000" });
  assertEquals(JSON.parse(skewed.stdout).pushed, false, skewed.stderr);
  const due = await a.track(["sync", "--json"], undefined, { uptime: "+600001" });
  assertEquals(due.code, 0, due.stderr);
  assert(JSON.parse(due.stdout).pushed);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
});

Deno.test("a ticket archived here while a sync applies the remote's change of it stays in one folder", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await b.ok(["update", "T-0002", "--title", "Second, renamed on b"]);
  await b.ok(["sync"]);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "something to publish"]);
  const store = openStore(a.dir);
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      if (step === "pushed") await a.ok(["archive", "T-0002"]);
    },
  });
  assert(r.pushed);
  const dir = storeDir(a);
  const inTickets = exists(`${dir}/tickets/T-0002.md`);
  const inArchive = exists(`${dir}/archive/T-0002.md`);
  assert(inTickets !== inArchive, `tickets: ${inTickets}, archive: ${inArchive}`);
  assert(Deno.readTextFileSync(`${dir}/tickets/T-0002.md`).includes("renamed on b"));
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assertEquals(state(a), state(b));
  assert(!exists(`${storeDir(b)}/archive/T-0002.md`));
});

Deno.test("remote add changes nothing when both sides have tickets (exit 3), the remote is unreachable (exit 8) or git is too old", async () => {
  await using w = await world();
  const a = await w.clone("a");
  await a.ok(["init"]);
  await a.ok(["create", "--title", "Published"]);
  await a.ok(["remote", "add", w.remote]);
  const b = await w.clone("b");
  await b.ok(["init"]);
  await b.ok(["create", "--title", "Mine"]);
  // The store and git's refs (fetched objects nothing refers to are no change).
  const look = async () => [snapshot(`${b.dir}/.track`), await git(["for-each-ref"], b.dir)];
  const before = await look();
  const both = await b.track(["remote", "add", w.remote, "--json"]);
  assertEquals(both.code, 3, both.stderr);
  assert(/tickets of its own/.test(JSON.parse(both.stderr).error.message));
  assertEquals(await look(), before);
  assert(!exists(`${b.dir}/.git/track/sync.json`));

  const gone = await b.track(["remote", "add", `${w.root}/missing.git`, "--json"]);
  // Not a directory: a usage error before any network; a directory that is no repository: 8.
  assertEquals(gone.code, 2, gone.stderr);
  Deno.mkdirSync(`${w.root}/empty`);
  const empty = await b.track(["remote", "add", `${w.root}/empty`, "--json"]);
  assertEquals(empty.code, 8, empty.stderr);
  assertEquals(await look(), before);
  assert(!exists(`${b.dir}/.git/track/sync.json`));

  // A git that says it is 2.19: the version needed is named.
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  const real = (await git(["--exec-path"], w.root)).replace(
    /\/libexec\/git-core$|\/lib\/git-core$/,
    "/bin",
  );
  Deno.writeTextFileSync(
    `${bin}/git`,
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = --version ] && { echo "git version 2.19.1"; exit 0; }; done\nexec ${real}/git "$@"\n`,
  );
  Deno.chmodSync(`${bin}/git`, 0o755);
  const c = await w.clone("c");
  await c.ok(["init"]);
  const old = await c.track(["remote", "add", w.remote], {
    PATH: `${bin}:${Deno.env.get("PATH")}`,
  });
  assert(old.code !== 0, old.stderr);
  assert(/git 2\.20 or newer/.test(old.stderr), old.stderr);
  assert(!exists(`${c.dir}/.git/track/sync.json`));
});

Deno.test("a dependency cycle closed here through tickets nobody changed is dropped before publishing", async () => {
  await using w = await world();
  const [a] = await started(w);
  await a.ok(["create", "--title", "Third"]);
  await a.ok(["update", "T-0001", "--depends-on", "T-0003"]);
  await a.ok(["update", "T-0003", "--depends-on", "T-0002"]);
  await a.ok(["sync"]);
  // A hand edit closes T-0002 -> T-0001 -> T-0003 -> T-0002; only T-0002 changed since.
  const file = `${storeDir(a)}/tickets/T-0002.md`;
  const text = Deno.readTextFileSync(file);
  Deno.writeTextFileSync(file, text.replace(/^depends_on: \[\]$/m, "depends_on:\n  - T-0001"));
  assert(Deno.readTextFileSync(file).includes("  - T-0001"));
  await a.ok(["sync"]);
  const published = await git(["show", "refs/track/state:tickets/02/T-0002.md"], w.remote);
  assert(!published.includes("T-0001"), published);
  const board = await git(["ls-tree", "-r", "--name-only", "refs/track/state", "board"], w.remote);
  const events = await Promise.all(
    board.split("\n").map((p) => git(["show", `refs/track/state:${p}`], w.remote)),
  );
  assert(events.some((e) => e.includes("tag: cycle-dropped")), events.join("\n"));
});

Deno.test("remote show says the interval, the last fetch and push, what waits, a rewind, and never writes", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  const first = await git(["rev-parse", "refs/track/state"], w.remote);
  const shown = async (c: Clone) => {
    const common = `${c.dir}/.git`;
    const before = snapshot(common);
    const j = await c.json<RemoteInfo>(["remote", "show"]);
    const text = await c.ok(["remote", "show"]);
    assertEquals(snapshot(common), before); // A read never writes.
    return { j, text };
  };
  let { j, text } = await shown(a);
  assertEquals(j.remote, w.remote);
  assertEquals(j.ref, "refs/track/state");
  assertEquals(j.interval_ms, null);
  assertEquals(j.interval_in_force_ms, 1000); // A path remote.
  assertEquals(j.last_push!.commit, first);
  assertEquals(j.last_fetch!.commit, null); // `remote add` found no state, then published.
  assert(!Number.isNaN(Date.parse(j.last_push!.at)));
  assertEquals(j.unpublished_ops, 0);
  assertEquals(j.rewind, null);
  assertEquals(j.next, "track sync");
  assert(/interval: +1 s between pushes/.test(text), text);
  assert(/last push: +\S+ \(/.test(text), text);

  ({ j } = await shown(b));
  assertEquals(j.last_push, null);
  assertEquals(j.last_fetch!.commit, first);

  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "one"]);
  await a.ok(["log", "T-0002", "--agent", "alpha", "-m", "two"]);
  ({ j, text } = await shown(a));
  assertEquals(j.unpublished_ops, 2);
  assert(/waiting: +2 local changes not yet published/.test(text), text);
  await a.ok(["sync"]);
  const second = await git(["rev-parse", "refs/track/state"], w.remote);
  ({ j } = await shown(a));
  assertEquals(j.unpublished_ops, 0);
  assertEquals(j.last_push!.commit, second);
  assertEquals(j.last_fetch!.commit, first);

  // The remote rewound to another history: b refuses it, and show says so and what to run.
  const tree = await git(["rev-parse", `${first}^{tree}`], w.remote);
  const other = await git(
    ["-c", "user.name=x", "-c", "user.email=x@x", "commit-tree", tree, "-p", first, "-m", "x"],
    w.remote,
  );
  await b.ok(["sync"]);
  await git(["update-ref", "refs/track/state", other], w.remote);
  assertEquals((await b.track(["sync"])).code, 6);
  ({ j, text } = await shown(b));
  assertEquals(j.rewind!.kind, "diverged");
  assertEquals(j.rewind!.open, true);
  assertEquals(j.rewind!.remote_state, other);
  assertEquals(j.rewind!.known_state, second);
  assertEquals(j.last_fetch!.commit, other); // Kept although the step ended in exit 6.
  assert(/--accept-rewind/.test(j.next), j.next);
  assert(/rewind: +to another history detected .* does not sync until accepted/.test(text), text);
  await b.ok(["sync", "--accept-rewind"]);
  ({ j } = await shown(b));
  assertEquals(j.rewind!.open, false);
  assertEquals(j.next, "track sync");

  // Sync off: every field null, and the command to turn it on.
  const c = await w.clone("c");
  await c.ok(["init"]);
  const off = await c.json<Record<string, unknown>>(["remote", "show"]);
  assertEquals(off.remote, null);
  assertEquals(off.last_fetch, null);
  assertEquals(off.next, "track remote add <remote>");
});

Deno.test("a sync that waited for another of this clone piggybacks on it: one fetch, one push", async () => {
  await using w = await world();
  const [a] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "to publish"]);
  // A git on the PATH that logs each run and holds every push until the test says go.
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  const real = (await git(["--exec-path"], w.root)).replace(
    /\/libexec\/git-core$|\/lib\/git-core$/,
    "/bin",
  );
  const log = `${w.root}/git.log`;
  Deno.writeTextFileSync(
    `${bin}/git`,
    `#!/bin/sh\necho "$*" >> ${log}\ncase " $* " in *" push "*) touch ${w.root}/pushing; ` +
      `while [ ! -e ${w.root}/go ]; do sleep 0.02; done;; esac\nexec ${real}/git "$@"\n`,
  );
  Deno.chmodSync(`${bin}/git`, 0o755);
  const syncs = race([[["sync", "--json"]], [["sync", "--json"]]], {
    cwd: a.dir,
    env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
  });
  // Barrier: one sync is pushing (it holds the sync lock) and the other waits for that lock.
  const lockFile = `${a.dir}/.git/track/sync.lock`;
  const blocked = () => {
    if (!exists(`${w.root}/pushing`) || !exists(lockFile)) return false;
    const ino = Deno.statSync(lockFile).ino;
    return Deno.readTextFileSync("/proc/locks").split("\n").some((l) =>
      l.includes("->") && new RegExp(`:${ino} `).test(l)
    );
  };
  // A hang guard, not a speed check: with no clone lock, no sync ever waits for the other.
  const deadline = Date.now() + 60_000;
  while (!blocked()) {
    if (Date.now() > deadline) {
      Deno.writeTextFileSync(`${w.root}/go`, "");
      await syncs;
      throw new Error("the second track sync never waited on the clone's sync lock (/proc/locks)");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  Deno.writeTextFileSync(`${w.root}/go`, "");
  const results = (await syncs).map((r) => r[0]);
  for (const r of results) assertEquals(r.code, 0, r.stderr);
  const outs = results.map((r) => JSON.parse(r.stdout));
  assertEquals(outs.map((o) => o.pushed).sort(), [false, true]);
  const waiter = outs.find((o) => !o.pushed);
  assertEquals(waiter.piggybacked, true);
  assertEquals(waiter.state, outs.find((o) => o.pushed).state);
  const runs = Deno.readTextFileSync(log).split("\n");
  assertEquals(runs.filter((l) => / push /.test(` ${l} `)).length, 1, runs.join("\n"));
  // The waiter ran after the push (the holder's own fetches are before it, pacing may add one).
  const after = runs.slice(runs.findIndex((l) => / push /.test(` ${l} `)));
  assertEquals(after.filter((l) => / fetch /.test(` ${l} `)).length, 0, runs.join("\n"));
  // Something new after the other's step: no piggyback, the step runs (and publishes it).
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "after"]);
  const again = await a.json<{ pushed: boolean; piggybacked: boolean }>(["sync"]);
  assertEquals(again.piggybacked, false);
});

Deno.test("a file the remote's hook refuses by name is quarantined: kept here, noted, the rest published, retried", async () => {
  await using w = await world();
  const [a] = await started(w);
  await a.ok(["update", "T-0002", "--title", "Second, with a secret"]);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "publish me"]);
  const hook = `${w.remote}/hooks/pre-receive`;
  Deno.writeTextFileSync(
    hook,
    "#!/bin/sh\nwhile read old new ref; do\n" +
      '  if git diff --name-only "$old" "$new" | grep -qx tickets/02/T-0002.md; then\n' +
      '    echo "refusing tickets/02/T-0002.md: it contains a secret"; exit 1\n  fi\ndone\n',
  );
  Deno.chmodSync(hook, 0o755);
  const show = (p: string) => git(["show", `refs/track/state:${p}`], w.remote);
  const quarantineEvents = async () => {
    const board = await git(
      ["ls-tree", "-r", "--name-only", "refs/track/state", "board"],
      w.remote,
    );
    const posts = await Promise.all(board.split("\n").filter(Boolean).map(show));
    return posts.filter((e) => e.includes("tag: sync-quarantine"));
  };
  type Out = { pushed: boolean; quarantined: { path: string; reason: string }[] };
  const r = await a.track(["sync", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const out: Out = JSON.parse(r.stdout);
  assert(out.pushed);
  assertEquals(out.quarantined.map((q) => q.path), ["tickets/T-0002.md"]);
  assert(/contains a secret/.test(out.quarantined[0].reason), out.quarantined[0].reason);
  // The rest is published; the refused file is kept here only; the board says why.
  assert((await show("tickets/01/T-0001.md")).includes("publish me"));
  assert(!(await show("tickets/02/T-0002.md")).includes("secret"));
  assert(Deno.readTextFileSync(`${storeDir(a)}/tickets/T-0002.md`).includes("with a secret"));
  const events = await quarantineEvents();
  assertEquals(events.length, 1);
  assert(events[0].includes("tickets/T-0002.md") && events[0].includes("contains a secret"));
  const text = await a.track(["sync"]);
  assertEquals(text.code, 0, text.stderr);
  assert(/warning: the remote refused tickets\/T-0002\.md/.test(text.stderr), text.stderr);
  assertEquals((await quarantineEvents()).length, 1); // Noted once while it stays refused.
  assertEquals((await a.json<RemoteInfo>(["remote", "show"])).quarantined, ["tickets/T-0002.md"]);
  // The hook lets it through: the next sync publishes it.
  Deno.removeSync(hook);
  const last: Out = await a.json(["sync"]);
  assert(last.pushed);
  assertEquals(last.quarantined, []);
  assert((await show("tickets/02/T-0002.md")).includes("with a secret"));
  assertEquals((await a.json<RemoteInfo>(["remote", "show"])).quarantined, []);
});

/** `track args` in `cwd` under strace (main thread only: where track's file I/O runs). */
async function straced(
  cwd: string,
  args: string[],
  strace: string[],
): Promise<{ code: number; stderr: string; log: string[] }> {
  const logFile = await Deno.makeTempFile({ prefix: "track-strace-" });
  try {
    const out = await testCommand("strace", {
      args: [
        "-y",
        "-o",
        logFile,
        ...strace,
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        MAIN,
        ...args,
      ],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stderr: dec.decode(out.stderr),
      log: Deno.readTextFileSync(logFile).split("\n"),
    };
  } finally {
    Deno.removeSync(logFile);
  }
}

function haveStrace(): boolean {
  try {
    return testCommand("strace", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "applying a fetched state fsyncs no file: one syncfs, then refs/track/local; a failed flush leaves the old state named and the next sync flushes before moving it",
  ignore: Deno.build.os !== "linux" || !haveStrace(),
  async fn() {
    await using w = await world();
    const a = await w.clone("a");
    await a.ok(["init"]);
    await a.ok(["create", "--title", "First"]);
    // 60 tickets more, written as a person would (hand-made files sync like any other).
    const first = Deno.readTextFileSync(`${a.dir}/.track/tickets/T-0001.md`);
    for (let n = 2; n <= 61; n++) {
      const id = `T-${String(n).padStart(4, "0")}`;
      Deno.writeTextFileSync(
        `${a.dir}/.track/tickets/${id}.md`,
        first.replace(/^id: T-0001$/m, `id: ${id}`),
      );
    }
    await a.ok(["remote", "add", w.remote]);
    const b = await w.clone("b");
    await b.ok(["init"]);
    await b.ok(["remote", "add", w.remote]);
    // On a: every ticket changed by hand, and one archived (its two folders change together).
    const aStore = storeDir(a);
    for (const e of Deno.readDirSync(`${aStore}/tickets`)) {
      Deno.writeTextFileSync(`${aStore}/tickets/${e.name}`, "\nchanged on a\n", { append: true });
    }
    await a.ok(["archive", "T-0002"]);
    await a.ok(["sync"]);
    const local = () => git(["rev-parse", "refs/track/local"], b.dir);
    const old = await local();
    const store = storeDir(b);

    // The flush fails: exit 7, and refs/track/local still names the old state.
    const failed = await straced(b.dir, ["sync"], [
      "-e",
      "trace=syncfs",
      "-e",
      "inject=syncfs:error=EIO",
    ]);
    assertEquals(failed.code, 7, failed.stderr);
    assertEquals(await local(), old);
    assert(Deno.readTextFileSync(`${store}/tickets/T-0005.md`).includes("changed on a"));

    // The next sync has nothing left to write, yet flushes once before moving the ref.
    const next = await straced(b.dir, ["sync"], ["-e", "trace=syncfs,fsync,fdatasync,openat"]);
    assertEquals(next.code, 0, next.stderr);
    assertEquals(next.log.filter((l) => l.startsWith("syncfs(")).length, 1, next.log.join("\n"));
    assertEquals(await local(), await git(["rev-parse", "refs/track/remote-state"], b.dir));
    assertEquals(state(a), state(b));

    // A fresh apply of 60 changed tickets: no file fsynced one by one, one syncfs; the archived
    // ticket went through the journal (both folders or neither).
    for (const e of Deno.readDirSync(`${aStore}/tickets`)) {
      Deno.writeTextFileSync(`${aStore}/tickets/${e.name}`, "\nagain\n", { append: true });
    }
    await a.ok(["archive", "T-0003"]);
    await a.ok(["sync"]);
    const applied = await straced(b.dir, ["sync"], ["-e", "trace=syncfs,fsync,fdatasync,openat"]);
    assertEquals(applied.code, 0, applied.stderr);
    const syncs = applied.log.filter((l) => /^f(data)?sync\(/.test(l));
    assert(syncs.length < 30, `${syncs.length} fsyncs for 60 files:\n${syncs.join("\n")}`);
    assertEquals(applied.log.filter((l) => l.startsWith("syncfs(")).length, 1);
    assert(
      applied.log.some((l) => /^openat\(.*\/journal", .*O_CREAT/.test(l)),
      "the archived ticket's two folders changed through the journal",
    );
    assertEquals(state(a), state(b));
    assert(!exists(`${store}/tickets/T-0003.md`) && exists(`${store}/archive/T-0003.md`));
    assertEquals(await local(), await git(["rev-parse", "refs/track/remote-state"], b.dir));
  },
});

Deno.test("namedPaths: a refused push's output names a file by wire path, store path or blob id", () => {
  const blob = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
  const changes = new Map<string, string | null>([
    ["tickets/01/T-0001.md", "1111111111111111111111111111111111111111"],
    ["tickets/02/T-0002.md", blob],
    ["board/2026-11-29/09/0900-a.md", null],
    ["meta.json", "2222222222222222222222222222222222222222"],
  ]);
  const named = (stderr: string) => namedPaths(stderr, changes).map(([w]) => w);
  assertEquals(named("remote: refusing tickets/02/T-0002.md: a secret   \n"), [
    "tickets/02/T-0002.md",
  ]);
  assertEquals(named("remote: error: File tickets/T-0001.md is 120.00 MB; this exceeds"), [
    "tickets/01/T-0001.md",
  ]);
  assertEquals(named(`remote: error: object ${blob.slice(0, 10)}: too large`), [
    "tickets/02/T-0002.md",
  ]);
  // A longer name that merely starts with a path, a stale ref lock, a commit id: nothing named.
  assertEquals(named("remote: refusing tickets/02/T-0002.mdx and xtickets/T-0001.md"), []);
  assertEquals(
    named(
      "error: cannot lock ref 'refs/track/state': Unable to create '/r/refs/track/state.lock': " +
        "File exists.",
    ),
    [],
  );
  assertEquals(named(`error: ref is at ${"a".repeat(40)} but expected ${"b".repeat(40)}`), []);
  // git's reason for the file: the lines naming it, without git's "remote:" prefix.
  assertEquals(
    namedPaths("remote: refusing tickets/02/T-0002.md: a secret  \nerror: failed", changes)[0][1],
    "refusing tickets/02/T-0002.md: a secret",
  );
});
