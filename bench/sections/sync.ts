/**
 * `track sync` (issue 20): a clone of a bare repository, the remote given as a path and served by
 * `git daemon` on 127.0.0.1. Rows: a sync with nothing to do; a sync publishing one changed
 * ticket; one that merges (a ticket changed here, another on a second clone); at 1,000 and
 * 10,000 tickets (the 10,000 store also holds 10,000 board posts); the bytes one push sends;
 * and with no remote configured. Pushes are not paced here (`interval_ms: 0`): the rows time
 * the step, not the wait. Each figure's runs alternate with runs of the startup floor.
 * BENCH_SYNC_SIZES overrides the sizes (comma-separated; not TRACK_*: tests/helpers.ts, which
 * the runner loads, clears those).
 */
import { runGit } from "../../src/store/git.ts";
import { V8_FLAGS_ARG } from "../../src/store/self_argv.ts";
import { fileURLToPath } from "node:url";
import {
  floorScript,
  freshStore,
  repeatAgainstFloor,
  REPS,
  type Row,
  summarize,
  timeCommand,
  timeTrack,
  writeTickets,
} from "../lib.ts";

/** main before the sync work (the commit before "Sync groundwork"), for the sync-off A/B. */
const BEFORE_SYNC = "3e11e40";

const SIZES = (Deno.env.get("BENCH_SYNC_SIZES") ?? "1000,10000").split(",").map(Number);

async function git(args: string[], cwd: string): Promise<string> {
  const r = await runGit(args, { cwd });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return new TextDecoder().decode(r.stdout).trim();
}

/** `n` board posts spread over ten days, written straight to disk (a fixture, like tickets). */
function writePosts(root: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const day = `2026-11-${String(10 + (i % 10))}`;
    const dir = `${root}/.track/board/${day}`;
    Deno.mkdirSync(dir, { recursive: true });
    const name = `${String(Math.floor(i / 10) % 24).padStart(2, "0")}0000${
      String(i % 1000).padStart(3, "0")
    }-${String(i % 10000).padStart(4, "0")}-k${i.toString(36)}.md`;
    Deno.writeTextFileSync(
      `${dir}/${name}`,
      `---\nat: 2026-11-10T00:00:00Z\nagent: bench\nticket: null\ntag: note\nkind: post\n---\n\nMessage ${i}\n`,
    );
  }
}

/** Unpaced pushes: the rows time the sync step itself. */
function unpaced(root: string): void {
  const path = `${root}/.git/track/sync.json`;
  const config = JSON.parse(Deno.readTextFileSync(path));
  Deno.writeTextFileSync(path, JSON.stringify({ ...config, interval_ms: 0 }, null, 2) + "\n");
}

/** A free loopback port. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** `git daemon` serving `base` on 127.0.0.1 with push on; stopped on dispose. */
async function daemon(base: string): Promise<{ url: string } & AsyncDisposable> {
  const port = freePort();
  const child = new Deno.Command("git", {
    args: [
      "daemon",
      "--verbose",
      "--reuseaddr",
      "--export-all",
      "--enable=receive-pack",
      `--base-path=${base}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      base,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/Ready to rumble/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`git daemon did not start: ${seen}`);
    seen += value;
  }
  // Keep draining its log so it never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return {
    url: `git://127.0.0.1:${port}/remote.git`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A project with `tickets` tickets (and `posts` posts) syncing through a fresh bare repo. */
async function project(
  tickets: number,
  posts: number,
): Promise<{ root: string; remote: string; a: string }> {
  const root = await Deno.makeTempDir({ prefix: "track-bench-sync-" });
  const remote = `${root}/remote.git`;
  await git(["init", "-q", "--bare", remote], root);
  const a = `${root}/a`;
  await git(["init", "-q", a], root);
  await timeTrack(["init"], { cwd: a });
  writeTickets(a, tickets);
  writePosts(a, posts);
  await timeTrack(["remote", "add", remote], { cwd: a });
  unpaced(a);
  // Files settled (the stat cache trusts only files unchanged for 2 s), then one sync records
  // them: what a clone in use looks like.
  await new Promise((r) => setTimeout(r, 2100));
  await timeTrack(["sync"], { cwd: a });
  return { root, remote, a };
}

/**
 * With sync off, the same speed as before sync existed: `log` (a write) and `list` at 1,000
 * tickets in a git repository, this track and main at {@linkcode BEFORE_SYNC} (from git
 * archive) run alternately.
 */
async function syncOff(cleanup: string[]): Promise<Row[]> {
  const repo = fileURLToPath(new URL("../..", import.meta.url));
  const old = await Deno.makeTempDir({ prefix: "track-bench-sync-old-" });
  cleanup.push(old);
  const tar = await runGit(["archive", BEFORE_SYNC], { cwd: repo, timeoutMs: 60_000 });
  if (tar.code !== 0) return [{ name: "sync off A/B: skipped", note: tar.stderr.slice(0, 120) }];
  const untar = new Deno.Command("tar", { args: ["-x", "-C", old], stdin: "piped" }).spawn();
  const w = untar.stdin.getWriter();
  await w.write(tar.stdout);
  await w.close();
  await untar.status;
  const root = await freshStore();
  cleanup.push(root);
  await git(["init", "-q", root], root);
  writeTickets(root, 1000);
  await new Promise((r) => setTimeout(r, 2100));
  await timeTrack(["update", "T-0001", "--priority", "low"], { cwd: root });
  const out: Row[] = [];
  for (
    const [what, args] of [["log", ["log", "T-0500", "--agent", "bench", "-m", "x"]], [
      "list",
      ["list"],
    ]] as const
  ) {
    const now: number[] = [];
    const before: number[] = [];
    for (let i = -1; i < REPS; i++) {
      const a = await timeTrack([...args], { cwd: root });
      // The same runtime flags on both sides: the rows compare code.
      const b = await timeCommand(Deno.execPath(), [
        "run",
        "-A",
        "--quiet",
        V8_FLAGS_ARG,
        `${old}/main.ts`,
        ...args,
      ], {
        cwd: root,
      });
      if (i >= 0) {
        now.push(a);
        before.push(b);
      }
    }
    const n = summarize(now);
    const b = summarize(before);
    out.push({
      name: `sync off, ${what}, 1,000 tickets, this track`,
      ...n,
      note: `runs alternate with main before sync (${BEFORE_SYNC}): ${
        (n.median_ms! / b.median_ms!).toFixed(2)
      }x its median`,
    });
    out.push({ name: `sync off, ${what}, 1,000 tickets, before sync (${BEFORE_SYNC})`, ...b });
  }
  return out;
}

export default async function sync(): Promise<Row[]> {
  const floorDir = await Deno.makeTempDir({ prefix: "track-bench-sync-floor-" });
  const floor = floorScript(floorDir);
  const rows: Row[] = [];
  const row = async (name: string, run: (i: number) => Promise<number>, note: string) => {
    // deno-lint-ignore no-console
    console.error(`  ${name}`);
    const { floor_samples: _f, ...s } = await repeatAgainstFloor(REPS, floor, run);
    rows.push({ name, ...s, note });
  };
  const cleanup: string[] = [floorDir];
  try {
    {
      const root = await freshStore();
      cleanup.push(root);
      await row(
        "track sync with no remote configured",
        () => timeTrack(["sync"], { cwd: root }),
        "reads one small file, runs no git; other commands load no sync module",
      );
    }
    rows.push(...await syncOff(cleanup));
    for (const size of SIZES) {
      const label = `${size.toLocaleString("en-US")} tickets` +
        (size >= 10000 ? ` + ${size.toLocaleString("en-US")} posts` : "");
      const p = await project(size, size >= 10000 ? size : 0);
      cleanup.push(p.root);
      const ticket = (i: number) => `T-${String(1 + ((i + 50) * 37) % size).padStart(4, "0")}`;
      await row(
        `nothing to do, ${label}, path remote`,
        () => timeTrack(["sync"], { cwd: p.a }),
        "fetch, stat every synced file (none hashed), nothing to merge or push",
      );
      await row(
        `one changed ticket, ${label}, path remote`,
        async (i) => {
          await timeTrack(["log", ticket(i), "--agent", "bench", "-m", `run ${i}`], { cwd: p.a });
          return await timeTrack(["sync"], { cwd: p.a });
        },
        "a Work Log line written before each (untimed): snapshot, commit, CAS push",
      );
      // Bytes one such push sends: the thin pack of the last state commit over its parent.
      const pack = await runGit(["pack-objects", "--revs", "--thin", "--stdout", "-q"], {
        cwd: p.a,
        stdin: "refs/track/local\n^refs/track/local~1\n",
      });
      rows.push({
        name: `bytes per push of one changed ticket, ${label}`,
        value: pack.stdout.length,
        unit: "bytes",
        note: "thin pack of the state commit over its parent (sharded trees: 4 small ones)",
      });
      // A second clone: both sides changed, so the merge reads every file of both trees.
      const b = `${p.root}/b`;
      await git(["init", "-q", b], p.root);
      await timeTrack(["init"], { cwd: b });
      await timeTrack(["remote", "add", p.remote], { cwd: b });
      unpaced(b);
      await row(
        `one ticket changed here and one on another clone (merge), ${label}`,
        async (i) => {
          await timeTrack(["log", ticket(i + 500), "--agent", "bench-b", "-m", `b ${i}`], {
            cwd: b,
          });
          await timeTrack(["sync"], { cwd: b });
          await timeTrack(["log", ticket(i), "--agent", "bench", "-m", `a ${i}`], { cwd: p.a });
          return await timeTrack(["sync"], { cwd: p.a });
        },
        "mergeStores over both trees, then the remote's ticket applied here",
      );
      {
        // The same two rows over git:// at every size (issue 20: path remote and git daemon).
        await using d = await daemon(p.root);
        const c = `${p.root}/c`;
        await git(["init", "-q", c], p.root);
        await timeTrack(["init"], { cwd: c });
        await timeTrack(["remote", "add", d.url], { cwd: c });
        unpaced(c);
        await new Promise((r) => setTimeout(r, 2100));
        await timeTrack(["sync"], { cwd: c });
        await row(
          `nothing to do, ${label}, git daemon on 127.0.0.1`,
          () => timeTrack(["sync"], { cwd: c }),
          "git:// fetch over loopback TCP",
        );
        await row(
          `one changed ticket, ${label}, git daemon on 127.0.0.1`,
          async (i) => {
            await timeTrack(["log", ticket(i + 200), "--agent", "bench-c", "-m", `c ${i}`], {
              cwd: c,
            });
            return await timeTrack(["sync"], { cwd: c });
          },
          "git:// fetch and push over loopback TCP",
        );
      }
    }
  } finally {
    for (const d of cleanup) await Deno.remove(d, { recursive: true }).catch(() => {});
  }
  return rows;
}
