// deno-lint-ignore-file no-explicit-any -- JSON read back from the CLI
/**
 * Auto-sync through the real CLI (docs/sync.md "Auto-sync"; src/operations/background_sync.ts):
 * a write to a sync store returns at once and leaves a detached, paced `track sync --background`
 * that publishes it, at most one per clone; `TRACK_SYNC=off` / `manual` start none; reads never
 * run git. Tests wait for the background sync by polling for its pid file to go away, with a
 * hang guard (never a fixed sleep).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { type Clone, Lines, SyncWorld } from "./sync_world.ts";
import { syncPaths } from "../src/store/sync_config.ts";

const AUTO = { TRACK_SYNC: "auto" };

function pidFile(c: Clone): string {
  return `${syncPaths(c.gitDir).private}/background.pid`;
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Polls until the background sync of `c` is gone (its pid file removed); throws after 60 s. */
async function backgroundDone(c: Clone, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (readOrNull(pidFile(c)) !== null) {
    if (Date.now() > deadline) {
      throw new Error(`hang guard: the background sync of ${c.name} (${what}) never ended`);
    }
    await new Promise((r) => setTimeout(r, 25)); // polling a file, not ordering
  }
}

/** `p`, or an error naming `what` after 60 s (a process that never ends fails the test). */
async function guarded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang guard: ${what}`)), 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Gives `c` its first id block (docs/sync.md "Ticket numbers": an offline create with no block
 * left exits 8, and the next `track sync` reserves one), so that the creates of a test run no
 * sync of their own before their write.
 */
async function reserveIds(c: Clone): Promise<void> {
  const r = await c.track(["create", "--title", "never made", "--offline"]);
  assertEquals(r.code, 8, r.stderr);
  await c.ok(["sync"]);
}

/** Titles of the tickets in the remote's state (read with git in the bare repository). */
async function remoteTitles(world: SyncWorld): Promise<string[]> {
  const ls = await world.bareGit(["ls-tree", "-r", "--name-only", "refs/track/state"]);
  if (ls.code !== 0) return [];
  const out: string[] = [];
  for (const path of ls.stdout.split("\n").filter((p) => /^tickets\/.*\.md$/.test(p))) {
    const text = (await world.bareGit(["show", `refs/track/state:${path}`])).stdout;
    const m = /^title: (.*)$/m.exec(text);
    if (m) out.push(m[1].replace(/^"|"$/g, ""));
  }
  return out.sort();
}

/** A git first on the PATH that records every run (its argv) in `log`, then runs the real one. */
async function recordingGit(
  world: SyncWorld,
): Promise<{ env: Record<string, string>; log: string }> {
  const dir = await Deno.makeTempDir({ dir: world.root, prefix: "git-rec-" });
  const real = (await world.mustGit(["--exec-path"])).trim() + "/git";
  const log = `${dir}/calls.log`;
  await Deno.writeTextFile(log, "");
  await Deno.writeTextFile(`${dir}/git`, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  await Deno.chmod(`${dir}/git`, 0o755);
  return { env: { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` }, log };
}

Deno.test("auto-sync: a write returns at once (its output closed) while its detached background sync is still pushing; the push lands after", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await reserveIds(a);
  const barrier = await world.pushBarrier();
  // The background child inherits the writer's environment: its push stops at the barrier.
  const env = { ...AUTO, ...barrier.env };
  const created = await guarded(
    a.track(["create", "--title", "first"], { env }),
    "the writer waited for its background sync, or it kept the writer's stdout/stderr open",
  );
  assertEquals(created.code, 0, created.stderr);
  await guarded(barrier.reached(), "no background sync reached its push");
  const pid = Number(readOrNull(pidFile(a)));
  assert(pid > 0, `the pid file names the running background sync: ${readOrNull(pidFile(a))}`);
  assertEquals(await remoteTitles(world), []); // Not pushed yet: held at the barrier.
  await barrier.release();
  await backgroundDone(a, "after the barrier");
  assertEquals(await remoteTitles(world), ["first"]);
});

Deno.test("auto-sync: at most one background sync per clone; a write while one runs is published by it", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await reserveIds(a);
  const barrier = await world.pushBarrier();
  const env = { ...AUTO, ...barrier.env };
  await a.ok(["create", "--title", "first"], { env });
  await guarded(barrier.reached(), "no background sync reached its push");
  const running = readOrNull(pidFile(a));
  assert(running !== null && /^\d+\n$/.test(running), `running: ${running}`);
  assertEquals(
    (await a.json<Record<string, any>>(["remote", "show"])).background_pid,
    Number(running),
  );
  await a.ok(["create", "--title", "second"], { env });
  // No second child was started: the file still names the first one (a start rewrites it).
  assertEquals(readOrNull(pidFile(a)), running);
  await barrier.release();
  await backgroundDone(a, "after the second write");
  assertEquals(await remoteTitles(world), ["first", "second"]);
});

Deno.test("auto-sync: TRACK_SYNC=off, TRACK_SYNC=manual and --offline start no background sync and run no git", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await reserveIds(a);
  const rec = await recordingGit(world);
  for (const mode of ["off", "manual"]) {
    const r = await a.ok(["create", "--title", `by ${mode}`], {
      env: { ...rec.env, TRACK_SYNC: mode },
    });
    assertEquals(r.stderr, "");
    assertEquals(readOrNull(pidFile(a)), null, mode);
  }
  // --offline (claim, next, create): that command syncs nothing either, auto or not.
  const offline = await a.track(["claim", "T-0001", "--agent", "alice", "--offline"], {
    env: { ...rec.env, ...AUTO },
  });
  assertEquals(offline.code, 9, offline.stderr);
  assertEquals(readOrNull(pidFile(a)), null, "--offline");
  assertEquals(await Deno.readTextFile(rec.log), "");
  assertEquals(await remoteTitles(world), []);
  // The recorder works: the next auto write's background sync runs git through it.
  await a.ok(["create", "--title", "auto"], { env: { ...rec.env, ...AUTO } });
  await backgroundDone(a, "auto write");
  assertStringIncludes(await Deno.readTextFile(rec.log), "push");
  assertEquals(await remoteTitles(world), ["auto", "by manual", "by off"]);
});

Deno.test("auto-sync: reads never touch the network: no git runs for list, show, agents, board, prime, ready; remote show reads local refs only", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  await a.ok(["claim", "T-0001", "--agent", "alice"]);
  await a.ok(["board", "--agent", "alice", "-m", "hello"]);
  const rec = await recordingGit(world);
  const env = { ...rec.env, ...AUTO };
  for (
    const args of [
      ["list"],
      ["list", "--json"],
      ["show", "T-0001"],
      ["agents"],
      ["board"],
      ["prime"],
      ["ready"],
    ]
  ) {
    const r = await a.track(args, { env });
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(readOrNull(pidFile(a)), null, args.join(" "));
  }
  assertEquals(await Deno.readTextFile(rec.log), "");
  // remote show reads this clone's refs and config with git, never the remote.
  await a.ok(["remote", "show"], { env });
  const calls = (await Deno.readTextFile(rec.log)).trim().split("\n");
  assert(calls.length > 0 && calls.every((c) => / (config|rev-parse) /.test(c)), calls.join("\n"));
  assertEquals(readOrNull(pidFile(a)), null);
});

Deno.test("auto-sync: a background sync that cannot reach the remote records the failure (offline since) and ends", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await reserveIds(a);
  await Deno.rename(world.bare, `${world.bare}.away`);
  await a.ok(["create", "--title", "offline"], { env: AUTO });
  await backgroundDone(a, "unreachable remote");
  const failure = JSON.parse(
    await Deno.readTextFile(`${syncPaths(a.gitDir).private}/failure.json`),
  );
  assertEquals(failure.kind, "remote");
  assertEquals(failure.exit, 8);
  assert(failure.since <= failure.last);
  const shown = await a.json<Record<string, any>>(["remote", "show"]);
  assertEquals(shown.offline_since, new Date(failure.since).toISOString());
  assertEquals([shown.last_error.kind, shown.last_error.exit], ["remote", 8]);
  assertEquals(shown.background_pid, null);
  assertStringIncludes((await a.ok(["remote", "show"])).stdout, "offline:    since");
  // Back online: the next write's background sync publishes both.
  await Deno.rename(`${world.bare}.away`, world.bare);
  await a.ok(["create", "--title", "online"], { env: AUTO });
  await backgroundDone(a, "remote back");
  assertEquals(await remoteTitles(world), ["offline", "online"]);
  const back = await a.json<Record<string, any>>(["remote", "show"]);
  assertEquals([back.offline_since, back.last_error], [null, null]);
});

Deno.test("auto-sync: a write through track mcp (a long-lived server) starts the background sync after the tool call", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  const child = a.spawn(["mcp", "--agent", "alice"], { env: AUTO, stdin: "" });
  const w = child.stdin.getWriter();
  const lines = new Lines(child.stdout);
  const send = (msg: unknown) => w.write(new TextEncoder().encode(JSON.stringify(msg) + "\n"));
  try {
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18" },
    });
    await guarded(lines.next(), "no answer to initialize");
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "board", arguments: { message: "posted through MCP" } },
    });
    const answer = JSON.parse((await guarded(lines.next(), "no answer to tools/call"))!);
    assertEquals(answer.result.isError ?? false, false, JSON.stringify(answer));
    // The server still runs: the post reaches the remote by its background sync.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ls = await world.bareGit(["ls-tree", "-r", "--name-only", "refs/track/state"]);
      if (ls.stdout.split("\n").some((p) => p.startsWith("board/"))) break;
      if (Date.now() > deadline) throw new Error("hang guard: the MCP post was never published");
      await new Promise((r) => setTimeout(r, 50)); // polling the remote, not ordering
    }
    await backgroundDone(a, "after the MCP call");
  } finally {
    await w.close();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    await child.status;
  }
});
