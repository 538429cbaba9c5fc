/**
 * Which store a command opens: linked git worktrees share the main worktree's store even when
 * `.track/` is committed, a store is recognised by its config.json (checked by every command),
 * and `TRACK_DIR` or `migrate --from` at anything else is refused without writing.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { exists, runTrack, snapshot, tempStore, testCommand } from "./helpers.ts";

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

function git(cwd: string, args: string[]): void {
  const out = testCommand("git", { args, cwd, env: GIT_ENV, stdout: "null", stderr: "piped" })
    .outputSync();
  assertEquals(out.code, 0, `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * The layout docs/agents.md leads to: a repository whose `.track/` (with one backlog ticket) is
 * committed, then a linked worktree added beside it, which checks out a copy of `.track/`.
 */
async function committedStoreWithWorktree() {
  const s = await tempStore({ init: false });
  git(s.root, ["init", "-q", "-b", "main"]);
  assertEquals((await s.track(["init"])).code, 0);
  await s.json(["create", "-t", "Shared work"]);
  git(s.root, ["add", ".track"]);
  git(s.root, ["commit", "-q", "-m", "Set up track"]);
  const wt = `${s.root}-wt`;
  git(s.root, ["worktree", "add", "-q", "-b", "feature", wt]);
  assert(exists(`${wt}/.track/tickets/T-0001.md`), "the worktree checked out a copy");
  return {
    s,
    wt,
    async [Symbol.asyncDispose]() {
      await Deno.remove(wt, { recursive: true }).catch(() => {});
      await s[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a worktree added after .track/ was committed claims from the main worktree's store", async () => {
  await using repo = await committedStoreWithWorktree();
  const { s, wt } = repo;
  const copy = snapshot(`${wt}/.track`);
  const first = await s.track(["next", "--agent", "a", "--json"], { cwd: wt });
  assertEquals(first.code, 0, first.stderr);
  assertEquals(JSON.parse(first.stdout).ticket.id, "T-0001");
  // Told once that the checked-out copy is ignored.
  assertStringIncludes(first.stderr, `the ".track/" checked out in this linked worktree`);
  assertStringIncludes(first.stderr, s.dir);
  // Main sees the claim; a second claim, from either worktree, is refused.
  const shown = await s.json<{ ticket: { status: string; claimed_by: string } }>(["show", "1"]);
  assertEquals([shown.ticket.status, shown.ticket.claimed_by], ["claimed", "a"]);
  const again = await s.track(["claim", "1", "--agent", "b"], { cwd: wt });
  assertEquals(again.code, 3, again.stderr);
  assertEquals(again.stderr.includes("note:"), false, "the note is shown once per worktree");
  assertEquals((await s.track(["claim", "1", "--agent", "b"])).code, 3);
  const none = await s.track(["next", "--agent", "b"], { cwd: `${wt}/.track/tickets` });
  assertEquals(none.code, 4, none.stderr);
  // The copy is never written.
  assertEquals(snapshot(`${wt}/.track`), copy);
  // TRACK_DIR naming the copy means the main worktree's store as well.
  const viaEnv = await s.json<{ tickets: Array<{ claimed_by: string }> }>(["list"], {
    cwd: wt,
    env: { TRACK_DIR: ".track" },
  });
  assertEquals(viaEnv.tickets.map((t) => t.claimed_by), ["a"]);
  // init there reports the main store and creates nothing.
  const init = await s.track(["init"], { cwd: wt });
  assertEquals(init.code, 0, init.stderr);
  assertStringIncludes(init.stderr, `Store already exists at "${s.dir}"`);
  assertStringIncludes(init.stderr, "is a copy and is ignored");
  assertEquals(snapshot(`${wt}/.track`), copy);
});

Deno.test("a worktree whose main worktree has no store refuses its checked-out copy", async () => {
  await using repo = await committedStoreWithWorktree();
  const { s, wt } = repo;
  Deno.removeSync(s.dir, { recursive: true }); // the main worktree no longer has .track/
  const copy = snapshot(`${wt}/.track`);
  const list = await s.track(["list"], { cwd: wt });
  assertEquals(list.code, 4, list.stderr);
  assertStringIncludes(list.stderr, `No store in the main worktree "${s.root}"`);
  assertStringIncludes(list.stderr, `hint: start the shared store from that copy: cp -R`);
  const init = await s.track(["init"], { cwd: wt });
  assertEquals(init.code, 3, init.stderr);
  assert(!exists(s.dir), "init created no empty store that would hide the copy's tickets");
  assertEquals(snapshot(`${wt}/.track`), copy);
  // Following the hint makes one shared store again.
  const cp = testCommand("cp", { args: ["-R", `${wt}/.track`, s.dir] }).outputSync();
  assertEquals(cp.code, 0);
  assertEquals((await s.json<{ tickets: unknown[] }>(["list"], { cwd: wt })).tickets.length, 1);
});

Deno.test("init in a linked worktree without any store creates the main worktree's", async () => {
  await using s = await tempStore({ init: false });
  git(s.root, ["init", "-q", "-b", "main"]);
  git(s.root, ["commit", "-q", "--allow-empty", "-m", "x"]);
  const wt = `${s.root}-wt`;
  git(s.root, ["worktree", "add", "-q", wt]);
  try {
    const init = await s.json<{ created: boolean; path: string }>(["init"], { cwd: wt });
    assertEquals([init.created, init.path], [true, s.dir]);
    assert(!exists(`${wt}/.track`));
  } finally {
    await Deno.remove(wt, { recursive: true });
  }
});

const BAD_CONFIGS: Array<[string, string | null, string]> = [
  ["a newer schema", '{\n  "schema": 99\n}\n', ".track/config.json:2"],
  ["garbage", "garbage\n", ".track/config.json:1"],
  ["a JSON array", "[]\n", ".track/config.json"],
  ["no schema", '{"stale_threshold": "30m"}\n', ".track/config.json"],
  ["no config.json", null, ".track/config.json"],
];

for (const [what, text, where] of BAD_CONFIGS) {
  Deno.test(`a store with ${what} is refused by every command (exit 6), nothing changes`, async () => {
    await using s = await tempStore();
    await s.json(["create", "-t", "Before"]);
    if (text === null) Deno.removeSync(`${s.dir}/config.json`);
    else Deno.writeTextFileSync(`${s.dir}/config.json`, text);
    const before = snapshot(s.dir);
    for (
      const args of [
        ["create", "-t", "x"],
        ["list"],
        ["show", "1"],
        ["claim", "1", "--agent", "a"],
        ["next", "--agent", "a"],
        ["board", "-m", "hi", "--agent", "a"],
        ["register", "--agent", "a"],
        ["export"],
      ]
    ) {
      const r = await s.track(args);
      assertEquals(r.code, 6, `${args.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, `"${where}`, args.join(" "));
      assertStringIncludes(r.stderr, "hint:", args.join(" "));
    }
    const j = await s.track(["list", "--json"]);
    assertEquals(JSON.parse(j.stderr).error.detail.file, ".track/config.json");
    assertEquals(snapshot(s.dir), before);
    // doctor reports it as a finding instead of failing to start.
    const doctor = await s.track(["doctor", "--json"]);
    assertEquals(doctor.code, 6, doctor.stderr);
    const findings: Array<{ file: string }> = JSON.parse(doctor.stdout).findings;
    assert(findings.some((f) => f.file === ".track/config.json"), doctor.stdout);
  });
}

Deno.test("TRACK_DIR at a directory that is not a store is exit 4 and writes nothing", async () => {
  await using s = await tempStore();
  Deno.writeTextFileSync(`${s.root}/README.md`, "project\n");
  const before = snapshot(s.root);
  // The project root instead of its .track/, by a typo.
  for (const args of [["create", "-t", "x"], ["list"], ["board", "-m", "x", "--agent", "a"]]) {
    const r = await s.track(args, { env: { TRACK_DIR: s.root } });
    assertEquals(r.code, 4, `${args}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "is not a .track directory");
    assertStringIncludes(
      r.stderr,
      `hint: point TRACK_DIR at the store itself: TRACK_DIR="${s.dir}"`,
    );
  }
  const init = await s.track(["init"], { env: { TRACK_DIR: s.root } });
  assertEquals(init.code, 2, init.stderr);
  assertEquals(snapshot(s.root), before);
  // Any other folder: exit 4; an empty one may be made a store with init.
  Deno.mkdirSync(`${s.root}/src`);
  Deno.writeTextFileSync(`${s.root}/src/a.ts`, "");
  const other = await s.track(["create", "-t", "x"], { env: { TRACK_DIR: "src" } });
  assertEquals(other.code, 4, other.stderr);
  Deno.mkdirSync(`${s.root}/empty`);
  const empty = await s.track(["list"], { env: { TRACK_DIR: "empty" } });
  assertEquals(empty.code, 4, empty.stderr);
  assertStringIncludes(empty.stderr, "hint: create a store there with: track init");
  assertEquals([...Deno.readDirSync(`${s.root}/src`)].map((e) => e.name), ["a.ts"]);
  assertEquals([...Deno.readDirSync(`${s.root}/empty`)], []);
});

Deno.test("TRACK_DIR naming a file is exit 4 without suggesting init", async () => {
  await using s = await tempStore();
  Deno.writeTextFileSync(`${s.root}/notes.txt`, "x\n");
  for (const args of [["list"], ["create", "-t", "x"]]) {
    const r = await s.track(args, { env: { TRACK_DIR: "notes.txt" } });
    assertEquals(r.code, 4, r.stderr);
    assertStringIncludes(r.stderr, "it is a file");
    assertEquals(r.stderr.includes("track init"), false, r.stderr);
  }
  const init = await s.track(["init"], { env: { TRACK_DIR: "notes.txt" } });
  assertEquals(init.code, 2, init.stderr);
  assertEquals(Deno.readTextFileSync(`${s.root}/notes.txt`), "x\n");
});

Deno.test("migrate --from a directory that is not an agent-track store refuses and copies nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "track-not-a-store-" });
  try {
    Deno.mkdirSync(`${dir}/src`);
    Deno.writeTextFileSync(`${dir}/src/a.ts`, "x\n");
    const before = snapshot(dir);
    const r = await runTrack(["migrate", "--from", dir], { cwd: dir });
    assertEquals(r.code, 4, r.stderr);
    assertStringIncludes(r.stderr, "is not an agent-track store");
    assertEquals(snapshot(dir), before);
    const siblings = [...Deno.readDirSync(`${dir}/..`)].filter((e) =>
      e.name.startsWith(dir.split("/").pop()! + "-backup-")
    );
    assertEquals(siblings, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TRACK_DIR at an agent-track 0.1 store: migrate converts it, other commands point there", async () => {
  await using s = await tempStore({ init: false });
  const fixture = new URL("./fixtures/agent-track-0.1", import.meta.url).pathname;
  const cp = testCommand("cp", { args: ["-R", fixture, s.dir] }).outputSync();
  assertEquals(cp.code, 0);
  const elsewhere = await Deno.makeTempDir({ prefix: "track-cwd-" });
  try {
    const env = { TRACK_DIR: s.dir };
    const list = await runTrack(["list"], { cwd: elsewhere, env });
    assertEquals(list.code, 4, list.stderr);
    assertStringIncludes(list.stderr, "hint: track migrate --dry-run");
    const migrate = await runTrack(["migrate"], { cwd: elsewhere, env });
    assertEquals(migrate.code, 0, migrate.stderr);
    const after = await runTrack(["list", "--json"], { cwd: elsewhere, env });
    assertEquals(after.code, 0, after.stderr);
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});
