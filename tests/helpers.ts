/**
 * Test helpers: real temp directories and the real CLI as a subprocess, every process started
 * with a clean, explicit environment ({@linkcode testEnv}) so that nothing the developer has
 * exported (`TRACK_DIR` above all) reaches a test.
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Env } from "../src/cli/context.ts";
import type { FakeClock } from "./track_test_main.ts";

/** Absolute path of main.ts. */
export const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));

/** main.ts with a fake clock injected (tests/track_test_main.ts); used for RunOptions.clock. */
export const TEST_MAIN = fromFileUrl(new URL("./track_test_main.ts", import.meta.url));

/**
 * Variables of this process's environment that change what track or git does. Removed from the
 * test process itself on import, so that even a process started without {@linkcode testCommand}
 * or a `main()` call without `env` cannot reach the developer's store. Test knobs
 * (TRACK_SUITE_*, TRACK_TEST_*, TRACK_BENCH_*, TRACK_NEXT_ROUNDS, TRACK_UPDATE_SCREENSHOT) stay.
 */
const PRODUCT_VAR = /^(TRACK_(?!SUITE_|TEST_|BENCH_|NEXT_ROUNDS$|UPDATE_SCREENSHOT$)|GIT_|CLAUDE_)/;
for (const name of Object.keys(Deno.env.toObject())) {
  if (PRODUCT_VAR.test(name)) Deno.env.delete(name);
}

/** Deno's cache directory as this process sees it, so children with another HOME share it. */
function denoDir(): string {
  const set = Deno.env.get("DENO_DIR");
  if (set) return set;
  const home = Deno.env.get("HOME") ?? "";
  if (Deno.build.os === "darwin") return `${home}/Library/Caches/deno`;
  return `${Deno.env.get("XDG_CACHE_HOME") || `${home}/.cache`}/deno`;
}

let home: string | undefined;
/** An empty HOME for child processes (git, the shells, deno), removed when this module unloads. */
function testHome(): string {
  if (home === undefined) {
    home = Deno.makeTempDirSync({ prefix: "track-test-home-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(home!, { recursive: true });
      } catch {
        // Already gone: nothing to clean.
      }
    });
  }
  return home;
}

/**
 * The whole environment of a process a test starts: the toolchain's own variables (PATH, TMPDIR,
 * DENO_*, NPM_CONFIG_*, and DENO_DIR so the module cache is shared), an empty temp HOME with no
 * XDG dirs (no user config is read or written), NO_COLOR, TRACK_SYNC=manual, then `extra`.
 * Nothing else of the parent's: no other TRACK_*, no GIT_*, no CLAUDE_*.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    if (name === "PATH" || name === "TMPDIR" || /^(DENO_|NPM_CONFIG_)/.test(name)) {
      env[name] = value;
    }
  }
  // TRACK_SYNC=manual: a write to a sync store starts no background sync (docs/sync.md
  // "Auto-sync"), so a test decides when a clone syncs; auto-sync's own tests pass "auto".
  return {
    ...env,
    DENO_DIR: denoDir(),
    HOME: testHome(),
    NO_COLOR: "1",
    TRACK_SYNC: "manual",
    ...extra,
  };
}

/** {@linkcode testEnv} as the `env` of an in-process `main()` call. */
export function mainEnv(extra: Record<string, string> = {}): Env {
  const vars: Record<string, string> = { NO_COLOR: "1", ...extra };
  return { get: (name) => Object.hasOwn(vars, name) ? vars[name] : undefined };
}

/**
 * `new Deno.Command` for tests: the child gets exactly {@linkcode testEnv} plus `options.env`
 * (`clearEnv`), never the parent's environment. Every process a test starts goes through here
 * (tests/env_isolation_test.ts checks the sources).
 */
export function testCommand(
  command: string | URL,
  options: Deno.CommandOptions = {},
): Deno.Command {
  return new Deno.Command(command, { ...options, clearEnv: true, env: testEnv(options.env) });
}

/** Result of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface RunOptions {
  cwd?: string;
  /** Variables for the child on top of {@linkcode testEnv}; nothing else is inherited. */
  env?: Record<string, string>;
  /**
   * Runs tests/track_test_main.ts with this fake clock instead of main.ts: `now` an ISO time or
   * `+N` / `-N` ms on the wall clock, `uptime` `+N` / `-N` ms on the boot clock or `none`.
   */
  clock?: FakeClock;
  /** Text piped to stdin; when absent stdin is /dev/null. */
  stdin?: string | Uint8Array;
}

/** Runs `track args…` as a real subprocess. */
export async function runTrack(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const cmd = testCommand(Deno.execPath(), {
    args: options.clock === undefined
      ? ["run", "-A", "--quiet", MAIN, ...args]
      : ["run", "-A", "--quiet", TEST_MAIN, JSON.stringify(options.clock), ...args],
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temp directory holding an initialised store; removed on dispose. */
export interface TempStore extends AsyncDisposable {
  /** The project directory (parent of .track). */
  root: string;
  /** The .track directory. */
  dir: string;
  /** Runs track in `root` (or `options.cwd`). */
  track(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Runs track and fails the test unless it exits 0; returns parsed `--json` output. */
  json<T = Record<string, unknown>>(args: string[], options?: RunOptions): Promise<T>;
  /** Reads a file inside .track/ as text. */
  read(rel: string): string;
}

/** Creates a temp project with `track init` already run (unless `init: false`). */
export async function tempStore(options: { init?: boolean } = {}): Promise<TempStore> {
  const root = await Deno.makeTempDir({ prefix: "track-test-" });
  const dir = `${root}/.track`;
  const track = (args: string[], o: RunOptions = {}) => runTrack(args, { cwd: root, ...o });
  if (options.init !== false) {
    const r = await track(["init"]);
    if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  }
  return {
    root,
    dir,
    track,
    async json<T>(args: string[], o: RunOptions = {}): Promise<T> {
      const r = await track([...args, "--json"], o);
      if (r.code !== 0) throw new Error(`track ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    read: (rel: string) => Deno.readTextFileSync(`${dir}/${rel}`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Whether anything exists at `path` (a dangling symlink counts as nothing). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir` with its bytes, for "nothing changed" checks. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile) {
        out.set(p.slice(dir.length + 1), Array.from(Deno.readFileSync(p)).join(","));
      } else out.set(p.slice(dir.length + 1), "(symlink)");
    }
  };
  walk(dir);
  return out;
}

/** Result of one racer: the results of its commands in order. */
export type RacerResults = RunResult[];

/**
 * Starts one real process per entry of `plans` (each a list of track argv arrays), waits until
 * every process has loaded and says ready, releases them all at once, and returns each
 * process's results. `cwds[i]`, when given, is racer i's working directory.
 */
export async function race(
  plans: string[][][],
  options: { cwd: string; env?: Record<string, string>; cwds?: string[] },
): Promise<RacerResults[]> {
  const worker = fromFileUrl(new URL("./race_worker.ts", import.meta.url));
  const children = plans.map((plan, i) =>
    testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", worker, JSON.stringify(plan)],
      cwd: options.cwds?.[i] ?? options.cwd,
      env: options.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
  const buffers = children.map(() => "");
  // Barrier: wait for every "ready" line before releasing anyone.
  await Promise.all(readers.map(async (r, i) => {
    while (!buffers[i].includes("ready\n")) {
      const { value, done } = await r.read();
      if (done) throw new Error(`racer ${i} exited before it was ready`);
      buffers[i] += value;
    }
    buffers[i] = buffers[i].slice(buffers[i].indexOf("ready\n") + 6);
  }));
  const writers = children.map((c) => c.stdin.getWriter());
  await Promise.all(writers.map((w) => w.write(new Uint8Array([1]))));
  const out = await Promise.all(children.map(async (c, i) => {
    for (;;) {
      const { value, done } = await readers[i].read();
      if (done) break;
      buffers[i] += value;
    }
    await writers[i].close().catch(() => {});
    const status = await c.status;
    const stderr = await new Response(c.stderr).text();
    if (!status.success) throw new Error(`racer ${i} failed (${status.code}): ${stderr}`);
    return JSON.parse(buffers[i].trim()) as RunResult[];
  }));
  return out;
}

/**
 * The JSON a Claude Code hook gets on stdin for `event` of session `session` in project `root`
 * (the fields every event carries, then `extra`).
 */
export function claudeHookInput(
  session: string,
  root: string,
  event: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    session_id: session,
    transcript_path: `/home/u/.claude/projects/p/${session}.jsonl`,
    cwd: root,
    permission_mode: "default",
    hook_event_name: event,
    ...extra,
  });
}

const LOCK_HOLDER = fromFileUrl(new URL("./suites/lock_holder.ts", import.meta.url));

/** Runs `fn` while another process holds the store lock of the store at `dir`. */
export async function whileLocked<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const holder = testCommand(Deno.execPath(), {
    args: ["run", "-A", "--quiet", LOCK_HOLDER, `${dir}/lock`],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const { value } = await reader.read();
  const said = new TextDecoder().decode(value);
  if (said !== "held\n") throw new Error(`the lock holder said ${JSON.stringify(said)}`);
  try {
    return await fn();
  } finally {
    const w = holder.stdin.getWriter();
    await w.write(new Uint8Array([1]));
    await w.close();
    reader.releaseLock();
    await holder.stdout.cancel();
    await holder.status;
  }
}
