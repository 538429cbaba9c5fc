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
  await git(w, ["--git-dir", w.bare, "update-index", "--index-info"], {
    env,
    stdin: entries.join("\n") + "\n",
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
