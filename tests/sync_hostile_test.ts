/**
 * Sync against hostile or unlucky remotes and machines (red team of issue 20): state trees
 * planted straight into the bare repository (newer layouts, links, huge blobs, odd names), a
 * user's git configuration that would make git sign or prompt, and what `track remote add` leaves
 * behind when it refuses. Real git, real track processes, one small world per test.
 */
import { assert, assertEquals } from "./assert.ts";
import { testCommand } from "./helpers.ts";
import { type Clone, gitVars, SyncWorld } from "./sync_world.ts";
import { syncPaths } from "../src/store/sync_config.ts";
import { storeFor } from "../src/store/store.ts";
import { discoverStore } from "../src/store/discovery.ts";
import { syncSetupOf, syncStore } from "../src/operations/sync.ts";
import { mainEnv } from "./helpers.ts";

const dec = new TextDecoder();

/** Runs git with the world's clean environment plus `env`; throws unless it exits 0. */
async function git(
  w: SyncWorld,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string | Uint8Array } = {},
): Promise<string> {
  const child = testCommand("git", {
    args,
    cwd: w.root,
    env: { ...gitVars(w.home), ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const wr = child.stdin.getWriter();
    await wr.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await wr.close();
  }
  const out = await child.output();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout).trim();
}

/** A blob in the bare repository; its oid. */
function blob(w: SyncWorld, data: string | Uint8Array): Promise<string> {
  return git(w, ["--git-dir", w.bare, "hash-object", "-w", "--stdin"], { stdin: data });
}

/**
 * Pushes a commit on top of the remote's state straight into the bare repository (as a hostile
 * or buggy writer would): `entries` are index lines (`<mode> <oid>\t<path>`) applied to the
 * current tree with `update-index --index-info` (mode 0 removes).
 */
async function plant(w: SyncWorld, entries: string[], ref = "refs/track/state"): Promise<string> {
  const index = `${w.root}/plant.index`;
  const env = { GIT_INDEX_FILE: index };
  const tip = await w.remoteRef(ref);
  if (tip !== null) await git(w, ["--git-dir", w.bare, "read-tree", tip], { env });
  else await git(w, ["--git-dir", w.bare, "read-tree", "--empty"], { env });
  await git(w, ["--git-dir", w.bare, "update-index", "-z", "--index-info"], {
    env,
    stdin: entries.join("\0") + "\0",
  });
  const tree = await git(w, ["--git-dir", w.bare, "write-tree"], { env });
  await Deno.remove(index);
  const commit = await git(
    w,
    ["--git-dir", w.bare, "commit-tree", tree, ...(tip === null ? [] : ["-p", tip]), "-m", "x"],
  );
  await git(w, ["--git-dir", w.bare, "update-ref", ref, commit]);
  return commit;
}

/** Every file under `dir` (relative paths), links included, sorted. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel === "" ? dir : `${dir}/${rel}`)) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) walk(p);
      else out.push(p);
    }
  };
  walk("");
  return out.sort();
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A world whose remote holds the state published by clone `a` (two tickets). */
async function published(): Promise<[SyncWorld, Clone]> {
  const w = await SyncWorld.create();
  const a = await w.clone("a");
  await a.ok(["create", "--title", "First"]);
  await a.ok(["create", "--title", "Second"]);
  await a.ok(["remote", "add", "origin"]);
  return [w, a];
}

Deno.test("remote add to a state of a newer layout: exit 6 and sync stays off (the store is not moved)", async () => {
  const [w] = await published();
  await using _ = w;
  await plant(w, [`100644 ${await blob(w, '{"schema":1,"layout":2}\n')}\tmeta.json`]);
  const b = await w.clone("b");
  const before = listing(`${b.dir}/.track`);
  const r = await b.track(["remote", "add", "origin"]);
  assertEquals(r.code, 6, r.stderr);
  assert(/layout 2/.test(r.stderr), r.stderr);
  // Nothing was changed: sync off, the store where it was.
  assert(!exists(syncPaths(b.gitDir).config), "sync.json was written");
  assert(!exists(syncPaths(b.gitDir).store), "the store was moved");
  assertEquals(listing(`${b.dir}/.track`), before);
  assertEquals((await b.track(["list"])).code, 0);
});

Deno.test("a user's commit.gpgSign (global gitconfig) does not make sync sign, prompt or fail", async () => {
  await using w = await SyncWorld.create();
  const marker = `${w.root}/gpg-ran`;
  const gpg = `${w.root}/fake-gpg`;
  await Deno.writeTextFile(gpg, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
  await Deno.chmod(gpg, 0o755);
  await Deno.writeTextFile(
    `${w.home}/.gitconfig`,
    `[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = ${gpg}\n`,
    { append: true },
  );
  const a = await w.clone("a");
  await a.ok(["create", "--title", "First"]);
  const r = await a.track(["remote", "add", "origin"]);
  assertEquals(r.code, 0, r.stderr);
  await a.ok(["create", "--title", "Second"]);
  const s = await a.sync();
  assertEquals(s.code, 0, s.stderr);
  assert(!exists(marker), "git ran the user's gpg program for a state commit");
});

Deno.test("a state tree with links, a submodule, odd names and executables: nothing of it reaches the store", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  const text = await blob(w, "---\nid: T-0077\n---\n");
  const target = await blob(w, "/etc/passwd");
  await plant(w, [
    `120000 ${target}\ttickets/03/T-0003.md`, // a link where a ticket goes
    `120000 ${target}\tagents/evil.json`,
    `160000 ${await git(w, ["--git-dir", w.bare, "rev-parse", "refs/track/state"])}\ttickets/04`,
    `100755 ${text}\ttickets/77/T-0077.md`, // executable
    `100644 ${text}\ttickets/78/T-0077.md`, // wrong shard
    `100644 ${text}\ttickets/79/T-0079\n.md`,
    `100644 ${text}\tboard/2026-01-01/ab/ab\u0001c.md`,
    `100644 ${text}\tinbox/..json`,
    `100644 ${text}\treservations.json/x`,
  ]);
  for (const c of [a, b]) {
    const r = await c.sync();
    assertEquals(r.code, 0, `${c.name}: ${r.stderr}`);
    const files = listing(c.storeDir).filter((p) => !/^(cache|lock|oplog|journal)/.test(p));
    for (const f of files) {
      assert(Deno.lstatSync(`${c.storeDir}/${f}`).isFile, `${c.name}: ${f} is not a file`);
    }
    assertEquals(
      files.filter((f) => /^(tickets|agents|inbox)\//.test(f) || /^board\/2026-01-01/.test(f)),
      ["tickets/T-0001.md", "tickets/T-0002.md"],
    );
    assertEquals((await c.track(["list"])).code, 0);
  }
  // A later sync of a change still publishes (the hostile entries do not block the clone).
  await a.ok(["update", "T-0001", "--priority", "high"]);
  const s = await a.sync();
  assertEquals(s.code, 0, s.stderr);
  await b.ok(["sync"]);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("high"));
});

Deno.test("a ticket over the 16 MB limit on the remote: the store stays readable", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  const big = Deno.readTextFileSync(`${a.storeDir}/tickets/T-0002.md`) +
    "x".repeat(17 * 1024 * 1024) + "\n";
  Deno.writeTextFileSync(`${w.root}/big`, big);
  const oid = await git(w, ["--git-dir", w.bare, "hash-object", "-w", `${w.root}/big`]);
  await plant(w, [`100644 ${oid}\ttickets/02/T-0002.md`]);
  const r = await b.sync();
  // Whatever sync says, every command must keep working afterwards.
  assert(r.code === 0 || r.code === 6, r.stderr);
  const l = await b.track(["list"]);
  assertEquals(l.code, 0, l.stderr);
  const s = await b.track(["show", "T-0001"]);
  assertEquals(s.code, 0, s.stderr);
  // The oversized ticket is refused by name (exit 6), like a hand-made one.
  const big2 = await b.track(["show", "T-0002"]);
  assertEquals(big2.code, 6, big2.stderr);
  assert(/T-0002\.md.*over the/.test(big2.stderr), big2.stderr);
});

/** Whether some process is blocked in flock() on the file with inode `ino` (/proc/locks). */
function flockWaiter(ino: number): boolean {
  return Deno.readTextFileSync("/proc/locks").split("\n")
    .some((l) => l.includes("->") && l.includes("FLOCK") && new RegExp(`:${ino} `).test(l));
}

Deno.test("a write that lands while the apply waits for the store lock is merged, never reverts the remote's change later", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  // b publishes a new title for T-0001.
  await b.ok(["update", "T-0001", "--title", "Renamed on b"]);
  await b.ok(["sync"]);
  // a has something to publish, so its step pushes before applying b's title.
  await a.ok(["update", "T-0002", "--priority", "high"]);
  const found = discoverStore(a.dir, mainEnv({ HOME: w.home }));
  const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
  const ticket = `${store.dir}/tickets/T-0001.md`;
  const lockIno = Deno.statSync(`${store.dir}/lock`).ino!;
  let holder: Deno.ChildProcess | null = null;
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      if (step !== "pushed") return;
      // Another writer holds the store lock: the apply decides what changed since the
      // snapshot, then waits; the writer edits T-0001 by hand (a new Work Log line) and lets go.
      holder = testCommand("flock", {
        args: [
          `${store.dir}/lock`,
          "sh",
          "-c",
          `echo held; read x; printf '%s\\n' '- hand line' >> '${ticket}'`,
        ],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const reader = holder.stdout.getReader();
      const { value } = await reader.read();
      assertEquals(dec.decode(value).trim(), "held");
      reader.releaseLock();
      // Release once the sync is blocked on the lock (a barrier on /proc/locks, not a sleep).
      (async () => {
        while (!flockWaiter(lockIno)) await new Promise((r) => setTimeout(r, 5));
        const wr = holder!.stdin.getWriter();
        await wr.write(new TextEncoder().encode("go\n"));
        await wr.close();
      })();
    },
  });
  await holder!.status;
  await holder!.stdout.cancel().catch(() => {});
  assert(r.pushed);
  // The next syncs publish the hand line; b's title must survive everywhere.
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  for (const c of [a, b]) {
    const t = Deno.readTextFileSync(`${c.storeDir}/tickets/T-0001.md`);
    assert(t.includes("title: Renamed on b"), `${c.name}: b's title was reverted:\n${t}`);
    assert(t.includes("hand line"), `${c.name}: the hand line was lost:\n${t}`);
  }
});

Deno.test("a state tree holding paths git refuses (.., .git) does not stop every clone from publishing", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  // `git mktree` writes what `update-index` refuses; a push carries it (no fsck by default).
  const bare = ["--git-dir", w.bare];
  const evil = await blob(w, "pwned\n");
  const inner = await git(w, [...bare, "mktree"], { stdin: `100644 blob ${evil}\tevil\n` });
  const tip = (await w.remoteRef())!;
  const top = await git(w, [...bare, "ls-tree", tip]);
  const root = await git(w, [...bare, "mktree"], {
    stdin: `${top}\n040000 tree ${inner}\t..\n100644 blob ${evil}\t.git\n`,
  });
  const commit = await git(w, [...bare, "commit-tree", root, "-p", tip, "-m", "hostile"]);
  await git(w, [...bare, "update-ref", "refs/track/state", commit]);

  await a.ok(["update", "T-0001", "--priority", "high"]);
  const r = await a.sync();
  assertEquals(r.code, 0, r.stderr);
  const s = await b.sync();
  assertEquals(s.code, 0, s.stderr);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("high"));
  for (const c of [a, b]) {
    assert(!exists(`${c.storeDir}/../evil`) && !exists(`${syncPaths(c.gitDir).home}/evil`));
  }
  assert(!exists(`${w.root}/evil`));
});

Deno.test("a --ref or hint git would refuse (.., .lock, //) is a usage error before any git runs, never exit 8", async () => {
  await using w = await SyncWorld.create();
  const a = await w.clone("a");
  for (
    const ref of ["refs/track/../heads/main", "refs/track/x.lock", "refs/track//x", "refs/track/x/"]
  ) {
    const r = await a.track(["remote", "add", "origin", "--ref", ref]);
    assertEquals(r.code, 2, `${ref}: ${r.stderr}`);
    assert(!exists(syncPaths(a.gitDir).config));
  }
  // The same ref in a cloned config.json hint is never acted on.
  const cfg = `${a.dir}/.track/config.json`;
  const raw = JSON.parse(Deno.readTextFileSync(cfg));
  Deno.writeTextFileSync(
    cfg,
    JSON.stringify({
      ...raw,
      schema: 2,
      sync: { remote: "origin", ref: "refs/track/../heads/main" },
    }),
  );
  const r = await a.track(["sync"]);
  assertEquals(r.code, 4, r.stderr);
  assert(/not acted on/.test(r.stderr), r.stderr);
});

Deno.test("the caller's GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and the clone's own hooks do not reach sync's git", async () => {
  const [w, a] = await published();
  await using _ = w;
  const other = `${w.root}/other.git`;
  await git(w, ["init", "-q", "--bare", other]);
  const marker = `${w.root}/hook-ran`;
  for (const hook of ["pre-push", "reference-transaction", "post-update", "pre-commit"]) {
    const p = `${a.gitDir}/hooks/${hook}`;
    await Deno.writeTextFile(p, `#!/bin/sh\necho ${hook} >> '${marker}'\nexit 1\n`);
    await Deno.chmod(p, 0o755);
  }
  await a.ok(["update", "T-0001", "--priority", "high"]);
  const r = await a.sync([], {
    env: { GIT_DIR: other, GIT_WORK_TREE: w.root, GIT_INDEX_FILE: `${w.root}/idx` },
  });
  assertEquals(r.code, 0, r.stderr);
  assert(!exists(marker), "a hook of the clone ran");
  assert(!exists(`${w.root}/idx`));
  assertEquals(await git(w, ["--git-dir", other, "for-each-ref"]), "");
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("high"));
});

Deno.test("remote add after a remove cut short (its local refs left behind) starts a new history on the new remote", async () => {
  const [w, a] = await published();
  await using _ = w;
  const old = (await a.ref("refs/track/remote-state"))!;
  await a.ok(["remote", "remove"]);
  // What a kill -9 between the store's move back and the deletion of the refs leaves behind.
  await a.git(["update-ref", "refs/track/remote-state", old]);
  await a.git(["update-ref", "refs/track/local", old]);
  const fresh = `${w.root}/fresh.git`;
  await git(w, ["init", "-q", "--bare", fresh]);
  const r = await a.track(["remote", "add", fresh, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).outcome, "published");
  // The new remote holds one commit: none of the old remote's history went there.
  const tip = await git(w, ["--git-dir", fresh, "rev-parse", "refs/track/state"]);
  assertEquals(await git(w, ["--git-dir", fresh, "rev-list", "--count", tip]), "1");
  assert(!/lost history/.test(r.stderr), r.stderr);
});

Deno.test("a ticket archived here while the sync applies the remote's change to it: one ticket, one folder", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  await b.ok(["update", "T-0001", "--title", "Renamed on b"]);
  await b.ok(["sync"]);
  await a.ok(["update", "T-0002", "--priority", "high"]);
  const found = discoverStore(a.dir, mainEnv({ HOME: w.home }));
  const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      // After the snapshot and the push, before b's title is written here.
      if (step === "pushed") await a.ok(["archive", "T-0001"]);
    },
  });
  assert(r.pushed);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  for (const c of [a, b]) {
    const both = ["tickets", "archive"].filter((f) => exists(`${c.storeDir}/${f}/T-0001.md`));
    assertEquals(both.length, 1, `${c.name}: T-0001 is in ${both.join(" and ")}`);
    const d = await c.track(["doctor"]);
    assertEquals(d.code, 0, `${c.name}: ${d.stdout}${d.stderr}`);
  }
});

Deno.test("with sync on, a ticket that does not parse gets a hint that works there (not git diff .track/)", async () => {
  const [w, a] = await published();
  await using _ = w;
  const file = `${a.storeDir}/tickets/T-0001.md`;
  Deno.writeTextFileSync(file, "---\nid: T-0001\ntitle: [broken\n");
  const r = await a.track(["show", "T-0001"]);
  assertEquals(r.code, 6, r.stderr);
  assert(!r.stderr.includes("git diff .track/"), r.stderr);
  const m = /git show (refs\/track\/local:\S+\.md)/.exec(r.stderr);
  assert(m !== null, r.stderr);
  const shown = await a.git(["show", m[1]]);
  assertEquals(shown.code, 0, shown.stderr);
  assert(shown.stdout.includes("title: First"), shown.stdout);
});

Deno.test("track remote remove waits for a sync of the clone under way: the sync ends as it began, remove leaves nothing behind", async () => {
  const [w, a] = await published();
  await using _ = w;
  await a.ok(["update", "T-0002", "--priority", "high"]);
  const found = discoverStore(a.dir, mainEnv({ HOME: w.home }));
  const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
  let removing: Deno.ChildProcess | null = null;
  const lockIno = () => Deno.statSync(syncPaths(a.gitDir).syncLock).ino!;
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      if (step !== "pushed" || removing !== null) return;
      // remove starts while the push is done and the apply is still to come.
      removing = a.spawn(["remote", "remove"]);
      // Go on once it waits for the clone's sync lock (a barrier on /proc/locks), or ended.
      let done = false;
      removing.status.then(() => done = true);
      while (!done && !flockWaiter(lockIno())) await new Promise((r) => setTimeout(r, 5));
    },
  });
  assert(r.pushed);
  const out = await removing!.output();
  assertEquals(out.code, 0, dec.decode(out.stderr));
  const paths = syncPaths(a.gitDir);
  assertEquals((await a.git(["for-each-ref", "refs/track/"])).stdout, "");
  assert(!exists(paths.store) && !exists(paths.private) && !exists(paths.config));
  const l = await a.track(["show", "T-0002"]);
  assert(l.stdout.includes("high"), l.stdout + l.stderr);
});

Deno.test("a link planted in the sync store (a board day, the agents folder, a ticket) is refused, never published", async () => {
  const [w, a] = await published();
  await using _ = w;
  const outside = `${w.root}/outside`;
  Deno.mkdirSync(`${outside}/day`, { recursive: true });
  Deno.writeTextFileSync(`${outside}/day/120000000-0000-secret.md`, "secret\n");
  Deno.writeTextFileSync(`${outside}/x.json`, '{"secret":true}\n');
  Deno.writeTextFileSync(`${outside}/T-0009.md`, "secret\n");
  const before = await w.remoteRef();
  for (
    const [link, target] of [
      ["board/2026-01-02", `${outside}/day`],
      ["agents", outside],
      ["tickets/T-0009.md", `${outside}/T-0009.md`],
    ]
  ) {
    const at = `${a.storeDir}/${link}`;
    Deno.mkdirSync(at.slice(0, at.lastIndexOf("/")), { recursive: true });
    const real = exists(at);
    if (real) Deno.renameSync(at, `${w.root}/aside`);
    Deno.symlinkSync(target, at);
    const r = await a.sync();
    assertEquals(await w.remoteRef(), before, `${link} was published`);
    assertEquals(r.code, 6, `${link}: ${r.code} ${r.stderr}`);
    Deno.removeSync(at);
    if (real) Deno.renameSync(`${w.root}/aside`, at);
  }
  // With the links gone, the clone syncs again.
  assertEquals((await a.sync()).code, 0);
});

Deno.test("a ref lock left in the clone's own repository by a killed git: named, with how to remove it (never 'cannot reach the remote')", async () => {
  const [w, a] = await published();
  await using _ = w;
  for (const ref of ["refs/track/fetched", "refs/track/remote-state", "refs/track/local"]) {
    const lock = `${a.gitDir}/${ref}.lock`;
    Deno.writeTextFileSync(lock, "");
    await a.ok(["board", "--agent", "alpha", "-m", `while ${ref} is locked`]);
    const r = await a.sync();
    assertEquals(r.code, 7, `${ref}: ${r.stderr}`);
    assert(!/Cannot reach/.test(r.stderr), r.stderr);
    assert(r.stderr.includes(`${ref}.lock`) && r.stderr.includes("rm '"), r.stderr);
    Deno.removeSync(lock);
    const again = await a.sync();
    assertEquals(again.code, 0, again.stderr);
  }
});

Deno.test("sync over ssh keeps the user's ssh agent (SSH_AUTH_SOCK) and never lets ssh prompt (BatchMode)", async () => {
  await using w = await SyncWorld.create();
  // A fake `ssh` on the PATH: records its environment and arguments, then runs the remote
  // command locally (as sshd would), so the remote `ssh://127.0.0.1/<bare>` really works.
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  const seen = `${w.root}/ssh-seen`;
  Deno.writeTextFileSync(
    `${bin}/ssh`,
    `#!/bin/sh\n{ echo "SOCK=$SSH_AUTH_SOCK"; echo "ARGS=$*"; } >> '${seen}'\n` +
      `for a; do last=$a; done\nexec sh -c "$last"\n`,
  );
  Deno.chmodSync(`${bin}/ssh`, 0o755);
  const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, SSH_AUTH_SOCK: `${w.root}/agent.sock` };
  const a = await w.clone("a");
  await a.ok(["create", "--title", "Over ssh"]);
  const r = await a.track(["remote", "add", `ssh://127.0.0.1${w.bare}`], { env });
  assertEquals(r.code, 0, r.stderr);
  const log = Deno.readTextFileSync(seen);
  assert(log.includes(`SOCK=${w.root}/agent.sock`), log);
  assert(/ARGS=.*BatchMode=yes/.test(log), log);
  assert(await w.remoteRef() !== null);
});

Deno.test("while a push hangs on the remote, local writers keep working (no network under the store lock)", async () => {
  const [w, a] = await published();
  await using _ = w;
  const { mkfifo } = await import("./sync_world.ts");
  const gate = `${w.root}/gate`;
  const reached = `${w.root}/reached`;
  await mkfifo(gate);
  await w.hook("pre-receive", `cat > /dev/null; touch '${reached}'; read x < '${gate}'; exit 0`);
  await a.ok(["update", "T-0002", "--priority", "high"]);
  const sync = a.spawn(["sync"]);
  while (!exists(reached)) await new Promise((r) => setTimeout(r, 10));
  // The push is at the remote, held: the store lock must be free.
  const r = await a.track(["update", "T-0001", "--priority", "low"], {
    env: { TRACK_LOCK_TIMEOUT: "3000" },
  });
  assertEquals(r.code, 0, r.stderr);
  const g = await Deno.open(gate, { write: true });
  await g.write(new TextEncoder().encode("go\n"));
  g.close();
  const out = await sync.output();
  assertEquals(out.code, 0, dec.decode(out.stderr));
  await w.hook("pre-receive", "cat > /dev/null; exit 0");
  await a.ok(["sync"]);
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("low"));
  assert((await b.ok(["show", "T-0002"])).stdout.includes("high"));
});

Deno.test("a remote URL with a password in it never reaches the shared state (rewind alarms name it without)", async () => {
  await using w = await SyncWorld.create();
  const bin = `${w.root}/bin`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(`${bin}/ssh`, `#!/bin/sh\nfor a; do last=$a; done\nexec sh -c "$last"\n`);
  Deno.chmodSync(`${bin}/ssh`, 0o755);
  const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
  const a = await w.clone("a");
  await a.ok(["create", "--title", "First"]);
  const url = `ssh://deploy:s3cr3t-token@127.0.0.1${w.bare}`;
  const added = await a.track(["remote", "add", url], { env });
  assertEquals(added.code, 0, added.stderr);
  const cfg = syncPaths(a.gitDir).config;
  Deno.writeTextFileSync(
    cfg,
    JSON.stringify({ ...JSON.parse(Deno.readTextFileSync(cfg)), interval_ms: 0 }),
  );
  // The state ref deleted (a mirror push from a plain clone): a restores it, with an alarm.
  await w.bareGit(["update-ref", "-d", "refs/track/state"]);
  const r = await a.track(["sync"], { env });
  assertEquals(r.code, 0, r.stderr);
  const tip = (await w.remoteRef())!;
  const files = (await git(w, ["--git-dir", w.bare, "ls-tree", "-r", "--name-only", tip]))
    .split("\n");
  let alarms = 0;
  for (const f of files) {
    const text = await git(w, ["--git-dir", w.bare, "show", `${tip}:${f}`]);
    if (text.includes("lost history")) alarms++;
    assert(!text.includes("s3cr3t"), `${f} holds the password:\n${text}`);
  }
  assertEquals(alarms, 1);
  assert(!(await git(w, ["--git-dir", w.bare, "log", "--format=%B", tip])).includes("s3cr3t"));
});

Deno.test("git gc --prune=now after a sync that published nothing (its blobs unreachable): the next sync still publishes", async () => {
  const [w, a] = await published();
  await using _ = w;
  await a.ok(["update", "T-0001", "--priority", "high"]);
  // Let the write settle, so the stat cache trusts the file's blob id from now on.
  await new Promise((r) => setTimeout(r, 2_500));
  await a.ok(["sync", "--fetch-only"]); // Hashes the file into the repository; publishes nothing.
  const gc = await a.git(["gc", "--quiet", "--prune=now"]);
  assertEquals(gc.code, 0, gc.stderr);
  const r = await a.sync();
  assertEquals(r.code, 0, r.stderr);
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("high"));
});

Deno.test("a fresh clone joining through the hint while the state ref is deleted does not start an empty history", async () => {
  const [w, a] = await published();
  await using _ = w;
  await a.git(["add", "-A", ".track"]);
  await a.git(["commit", "-q", "-m", "track: sync"]);
  const pushed = await a.git(["push", "-q", "origin", "HEAD:main"]);
  assertEquals(pushed.code, 0, pushed.stderr);
  // The state ref deleted (git push --mirror from a plain clone).
  await w.bareGit(["update-ref", "-d", "refs/track/state"]);
  const b = await w.clone("b", { init: false });
  const joined = await b.track(["sync"]);
  assert(joined.code !== 0, `b joined a remote without state: ${joined.stdout}`);
  assertEquals(joined.code, 6, joined.stderr);
  assertEquals(await w.remoteRef(), null, "b created a state");
  assert(!exists(syncPaths(b.gitDir).config));
  // A clone that knew the state restores it; then b joins and adopts it.
  assertEquals((await a.sync()).code, 0);
  const again = await b.track(["sync"]);
  assertEquals(again.code, 0, again.stderr);
  assert((await b.ok(["show", "T-0002"])).stdout.includes("Second"));
});

Deno.test("a remote rewound to another history holding a ticket that is not UTF-8: exit 6 naming the rewind, not an internal error", async () => {
  const [w, a] = await published();
  await using _ = w;
  const bare = ["--git-dir", w.bare];
  const meta = await blob(w, '{"schema":1,"layout":1}\n');
  const bad = await blob(w, new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]));
  const shard = await git(w, [...bare, "mktree"], { stdin: `100644 blob ${bad}\tT-0001.md\n` });
  const tickets = await git(w, [...bare, "mktree"], { stdin: `040000 tree ${shard}\t01\n` });
  const root = await git(w, [...bare, "mktree"], {
    stdin: `100644 blob ${meta}\tmeta.json\n040000 tree ${tickets}\ttickets\n`,
  });
  const other = await git(w, [...bare, "commit-tree", root, "-m", "another history"]);
  await git(w, [...bare, "update-ref", "refs/track/state", other]);
  const r = await a.sync();
  assertEquals(r.code, 6, r.stderr);
  assert(/rewound to another history/.test(r.stderr), r.stderr);
});

Deno.test("an agent record that is JSON but no object on the remote (null) never makes sync an internal error", async () => {
  const [w, a] = await published();
  await using _ = w;
  await a.ok(["register", "--agent", "alpha"]);
  await a.ok(["sync"]);
  await plant(w, [`100644 ${await blob(w, "null\n")}\tagents/alpha.json`]);
  await a.ok(["heartbeat", "--agent", "alpha"]);
  const r = await a.sync();
  assert(r.code !== 1, r.stderr);
});

Deno.test("board posts under impossible days and a ticket whose id is not its file's: every command keeps working", async () => {
  const [w, a] = await published();
  await using _ = w;
  const post = await blob(w, "not a board post at all\n");
  const t1 = Deno.readTextFileSync(`${a.storeDir}/tickets/T-0001.md`);
  const liar = await blob(w, t1.replace("id: T-0001", "id: T-0002"));
  await plant(w, [
    `100644 ${post}\tboard/9999-99-99/12/120000000-0000-zz.md`,
    `100644 ${post}\tboard/0000-00-00/ab/ab.md`,
    `100644 ${liar}\ttickets/01/T-0001.md`,
  ]);
  const r = await a.sync();
  assertEquals(r.code, 0, r.stderr);
  for (const args of [["board"], ["list"], ["show", "T-0002"], ["board", "--json"]]) {
    const c = await a.track(args);
    assert(c.code === 0, `${args.join(" ")}: ${c.code} ${c.stderr}`);
  }
  const d = await a.track(["doctor"]);
  assert(d.code !== 1, d.stderr);
});

Deno.test("track remote remove waiting too long for a sync under way: exit 5, nothing changed, the hint retries remove", async () => {
  const [w, a] = await published();
  await using _ = w;
  const holder = testCommand("flock", {
    args: [syncPaths(a.gitDir).syncLock, "sh", "-c", "echo held; read x"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  assertEquals(dec.decode((await reader.read()).value).trim(), "held");
  reader.releaseLock();
  const r = await a.track(["remote", "remove"], { env: { TRACK_SYNC_TIMEOUT: "300" } });
  const wr = holder.stdin.getWriter();
  await wr.write(new TextEncoder().encode("go\n"));
  await wr.close();
  await holder.status;
  await holder.stdout.cancel().catch(() => {});
  assertEquals(r.code, 5, r.stderr);
  assert(/hint: .*track remote remove/.test(r.stderr), r.stderr);
  assert(exists(syncPaths(a.gitDir).config));
  assertEquals((await a.track(["remote", "remove"])).code, 0);
});

Deno.test("a line logged here to a ticket the sync is renumbering lands on that ticket's new number, not on the published one", async () => {
  const [w, a] = await published();
  await using _ = w;
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  await b.ok(["create", "--title", "Made on b"]);
  await b.ok(["sync"]);
  // The same number, T-0003: with id blocks (docs/sync.md "Ticket numbers") only a store from
  // before them makes one, as a has never reserved a block: its ticket is written as such a
  // store's create wrote it, and the merge's renumbering is the safety net.
  const first = Deno.readTextFileSync(`${a.storeDir}/tickets/T-0001.md`);
  Deno.writeTextFileSync(
    `${a.storeDir}/tickets/T-0003.md`,
    first.replace("id: T-0001", "id: T-0003").replace(/^title: .*$/m, "title: Made on a"),
  );
  const found = discoverStore(a.dir, mainEnv({ HOME: w.home }));
  const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
  const r = await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      if (step === "pushed") await a.ok(["log", "T-0003", "--agent", "alpha", "-m", "a's line"]);
    },
  });
  assert(r.pushed);
  assertEquals(r.renumbered.map((n) => `${n.from}>${n.to}`), ["T-0003>T-0004"]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  for (const c of [a, b]) {
    const t3 = Deno.readTextFileSync(`${c.storeDir}/tickets/T-0003.md`);
    const t4 = Deno.readTextFileSync(`${c.storeDir}/tickets/T-0004.md`);
    assert(t3.includes("Made on b") && t4.includes("Made on a"), `${c.name}:\n${t3}\n${t4}`);
    assert(t4.includes("a's line"), `${c.name}: a's line is not on a's ticket:\n${t4}`);
    assert(!t3.includes("a's line"), `${c.name}: a's line went to b's ticket:\n${t3}`);
  }
});

Deno.test("a cloned .track/ holding links (to a secret outside) is refused by remote add: nothing moved, nothing published", async () => {
  await using w = await SyncWorld.create();
  const a = await w.clone("a");
  await a.ok(["create", "--title", "First"]);
  const secret = `${w.root}/id_rsa`;
  Deno.writeTextFileSync(secret, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  const cases: Array<[string, string]> = [
    [".track/tickets/T-0009.md", secret],
    [".track/board/2026-01-01", w.root],
    [".track/agents/evil.json", secret],
  ];
  for (const [link, target] of cases) {
    const at = `${a.dir}/${link}`;
    Deno.mkdirSync(at.slice(0, at.lastIndexOf("/")), { recursive: true });
    Deno.symlinkSync(target, at);
    const r = await a.track(["remote", "add", "origin"]);
    assertEquals(r.code, 6, `${link}: ${r.code} ${r.stderr}`);
    assertEquals(await w.remoteRef(), null, `${link}: published`);
    assert(!exists(syncPaths(a.gitDir).config), `${link}: sync turned on`);
    Deno.removeSync(at);
  }
});

Deno.test("a state tree with a file where a shard folder goes: the next publish still lands the ticket", async () => {
  const [w, a] = await published();
  await using _ = w;
  const bare = ["--git-dir", w.bare];
  const tip = (await w.remoteRef())!;
  const junk = await blob(w, "junk\n");
  // tickets/01 becomes a file; tickets/02 stays.
  const shard2 = await git(w, [...bare, "rev-parse", `${tip}:tickets/02`]);
  const tickets = await git(w, [...bare, "mktree"], {
    stdin: `100644 blob ${junk}\t01\n040000 tree ${shard2}\t02\n`,
  });
  const top = (await git(w, [...bare, "ls-tree", tip])).split("\n")
    .filter((l) => !l.endsWith("\ttickets")).join("\n");
  const root = await git(w, [...bare, "mktree"], {
    stdin: `${top}\n040000 tree ${tickets}\ttickets\n`,
  });
  const commit = await git(w, [...bare, "commit-tree", root, "-p", tip, "-m", "odd"]);
  await git(w, [...bare, "update-ref", "refs/track/state", commit]);
  await a.ok(["update", "T-0001", "--priority", "high"]);
  const r = await a.sync();
  assertEquals(r.code, 0, r.stderr);
  const b = await w.clone("b");
  await b.ok(["remote", "add", "origin"]);
  assert((await b.ok(["show", "T-0001"])).stdout.includes("high"));
});
