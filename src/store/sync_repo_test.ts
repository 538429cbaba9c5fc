import { assertEquals } from "../../tests/assert.ts";
import { readBlobs, readRefs, withBlobMemo, writeBlobs } from "./sync_repo.ts";
import { runGit } from "./git.ts";

async function git(dir: string, args: string[], stdin?: string): Promise<string> {
  const r = await runGit(args, {
    gitDir: `${dir}/.git`,
    stdin,
    env: {
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return new TextDecoder().decode(r.stdout).trim();
}

Deno.test("readRefs: exact names only, a tag peeled to its commit, a missing ref null", async () => {
  const dir = await Deno.makeTempDir({ prefix: "track-sync-repo-" });
  try {
    const init = await runGit(["init", "-q", dir]);
    assertEquals(init.code, 0, init.stderr);
    const tree = await git(dir, ["mktree"], "");
    const a = await git(dir, ["commit-tree", tree, "-m", "a"]);
    const b = await git(dir, ["commit-tree", tree, "-p", a, "-m", "b"]);
    await git(dir, ["update-ref", "refs/track/local", a]);
    // A ref under a name asked for: for-each-ref's pattern matches it; readRefs must not take it.
    await git(dir, ["update-ref", "refs/track/missing/x", b]);
    await git(dir, ["tag", "-a", "-m", "t", "v1", b]);
    await git(dir, ["update-ref", "refs/track/tagged", "refs/tags/v1"]);
    const refs = await readRefs(`${dir}/.git`, [
      "refs/track/local",
      "refs/track/tagged",
      "refs/track/missing",
    ]);
    assertEquals([...refs], [
      ["refs/track/local", a],
      ["refs/track/tagged", b],
      ["refs/track/missing", null],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBlobs: a sync step reads a blob once; outside a step every read asks git", async () => {
  const dir = await Deno.makeTempDir({ prefix: "track-sync-repo-" });
  try {
    const init = await runGit(["init", "-q", dir]);
    assertEquals(init.code, 0, init.stderr);
    const gitDir = `${dir}/.git`;
    const text = new TextEncoder().encode("hello\n");
    const loose = (oid: string) => `${gitDir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
    await withBlobMemo(async () => {
      const [oid] = await writeBlobs(gitDir, `${dir}/scratch`, [text]);
      // Gone from the repository: within the step, the bytes written are still known.
      Deno.removeSync(loose(oid));
      assertEquals((await readBlobs(gitDir, [oid])).get(oid), text);
    });
    const [oid] = await writeBlobs(gitDir, `${dir}/scratch`, [text]);
    await withBlobMemo(() => readBlobs(gitDir, [oid]));
    Deno.removeSync(loose(oid));
    const missing = await readBlobs(gitDir, [oid]).then(() => null, (e) => e);
    assertEquals(missing?.detail?.missing, oid);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
