import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { tempStore } from "../../tests/helpers.ts";
import { Store } from "../store/store.ts";
import { readRuntime, type RunningServer, startServer } from "./server.ts";
import { type ChangeBatch, ChangeFeed } from "./watch.ts";

/** Sends raw request bytes (no URL normalisation) and returns the status line and body. */
async function raw(port: number, request: string): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(
    chunks.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
  );
  return { status: Number(text.split(" ")[1]), text };
}

async function started(store: Store): Promise<RunningServer> {
  const r = await startServer(store, { port: 0 });
  if (!r.started) throw new Error("expected a fresh server");
  return r.server;
}

Deno.test({
  name: "server answers raw traversal, NUL and bad Host requests without crashing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const server = await started(new Store(ts.dir));
    try {
      const host = `127.0.0.1:${server.port}`;
      const req = (path: string, headers = `Host: ${host}\r\n`) =>
        raw(server.port, `GET ${path} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`);
      assertEquals((await req("/app.js")).status, 200);
      for (
        const path of [
          "/../deno.json",
          "/vendor/../app.js",
          "/%2e%2e/deno.json",
          "/%2E%2e/app.js",
          "/.%2e/app.js",
          "/app.js%00",
          "//app.js",
          "/vendor/..%2fapp.js",
          "/..\\deno.json",
        ]
      ) {
        const r = await req(path);
        assertEquals(r.status, 404, path);
        assert(!/access-control-/i.test(r.text));
      }
      assertEquals((await req("/", "Host: evil.example\r\n")).status, 421);
      assertEquals((await req("/", "Host: a b c\r\n")).status, 400);
      assertEquals(
        (await raw(server.port, "GET / HTTP/1.0\r\nConnection: close\r\n\r\n")).status,
        400,
      );
      // Still serving after all of that.
      const ping = await fetch(`http://${host}/api/ping`);
      assertEquals((await ping.json()).instance, server.info.instance);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "server writes server.json, a second start reports the first, stop removes the file",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const store = new Store(ts.dir);
    const server = await started(store);
    try {
      const info = readRuntime(store)!;
      assertEquals(info.pid, Deno.pid);
      assertEquals(info.port, server.port);
      assertEquals(info.url, `http://127.0.0.1:${server.port}/`);
      const before = ts.read("server.json");
      const second = await startServer(store, { port: 0 });
      assertEquals(second.started, false);
      if (!second.started) assertEquals(second.running.instance, info.instance);
      assertEquals(ts.read("server.json"), before);
      assertStringIncludes(ts.read(".gitignore"), "server.json");
    } finally {
      await server.stop();
    }
    assertEquals(readRuntime(store), null);
  },
});

Deno.test({
  name:
    "server.json (the stop secret) is owner-only (0600), also when it replaces an older 0644 one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const store = new Store(ts.dir);
    const path = `${ts.dir}/server.json`;
    // Left behind by a dead server of an older version, readable by everyone.
    Deno.writeTextFileSync(path, JSON.stringify({ pid: 1, port: 1, url: "x", instance: "old" }));
    Deno.chmodSync(path, 0o644);
    const server = await started(store);
    try {
      assertEquals(readRuntime(store)!.instance, server.info.instance);
      assertEquals((Deno.statSync(path).mode! & 0o777).toString(8), "600");
    } finally {
      await server.stop();
    }
    const fresh = await started(store);
    try {
      assertEquals((Deno.statSync(path).mode! & 0o777).toString(8), "600");
    } finally {
      await fresh.stop();
    }
  },
});

Deno.test({
  name: "server sends a snapshot, then a delta when the CLI changes .track/",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const server = await started(new Store(ts.dir));
    try {
      const res = await fetch(`${server.url}api/events`);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      const until = async (what: string) => {
        while (!seen.includes(what)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`event stream ended before ${what}: ${seen}`);
          seen += value;
        }
      };
      await until("event: snapshot");
      await until("\n\n");
      assertStringIncludes(seen, "event: hello");
      const cli = ts.track(["create", "--title", "From the CLI"]);
      await until("event: delta");
      await until('"title":"From the CLI"');
      assertEquals((await cli).code, 0);
      await reader.cancel();
      const snap = await (await fetch(`${server.url}api/snapshot`)).json();
      assertEquals(snap.tickets.map((t: { title: string }) => t.title), ["From the CLI"]);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "ChangeFeed with sync on: config.json in .track/ (outside the store) is named too",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir(); // the sync store
    const conf = await Deno.makeTempDir(); // the work tree's .track/
    try {
      Deno.mkdirSync(`${conf}/tickets`);
      using feed = new ChangeFeed(dir, { configDir: conf });
      const seen: string[] = [];
      const done = new Promise<void>((resolve) =>
        feed.subscribe((b) => {
          seen.push(...b.paths);
          if (b.paths.includes("a.md")) resolve();
        })
      );
      // A hand edit of config.json, written as track writes it (temp file, rename).
      Deno.writeTextFileSync(`${conf}/.config.json.1.tmp`, '{"schema":2}');
      Deno.renameSync(`${conf}/.config.json.1.tmp`, `${conf}/config.json`);
      // Data left in .track/ is ignored with sync on; an event on the store itself is not.
      Deno.writeTextFileSync(`${conf}/tickets/T-0001.md`, "ignored");
      Deno.chmodSync(dir, 0o755);
      Deno.writeTextFileSync(`${dir}/a.md`, "x");
      await done;
      assert(seen.includes("config.json"), JSON.stringify(seen));
      assert(seen.includes(""), JSON.stringify(seen));
      assertEquals(seen.filter((p) => !["config.json", "a.md", ""].includes(p)), [], "only these");
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(conf, { recursive: true });
    }
  },
});

Deno.test({
  name: "ChangeFeed reports a burst of writes and stops on dispose",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      using feed = new ChangeFeed(dir);
      const got = new Promise<ChangeBatch>((resolve) => feed.subscribe(resolve));
      Deno.writeTextFileSync(`${dir}/a.md`, "x");
      Deno.writeTextFileSync(`${dir}/b.md`, "y");
      Deno.writeTextFileSync(`${dir}/.c.md.tmp`, "ignored");
      const batch = await got;
      assertEquals(batch.seq, 1);
      assertEquals(batch.rescan, false);
      // The first event starts the debounce timer; the second write may fall into the next batch.
      assert(batch.paths.includes("a.md"), JSON.stringify(batch));
      assert(!batch.paths.some((p) => p.endsWith(".tmp")), JSON.stringify(batch));
      assertEquals(feed.listeners, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
