/**
 * A cloned repository can commit any path inside `.track/` as a symbolic link. Each test plants
 * one the way git would check it out and runs the real CLI: nothing outside the store is
 * written, truncated or appended to, the command refuses with exit 6 naming the link, and
 * `doctor` lists every link (src/store/no_follow.ts).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, type TempStore, tempStore, testCommand } from "./helpers.ts";

const VICTIM_TEXT = "precious data, not track's\n";

/** A directory outside the store holding one file, `victim`; removed on dispose. */
async function outside(): Promise<{ dir: string; victim: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "track-outside-" });
  Deno.writeTextFileSync(`${dir}/victim`, VICTIM_TEXT);
  return {
    dir,
    victim: `${dir}/victim`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Replaces `.track/<rel>` (file or directory) with a symbolic link to `target`. */
function plantLink(s: TempStore, rel: string, target: string): void {
  try {
    Deno.removeSync(`${s.dir}/${rel}`, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.symlinkSync(target, `${s.dir}/${rel}`);
}

function assertRefused(r: { code: number; stderr: string }, rel: string): void {
  assertEquals(r.code, 6, r.stderr);
  assertStringIncludes(r.stderr, `".track/${rel}"`);
  assertStringIncludes(r.stderr, "symbolic link");
  assert(!/rm -r|--force/.test(r.stderr), `a destructive hint: ${r.stderr}`);
}

/** Adds tickets T-0002…T-<n> as copies of T-0001, so writers keep the metadata cache. */
function plantTickets(s: TempStore, n: number): void {
  const one = s.read("tickets/T-0001.md");
  for (let i = 2; i <= n; i++) {
    const id = `T-${String(i).padStart(4, "0")}`;
    Deno.writeTextFileSync(`${s.dir}/tickets/${id}.md`, one.replace(/^id: T-0001$/m, `id: ${id}`));
  }
}

Deno.test("symlinks: a .track/lock linked to a file outside is never truncated; writes exit 6", async () => {
  await using s = await tempStore();
  await using o = await outside();
  plantLink(s, "lock", o.victim);
  const r = await s.track(["create", "--title", "x"]);
  assertRefused(r, "lock");
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
  assertEquals([...Deno.readDirSync(`${s.dir}/tickets`)], [], "nothing written");
  const j = await s.track(["create", "--title", "x", "--json"]);
  assertEquals(j.code, 6);
  assertEquals(JSON.parse(j.stderr).error.kind, "badData");
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
});

Deno.test("symlinks: the Claude PostToolUse hook on a linked lock fails quietly and truncates nothing", async () => {
  await using s = await tempStore();
  await using o = await outside();
  plantLink(s, "lock", o.victim);
  const r = await s.track(["hook", "claude", "post-tool-use"], {
    stdin: JSON.stringify({ session_id: "5e55", hook_event_name: "PostToolUse" }),
  });
  assertEquals(r.code, 1, "a non-blocking error for Claude Code"); // See src/commands/hook.ts.
  assertStringIncludes(r.stderr, ".track/lock");
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
  assertEquals([...Deno.readDirSync(`${s.dir}/agents`)], []);
});

for (
  const [rel, args] of [
    ["tickets", ["create", "--title", "x"]],
    ["agents", ["register", "--agent", "ann"]],
    ["board", ["board", "--agent", "ann", "-m", "hi"]],
  ] as const
) {
  Deno.test(`symlinks: a linked ${rel}/ directory: "${args[0]}" writes nothing outside, exit 6`, async () => {
    await using s = await tempStore();
    await using o = await outside();
    plantLink(s, rel, o.dir);
    const before = snapshot(o.dir);
    assertRefused(await s.track([...args]), rel);
    assertEquals(snapshot(o.dir), before);
  });
}

Deno.test("symlinks: a linked cache/ directory gets no snapshot written into it", async () => {
  await using s = await tempStore();
  await using o = await outside();
  await s.json(["create", "--title", "one"]);
  plantTickets(s, 220); // Past CACHE_MIN_TICKETS: a write now builds the cache.
  plantLink(s, "cache", o.dir);
  const before = snapshot(o.dir);
  assertRefused(await s.track(["update", "1", "--priority", "high"]), "cache");
  assertEquals(snapshot(o.dir), before);
});

Deno.test("symlinks: a linked cache/tickets.log gets no line appended to its target", async () => {
  await using s = await tempStore();
  await using o = await outside();
  await s.json(["create", "--title", "one"]);
  plantTickets(s, 220);
  await s.json(["update", "2", "--priority", "high"]); // Builds the snapshot and the log.
  assert(Deno.lstatSync(`${s.dir}/cache/tickets.log`).isFile);
  plantLink(s, "cache/tickets.log", o.victim);
  assertRefused(await s.track(["update", "3", "--priority", "high"]), "cache/tickets.log");
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
  const shown = await s.json<{ ticket: { priority: string } }>(["show", "3"]);
  assertEquals(shown.ticket.priority, "medium", "nothing was written");
});

Deno.test("symlinks: a linked board day directory gets no post written into it", async () => {
  await using s = await tempStore();
  await using o = await outside();
  const clock = { now: "2026-03-01T10:00:00Z" };
  await s.json(["board", "--agent", "ann", "-m", "first"], {
    clock: { now: "2026-02-28T10:00:00Z" },
  });
  Deno.mkdirSync(`${o.dir}/day`);
  Deno.symlinkSync(`${o.dir}/day`, `${s.dir}/board/2026-03-01`);
  assertRefused(
    await s.track(["board", "--agent", "ann", "-m", "hi"], { clock }),
    "board/2026-03-01",
  );
  assertEquals([...Deno.readDirSync(`${o.dir}/day`)], []);
  // A reader skips the linked day with a warning and still shows the rest.
  Deno.writeTextFileSync(
    `${o.dir}/day/100000000-0000-abc.md`,
    "---\nat: 2026-03-01T10:00:00Z\nagent: mallory\n---\nfrom outside\n",
  );
  const r = await s.track(["board", "--json"], { clock });
  assertEquals(r.code, 0, r.stderr);
  const messages = (JSON.parse(r.stdout).entries as Array<{ message: string }>).map((e) =>
    e.message
  );
  assertEquals(messages, ["first"]);
  assertStringIncludes(r.stderr, "board/2026-03-01");
});

Deno.test("symlinks: agents/<name>.json linked to a file outside is refused, never replaced", async () => {
  await using s = await tempStore();
  await using o = await outside();
  Deno.symlinkSync(o.victim, `${s.dir}/agents/ann.json`);
  for (const args of [["register", "--agent", "ann"], ["heartbeat", "--agent", "ann"]]) {
    assertRefused(await s.track(args), "agents/ann.json");
  }
  assert(Deno.lstatSync(`${s.dir}/agents/ann.json`).isSymlink);
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
});

Deno.test("symlinks: a linked server.json is neither read nor removed by stop", async () => {
  await using s = await tempStore();
  await using o = await outside();
  plantLink(s, "server.json", o.victim);
  assertRefused(await s.track(["stop"]), "server.json");
  assert(Deno.lstatSync(`${s.dir}/server.json`).isSymlink);
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
});

Deno.test("symlinks: readers never show tickets from a linked tickets/ directory", async () => {
  await using s = await tempStore();
  await using o = await outside();
  await s.json(["create", "--title", "mine"]);
  Deno.writeTextFileSync(
    `${o.dir}/T-0001.md`,
    s.read("tickets/T-0001.md").replace("title: mine", "title: secret from outside"),
  );
  plantLink(s, "tickets", o.dir);
  for (const args of [["list"], ["list", "--json"], ["show", "1"], ["ready"]]) {
    const r = await s.track(args);
    assertRefused(r, "tickets");
    assert(!r.stdout.includes("secret"), `${args.join(" ")} printed ${r.stdout}`);
  }
});

Deno.test("symlinks: doctor lists every link in the store with advice; --fix changes nothing", async () => {
  await using s = await tempStore();
  await using o = await outside();
  await s.json(["create", "--title", "one"]);
  await s.json(["board", "--agent", "ann", "-m", "hi"]);
  Deno.mkdirSync(`${s.dir}/cache`, { recursive: true });
  Deno.mkdirSync(`${o.dir}/sub`);
  plantLink(s, "lock", o.victim);
  plantLink(s, "agents", `${o.dir}/sub`);
  plantLink(s, "cache/tickets.log", o.victim);
  Deno.symlinkSync(o.victim, `${s.dir}/tickets/T-0009.md`);
  Deno.symlinkSync(`${o.dir}/sub`, `${s.dir}/board/2026-03-01`);
  const outsideBefore = snapshot(o.dir);
  const storeBefore = snapshot(s.dir);
  for (const args of [["doctor", "--json"], ["doctor", "--fix", "--json"]]) {
    const r = await s.track(args);
    assertEquals(r.code, 6, r.stderr);
    const d = JSON.parse(r.stdout) as {
      healthy: boolean;
      findings: Array<{ kind: string; file: string; message: string; advice: string }>;
    };
    assertEquals(d.healthy, false);
    assertEquals(d.findings.map((f) => [f.kind, f.file]), [
      ["symlink", ".track/agents"],
      ["symlink", ".track/board/2026-03-01"],
      ["symlink", ".track/cache/tickets.log"],
      ["symlink", ".track/lock"],
      ["symlink", ".track/tickets/T-0009.md"],
    ]);
    for (const f of d.findings) assertStringIncludes(f.advice, "replace the link with a real");
  }
  const text = await s.track(["doctor"]);
  assertStringIncludes(
    text.stdout,
    `problem  symlink  .track/lock: is a symbolic link to "${o.victim}"`,
  );
  assertEquals(snapshot(o.dir), outsideBefore);
  assertEquals(snapshot(s.dir), storeBefore);
});

Deno.test("symlinks: init does not create store directories through a link", async () => {
  await using s = await tempStore({ init: false });
  await using o = await outside();
  Deno.mkdirSync(s.dir);
  Deno.symlinkSync(o.dir, `${s.dir}/board`);
  assertRefused(await s.track(["init"]), "board");
  assertEquals([...Deno.readDirSync(o.dir)].map((e) => e.name), ["victim"]);
});

Deno.test("symlinks: hooks install --claude never writes through a link at a temp name", async () => {
  await using s = await tempStore();
  await using o = await outside();
  Deno.mkdirSync(`${s.root}/.claude`);
  Deno.symlinkSync(o.victim, `${s.root}/.claude/settings.json.track.tmp`);
  const r = await s.track(["hooks", "install", "--claude", "--command", "track"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
  const settings = JSON.parse(Deno.readTextFileSync(`${s.root}/.claude/settings.json`));
  assertEquals(settings.hooks.PostToolUse[0].hooks[0].command, "track hook claude post-tool-use");
});

Deno.test("symlinks: hooks install --git never writes through a link in a committed hooks directory", async () => {
  await using s = await tempStore();
  await using o = await outside();
  const git = (...args: string[]) =>
    testCommand("git", { args, cwd: s.root, stdout: "null", stderr: "null" }).outputSync();
  assertEquals(git("init", "-q").code, 0);
  assertEquals(git("config", "core.hooksPath", ".githooks").code, 0);
  Deno.mkdirSync(`${s.root}/.githooks`);
  for (const hook of ["pre-commit", "commit-msg"]) {
    Deno.symlinkSync(o.victim, `${s.root}/.githooks/${hook}.track.tmp`);
  }
  const r = await s.track(["hooks", "install", "--git", "--command", "track"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(Deno.readTextFileSync(o.victim), VICTIM_TEXT);
  const hook = Deno.statSync(`${s.root}/.githooks/pre-commit`);
  assert(hook.isFile && (hook.mode! & 0o111) !== 0, "an executable hook");
  assertStringIncludes(Deno.readTextFileSync(`${s.root}/.githooks/pre-commit`), "hook git");
});

Deno.test("symlinks: a linked config.json is refused by every command, and doctor still names it", async () => {
  await using s = await tempStore();
  await using o = await outside();
  Deno.copyFileSync(`${s.dir}/config.json`, `${o.dir}/config.json`);
  plantLink(s, "config.json", `${o.dir}/config.json`);
  const r = await s.track(["list"]);
  assertEquals(r.code, 6, r.stderr);
  assertStringIncludes(r.stderr, `Cannot read ".track/config.json": it is a symbolic link`);
  assertRefused(await s.track(["create", "--title", "x"]), "config.json");
  const d = await s.track(["doctor", "--json"]);
  assertEquals(d.code, 6, d.stderr);
  assertEquals(
    JSON.parse(d.stdout).findings.map((f: { kind: string; file: string }) => [f.kind, f.file]),
    [["symlink", ".track/config.json"]],
  );
});
