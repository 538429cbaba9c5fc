/**
 * Running the dashboard: the HTTP server on 127.0.0.1, the runtime file `.track/server.json`
 * (git-ignored) that says where a server runs, and the checks that tell our server from any
 * other process before `stop` touches it.
 */
import { join } from "node:path";
import { conflictError, type ErrorKind, kindOfExit, TrackError } from "../model/errors.ts";
import type { Store } from "../store/store.ts";
import { linkError } from "../store/no_follow.ts";
import { procStartTime } from "../store/processes.ts";
import { createHandler } from "./handler.ts";
import { ChangeFeed } from "./watch.ts";
import { SyncPanel } from "./sync_panel.ts";
import type { SyncMode } from "../operations/background_sync.ts";

/** What each exit code means, for the message when a detached child fails. */
const EXIT_MEANING: Record<ErrorKind, string> = {
  ok: "ok",
  internal: "internal error",
  usage: "usage error",
  conflict: "conflict",
  notFound: "not found",
  lockBusy: "lock busy",
  badData: "bad data in .track/",
  io: "I/O failure",
  remote: "sync remote unreachable",
  provisional: "granted here, not confirmed by the sync remote",
};

/** Default port of `track serve`. */
export const DEFAULT_PORT = 7777;

/** What `.track/server.json` records about a running server. */
export interface RuntimeInfo {
  schema: 1;
  pid: number;
  port: number;
  url: string;
  /** Random id of this run, answered by /api/ping. */
  instance: string;
  /** Secret `track stop` sends to /api/shutdown; never given to the page. */
  stop_secret: string;
  started_at: string;
  /** Start time of the process from /proc/<pid>/stat (Linux), to recognise a reused pid. */
  proc_start: string | null;
}

/** Path of the runtime file. */
export function runtimePath(store: Store): string {
  return join(store.dir, "server.json");
}

/**
 * Reads the runtime file; null when it is missing or not ours to understand. A link there is
 * exit 6, never read: `stop` acts on the pid it names.
 */
export function readRuntime(store: Store): RuntimeInfo | null {
  let text: string;
  try {
    if (Deno.lstatSync(runtimePath(store)).isSymlink) {
      throw linkError(store.dir, runtimePath(store), { action: "read" });
    }
    text = Deno.readTextFileSync(runtimePath(store));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    const r = JSON.parse(text);
    if (
      typeof r === "object" && r !== null && typeof r.pid === "number" &&
      typeof r.port === "number" && typeof r.instance === "string" &&
      typeof r.stop_secret === "string" && typeof r.url === "string"
    ) {
      return r as RuntimeInfo;
    }
  } catch {
    // A torn or hand-edited file: treated like a stale one and replaced.
  }
  return null;
}

/** Removes the runtime file under the lock, but only while it still describes `instance`. */
export async function removeRuntime(store: Store, instance: string | null): Promise<boolean> {
  return await store.mutate("serve", (tx) => {
    const cur = readRuntime(tx.store);
    if (instance !== null && cur !== null && cur.instance !== instance) return false;
    if (tx.store.readText(runtimePath(tx.store)) === null) return false;
    tx.removeFile(runtimePath(tx.store));
    return true;
  });
}

/** What answers at the address a runtime file names. */
export type Probe = "ours" | "other" | "none";

/** Asks the recorded address who it is; "ours" only when the instance id matches. */
export async function probe(info: RuntimeInfo, timeoutMs = 2000): Promise<Probe> {
  try {
    const res = await fetch(`http://127.0.0.1:${info.port}/api/ping`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json().catch(() => null);
    return body?.app === "track-dashboard" && body.instance === info.instance ? "ours" : "other";
  } catch {
    return "none";
  }
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A running dashboard. */
export interface RunningServer {
  url: string;
  port: number;
  info: RuntimeInfo;
  /** Resolves once the server has stopped and cleaned up. */
  finished: Promise<void>;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
}

/** Outcome of {@linkcode startServer}: started, or another server of ours already runs. */
export type StartResult =
  | { started: true; server: RunningServer }
  | { started: false; running: RuntimeInfo };

/**
 * Starts the dashboard for `store` on 127.0.0.1:`port` unless one of ours already runs (then
 * nothing changes). A runtime file left by a dead server is replaced.
 */
export async function startServer(
  store: Store,
  options: {
    port: number;
    now?: () => Date;
    /** The sync panel's settings (sync_panel.ts); absent: TRACK_SYNC manual, defaults. */
    sync?: { mode: SyncMode; pollMs?: number; timeoutMs?: number };
  },
): Promise<StartResult> {
  const existing = readRuntime(store);
  if (existing !== null && await probe(existing) === "ours") {
    return { started: false, running: existing };
  }
  const token = randomHex(24);
  const instance = randomHex(12);
  const stopSecret = randomHex(24);
  // With sync on, config.json (the stale threshold) is in .track/, outside the store.
  const feed = new ChangeFeed(store.dir, { configDir: store.trackDir });
  const closing = new AbortController();
  const sync = new SyncPanel(store, {
    now: options.now ?? (() => new Date()),
    mode: options.sync?.mode ?? "manual",
    pollMs: options.sync?.pollMs,
    timeoutMs: options.sync?.timeoutMs,
  });
  let stopping: Promise<void> | null = null;
  let server: Deno.HttpServer<Deno.NetAddr>;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      feed[Symbol.dispose]();
      closing.abort();
      await server.shutdown();
      await sync.stop();
      await removeRuntime(store, instance).catch(() => false);
    })();
    return stopping;
  };
  let port = options.port;
  const handler = createHandler({
    store,
    get port() {
      return port;
    },
    token,
    stopSecret,
    instance,
    pid: Deno.pid,
    feed,
    sync,
    closing: closing.signal,
    now: options.now,
    onShutdown: () => void stop(),
  });
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      onListen: () => {},
    }, handler);
  } catch (e) {
    feed[Symbol.dispose]();
    if (e instanceof Deno.errors.AddrInUse) {
      throw conflictError(
        `Cannot serve the dashboard on port ${options.port}: another program is listening there`,
        `track serve --port ${options.port + 1}`,
      );
    }
    throw e;
  }
  port = server.addr.port;
  const url = `http://127.0.0.1:${port}/`;
  const info: RuntimeInfo = {
    schema: 1,
    pid: Deno.pid,
    port,
    url,
    instance,
    stop_secret: stopSecret,
    started_at: new Date().toISOString(),
    proc_start: procStartTime(Deno.pid),
  };
  // Two `serve` started at once: the lock makes one of them see the other and step back.
  const other = await store.mutate("serve", async (tx) => {
    const cur = readRuntime(tx.store);
    if (cur !== null && cur.instance !== instance && await probe(cur) === "ours") return cur;
    // Owner-only: the stop secret in it lets whoever reads it shut the server down.
    tx.writeFile(runtimePath(tx.store), JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
    return null;
  });
  if (other !== null) {
    feed[Symbol.dispose]();
    closing.abort();
    await server.shutdown();
    return { started: false, running: other };
  }
  sync.start();
  return {
    started: true,
    server: { url, port, info, finished: server.finished.then(() => stopping ?? undefined), stop },
  };
}

/** What `track stop` found and did. */
export interface StopResult {
  outcome: "stopped" | "stale" | "none";
  pid: number | null;
  url: string | null;
}

function cmdlineOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ");
  } catch {
    return null;
  }
}

/** Whether the process recorded in `info` is still the very process that wrote it. */
function sameProcess(info: RuntimeInfo): boolean {
  if (info.proc_start === null) return false; // cannot tell, so never signal it
  return procStartTime(info.pid) === info.proc_start &&
    (cmdlineOf(info.pid) ?? "").includes("serve");
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return await check();
}

/**
 * Stops the server `.track/server.json` names. It is asked over HTTP with the stop secret; a
 * signal is sent only when the process does not answer but is provably the one that wrote the
 * file (same pid, same start time, a `serve` command line). Anything else is a stale file,
 * which is removed; no other process is ever signalled.
 */
export async function stopRunning(store: Store): Promise<StopResult> {
  const info = readRuntime(store);
  if (info === null) {
    const removed = await removeRuntime(store, null);
    return { outcome: removed ? "stale" : "none", pid: null, url: null };
  }
  const found = await probe(info);
  const gone = async () =>
    await probe(info, 500) === "none" &&
    (info.proc_start === null || procStartTime(info.pid) !== info.proc_start);
  if (found === "ours") {
    await fetch(`http://127.0.0.1:${info.port}/api/shutdown`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-track-stop": info.stop_secret },
      body: "{}",
    }).then((r) => r.body?.cancel()).catch(() => {});
    await waitUntil(gone, 10_000);
    await removeRuntime(store, info.instance);
    return { outcome: "stopped", pid: info.pid, url: info.url };
  }
  if (found === "none" && sameProcess(info)) {
    Deno.kill(info.pid, "SIGTERM");
    await waitUntil(() => procStartTime(info.pid) !== info.proc_start, 10_000);
    await removeRuntime(store, info.instance);
    return { outcome: "stopped", pid: info.pid, url: info.url };
  }
  await removeRuntime(store, info.instance);
  return { outcome: "stale", pid: info.pid, url: info.url };
}

/** How to start this same program again: the deno binary with the script, or the compiled binary. */
export function selfCommand(): { exe: string; args: string[] } {
  const exe = Deno.execPath();
  const name = exe.split(/[\\/]/).pop() ?? "";
  if (/^deno(\.exe)?$/i.test(name)) {
    return { exe, args: ["run", "-A", "--unstable-raw-imports", "--quiet", Deno.mainModule] };
  }
  return { exe, args: [] };
}

/**
 * Starts the server as a detached child of this same program and resolves once it listens
 * (it has written `.track/server.json` and answers /api/ping). Deno has no fork.
 */
export async function startDetached(
  store: Store,
  options: { port: number; cwd: string },
): Promise<{ started: boolean; info: RuntimeInfo }> {
  const existing = readRuntime(store);
  if (existing !== null && await probe(existing) === "ours") {
    return { started: false, info: existing };
  }
  if (options.port !== 0) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port: options.port }).close();
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) {
        throw conflictError(
          `Cannot serve the dashboard on port ${options.port}: another program is listening there`,
          `track serve -d --port ${options.port + 1}`,
        );
      }
      throw e;
    }
  }
  const self = selfCommand();
  const child = new Deno.Command(self.exe, {
    args: [...self.args, "serve", "--port", String(options.port)],
    cwd: options.cwd,
    env: { TRACK_DIR: store.trackDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited: Deno.CommandStatus | null = null;
  child.status.then((s) => (exited = s));
  child.unref();
  let result: { started: boolean; info: RuntimeInfo } | null = null;
  await waitUntil(async () => {
    // A child that lost a race with another `serve` exits after that one is up: check first.
    const info = readRuntime(store);
    if (info !== null && await probe(info, 500) === "ours") {
      result = { started: info.pid === child.pid, info };
      return true;
    }
    return exited !== null;
  }, 20_000);
  if (result === null) {
    const hint = `track serve --port ${options.port} (in the foreground, to see its messages)`;
    if (exited === null) {
      throw conflictError(
        "Cannot start the dashboard in the background: it did not start listening within 20 s",
        hint,
      );
    }
    // The child is this same program: its exit code is already one of ours, so it is passed on
    // as it is (a child that failed to write server.json is an I/O failure here too, not 3).
    const { code, signal } = exited as Deno.CommandStatus;
    const kind = signal === null ? kindOfExit(code) : null;
    const why = signal !== null
      ? `it was killed by ${signal}`
      : `it exited with code ${code}` + (kind === null ? "" : ` (${EXIT_MEANING[kind]})`);
    throw new TrackError(
      kind ?? "internal",
      `Cannot start the dashboard in the background: ${why}`,
      {
        hint,
        detail: { exit: code, signal },
      },
    );
  }
  return result;
}
