/**
 * The multi-clone test world of the sync suites (tests/suites/sync_*_test.ts): one bare
 * repository and N clones in one temp directory, real `git`, real `track` processes, every one
 * with a clean environment (tests/helpers.ts `testCommand`) and a world HOME holding only a
 * minimal gitconfig (user.name/email, init.defaultBranch), so nothing of the developer's git
 * configuration reaches a test.
 *
 * The remote is the bare repository as a path, or served by `git daemon` on 127.0.0.1 inside a
 * network namespace made with `unshare -n` ({@linkcode Netns}: its own loopback, nothing
 * outside can connect, a fixed port cannot collide), optionally behind a {@linkcode Proxy} that
 * adds latency and cuts or black-holes connections (tests/sync_proxy.ts, Deno.listen on
 * 127.0.0.1). Processes that talk to the daemon run inside the namespace (`nsenter --net`).
 * Only loopback addresses, ever.
 */
import { fileURLToPath } from "node:url";
import { MAIN, type RunResult, TEST_MAIN, testCommand } from "./helpers.ts";
import type { FakeClock } from "./track_test_main.ts";
import { gitCommonDirOf, syncPaths } from "../src/store/sync_config.ts";
import { fingerprintPath } from "../src/store/clone_home.ts";

const PROXY = fileURLToPath(new URL("./sync_proxy.ts", import.meta.url));
const RACER = fileURLToPath(new URL("./race_worker.ts", import.meta.url));
const dec = new TextDecoder();
const enc = new TextEncoder();

/** Port of `git daemon` inside a world's namespace (its own loopback: nothing can collide). */
export const DAEMON_PORT = 9418;

/** The minimal gitconfig of a world's HOME. */
const GITCONFIG = `[user]
\tname = Track Test
\temail = track-test@example.invalid
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
`;

/** Where a remote is reached: the bare repository's path, `git daemon`, or the proxy before it. */
export type RemoteKind = "path" | "daemon" | "proxy";

/**
 * The remote kind of the suites' worlds: TRACK_SUITE_SYNC_REMOTE (`path`, the default and the
 * CI run, `daemon` or `proxy`), so a suite can be run again over `git daemon`.
 */
export function suiteRemote(): RemoteKind {
  const raw = Deno.env.get("TRACK_SUITE_SYNC_REMOTE") || "path";
  if (raw !== "path" && raw !== "daemon" && raw !== "proxy") {
    throw new Error(`TRACK_SUITE_SYNC_REMOTE=${raw}: expected path, daemon or proxy`);
  }
  return raw;
}

/** Options of one process started in a world. */
export interface WorldRunOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Runs track with this fake clock (tests/track_test_main.ts): `now`, `uptime`, `boot`. */
  clock?: FakeClock;
}

/** Reads a child's stream line by line (for readiness lines and control answers). */
export class Lines {
  #reader: ReadableStreamDefaultReader<string>;
  #buf = "";
  /** Everything read so far that was not returned as a line (for error messages). */
  seen = "";
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  /** The next line, or null at the end of the stream. */
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl !== -1) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buf += value;
      this.seen += value;
    }
  }
  /** Reads lines until one matches `re` (returns it); throws at the end of the stream. */
  async until(re: RegExp, what: string): Promise<string> {
    for (;;) {
      const line = await this.next();
      if (line === null) {
        throw new Error(`${what}: stream ended before /${re.source}/: ${this.seen}`);
      }
      if (re.test(line)) return line;
    }
  }
  /** Reads and drops everything until the end (so the child never blocks on a full pipe). */
  async drain(): Promise<void> {
    while ((await this.next()) !== null) { /* dropped */ }
  }
}

/**
 * Why a network namespace cannot be made here (not root, no `unshare`/`nsenter`/`ip`), or null
 * when it can. Tests that need the daemon skip with this reason; CI runs as root, where it works.
 */
export async function netnsUnavailable(): Promise<string | null> {
  try {
    const out = await testCommand("unshare", {
      args: ["--net", "--", "ip", "link", "set", "lo", "up"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) return `unshare -n failed: ${dec.decode(out.stderr).trim()}`;
    const ns = await testCommand("nsenter", { args: ["--version"], stdout: "null" }).output();
    return ns.success ? null : "nsenter is not usable";
  } catch (e) {
    return `cannot run unshare/nsenter/ip: ${(e as Error).message}`;
  }
}

/**
 * A network namespace with only loopback, up: a `cat` started by `unshare --net` holds it open
 * until dispose closes its stdin. {@linkcode prefix} runs a command inside it.
 */
export class Netns implements AsyncDisposable {
  #holder: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  private constructor(holder: Deno.ChildProcess) {
    this.#holder = holder;
    this.#stdin = holder.stdin.getWriter();
  }
  static async start(): Promise<Netns> {
    const holder = testCommand("unshare", {
      args: [
        "--net",
        "--",
        "sh",
        "-c",
        "ip link set lo up || exit 3; echo up; exec cat >/dev/null",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const ns = new Netns(holder);
    await new Lines(holder.stdout).until(/^up$/, "unshare --net");
    return ns;
  }
  /** Process id of the holder (its /proc/<pid>/ns/net is the namespace). */
  get pid(): number {
    return this.#holder.pid;
  }
  /** Prefix of a command run inside the namespace. */
  get prefix(): string[] {
    return ["nsenter", `--net=/proc/${this.#holder.pid}/ns/net`, "--"];
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await this.#holder.status;
  }
}

/** `git daemon` on 127.0.0.1:{@linkcode DAEMON_PORT} inside `ns`, serving `base`, push on. */
export class GitDaemon implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #drained: Promise<void>;
  private constructor(child: Deno.ChildProcess, drained: Promise<void>) {
    this.#child = child;
    this.#drained = drained;
  }
  static async start(ns: Netns, base: string, home: string): Promise<GitDaemon> {
    const [cmd, ...pre] = ns.prefix;
    const child = testCommand(cmd, {
      args: [
        ...pre,
        "git",
        "daemon",
        "--listen=127.0.0.1",
        `--port=${DAEMON_PORT}`,
        `--base-path=${base}`,
        "--export-all",
        "--enable=receive-pack",
        "--reuseaddr",
        "--informative-errors",
        "--verbose",
      ],
      env: gitVars(home),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = new Lines(child.stderr);
    try {
      await lines.until(/Ready to rumble/, "git daemon");
    } catch (e) {
      child.kill("SIGKILL");
      await child.status;
      throw e;
    }
    return new GitDaemon(child, lines.drain());
  }
  /** The URL of repository `name` (a directory under the base path) as seen inside the netns. */
  static url(name: string, port = DAEMON_PORT): string {
    return `git://127.0.0.1:${port}/${name}`;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.#child.status;
    await this.#drained;
  }
}

/** What the proxy says about itself after every control command. */
export interface ProxyStats {
  mode: "pass" | "cut" | "hold";
  delayMs: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now (held ones included). */
  open: number;
  /** Connections closed by `cut` or refused while cut. */
  cut: number;
  /** Connections accepted while holding (never forwarded). */
  held: number;
  bytesUp: number;
  bytesDown: number;
  /** Chunks forwarded after a delay. */
  delayed: number;
}

/**
 * The delay/partition proxy (tests/sync_proxy.ts), a real process inside `ns` listening on
 * 127.0.0.1 and forwarding to the daemon. Control: {@linkcode delay}, {@linkcode cut} (close
 * every connection, reset new ones), {@linkcode hold} (accept and never answer: a black hole),
 * {@linkcode heal}. Each answers with the proxy's stats once the change is in force.
 */
export class Proxy implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #out: Lines;
  #in: WritableStreamDefaultWriter<Uint8Array>;
  readonly port: number;
  private constructor(child: Deno.ChildProcess, out: Lines, port: number) {
    this.#child = child;
    this.#out = out;
    this.#in = child.stdin.getWriter();
    this.port = port;
  }
  static async start(ns: Netns | null, targetPort = DAEMON_PORT): Promise<Proxy> {
    const argv = [Deno.execPath(), "run", "-A", "--quiet", PROXY, String(targetPort)];
    const [cmd, ...args] = ns === null ? argv : [...ns.prefix, ...argv];
    const child = testCommand(cmd, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = new Lines(child.stdout);
    const ready = await out.until(/^ready \d+$/, "sync proxy");
    return new Proxy(child, out, Number(ready.split(" ")[1]));
  }
  async #command(line: string): Promise<ProxyStats> {
    await this.#in.write(enc.encode(line + "\n"));
    const answer = await this.#out.until(/^ok /, `proxy ${line}`);
    return JSON.parse(answer.slice(3)) as ProxyStats;
  }
  /** Every chunk in either direction waits `ms` before it is forwarded. */
  delay(ms: number): Promise<ProxyStats> {
    return this.#command(`delay ${ms}`);
  }
  /** A partition that fails fast: every open connection closed, new ones closed on accept. */
  cut(): Promise<ProxyStats> {
    return this.#command("cut");
  }
  /** A partition that hangs: new connections are accepted and never answered. */
  hold(): Promise<ProxyStats> {
    return this.#command("hold");
  }
  /** Back to forwarding (held connections are closed). */
  heal(): Promise<ProxyStats> {
    return this.#command("heal");
  }
  stats(): Promise<ProxyStats> {
    return this.#command("stats");
  }
  /** Resolves once at least `n` connections are open (a barrier, e.g. "git is now held"). */
  async waitOpen(n: number): Promise<ProxyStats> {
    await this.#in.write(enc.encode(`wait-open ${n}\n`));
    const answer = await this.#out.until(/^ok /, "proxy wait-open");
    return JSON.parse(answer.slice(3)) as ProxyStats;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#in.close().catch(() => {});
    await this.#out.drain();
    await this.#child.status;
  }
}

/** The environment of a git process the world runs itself (on top of testEnv). */
export function gitVars(home: string): Record<string, string> {
  return { HOME: home, GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };
}

/** Result of one process of the world. */
export interface Outcome extends RunResult {
  /** The process was killed by a signal. */
  signal: Deno.Signal | null;
}

async function collect(child: Deno.ChildProcess, stdin?: string): Promise<Outcome> {
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(enc.encode(stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** One clone of a world: its work tree, its git common dir, and track run inside it. */
export class Clone {
  constructor(readonly world: SyncWorld, readonly name: string, readonly dir: string) {}

  /** The git common dir (`<dir>/.git`). */
  get gitDir(): string {
    return gitCommonDirOf(this.dir) ?? `${this.dir}/.git`;
  }
  /** The store directory: `<git common dir>/track/store` with sync on, else `.track/`. */
  get storeDir(): string {
    const synced = syncPaths(this.gitDir).store;
    try {
      Deno.statSync(synced);
      return synced;
    } catch {
      return `${this.dir}/.track`;
    }
  }
  /** Spawns `track args…` in this clone (inside the world's netns if it has one). */
  spawn(args: string[], options: WorldRunOptions = {}): Deno.ChildProcess {
    const main = options.clock === undefined ? [MAIN] : [TEST_MAIN, JSON.stringify(options.clock)];
    return this.world.spawn([Deno.execPath(), "run", "-A", "--quiet", ...main, ...args], {
      cwd: this.dir,
      ...options,
    });
  }
  /** Runs `track args…` in this clone. */
  track(args: string[], options: WorldRunOptions = {}): Promise<Outcome> {
    return collect(this.spawn(args, options), options.stdin);
  }
  /** Runs track and throws unless it exits 0; returns the parsed `--json` output. */
  async json<T = Record<string, unknown>>(args: string[], options: WorldRunOptions = {}) {
    const r = await this.track([...args, "--json"], options);
    if (r.code !== 0) {
      throw new Error(`${this.name}: track ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    }
    return JSON.parse(r.stdout) as T;
  }
  /** Runs track and throws unless it exits 0. */
  async ok(args: string[], options: WorldRunOptions = {}): Promise<Outcome> {
    const r = await this.track(args, options);
    if (r.code !== 0) {
      throw new Error(`${this.name}: track ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    }
    return r;
  }
  /** `track sync` in this clone (not checked). */
  sync(extra: string[] = [], options: WorldRunOptions = {}): Promise<Outcome> {
    return this.track(["sync", ...extra], options);
  }
  /**
   * Sets `interval_ms` in this clone's sync.json (docs/sync.md: the least time between two
   * pushes that carry no decision). The suites use 0: pacing is not what they test, and a sync
   * that waits out the interval would only make them slow.
   */
  setInterval(ms: number | null): void {
    const file = syncPaths(this.gitDir).config;
    const config = JSON.parse(Deno.readTextFileSync(file));
    Deno.writeTextFileSync(file, JSON.stringify({ ...config, interval_ms: ms }, null, 2) + "\n");
  }
  /** `git args…` in this clone. */
  git(args: string[]): Promise<Outcome> {
    return this.world.git(args, this.dir);
  }
  /** The oid of `ref` in this clone, or null. */
  async ref(ref: string): Promise<string | null> {
    const r = await this.git(["rev-parse", "--verify", "-q", ref]);
    return r.code === 0 ? r.stdout.trim() : null;
  }
}

/** Options of {@linkcode SyncWorld.create}. */
export interface WorldOptions {
  /** How clones reach the remote (default path). */
  remote?: RemoteKind;
  /** Extra variables of every track process (e.g. TRACK_SYNC_TIMEOUT). */
  env?: Record<string, string>;
}

/**
 * One bare repository (`<root>/remote.git`, with a first commit on main) and the clones made with
 * {@linkcode clone}. Dispose stops the daemon, the proxy and the namespace, and removes the dir.
 */
export class SyncWorld implements AsyncDisposable {
  readonly clones: Clone[] = [];
  ns: Netns | null = null;
  daemon: GitDaemon | null = null;
  proxy: Proxy | null = null;

  private constructor(
    readonly root: string,
    readonly home: string,
    readonly remote: RemoteKind,
    readonly env: Record<string, string>,
  ) {}

  /** The bare repository. */
  get bare(): string {
    return `${this.root}/remote.git`;
  }

  /** The URL clones use for the remote. */
  get url(): string {
    if (this.remote === "path") return this.bare;
    if (this.remote === "daemon") return GitDaemon.url("remote.git");
    return GitDaemon.url("remote.git", this.proxy!.port);
  }

  /** Prefix of every process that must reach the remote (nsenter into the netns), or []. */
  get prefix(): string[] {
    return this.ns?.prefix ?? [];
  }

  static async create(options: WorldOptions = {}): Promise<SyncWorld> {
    const root = await Deno.makeTempDir({ prefix: "track-sync-world-" });
    const home = `${root}/home`;
    await Deno.mkdir(home);
    await Deno.writeTextFile(`${home}/.gitconfig`, GITCONFIG);
    const world = new SyncWorld(root, home, options.remote ?? "path", {
      HOME: home,
      ...options.env,
    });
    try {
      await world.mustGit(["init", "-q", "--bare", world.bare]);
      // A first commit on main, made in a scratch clone that is removed again.
      const seed = `${root}/seed`;
      await world.mustGit(["clone", "-q", world.bare, seed]);
      await Deno.writeTextFile(`${seed}/README.md`, "# world\n");
      await world.mustGit(["add", "README.md"], seed);
      await world.mustGit(["commit", "-q", "-m", "first"], seed);
      await world.mustGit(["push", "-q", "origin", "main"], seed);
      await Deno.remove(seed, { recursive: true });
      if (world.remote !== "path") {
        world.ns = await Netns.start();
        world.daemon = await GitDaemon.start(world.ns, root, home);
        if (world.remote === "proxy") world.proxy = await Proxy.start(world.ns);
      }
    } catch (e) {
      await world[Symbol.asyncDispose]();
      throw e;
    }
    return world;
  }

  /** Spawns `argv` with the world's environment, inside the netns if the world has one. */
  spawn(argv: string[], options: WorldRunOptions = {}): Deno.ChildProcess {
    const [cmd, ...args] = [...this.prefix, ...argv];
    return testCommand(cmd, {
      args,
      cwd: options.cwd ?? this.root,
      env: { ...this.env, ...options.env },
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  /** Runs `git args…` (in `cwd`, default the world root), inside the netns if any. */
  git(args: string[], cwd?: string): Promise<Outcome> {
    const [cmd, ...pre] = [...this.prefix, "git"];
    return collect(
      testCommand(cmd, {
        args: [...pre, ...args],
        cwd: cwd ?? this.root,
        env: gitVars(this.home),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
  }

  /** `git args…`, throwing unless it exits 0; returns stdout. */
  async mustGit(args: string[], cwd?: string): Promise<string> {
    const r = await this.git(args, cwd);
    if (r.code !== 0) throw new Error(`git ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** `git args…` in the bare repository. */
  bareGit(args: string[]): Promise<Outcome> {
    return this.git(["--git-dir", this.bare, ...args]);
  }

  /** The oid of `ref` in the bare repository, or null. */
  async remoteRef(ref = "refs/track/state"): Promise<string | null> {
    const r = await this.bareGit(["rev-parse", "--verify", "-q", ref]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /**
   * A new clone `<root>/<name>` of the remote, with `track init` run in it (sync still off).
   * The remote is its `origin`.
   */
  async clone(name: string, options: { init?: boolean } = {}): Promise<Clone> {
    const dir = `${this.root}/${name}`;
    await this.mustGit(["clone", "-q", this.url, dir]);
    const clone = new Clone(this, name, dir);
    this.clones.push(clone);
    if (options.init !== false) await clone.ok(["init"]);
    return clone;
  }

  /**
   * Clones `names`, each with `track init` then `track remote add origin` (sync on), unpaced
   * (`interval_ms` 0, see {@linkcode Clone.setInterval}) unless `paced`.
   */
  async syncedClones(names: string[], options: { paced?: boolean } = {}): Promise<Clone[]> {
    const out: Clone[] = [];
    for (const name of names) {
      const c = await this.clone(name);
      await c.ok(["remote", "add", "origin"]);
      if (!options.paced) c.setInterval(0);
      out.push(c);
    }
    return out;
  }

  /**
   * A copy of this world (path remote only) in a new temp dir, with every clone's remote URL
   * and sync settings pointed at the copy's bare repository: one costly setup, many orders.
   */
  async copy(): Promise<SyncWorld> {
    if (this.remote !== "path") throw new Error("only a path world can be copied");
    const root = await Deno.makeTempDir({ prefix: "track-sync-world-" });
    await Deno.remove(root);
    const cp = await testCommand("cp", { args: ["-a", this.root, root], stderr: "piped" })
      .output();
    if (!cp.success) throw new Error(`cp -a failed: ${dec.decode(cp.stderr)}`);
    const home = `${root}/home`;
    const world = new SyncWorld(root, home, "path", { ...this.env, HOME: home });
    for (const c of this.clones) {
      const clone = new Clone(world, c.name, `${root}/${c.name}`);
      world.clones.push(clone);
      // The copy is this world moved, not a clone copied (docs/sync.md "Identities"): each
      // clone keeps its id, and records where it lives now on its first write.
      try {
        Deno.removeSync(fingerprintPath(syncPaths(clone.gitDir)));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      for (const file of [`${clone.gitDir}/config`, syncPaths(clone.gitDir).config]) {
        try {
          const text = Deno.readTextFileSync(file);
          Deno.writeTextFileSync(file, text.replaceAll(this.root, root));
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
    }
    return world;
  }

  /**
   * Installs a server-side hook `name` in the bare repository (run by receive-pack, for path
   * remotes and the daemon alike: the client's hooksPath does not reach the remote side).
   */
  async hook(name: string, script: string): Promise<void> {
    const path = `${this.bare}/hooks/${name}`;
    await Deno.writeTextFile(path, `#!/bin/sh\n${script}\n`);
    await Deno.chmod(path, 0o755);
  }

  /**
   * Counts the pushes that reach the remote (a pre-receive hook appending one line per push):
   * returns a function reading the count so far.
   */
  async countPushes(): Promise<() => number> {
    const log = `${this.root}/pushes.log`;
    await Deno.writeTextFile(log, "");
    await this.hook("pre-receive", `cat >> '${log}'; echo push >> '${log}.n'`);
    return () => {
      try {
        return Deno.readTextFileSync(`${log}.n`).split("\n").filter((l) => l === "push").length;
      } catch {
        return 0;
      }
    };
  }

  /** {@linkcode gitBarrier} at the next `git push`. */
  pushBarrier(options: { after?: boolean } = {}): Promise<GitBarrier> {
    return this.gitBarrier(["push"], options);
  }

  /**
   * A barrier at a clone's next git command whose arguments include every one of `words`
   * (`["push"]`, `["update-ref", "refs/track/local"]`): a `git` wrapper, first on the PATH of
   * the processes given {@linkcode GitBarrier.env}, that once stops before running the real
   * git (or, with `after`, once it returned) until the test releases it.
   * {@linkcode GitBarrier.reached} resolves when that command waits there.
   */
  async gitBarrier(words: string[], options: { after?: boolean } = {}): Promise<GitBarrier> {
    const dir = await Deno.makeTempDir({ dir: this.root, prefix: "git-barrier-" });
    const real = (await this.mustGit(["--exec-path"])).trim() + "/git";
    const [at, go, once] = [`${dir}/at.fifo`, `${dir}/go.fifo`, `${dir}/once`];
    await mkfifo(at);
    await mkfifo(go);
    await Deno.writeTextFile(once, "");
    const wait = `if [ -n "$hit" ] && rm '${once}' 2>/dev/null; then
  echo reached > '${at}'
  read x < '${go}'
fi`;
    await Deno.writeTextFile(
      `${dir}/git`,
      `#!/bin/sh
hit=1
for word in ${words.map((w) => `'${w}'`).join(" ")}; do
  found=
  for arg in "$@"; do [ "$arg" = "$word" ] && found=1 && break; done
  [ -n "$found" ] || hit=
done
${options.after ? "" : wait}
'${real}' "$@"
rc=$?
${options.after ? wait : ""}
exit $rc
`,
    );
    await Deno.chmod(`${dir}/git`, 0o755);
    let reached: Promise<void> | null = null;
    return {
      env: { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
      reached: () => {
        reached ??= (async () => {
          const f = await Deno.open(at, { read: true });
          await new Response(f.readable).arrayBuffer();
        })();
        return reached;
      },
      release: async () => {
        const f = await Deno.open(go, { write: true });
        await f.write(enc.encode("go\n"));
        f.close();
      },
      cancel: async () => {
        // Nobody came: be the writer the waiting reader needs.
        if (reached === null) return;
        const f = await Deno.open(at, { write: true });
        f.close();
        await reached;
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.proxy?.[Symbol.asyncDispose]();
    await this.daemon?.[Symbol.asyncDispose]();
    await this.ns?.[Symbol.asyncDispose]();
    // A git child of a killed track may still be writing here: try again a few times.
    for (let i = 0; i < 5; i++) {
      try {
        await Deno.remove(this.root, { recursive: true });
        return;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return;
        await new Promise((r) => setTimeout(r, 200)); // cleanup only, not ordering
      }
    }
  }
}

/** See {@linkcode SyncWorld.pushBarrier}. */
export interface GitBarrier {
  /** Variables for the process whose push is to stop (its PATH starts with the wrapper). */
  env: Record<string, string>;
  /** Resolves once a push waits at the barrier. */
  reached(): Promise<void>;
  /** Lets the waiting push go on. */
  release(): Promise<void>;
  /** Ends a {@linkcode reached} wait that no push will end (the process exited first). */
  cancel(): Promise<void>;
}

/** `mkfifo path` (a barrier between a server-side hook and the test). */
export async function mkfifo(path: string): Promise<void> {
  const out = await testCommand("mkfifo", { args: [path], stderr: "piped" }).output();
  if (!out.success) throw new Error(`mkfifo ${path}: ${dec.decode(out.stderr)}`);
}

/**
 * tests/helpers.ts `race()` across clones: one real process per plan, each in its clone (inside
 * the world's netns if any), all loaded and ready before one byte on every stdin releases them
 * together. Returns each racer's results in order.
 */
export async function raceClones(
  plans: Array<{ clone: Clone; runs: string[][] }>,
): Promise<RunResult[][]> {
  const children = plans.map(({ clone, runs }) =>
    clone.world.spawn([Deno.execPath(), "run", "-A", "--quiet", RACER, JSON.stringify(runs)], {
      cwd: clone.dir,
      stdin: "",
    })
  );
  const outs = children.map((c) => new Lines(c.stdout));
  await Promise.all(outs.map((o, i) => o.until(/^ready$/, `racer ${i}`)));
  const writers = children.map((c) => c.stdin.getWriter());
  await Promise.all(writers.map((w) => w.write(new Uint8Array([1]))));
  return await Promise.all(children.map(async (c, i) => {
    const line = await outs[i].next();
    await outs[i].drain();
    await writers[i].close().catch(() => {});
    const status = await c.status;
    const stderr = await new Response(c.stderr).text();
    if (!status.success || line === null) {
      throw new Error(`racer ${i} failed (${status.code}): ${stderr}`);
    }
    return JSON.parse(line) as RunResult[];
  }));
}
