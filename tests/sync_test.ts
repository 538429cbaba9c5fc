/**
 * `track remote add` and `track sync` end to end: a bare repository given as a path and clones
 * of it in a temp dir, real git, the real CLI as a subprocess (the lost race in process, with a
 * barrier at the step between fetch and push).
 */
import { assert, assertEquals } from "./assert.ts";
import { type RunResult, runTrack, snapshot, testCommand } from "./helpers.ts";
import { Store } from "../src/store/store.ts";
import { syncSetupOf, syncStore } from "../src/operations/sync.ts";

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
  track(args: string[], env?: Record<string, string>): Promise<RunResult>;
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
      const track = (args: string[], env?: Record<string, string>) =>
        runTrack(args, { cwd: dir, env });
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

/** The synced files of a clone's store (runtime files left out), for "identical" checks. */
function state(c: Clone): Map<string, string> {
  const all = snapshot(`${c.dir}/.track`);
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
  const t1 = Deno.readTextFileSync(`${a.dir}/.track/tickets/T-0001.md`);
  assert(t1.includes("from a") && t1.includes("from b"), t1);
  assert(t1.includes("First (renamed on b)"), t1);
  assert(Deno.readTextFileSync(`${b.dir}/.track/tickets/T-0002.md`).includes("priority: high"));
  assert(Deno.readTextFileSync(`${a.dir}/.track/tickets/T-0003.md`).includes("Third, from b"));

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
  const before = snapshot(`${a.dir}/.track`);
  const refsBefore = await git(["for-each-ref", "refs/track"], a.dir);
  await Deno.rename(w.remote, `${w.remote}.away`);
  const r = await a.track(["sync", "--json"]);
  assertEquals(r.code, 8, r.stderr);
  assertEquals(JSON.parse(r.stderr).error.kind, "remote");
  const after = snapshot(`${a.dir}/.track`);
  after.delete("lock");
  before.delete("lock");
  assertEquals(after, before);
  assertEquals(await git(["for-each-ref", "refs/track"], a.dir), refsBefore);

  await Deno.rename(`${w.remote}.away`, w.remote);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assert(Deno.readTextFileSync(`${b.dir}/.track/tickets/T-0001.md`).includes("offline work"));
});

Deno.test("a push that lost the race is rebuilt on the new remote tip and retried", async () => {
  await using w = await world();
  const [a, b] = await started(w);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "a's line"]);
  await b.ok(["log", "T-0002", "--agent", "bravo", "-m", "b's line"]);
  const store = new Store(`${a.dir}/.track`);
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
  assert(Deno.readTextFileSync(`${a.dir}/.track/tickets/T-0002.md`).includes("b's line"));
  assert(Deno.readTextFileSync(`${b.dir}/.track/tickets/T-0001.md`).includes("a's line"));
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
