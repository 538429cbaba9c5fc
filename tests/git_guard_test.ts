/** The git guard end to end: real repositories, linked worktrees, chained hooks. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runTrack, testCommand } from "./helpers.ts";

interface Repo extends AsyncDisposable {
  root: string;
  git(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<{
    code: number;
    stdout: string;
    stderr: string;
  }>;
  track(args: string[], options?: { cwd?: string; env?: Record<string, string> }): ReturnType<
    typeof runTrack
  >;
}

async function tempRepo(): Promise<Repo> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "track-git-" }));
  const git: Repo["git"] = async (args, o = {}) => {
    const out = await testCommand("git", {
      args,
      cwd: o.cwd ?? root,
      env: { NO_COLOR: "1", TRACK_AGENT: "", GIT_TERMINAL_PROMPT: "0", ...o.env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  };
  const must = async (args: string[]) => {
    const r = await git(args);
    if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  };
  await must(["init", "-q", "-b", "main"]);
  await must(["config", "user.name", "Test"]);
  await must(["config", "user.email", "test@example.com"]);
  await must(["config", "commit.gpgsign", "false"]);
  Deno.writeTextFileSync(`${root}/README.md`, "hi\n");
  await must(["add", "README.md"]);
  await must(["commit", "-q", "-m", "init"]);
  const track: Repo["track"] = (args, o = {}) => runTrack(args, { cwd: o.cwd ?? root, env: o.env });
  const r = await track(["init"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return {
    root,
    git,
    track,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** bravo holds src/lexer for T-0001. */
async function reserveLexer(repo: Repo): Promise<void> {
  await repo.track(["create", "--title", "Lexer"]);
  await repo.track(["create", "--title", "Parser"]);
  await repo.track(["claim", "T-0001", "--agent", "bravo"]);
  const r = await repo.track([
    "files",
    "--add",
    "src/lexer/",
    "--agent",
    "bravo",
    "--ticket",
    "T-0001",
  ]);
  assertEquals(r.code, 0, r.stderr);
}

function write(root: string, rel: string, text: string): void {
  Deno.mkdirSync(`${root}/${rel.split("/").slice(0, -1).join("/")}`, { recursive: true });
  Deno.writeTextFileSync(`${root}/${rel}`, text);
}

Deno.test("pre-commit refuses another agent's reserved path, naming holder and ticket", async () => {
  await using repo = await tempRepo();
  await reserveLexer(repo);
  const inst = await repo.track(["hooks", "install", "--git"]);
  assertEquals(inst.code, 0, inst.stderr);
  write(repo.root, "src/lexer/scan.ts", "x\n");
  await repo.git(["add", "src"]);
  const refused = await repo.git(["commit", "-m", "T-0002: scan"], {
    env: { TRACK_AGENT: "alpha" },
  });
  assert(refused.code !== 0, "commit must be refused");
  assertStringIncludes(refused.stderr, `"src/lexer/scan.ts"`);
  assertStringIncludes(refused.stderr, `"bravo"`);
  assertStringIncludes(refused.stderr, "T-0001");
  assertEquals((await repo.git(["rev-list", "--count", "HEAD"])).stdout.trim(), "1");
  // The holder may commit it.
  const ok = await repo.git(["commit", "-q", "-m", "T-0001: scan"], {
    env: { TRACK_AGENT: "bravo" },
  });
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("pre-commit only warns without TRACK_AGENT; TRACK_GUARD=off overrides", async () => {
  await using repo = await tempRepo();
  await reserveLexer(repo);
  await repo.track(["hooks", "install", "--git"]);
  write(repo.root, "src/lexer/a.ts", "a\n");
  await repo.git(["add", "src"]);
  const warned = await repo.git(["commit", "-q", "-m", "no agent"]);
  assertEquals(warned.code, 0, warned.stderr);
  assertStringIncludes(warned.stderr, "warning");
  assertStringIncludes(warned.stderr, "bravo");
  write(repo.root, "src/lexer/b.ts", "b\n");
  await repo.git(["add", "src"]);
  const off = await repo.git(["commit", "-q", "-m", "T-0002: override"], {
    env: { TRACK_AGENT: "alpha", TRACK_GUARD: "off" },
  });
  assertEquals([off.code, off.stderr], [0, ""]);
  // Unreserved paths pass silently.
  write(repo.root, "src/parser.ts", "p\n");
  await repo.git(["add", "src"]);
  const free = await repo.git(["commit", "-q", "-m", "T-0002: parser"], {
    env: { TRACK_AGENT: "alpha" },
  });
  assertEquals([free.code, free.stderr], [0, ""]);
});

Deno.test("pre-commit: a **/*.md reservation guards Markdown files only", async () => {
  await using repo = await tempRepo();
  await repo.track(["create", "--title", "Docs"]);
  await repo.track(["claim", "T-0001", "--agent", "bravo"]);
  const r = await repo.track(["files", "--add", "**/*.md", "--agent", "bravo", "--ticket", "1"]);
  assertEquals(r.code, 0, r.stderr);
  await repo.track(["hooks", "install", "--git"]);
  const alpha = { env: { TRACK_AGENT: "alpha" } };
  write(repo.root, "src/app.ts", "a\n");
  await repo.git(["add", "src"]);
  const code = await repo.git(["commit", "-q", "-m", "T-0002: app"], alpha);
  assertEquals([code.code, code.stderr], [0, ""], "src/app.ts is not Markdown");
  write(repo.root, "docs/x.md", "x\n");
  await repo.git(["add", "docs"]);
  const docs = await repo.git(["commit", "-q", "-m", "T-0002: docs"], alpha);
  assert(docs.code !== 0, "docs/x.md matches **/*.md");
  assertStringIncludes(docs.stderr, `"docs/x.md" (reserved by "bravo" for T-0001)`);
});

Deno.test("pre-commit guards deletions and renames out of a reserved directory", async () => {
  await using repo = await tempRepo();
  write(repo.root, "src/lexer/old.ts", "o\n");
  await repo.git(["add", "src"]);
  await repo.git(["commit", "-q", "-m", "add old"]);
  await reserveLexer(repo);
  await repo.track(["hooks", "install", "--git"]);
  await repo.git(["mv", "src/lexer/old.ts", "src/new.ts"]);
  const r = await repo.git(["commit", "-m", "move"], { env: { TRACK_AGENT: "alpha" } });
  assert(r.code !== 0);
  assertStringIncludes(r.stderr, "src/lexer/old.ts");
});

Deno.test("commit-msg warns when the agent holds a ticket the message does not name", async () => {
  await using repo = await tempRepo();
  await reserveLexer(repo);
  await repo.track(["hooks", "install", "--git"]);
  write(repo.root, "src/lexer/a.ts", "a\n");
  await repo.git(["add", "src"]);
  const r = await repo.git(["commit", "-q", "-m", "tidy up"], { env: { TRACK_AGENT: "bravo" } });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "names no ticket");
  assertStringIncludes(r.stderr, "T-0001");
  write(repo.root, "src/lexer/b.ts", "b\n");
  await repo.git(["add", "src"]);
  const named = await repo.git(["commit", "-q", "-m", "T-0001: lexer"], {
    env: { TRACK_AGENT: "bravo" },
  });
  assertEquals([named.code, named.stderr], [0, ""]);
});

Deno.test("the guard works in a linked worktree: hooks live in the common git dir", async () => {
  await using repo = await tempRepo();
  await reserveLexer(repo);
  const wt = `${repo.root}-wt`;
  try {
    const add = await repo.git(["worktree", "add", "-q", "-b", "feature", wt]);
    assertEquals(add.code, 0, add.stderr);
    // Installed from the linked worktree, into the common dir.
    const inst = await repo.track(["hooks", "install", "--git", "--json"], { cwd: wt });
    assertEquals(inst.code, 0, inst.stderr);
    const paths = JSON.parse(inst.stdout).git.map((g: { path: string }) => g.path);
    assertEquals(paths, [
      `${repo.root}/.git/hooks/pre-commit`,
      `${repo.root}/.git/hooks/commit-msg`,
    ]);
    write(wt, "src/lexer/w.ts", "w\n");
    await repo.git(["add", "src"], { cwd: wt });
    const refused = await repo.git(["commit", "-m", "T-0002: w"], {
      cwd: wt,
      env: { TRACK_AGENT: "alpha" },
    });
    assert(refused.code !== 0, "refused in the linked worktree");
    assertStringIncludes(refused.stderr, "bravo");
  } finally {
    await Deno.remove(wt, { recursive: true }).catch(() => {});
  }
});

Deno.test("install chains to an existing hook, is idempotent, and uninstall restores it", async () => {
  await using repo = await tempRepo();
  await reserveLexer(repo);
  const hooks = `${repo.root}/.git/hooks`;
  const mine = "#!/bin/sh\necho user-hook-ran >&2\n";
  Deno.writeTextFileSync(`${hooks}/pre-commit`, mine, { mode: 0o755 });
  const first = JSON.parse((await repo.track(["hooks", "install", "--git", "--json"])).stdout);
  assertEquals(first.git.map((g: { action: string }) => g.action), ["chained", "installed"]);
  const script = Deno.readTextFileSync(`${hooks}/pre-commit`);
  assertEquals(Deno.readTextFileSync(`${hooks}/pre-commit.local`), mine);
  const second = JSON.parse((await repo.track(["hooks", "install", "--git", "--json"])).stdout);
  assertEquals(second.git.map((g: { action: string }) => g.action), ["unchanged", "unchanged"]);
  assertEquals(Deno.readTextFileSync(`${hooks}/pre-commit`), script);
  // Both run: the user's hook first, then the guard.
  write(repo.root, "src/lexer/a.ts", "a\n");
  await repo.git(["add", "src"]);
  const r = await repo.git(["commit", "-m", "T-0002"], { env: { TRACK_AGENT: "alpha" } });
  assert(r.code !== 0);
  assertStringIncludes(r.stderr, "user-hook-ran");
  assertStringIncludes(r.stderr, "bravo");
  // A failing user hook still stops the commit before the guard runs.
  Deno.writeTextFileSync(`${hooks}/pre-commit.local`, "#!/bin/sh\nexit 9\n");
  const failed = await repo.git(["commit", "-m", "T-0001"], { env: { TRACK_AGENT: "bravo" } });
  assert(failed.code !== 0);
  const un = JSON.parse((await repo.track(["hooks", "uninstall", "--git", "--json"])).stdout);
  assertEquals(un.git.map((g: { action: string }) => g.action), ["restored", "removed"]);
  assertEquals(Deno.readTextFileSync(`${hooks}/pre-commit`), "#!/bin/sh\nexit 9\n");
  let exists = true;
  try {
    Deno.statSync(`${hooks}/commit-msg`);
  } catch {
    exists = false;
  }
  assertEquals(exists, false);
  const again = JSON.parse((await repo.track(["hooks", "uninstall", "--git", "--json"])).stdout);
  assertEquals(again.git.map((g: { action: string }) => g.action), ["absent", "absent"]);
});

Deno.test("a guard whose track is gone warns and lets the commit through", async () => {
  await using repo = await tempRepo();
  await repo.track(["hooks", "install", "--git", "--command", "/nonexistent/track"]);
  write(repo.root, "a.txt", "a\n");
  await repo.git(["add", "a.txt"]);
  const r = await repo.git(["commit", "-q", "-m", "a"], { env: { TRACK_AGENT: "alpha" } });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "cannot run track");
});

Deno.test("hooks install outside a git repository is exit 4 and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "track-nogit-" });
  try {
    const r = await runTrack(["hooks", "install"], { cwd: dir });
    assertEquals(r.code, 4);
    assertStringIncludes(r.stderr, "track hooks install --claude");
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
