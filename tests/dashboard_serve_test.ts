// `track serve -d` / `track stop` end to end: real detached processes, real pid files.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { MAIN, type TempStore, tempStore, testCommand } from "./helpers.ts";

/**
 * Servers in these tests bind port 0 and report the port they got: a port probed free first can
 * be taken by another process before the server binds it.
 */

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

interface ServerJson {
  pid: number;
  port: number;
  url: string;
  instance: string;
}

async function serveD(ts: TempStore) {
  const r = await ts.track(["serve", "-d", "--port", "0", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    url: string;
    pid: number;
    port: number;
    already: boolean;
    detached: boolean;
  };
  assert(out.port > 0, `serve -d reported port ${out.port}`);
  return out;
}

/** Reads up to the first newline; fails (never spins) when the stream ends before one. */
async function readLine(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before a full line: ${JSON.stringify(out)}`);
    out += value;
  }
  return out;
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "serve -d returns once it listens; a second serve changes nothing; stop ends it",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    const first = await serveD(ts);
    const port = first.port;
    try {
      assertEquals(first.url, `http://127.0.0.1:${port}/`);
      assertEquals(first.already, false);
      const info = JSON.parse(ts.read("server.json")) as ServerJson;
      assertEquals([info.pid, info.port], [first.pid, port]);
      assert(alive(first.pid));
      // It listens when serve -d returns: no retry needed.
      const ping = await (await fetch(`${first.url}api/ping`)).json();
      assertEquals(ping.instance, info.instance);
      const page = await fetch(first.url);
      assertStringIncludes(await page.text(), "track-token");

      const before = ts.read("server.json");
      const second = await ts.track(["serve", "-d", "--port", String(port)]);
      assertEquals(second.code, 0);
      assertEquals(second.stdout.trim(), first.url);
      assertStringIncludes(second.stderr, `already running at ${first.url} (pid ${first.pid}`);
      assertEquals(ts.read("server.json"), before);
      // Also in the foreground, and on another port: it points at the running one.
      const third = await ts.track(["serve", "--port", "0"]);
      assertEquals(third.code, 0);
      assertStringIncludes(third.stderr, "already running");
      assertEquals(ts.read("server.json"), before);
    } finally {
      const stop = await ts.track(["stop"]);
      assertEquals(stop.code, 0, stop.stderr);
      assertStringIncludes(stop.stdout, `Stopped the dashboard at ${first.url} (pid ${first.pid})`);
    }
    assert(!alive(first.pid), "server process ended");
    let exists = true;
    try {
      ts.read("server.json");
    } catch {
      exists = false;
    }
    assertEquals(exists, false);
    const again = await ts.track(["stop"]);
    assertEquals(again.code, 4);
    assertStringIncludes(again.stderr, "no server is running");
  },
});

Deno.test({
  name: "stop never signals a live process named by a stale pid file; serve -d replaces it",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    const sleeper = testCommand("sleep", { args: ["300"], stdout: "null", stderr: "null" })
      .spawn();
    try {
      const stale = {
        schema: 1,
        pid: sleeper.pid,
        port: 1,
        url: "http://127.0.0.1:1/",
        instance: "old",
        stop_secret: "x",
        started_at: "2026-01-01T00:00:00Z",
        proc_start: "1",
      };
      Deno.writeTextFileSync(`${ts.dir}/server.json`, JSON.stringify(stale));
      const stop = await ts.track(["stop", "--json"]);
      assertEquals(stop.code, 0, stop.stderr);
      assertEquals(JSON.parse(stop.stdout).outcome, "stale");
      assert(alive(sleeper.pid), "the unrelated process is still running");

      // A pid file naming a live process that is not ours is replaced by a new serve.
      Deno.writeTextFileSync(`${ts.dir}/server.json`, JSON.stringify(stale));
      const s = await serveD(ts);
      try {
        assertEquals(s.already, false);
        const info = JSON.parse(ts.read("server.json")) as ServerJson;
        assertEquals(info.pid, s.pid);
        assert(info.pid !== sleeper.pid);
        assert(alive(sleeper.pid));
      } finally {
        assertEquals((await ts.track(["stop"])).code, 0);
      }
      assert(alive(sleeper.pid), "stop left the unrelated process alone");
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.status;
    }
  },
});

Deno.test({
  name: "stop does not touch another program answering on the recorded port",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    // Some other local web server now owns the port the dead dashboard had.
    const other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => Response.json({ app: "something-else" }),
    );
    try {
      const stale = {
        schema: 1,
        pid: Deno.pid,
        port: other.addr.port,
        url: `http://127.0.0.1:${other.addr.port}/`,
        instance: "gone",
        stop_secret: "secret",
        started_at: "2026-01-01T00:00:00Z",
        proc_start: null,
      };
      Deno.writeTextFileSync(`${ts.dir}/server.json`, JSON.stringify(stale));
      const stop = await ts.track(["stop"]);
      assertEquals(stop.code, 0, stop.stderr);
      assertStringIncludes(stop.stdout, "stale");
      // We are that pid and we are still here; the other server still answers.
      assertEquals(
        (await (await fetch(`http://127.0.0.1:${other.addr.port}/`)).json()).app,
        "something-else",
      );
    } finally {
      await other.shutdown();
    }
  },
});

Deno.test({
  name: "serve refuses a port in use by another program with a hint",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (l.addr as Deno.NetAddr).port;
      for (const args of [["serve", "-d"], ["serve"]]) {
        const r = await ts.track([...args, "--port", String(port)]);
        assertEquals(r.code, 3, args.join(" "));
        assertStringIncludes(r.stderr, `port ${port}: another program is listening there`);
        assertStringIncludes(r.stderr, "hint: track serve");
      }
      const bad = await ts.track(["serve", "--port", "99999"]);
      assertEquals(bad.code, 2);
    } finally {
      l.close();
    }
  },
});

Deno.test("other commands never load the dashboard: it is only a dynamic import of serve/stop", async () => {
  const main = new URL("../main.ts", import.meta.url).href;
  const out = await testCommand(Deno.execPath(), {
    args: ["info", "--json", main],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert(out.success);
  type Dep = { code?: { specifier: string }; isDynamic?: boolean };
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: Array<{ specifier: string; dependencies?: Dep[] }>;
  };
  const bySpec = new Map(graph.modules.map((m) => [m.specifier, m]));
  /** Modules loaded when `root` is: its static imports, transitively. */
  const staticClosure = (root: string) => {
    const seen = new Set<string>([root]);
    const queue = [root];
    while (queue.length > 0) {
      for (const d of bySpec.get(queue.pop()!)?.dependencies ?? []) {
        const next = d.code?.specifier;
        if (next && !d.isDynamic && !seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return [...seen].filter((s) => /\/src\/dashboard\/|\/web\/|preact|htm@/.test(s));
  };
  assertEquals(staticClosure(main), []);
  // Even loading the serve and stop commands (for --help or completions) loads no server code.
  for (const cmd of ["serve", "stop"]) {
    const spec = new URL(`../src/commands/${cmd}.ts`, import.meta.url).href;
    assert(bySpec.has(spec), spec);
    assertEquals(staticClosure(spec), [], cmd);
  }
  // ...while the dashboard is still part of the program.
  assert(graph.modules.some((m) => m.specifier.endsWith("/src/dashboard/handler.ts")));
});

Deno.test({
  name: "serve in the foreground prints the URL and cleans up on SIGINT",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    const child = testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "serve", "--port", "0"],
      cwd: ts.root,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const out = await readLine(reader);
    assertMatch(out.trim(), /^http:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
    // The URL is printed after server.json is written: both are there now.
    assertEquals(JSON.parse(ts.read("server.json")).pid, child.pid);
    assertEquals((await (await fetch(`${out.trim()}api/ping`)).json()).pid, child.pid);
    child.kill("SIGINT");
    const status = await child.status;
    await reader.cancel();
    const err = await new Response(child.stderr).text();
    assertEquals(status.code, 0, err);
    assertStringIncludes(err, `Dashboard running (pid ${child.pid})`);
    let exists = true;
    try {
      ts.read("server.json");
    } catch {
      exists = false;
    }
    assertEquals(exists, false);
  },
});

Deno.test({
  name: "serve -d passes on the exit code of a child that fails before it listens (5, 7)",
  ...opts,
  async fn() {
    await using ts = await tempStore();
    // Lock busy: the child waits for the store lock to write server.json, then gives up (5).
    const lock = await Deno.open(`${ts.dir}/lock`, { read: true, write: true });
    await lock.lock(true);
    try {
      const r = await ts.track(["serve", "-d", "--port", "0", "--json"], {
        env: { TRACK_LOCK_TIMEOUT: "100" },
      });
      assertEquals(r.code, 5, r.stderr);
      const err = JSON.parse(r.stderr).error;
      assertEquals([err.kind, err.detail.exit], ["lockBusy", 5]);
      assertStringIncludes(err.message, "exited with code 5 (lock busy)");
    } finally {
      await lock.unlock();
      lock.close();
    }
    // I/O failure: every fsync fails (only the child writes), so writing server.json fails (7).
    let out: Deno.CommandOutput;
    try {
      out = await testCommand("strace", {
        args: ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync,fdatasync", "-e"]
          .concat(["inject=fsync,fdatasync:error=EIO", Deno.execPath(), "run", "-A", "--quiet"])
          .concat([MAIN, "serve", "-d", "--port", "0"]),
        cwd: ts.root,
        env: { NO_COLOR: "1", TRACK_AGENT: "" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      if (Deno.env.get("CI")) throw new Error("strace is required in CI (apt-get install strace)");
      return;
    }
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 7, stderr);
    assertStringIncludes(stderr, "exited with code 7 (I/O failure)");
    assertStringIncludes(stderr, "hint: track serve --port 0");
  },
});
