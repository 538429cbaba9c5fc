/** Verified done end to end: track verify, the done gate, --force as unverified, timeouts. */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { runTrack, testCommand } from "./helpers.ts";

interface Repo extends AsyncDisposable {
  root: string;
  git(args: string[]): Promise<void>;
  track(args: string[], options?: { env?: Record<string, string> }): ReturnType<typeof runTrack>;
  ticket(): string;
}

async function tempRepo(): Promise<Repo> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "track-verify-" }));
  const git = async (args: string[]) => {
    const out = await testCommand("git", {
      args,
      cwd: root,
      env: { GIT_TERMINAL_PROMPT: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  await git(["init", "-q", "-b", "main"]);
  await git(["config", "user.name", "Test"]);
  await git(["config", "user.email", "test@example.com"]);
  await git(["config", "commit.gpgsign", "false"]);
  Deno.writeTextFileSync(`${root}/a.txt`, "a\n");
  await git(["add", "a.txt"]);
  await git(["commit", "-q", "-m", "init"]);
  const track: Repo["track"] = (args, options = {}) => runTrack(args, { cwd: root, ...options });
  const r = await track(["init"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return {
    root,
    git,
    track,
    ticket: () => Deno.readTextFileSync(`${root}/.track/tickets/T-0001.md`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** A ticket T-0001 with `verify` commands, claimed by "ann" and moved to review. */
async function inReview(repo: Repo, verify: string[]): Promise<void> {
  const args = ["create", "-t", "feature"];
  for (const v of verify) args.push("--verify", v);
  for (
    const a of [
      args,
      ["claim", "T-0001", "--agent", "ann"],
      ["update", "T-0001", "--status", "review", "--agent", "ann"],
    ]
  ) {
    const r = await repo.track(a);
    assertEquals(r.code, 0, r.stderr);
  }
}

Deno.test("verify: a green run lets done through; the evidence names HEAD and the tree", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["test -f a.txt && echo checked", "echo two, with a comma"]);
  const v = await repo.track(["verify", "T-0001", "--agent", "ann"]);
  assertEquals(v.code, 0, v.stderr);
  assertStringIncludes(v.stdout, "checked"); // streamed
  const shown = JSON.parse((await repo.track(["show", "T-0001", "--json"])).stdout).ticket;
  assertEquals(shown.verify, ["test -f a.txt && echo checked", "echo two, with a comma"]);
  assertEquals(shown.evidence.length, 2);
  assertEquals(shown.evidence[0].exit, 0);
  assertMatch(shown.evidence[0].head, /^[0-9a-f]{40}$/);
  const done = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(done.code, 0, done.stderr);
  const listed = JSON.parse((await repo.track(["list", "--all", "--json"])).stdout).tickets[0];
  assertEquals(listed.unverified, null);
});

Deno.test("verify: a file edited after the green run refuses done with exit 3 and the command", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["true"]);
  assertEquals((await repo.track(["verify", "T-0001"])).code, 0);
  Deno.writeTextFileSync(`${repo.root}/new.txt`, "untracked\n");
  const before = repo.ticket();
  const r = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(r.code, 3, r.stderr);
  assertStringIncludes(r.stderr, "working tree changed");
  assertStringIncludes(r.stderr, "track verify T-0001");
  assertEquals(repo.ticket(), before); // a refusal changes nothing
  // A commit of the change: HEAD moved, refused as well; a new run lets it through.
  await repo.git(["add", "new.txt"]);
  await repo.git(["commit", "-q", "-m", "more"]);
  const moved = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(moved.code, 3);
  assertStringIncludes(moved.stderr, "HEAD moved");
  assertEquals((await repo.track(["verify", "T-0001"])).code, 0);
  // Changes inside .track/ itself do not count.
  assertEquals(
    (await repo.track(["log", "T-0001", "--agent", "ann", "-m", "ready"])).code,
    0,
  );
  const ok = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("verify: a failing command is recorded, exits 3, and done stays refused", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["echo broken >&2; exit 4", "echo never"]);
  const v = await repo.track(["verify", "T-0001"]);
  assertEquals(v.code, 3);
  assertStringIncludes(v.stdout, "broken");
  const json = JSON.parse((await repo.track(["verify", "T-0001", "--json"])).stdout);
  assertEquals(json.runs.map((r: { tail: string }) => r.tail), ["broken"]);
  assertStringIncludes(v.stderr, "exited 4");
  assertStringIncludes(repo.ticket(), "exit 4 in"); // Work Log entry with the output tail
  const r = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(r.code, 3);
  assertStringIncludes(r.stderr, "failed (exit 4)");
});

Deno.test("verify: --force moves to done as unverified, shown by list, show and --json", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["true"]);
  const r = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann", "--force"]);
  assertEquals(r.code, 0, r.stderr);
  const list = await repo.track(["list", "--all"]);
  assertStringIncludes(list.stdout, "done (unverified)");
  const json = JSON.parse((await repo.track(["list", "--all", "--json"])).stdout).tickets[0];
  assertStringIncludes(json.unverified, "forced to done by ann");
  assertStringIncludes((await repo.track(["show", "T-0001"])).stderr, "is unverified");
  // Reopened, the mark goes; a ticket without verify commands moves as before.
  assertEquals((await repo.track(["update", "T-0001", "--status", "backlog"])).code, 0);
  assert(!repo.ticket().includes("unverified:"));
  assertEquals((await repo.track(["create", "-t", "plain"])).code, 0);
  await repo.track(["claim", "T-0002", "--agent", "bo"]);
  await repo.track(["update", "T-0002", "--status", "review", "--agent", "bo"]);
  assertEquals(
    (await repo.track(["update", "T-0002", "--status", "done", "--agent", "bo"])).code,
    0,
  );
});

Deno.test("verify: evidence typed into the ticket by hand does not count", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["exit 1"]);
  assertEquals((await repo.track(["verify", "T-0001"])).code, 3);
  // The recorded failure, edited to a pass: same HEAD and tree, but the MAC no longer matches.
  const forged = repo.ticket().replace(/"1 (\d+)ms/, '"0 $1ms');
  assert(forged !== repo.ticket());
  Deno.writeTextFileSync(`${repo.root}/.track/tickets/T-0001.md`, forged);
  const r = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(r.code, 3, r.stderr);
  assertStringIncludes(r.stderr, "not written by track verify");
});

Deno.test("verify: --timeout kills the command and everything it started", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["sleep 300 & echo $! > bg.pid; wait"]);
  const r = await repo.track(["verify", "T-0001", "--timeout", "1s", "--json"]);
  assertEquals(r.code, 3);
  const out = JSON.parse(r.stdout);
  assertEquals(out.runs[0].timed_out, true);
  assertEquals(out.runs[0].tail, "");
  assertStringIncludes(r.stderr, "timed out");
  const pid = Deno.readTextFileSync(`${repo.root}/bg.pid`).trim();
  // SIGKILL went to the whole group before track returned; the kernel may still be tearing
  // the process down, so it is gone or a zombie (state Z/X) by now, never running.
  let state = "gone";
  try {
    state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1][0];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  assert(state === "gone" || state === "Z" || state === "X", `sleep still ${state}`);
});

Deno.test("verify: verify_on_review in config.json gates review too", async () => {
  await using repo = await tempRepo();
  const config = JSON.parse(Deno.readTextFileSync(`${repo.root}/.track/config.json`));
  Deno.writeTextFileSync(
    `${repo.root}/.track/config.json`,
    JSON.stringify({ ...config, verify_on_review: true }, null, 2) + "\n",
  );
  await repo.track(["create", "-t", "x", "--verify", "true"]);
  await repo.track(["claim", "T-0001", "--agent", "ann"]);
  const r = await repo.track(["update", "T-0001", "--status", "review", "--agent", "ann"]);
  assertEquals(r.code, 3, r.stderr);
  assertStringIncludes(r.stderr, "has no recorded run");
  assertEquals((await repo.track(["verify", "T-0001", "--agent", "ann"])).code, 0);
  const ok = await repo.track(["update", "T-0001", "--status", "review", "--agent", "ann"]);
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("update --verify / --remove-verify change the commands; a bad one changes nothing", async () => {
  await using repo = await tempRepo();
  await repo.track(["create", "-t", "x", "--verify", "a"]);
  assertEquals((await repo.track(["update", "T-0001", "--verify", "b"])).code, 0);
  assertEquals((await repo.track(["update", "T-0001", "--remove-verify", "a"])).code, 0);
  const t = JSON.parse((await repo.track(["show", "T-0001", "--json"])).stdout).ticket;
  assertEquals(t.verify, ["b"]);
  const before = repo.ticket();
  const r = await repo.track(["update", "T-0001", "--remove-verify", "zzz"]);
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, `it has "b"`);
  assertEquals(repo.ticket(), before);
  assertEquals((await repo.track(["update", "T-0001", "--verify", "bad\tline"])).code, 2);
  assertEquals(repo.ticket(), before);
});

Deno.test("verify: runs in the holder's worktree (its agent record), and done checks that tree", async () => {
  await using repo = await tempRepo();
  const wt = `${repo.root}-wt`;
  await repo.git(["worktree", "add", "-q", wt, "-b", "feature"]);
  try {
    assertEquals((await repo.track(["register", "--agent", "ann", "--worktree", wt])).code, 0);
    await inReview(repo, ["pwd > where.txt; git rev-parse --abbrev-ref HEAD"]);
    const v = await repo.track(["verify", "T-0001"]);
    assertEquals(v.code, 0, v.stderr);
    assertStringIncludes(v.stdout, "feature");
    assertEquals(Deno.readTextFileSync(`${wt}/where.txt`).trim(), wt);
    // where.txt is new in the worktree: the run recorded the tree before it, so done refuses
    // until a run on the settled tree; an edit in the main checkout does not matter.
    const first = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
    assertEquals(first.code, 3);
    assertEquals((await repo.track(["verify", "T-0001"])).code, 0);
    Deno.writeTextFileSync(`${repo.root}/elsewhere.txt`, "main checkout\n");
    const ok = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
    assertEquals(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(wt, { recursive: true });
  }
});

Deno.test("verify: an unreadable verify-key is exit 7 naming it, not an internal error; nothing changes", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["true"]);
  Deno.mkdirSync(`${repo.root}/.git/track/verify-key`, { recursive: true });
  const before = repo.ticket();
  for (
    const args of [
      ["verify", "T-0001", "--agent", "ann"],
      ["update", "T-0001", "--status", "done", "--agent", "ann"],
    ]
  ) {
    const r = await repo.track(args);
    assertEquals(r.code, 7, `${args.join(" ")}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "verify-key");
    assertEquals(repo.ticket(), before);
  }
});

Deno.test("verify outside git: the key in .track/verify-key is git-ignored, so a later git add never commits it", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "track-verify-nogit-" }));
  try {
    const track = (args: string[]) => runTrack(args, { cwd: root });
    for (const args of [["init"], ["create", "-t", "x", "--verify", "true"], ["verify", "1"]]) {
      const r = await track(args);
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert(Deno.statSync(`${root}/.track/verify-key`).isFile);
    // The project becomes a repository later, and .track/ is committed as docs/format.md says.
    const git = (...args: string[]) =>
      testCommand("git", { args, cwd: root, stdout: "piped", stderr: "piped" }).outputSync();
    assertEquals(git("init", "-q").code, 0);
    assertEquals(git("add", ".track").code, 0);
    const staged = new TextDecoder().decode(git("diff", "--cached", "--name-only").stdout);
    assertStringIncludes(staged, ".track/config.json");
    assert(!staged.includes("verify-key"), staged);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("verify: a holder's worktree path that runs through a file counts as gone (the root), not an internal error", async () => {
  await using repo = await tempRepo();
  const r0 = await repo.track([
    "register",
    "--agent",
    "ann",
    "--worktree",
    `${repo.root}/a.txt/wt`,
  ]);
  assertEquals(r0.code, 0, r0.stderr);
  await inReview(repo, ["test -f a.txt"]);
  const v = await repo.track(["verify", "T-0001", "--agent", "ann"]);
  assertEquals(v.code, 0, v.stderr);
  const done = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"]);
  assertEquals(done.code, 0, done.stderr);
});

Deno.test("verify: the caller's git environment (a hook's GIT_DIR, GIT_INDEX_FILE) does not change the tree it checks", async () => {
  await using repo = await tempRepo();
  await inReview(repo, ["true"]);
  assertEquals((await repo.track(["verify", "T-0001"])).code, 0);
  // As inside a git hook of another repository: git would read that repository instead.
  const other = await Deno.makeTempDir({ prefix: "track-other-git-" });
  try {
    await testCommand("git", { args: ["init", "-q", other] }).output();
    const r = await repo.track(["update", "T-0001", "--status", "done", "--agent", "ann"], {
      env: { GIT_DIR: `${other}/.git`, GIT_INDEX_FILE: `${other}/.git/index` },
    });
    assertEquals(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(other, { recursive: true });
  }
});
