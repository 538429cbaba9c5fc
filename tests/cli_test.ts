/** End-to-end: the real CLI in temp directories, every command and every exit code. */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { exists, MAIN, mainEnv, runTrack, snapshot, tempStore, testCommand } from "./helpers.ts";
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";

Deno.test("the seed README Quick Start runs verbatim", async () => {
  await using s = await tempStore({ init: false });
  const steps = [
    ["init"],
    ["create", "--title", "Fix auth bug", "--priority", "high"],
    ["register", "--agent", "agent-alpha"],
    ["claim", "T-0001", "--agent", "agent-alpha"],
    ["update", "T-0001", "--status", "in-progress", "--agent", "agent-alpha"],
    ["log", "T-0001", "--agent", "agent-alpha", "-m", "Found root cause in token_refresh()"],
    ["board", "--agent", "agent-alpha", "-m", "Starting work on auth module"],
    ["list"],
  ];
  for (const args of steps) {
    const r = await s.track(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const list = await s.track(["list"]);
  assertMatch(list.stdout, /T-0001\s+high\s+in-progress\s+agent-alpha\s+Fix auth bug/);
  const show = await s.track(["show", "T-0001"]);
  assertStringIncludes(show.stdout, "[agent-alpha] Found root cause in token_refresh()");
  const board = await s.track(["board", "--last", "10"]);
  assertStringIncludes(board.stdout, "Starting work on auth module");
});

Deno.test("init twice changes nothing and says so", async () => {
  await using s = await tempStore();
  const before = snapshot(s.dir);
  const r = await s.track(["init"]);
  assertEquals(r.code, 0);
  assertStringIncludes(r.stderr, "already exists");
  assertEquals(snapshot(s.dir), before);
});

Deno.test("init below an existing store warns that the new one hides it", async () => {
  await using s = await tempStore();
  const sub = `${s.root}/packages/app`;
  Deno.mkdirSync(sub, { recursive: true });
  const r = await s.track(["init"], { cwd: sub });
  assertEquals(r.code, 0);
  assertStringIncludes(r.stderr, `nested inside the project of "${s.dir}"`);
  assert(Deno.statSync(`${sub}/.track/config.json`).isFile);
  const plain = await s.track(["init"], { cwd: `${s.root}/packages` });
  assertEquals(plain.code, 0);
  assertStringIncludes(plain.stderr, "warning: this store is nested");
  // A first store warns about nothing.
  await using fresh = await tempStore({ init: false });
  assertEquals((await fresh.track(["init"])).stderr, "");
});

Deno.test("no store: exit 4 with a hint to run track init", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runTrack(["list"], { cwd: dir });
    assertEquals(r.code, 4);
    assertStringIncludes(r.stderr, "track init");
    const j = await runTrack(["list", "--json"], { cwd: dir });
    assertEquals(JSON.parse(j.stderr).error.exit, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discovery walks up from subdirectories and honours TRACK_DIR", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "Up there"]);
  Deno.mkdirSync(`${s.root}/a/b/c`, { recursive: true });
  const r = await s.json<{ tickets: unknown[] }>(["list"], { cwd: `${s.root}/a/b/c` });
  assertEquals(r.tickets.length, 1);
  const other = await Deno.makeTempDir();
  try {
    const viaEnv = await runTrack(["list", "--json"], { cwd: other, env: { TRACK_DIR: s.dir } });
    assertEquals(JSON.parse(viaEnv.stdout).tickets.length, 1);
    const init = await runTrack(["init"], { cwd: other, env: { TRACK_DIR: `${other}/custom` } });
    assertEquals(init.code, 0);
    assert(Deno.statSync(`${other}/custom/config.json`).isFile);
  } finally {
    await Deno.remove(other, { recursive: true });
  }
});

/** Makes `root` a git repository with one commit and adds a linked worktree beside it. */
function linkedWorktree(root: string): string {
  const git = (args: string[]) =>
    testCommand("git", { args, cwd: root, stdout: "null", stderr: "piped" }).outputSync();
  git(["init", "-q", "-b", "main"]);
  git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"]);
  const wt = `${root}-wt`;
  const out = git(["worktree", "add", "-q", wt]);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return wt;
}

Deno.test("a linked git worktree uses the main worktree's .track/", async () => {
  await using s = await tempStore();
  const wt = linkedWorktree(s.root);
  try {
    await s.json(["create", "-t", "From main"]);
    const r = await s.json<{ tickets: Array<{ title: string }> }>(["list"], { cwd: wt });
    assertEquals(r.tickets.map((t) => t.title), ["From main"]);
    await s.json(["create", "-t", "From worktree"], { cwd: wt });
    assertEquals((await s.json<{ tickets: unknown[] }>(["list"])).tickets.length, 2);
    // The Quick Start's first step, run in the worktree, must not fork the board.
    Deno.mkdirSync(`${wt}/sub`);
    const init = await s.json<{ created: boolean; path: string }>(["init"], { cwd: `${wt}/sub` });
    assertEquals([init.created, init.path], [false, s.dir]);
    assert(!exists(`${wt}/sub/.track`) && !exists(`${wt}/.track`));
  } finally {
    await Deno.remove(wt, { recursive: true });
  }
});

Deno.test("files in a linked git worktree: paths are relative to that worktree", async () => {
  await using s = await tempStore();
  const wt = linkedWorktree(s.root);
  try {
    Deno.mkdirSync(`${wt}/src/auth`, { recursive: true });
    await s.json(["create", "-t", "auth"]);
    await s.json(["create", "-t", "other"]);
    await s.json(["claim", "1", "--agent", "a"]);
    await s.json(["claim", "2", "--agent", "b"]);
    const added = await s.json<{ reserved: Array<{ path: string }> }>(
      ["files", "--add", "token.ts", "../../README.md", "--agent", "a", "--ticket", "1"],
      { cwd: `${wt}/src/auth` },
    );
    assertEquals(added.reserved.map((r) => r.path), ["src/auth/token.ts", "README.md"]);
    // The same repository path, named from the main worktree, is the same reservation.
    const check = await s.track(["files", "--check", "src/auth/token.ts", "--agent", "b"]);
    assertEquals(check.code, 3, check.stderr);
    const clash = await s.track(
      ["files", "--add", "src/auth", "--agent", "b", "--ticket", "2"],
      { cwd: wt },
    );
    assertEquals(clash.code, 3, clash.stderr);
    assertStringIncludes(clash.stderr, `"a" for T-0001`);
  } finally {
    await Deno.remove(wt, { recursive: true });
  }
});

Deno.test("ids are accepted as T-0007, t-7 or 7; invalid ids are refused before any path", async () => {
  await using s = await tempStore();
  for (let i = 0; i < 7; i++) await s.json(["create", "-t", `n${i}`]);
  for (const form of ["T-0007", "t-7", "7", "0007"]) {
    assertEquals((await s.json<{ ticket: { id: string } }>(["show", form])).ticket.id, "T-0007");
  }
  for (const bad of ["../x", "/", "T-0001/../../etc", "x".repeat(200), "T-", "0", "-1", "T-1.md"]) {
    const r = await s.track(["show", bad]);
    assertEquals(r.code, bad === "-1" ? 2 : 2, `${bad}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "track");
  }
  // An argv cannot carry a NUL byte (spawning refuses it), but main() can be handed one by any
  // caller: run it in-process so the refusal is track's, not the OS's.
  const io = new MemoryIo();
  const nul = await main(["show", "T-0001\0x"], { io, cwd: s.root, env: mainEnv() });
  assertEquals(nul, 2, io.stderr);
  assertStringIncludes(io.stderr, "T-0001\\u0000x");
  assertEquals((await s.track(["show", "99"])).code, 4);
});

Deno.test("list filters and sorts by priority then id; done only with --all", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "low one", "-p", "low", "-l", "ui"]);
  await s.json(["create", "-t", "crit", "-p", "critical"]);
  await s.json(["create", "-t", "med", "-l", "ui,api"]);
  await s.json(["create", "-t", "finished", "-p", "critical"]);
  for (const st of ["claimed", "in-progress", "review", "done"]) {
    if (st === "claimed") await s.json(["claim", "4", "--agent", "a1"]);
    else await s.json(["update", "4", "--status", st, "--agent", "a1"]);
  }
  const ids = async (args: string[]) =>
    (await s.json<{ tickets: Array<{ id: string }> }>(["list", ...args])).tickets.map((t) => t.id);
  assertEquals(await ids([]), ["T-0002", "T-0003", "T-0001"]);
  assertEquals(await ids(["--all"]), ["T-0002", "T-0004", "T-0003", "T-0001"]);
  assertEquals(await ids(["--status", "done"]), ["T-0004"]);
  assertEquals(await ids(["--label", "ui"]), ["T-0003", "T-0001"]);
  assertEquals(await ids(["--priority", "low"]), ["T-0001"]);
  assertEquals(await ids(["--agent", "a1", "--all"]), ["T-0004"]);
});

Deno.test("claim: dependencies, holders, --force, and idempotent re-claim", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "base"]);
  await s.json(["create", "-t", "after", "--depends-on", "1"]);
  const blocked = await s.track(["claim", "2", "--agent", "a"]);
  assertEquals(blocked.code, 3);
  assertStringIncludes(blocked.stderr, "T-0001 (backlog)");
  assertEquals((await s.track(["claim", "2", "--agent", "a", "--force"])).code, 0);
  const taken = await s.track(["claim", "1", "--agent", "b"]);
  assertEquals(taken.code, 0);
  const again = await s.track(["claim", "1", "--agent", "c"]);
  assertEquals(again.code, 3);
  assertMatch(again.stderr, /claimed by "b" \d+s ago/);
  assertStringIncludes(again.stderr, "hint:");
  const mine = await s.json<{ already: boolean }>(["claim", "1", "--agent", "b"]);
  assertEquals(mine.already, true);
  const noAgent = await s.track(["claim", "1"]);
  assertEquals(noAgent.code, 2);
  const viaEnv = await s.track(["claim", "1"], { env: { TRACK_AGENT: "c" } });
  assertEquals(viaEnv.code, 3);
});

Deno.test("update enforces transitions and ownership; backlog clears the claimer", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const skip = await s.track(["update", "1", "--status", "review", "--agent", "a"]);
  assertEquals(skip.code, 3);
  assertStringIncludes(skip.stderr, "allowed next states are claimed");
  await s.json(["claim", "1", "--agent", "a"]);
  const other = await s.track(["update", "1", "--status", "in-progress", "--agent", "b"]);
  assertEquals(other.code, 3);
  assertStringIncludes(other.stderr, `"a" is working on it (claimed)`);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "a"]);
  await s.json(["update", "1", "--status", "review", "--agent", "a"]);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "a"]);
  const back = await s.json<{ ticket: { status: string; claimed_by: null } }>([
    "update",
    "1",
    "--status",
    "backlog",
    "--agent",
    "a",
  ]);
  assertEquals(back.ticket.status, "backlog");
  assertEquals(back.ticket.claimed_by, null);
  const forced = await s.json<{ ticket: { status: string } }>([
    "update",
    "1",
    "--status",
    "done",
    "--force",
  ]);
  assertEquals(forced.ticket.status, "done");
  const final = await s.track(["update", "1", "--status", "review"]);
  assertEquals(final.code, 3);
  assertStringIncludes(final.stderr, "allowed next states are backlog");
  const fields = await s.json<
    { ticket: { priority: string; title: string; labels: string[]; branch: string } }
  >([
    "update",
    "1",
    "-p",
    "critical",
    "--title",
    "New: title",
    "--add-label",
    "b,a",
    "--branch",
    "feat/x",
  ]);
  assertEquals(fields.ticket.labels, ["a", "b"]);
  assertEquals(fields.ticket.title, "New: title");
  const removed = await s.json<{ ticket: { labels: string[] } }>([
    "update",
    "1",
    "--remove-label",
    "a",
  ]);
  assertEquals(removed.ticket.labels, ["b"]);
  assertEquals((await s.track(["update", "1"])).code, 2);
});

Deno.test("log appends timestamped entries, from -m or stdin", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["log", "1", "--agent", "a", "-m", "first"]);
  const r = await s.track(["log", "1", "--agent", "a"], { stdin: "from stdin\nsecond line\n" });
  assertEquals(r.code, 0, r.stderr);
  const shown = await s.json<
    { ticket: { log: Array<{ agent: string; message: string; at: string }> } }
  >(["show", "1"]);
  assertEquals(shown.ticket.log.map((e) => e.message), ["first", "from stdin\nsecond line"]);
  assertMatch(shown.ticket.log[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assertEquals((await s.track(["log", "1", "--agent", "a"])).code, 2);
});

Deno.test("register picks free names, refuses an active name, and --force takes it", async () => {
  await using s = await tempStore();
  assertEquals((await s.track(["register"])).stdout.trim(), "agent-alpha");
  assertEquals((await s.track(["register"])).stdout.trim(), "agent-bravo");
  const dup = await s.track(["register", "--agent", "agent-alpha"]);
  assertEquals(dup.code, 3);
  assertStringIncludes(dup.stderr, "already holds that name");
  assertEquals((await s.track(["register", "--agent", "agent-alpha", "--force"])).code, 0);
  const caps = await s.json<{ agent: { capabilities: string[] } }>([
    "register",
    "--agent",
    "x",
    "--capabilities",
    "ui,python",
  ]);
  assertEquals(caps.agent.capabilities, ["python", "ui"]);
  const bad = await s.track(["register", "--agent", "../evil"]);
  assertEquals(bad.code, 2);
});

Deno.test("claim, update and log register an unknown agent on the spot", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "newbie"]);
  const agents = await s.json<{ agents: Array<{ id: string; tickets: string[] }> }>(["agents"]);
  assertEquals(agents.agents.map((a) => [a.id, a.tickets]), [["newbie", ["T-0001"]]]);
});

Deno.test("usage errors: unknown flags, missing values, unknown commands exit 2 and change nothing", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const before = snapshot(s.dir);
  const cases = [
    ["create", "--titel", "x"],
    ["create", "--title"],
    ["create", "-p", "urgent", "-t", "x"],
    ["list", "--status", "open"],
    ["claim"],
    ["claim", "1", "2", "--agent", "a"],
    ["update", "1", "--status"],
    ["lsit"],
    ["board", "--last", "zero"],
    ["create"],
    ["create", "-t", "x", "--body"],
    ["create", "-t", "   "],
    ["create", "-t", "x", "-l", "a,b\nc"],
    ["board", "--last", "0"],
    ["board", "--since", "garbage"],
    ["board", "--agent", "a", "-m", "x", "--tag", "Not A Tag"],
    ["stale", "--threshold", "5"],
    ["files", "--add", "/etc/passwd", "--agent", "a", "--ticket", "1"],
    ["files", "--add", "src/{a,b}.ts", "--agent", "a", "--ticket", "1"],
    // A stray argument is refused, not silently dropped (register myname would pick a name).
    ["register", "myname"],
    ["board", "hello"],
    ["stale", "30m", "--reclaim"],
    ["heartbeat", "--agent", "a", "extra"],
    ["next", "--agent", "a", "1"],
    ["files", "--list", "src/a.ts"],
    ["init", "here"],
  ];
  for (const args of cases) {
    const r = await s.track(args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, /^track: [A-Z"]/);
    // Every error names the next command to try.
    assertMatch(r.stderr, /\(hint: [^)]*track [a-z-]/, `${args.join(" ")}: ${r.stderr}`);
    assert(!r.stderr.includes("    at "), "no stack trace");
  }
  assertStringIncludes(
    (await s.track(["create", "--titel", "x"])).stderr,
    `did you mean "--title"`,
  );
  assertEquals(snapshot(s.dir), before);
});

Deno.test("--json on every command, errors in JSON mode are JSON", async () => {
  await using s = await tempStore();
  const created = await s.json<{ schema: number; ticket: { id: string } }>(["create", "-t", "t"]);
  assertEquals(created.schema, 1);
  const leading = await s.track(["--json", "list"]);
  assertEquals(JSON.parse(leading.stdout).tickets.length, 1, "--json may come before the command");
  const r = await s.track(["claim", "5", "--agent", "a", "--json"]);
  assertEquals(r.code, 4);
  const err = JSON.parse(r.stderr);
  assertEquals(err.error.kind, "notFound");
  assertEquals(err.error.exit, 4);
  assertEquals(typeof err.error.hint, "string");
  for (
    const args of [
      ["list"],
      ["show", "1"],
      ["ready"],
      ["blocked"],
      ["agents"],
      ["board"],
      ["files", "--list"],
      ["stale"],
      ["register"],
      ["heartbeat", "--agent", "a"],
    ]
  ) {
    const out = await s.track([...args, "--json"]);
    assertEquals(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
    assertEquals(JSON.parse(out.stdout).schema, 1);
  }
});

Deno.test("lock busy: a held lock makes writers wait, then exit 5 naming the holder", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const lock = await Deno.open(`${s.dir}/lock`, { read: true, write: true });
  await lock.lock(true);
  await lock.write(new TextEncoder().encode(`${Deno.pid} test holding the lock\n`));
  try {
    const r = await s.track(["claim", "1", "--agent", "a"], { env: { TRACK_LOCK_TIMEOUT: "200" } });
    assertEquals(r.code, 5);
    assertStringIncludes(r.stderr, `pid ${Deno.pid}`);
    assertStringIncludes(r.stderr, "test holding the lock");
    // Readers take no lock.
    assertEquals((await s.track(["list"])).code, 0);
  } finally {
    await lock.unlock();
    lock.close();
  }
  assertEquals((await s.track(["claim", "1", "--agent", "a"])).code, 0);
});

Deno.test("help: track --help lists every command; each command has --help", async () => {
  const r = await runTrack(["--help"]);
  assertEquals(r.code, 0);
  for (
    const c of [
      "init",
      "create",
      "list",
      "show",
      "claim",
      "update",
      "log",
      "board",
      "next",
      "files",
    ]
  ) {
    assertStringIncludes(r.stdout, `  ${c}`);
    const h = await runTrack([c, "--help"]);
    assertEquals(h.code, 0);
    assertStringIncludes(h.stdout, `Usage: track ${c}`);
  }
  const v = await runTrack(["--version"]);
  assertMatch(v.stdout, /^track \d+\.\d+\.\d+/);
});

/** Runs `track args` under strace with one fault injected; null when strace is unavailable. */
async function withFault(
  root: string,
  inject: string,
  args: string[],
): Promise<{ code: number; stderr: string } | null> {
  const { MAIN } = await import("./helpers.ts");
  let out: Deno.CommandOutput;
  try {
    out = await testCommand("strace", {
      args: [
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        `inject=${inject}`,
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        MAIN,
        ...args,
      ],
      cwd: root,
      env: { NO_COLOR: "1", TRACK_AGENT: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("I/O failure: a failed fsync exits 7 naming the file, and the ticket stays as it was", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const before = snapshot(s.dir);
  // The journal and each file are synced with fdatasync (directories with fsync).
  const r = await withFault(s.root, "fdatasync:error=EIO:when=1", ["claim", "1", "--agent", "a"]);
  if (r === null) {
    if (Deno.env.get("CI")) throw new Error("strace is required in CI (apt-get install strace)");
    return; // strace missing on a developer machine: .ci/run installs it.
  }
  assertEquals(r.code, 7, r.stderr);
  // The claim writes three files: the first fdatasync is the journal's, before any of them.
  assertStringIncludes(r.stderr, ".track/journal");
  assertStringIncludes(r.stderr, "nothing was changed");
  assert(!r.stderr.includes("    at "), "no stack trace");
  const after = snapshot(s.dir);
  assertEquals(after, before, "no file changed and no temp file left");
  assertEquals(
    (await s.track(["claim", "1", "--agent", "a"])).code,
    0,
    "works once the fault is gone",
  );
});

Deno.test("I/O failure: ENOSPC while writing a new ticket exits 7 and creates nothing", async () => {
  await using s = await tempStore();
  const before = snapshot(s.dir);
  const r = await withFault(s.root, "fdatasync:error=ENOSPC:when=1", [
    "create",
    "-t",
    "full disk",
  ]);
  if (r === null) {
    if (Deno.env.get("CI")) throw new Error("strace is required in CI (apt-get install strace)");
    return;
  }
  assertEquals(r.code, 7, r.stderr);
  assertStringIncludes(r.stderr, ".track/journal");
  const after = snapshot(s.dir);
  after.delete("lock");
  before.delete("lock");
  assertEquals(after, before);
});

Deno.test("the seed README Agent Protocol runs verbatim", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "Protocol ticket"]);
  const id = (await s.track(["register", "--capabilities", "python,ui"])).stdout.trim();
  assertEquals(id, "agent-alpha");
  const steps = [
    ["board", "--last", "20"],
    ["list", "--status", "backlog"],
    ["claim", "T-0001", "--agent", id],
    ["log", "T-0001", "--agent", id, "-m", "what you did"],
    ["files", "--add", "path/to/file.py", "--agent", id, "--ticket", "T-0001"],
    ["board", "--agent", id, "--ticket", "T-0001", "-m", "message"],
    ["heartbeat", "--agent", id],
    ["update", "T-0001", "--status", "review", "--agent", id],
    ["deregister", "--agent", id, "--release-tickets"],
  ];
  for (const args of steps) {
    const r = await s.track(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const t = await s.json<{ ticket: { status: string } }>(["show", "1"]);
  assertEquals(t.ticket.status, "review", "review stays with its ticket after deregister");
  // "Check ownership" (files --check path/to/file.py): free again once the holder left; while
  // held, it answers 0 for the holder itself and 3 (naming the holder) for anyone else.
  assertEquals((await s.track(["files", "--check", "path/to/file.py"])).code, 0);
  const events = await s.json<{ entries: Array<{ message: string }> }>([
    "board",
    "--tag",
    "status",
  ]);
  assertEquals(events.entries.map((e) => e.message), ["T-0001: claimed -> in-progress -> review"]);
  // Only the claimer gets the shortcut; everyone else still gets the transition rules.
  await s.json(["create", "-t", "other"]);
  await s.json(["claim", "2", "--agent", "x"]);
  await s.json(["files", "--add", "a.py", "--agent", "x", "--ticket", "2"]);
  assertEquals(
    (await s.track(["files", "--check", "a.py"], { env: { TRACK_AGENT: "x" } })).code,
    0,
  );
  const held = await s.track(["files", "--check", "a.py"]);
  assertEquals(held.code, 3);
  assertStringIncludes(held.stderr, `reserved by "x" for T-0002`);
  assertEquals((await s.track(["update", "2", "--status", "review"])).code, 3);
});

Deno.test("a reader that stops early (track list | head -1) is not an internal error", async () => {
  await using s = await tempStore();
  // Enough rows to overflow a pipe buffer, so track is still writing when the reader leaves.
  for (let i = 1; i <= 2000; i++) {
    const id = `T-${String(i).padStart(4, "0")}`;
    Deno.writeTextFileSync(
      `${s.dir}/tickets/${id}.md`,
      `---\nid: ${id}\ntitle: ticket number ${i} ${
        "x".repeat(60)
      }\nstatus: backlog\npriority: medium\ncreated: 2026-01-01T00:00:00Z\n---\n`,
    );
  }
  for (const args of [["list"], ["list", "--json"]]) {
    const child = testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: s.root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await reader.cancel();
    const status = await child.status;
    const stderr = await new Response(child.stderr).text();
    assert(!stderr.includes("Internal error"), `${args.join(" ")}: ${stderr}`);
    assertEquals(status.code, 0, `${args.join(" ")}: ${stderr}`);
  }
});

Deno.test("a stdin pipe left open and silent does not hang create, log or board", async () => {
  await using s = await tempStore();
  const { MAIN } = await import("./helpers.ts");
  const run = async (args: string[]) => {
    const child = testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: s.root,
      env: { NO_COLOR: "1", TRACK_AGENT: "a" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The pipe stays open until the command has finished on its own. The watchdog only turns a
    // regression (a hang) into a failure instead of a stuck CI run; it measures no speed.
    const watchdog = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const out = await child.output();
    clearTimeout(watchdog);
    await child.stdin.close().catch(() => {});
    assert(out.signal === null, "the command hung on an open, silent stdin");
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  assertEquals((await run(["create", "-t", "no body"])).code, 0);
  const shown = await s.json<{ ticket: { description: string } }>(["show", "1"]);
  assertEquals(shown.ticket.description, "");
  const log = await run(["log", "1"]);
  assertEquals(log.code, 2, "log without -m and without stdin text is a usage error");
  assertStringIncludes(log.stderr, "-m TEXT");
});
