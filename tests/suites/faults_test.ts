/**
 * Suite 5, I/O faults: strace fails one system call of a real `track` run at a time (every
 * fsync, fdatasync, write, openat, rename, link, unlink and mkdir that touches .track/, with EIO, ENOSPC
 * or EACCES), in every writing command that touches several files. Each time:
 * - exit 0 only when the failed call hit a documented best-effort file (the holder note in
 *   `.track/lock`, the derived caches in `.track/cache/`), or was a read made only for a message
 *   (before the lock) or for the cache (after the commit); and then the change is complete;
 * - exit 7 everywhere else, with a message naming a file in .track/ and no stack trace;
 * - in a clean run, every data file is synced before it is renamed into place;
 * - no temp file left behind (unless the failed call was the removal of that very temp file:
 *   then it is debris that `doctor --fix` removes), and no fsync after a failed fsync (never
 *   retried), on both paths;
 * - all or nothing per command: after the next writer (`doctor --fix`) rolls forward any
 *   journal the failed command left, the whole store (every file, new ones included) equals
 *   either the state before or the complete state after a clean run of the same command.
 * Timestamps, heartbeat clocks and the names (ids) of new board entries differ from run to run
 * and are compared in a normal form; everything else byte for byte.
 * Only the main thread is traced (no -f): that is where track's file I/O runs, and its call
 * sequence is deterministic, so "the Nth openat" is the same call in every run. Needs strace
 * (Debian; the set-up installs it when absent and running as root).
 * Sizes: TRACK_SUITE_FAULT_ERRNOS (errnos tried per call in the multi-file commands; CI 1);
 * TRACK_SUITE_FAULT_COMMANDS="claim,next" runs only those commands (by name, for debugging).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { MAIN, snapshot, type TempStore, tempStore } from "../helpers.ts";
import { report, size } from "./pool.ts";

function haveStrace(): boolean {
  try {
    return new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

function ensureStrace(): boolean {
  if (haveStrace()) return true;
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    new Deno.Command("apt-get", {
      args: ["install", "-y", "-qq", "strace"],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } catch {
    return false;
  }
  return haveStrace();
}

const SYSCALLS: Record<string, string[]> = {
  fsync: ["EIO", "ENOSPC"],
  fdatasync: ["EIO", "ENOSPC"],
  write: ["ENOSPC", "EIO"],
  openat: ["EACCES", "ENOSPC", "EIO"],
  rename: ["EIO", "EACCES", "ENOSPC"],
  linkat: ["EIO", "ENOSPC"],
  unlink: ["EIO", "EACCES"],
  mkdir: ["ENOSPC", "EACCES"],
};

const FIXTURE = fileURLToPath(new URL("../fixtures/agent-track-0.1", import.meta.url));

interface Traced {
  code: number;
  stderr: string;
  log: string[];
}

async function traced(cwd: string, args: string[], strace: string[]): Promise<Traced> {
  const logFile = await Deno.makeTempFile({ prefix: "track-strace-" });
  try {
    const out = await new Deno.Command("strace", {
      args: [
        "-y",
        "-o",
        logFile,
        ...strace,
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        MAIN,
        ...args,
      ],
      cwd,
      env: { NO_COLOR: "1", TRACK_AGENT: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stderr: new TextDecoder().decode(out.stderr),
      log: Deno.readTextFileSync(logFile).split("\n"),
    };
  } finally {
    Deno.removeSync(logFile);
  }
}

/** 1-based positions, among calls of `name`, of those that touch .track/. */
function storeCalls(log: string[], name: string): number[] {
  const out: number[] = [];
  let n = 0;
  for (const line of log) {
    if (!line.startsWith(`${name}(`)) continue;
    n++;
    if (line.includes("/.track")) out.push(n);
  }
  return out;
}

/** The documented best-effort files: the lock's holder note and the derived caches. */
function bestEffort(hit: string): boolean {
  return /\/\.track\/lock>?[,)]/.test(hit) || /\/\.track\/cache[/">]/.test(hit);
}

/** Files that are not the store's data: the lock, the caches, temp files (checked apart). */
function isData(rel: string): boolean {
  return rel !== "lock" && !rel.startsWith("cache/") && !rel.endsWith(".tmp");
}

function tempFiles(dir: string): string[] {
  return [...snapshot(dir).keys()].filter((k) => k.endsWith(".tmp"));
}

/** Raw bytes of every data file. */
function dataOf(dir: string): Map<string, string> {
  return new Map([...snapshot(dir)].filter(([k]) => isData(k)));
}

const ENTRY = /^board\/\d{4}-\d{2}-\d{2}\/\d{9}-\d{4}-[a-z0-9]+\.md$/;
const decoder = new TextDecoder();

/**
 * A store state in a form that two runs of one command share: timestamps, heartbeat clocks
 * and the names of board entries not in `base` are replaced; the rest is kept byte for byte.
 */
function normal(data: Map<string, string>, base: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of data) {
    const text = decoder.decode(new Uint8Array(v.split(",").filter((x) => x !== "").map(Number)));
    const path = ENTRY.test(k) && !base.has(k) ? k.replace(/\/[^/]+$/, "/<new entry>") : k;
    const body = text
      // Ids of new board entries, as inboxes and replies name them.
      .replace(
        /\d{4}-\d{2}-\d{2}\/\d{9}-\d{4}-[a-z0-9]+/g,
        (id) => base.has(`board/${id}.md`) ? id : "<new entry>",
      )
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<time>")
      .replace(/"heartbeat_clock": \{[^}]*\}/g, '"heartbeat_clock": <clock>')
      .replace(/"(uptime_ms|pid)": \d+/g, '"$1": <n>');
    out.push(`${path}\n${body}`);
  }
  return out.sort();
}

/** Puts the data files of `dir` back to `want` (removing any file `want` does not hold). */
function restore(dir: string, want: Map<string, string>): void {
  for (const k of snapshot(dir).keys()) {
    if (k !== "lock" && !want.has(k)) Deno.removeSync(`${dir}/${k}`);
  }
  for (const [k, v] of want) {
    const bytes = new Uint8Array(v.split(",").filter((x) => x !== "").map(Number));
    Deno.mkdirSync(`${dir}/${k}`.replace(/\/[^/]+$/, ""), { recursive: true });
    Deno.writeFileSync(`${dir}/${k}`, bytes);
  }
}

function removeBackups(root: string): void {
  for (const e of Deno.readDirSync(root)) {
    if (e.name.startsWith(".track-backup-")) {
      Deno.removeSync(`${root}/${e.name}`, { recursive: true });
    }
  }
}

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** A writing command and how to set up the store it runs on. */
interface Case {
  name: string;
  args: string[];
  init?: boolean;
  /**
   * doctor reports after its repair: a read failing then is reported as a finding (exit 6),
   * with the repair complete.
   */
  reportsAfterCommit?: boolean;
  setup(s: TempStore): Promise<void>;
}

const CREATE = ["create", "--title", "target"];
const CLAIM = ["claim", "T-0001", "--agent", "B"];

async function run(s: TempStore, ...commands: string[][]): Promise<void> {
  for (const c of commands) {
    const r = await s.track(c);
    if (r.code !== 0) throw new Error(`${c.join(" ")}: ${r.stderr}`);
  }
}

const CASES: Case[] = [
  {
    name: "update (one file)",
    args: ["update", "T-0001", "--title", "changed"],
    setup: (s) => run(s, CREATE),
  },
  { name: "claim", args: CLAIM, setup: (s) => run(s, CREATE) },
  { name: "next", args: ["next", "--agent", "B"], setup: (s) => run(s, CREATE) },
  {
    name: "log",
    args: ["log", "T-0001", "--agent", "B", "-m", "did it"],
    setup: (s) => run(s, CREATE, CLAIM),
  },
  { name: "board", args: ["board", "--agent", "B", "-m", "hello"], setup: (s) => run(s, CREATE) },
  {
    name: "files",
    args: ["files", "--add", "src/a.ts", "--agent", "B", "--ticket", "T-0001"],
    setup: (s) => run(s, CREATE, CLAIM),
  },
  {
    name: "stale --reclaim",
    args: ["stale", "--reclaim", "--threshold", "1s", "--agent", "C"],
    async setup(s) {
      await run(s, CREATE, CLAIM);
      // B's last heartbeat long ago: at boot time, years back on the wall clock.
      const p = `${s.dir}/agents/B.json`;
      const a = JSON.parse(Deno.readTextFileSync(p));
      a.last_heartbeat = "2020-01-01T00:00:00Z";
      a.heartbeat_clock.uptime_ms = 0;
      Deno.writeTextFileSync(p, JSON.stringify(a, null, 2) + "\n");
    },
  },
  {
    name: "deregister",
    args: ["deregister", "--agent", "B", "--release-tickets"],
    setup: (s) =>
      run(s, CREATE, CLAIM, ["files", "--add", "a.ts", "--agent", "B", "--ticket", "T-0001"]),
  },
  {
    name: "import",
    args: ["import", "archive.json"],
    async setup(s) {
      await using src = await tempStore();
      await run(src, CREATE, CLAIM, ["board", "--agent", "B", "-m", "hi"]);
      await run(src, ["export", "--output", `${s.root}/archive.json`]);
    },
  },
  {
    name: "migrate",
    args: ["migrate"],
    init: false,
    setup(s) {
      copyDir(FIXTURE, s.dir);
      return Promise.resolve();
    },
  },
  {
    name: "doctor --fix",
    args: ["doctor", "--fix"],
    reportsAfterCommit: true,
    async setup(s) {
      await run(s, CREATE, CLAIM, ["files", "--add", "a.ts", "--agent", "B", "--ticket", "T-0001"]);
      // A reservation by an agent that does not exist, and a dead server's runtime file.
      const p = `${s.dir}/reservations.json`;
      const r = JSON.parse(Deno.readTextFileSync(p));
      r.reservations.push({ ...r.reservations[0], path: "b.ts", agent: "ghost" });
      Deno.writeTextFileSync(p, JSON.stringify(r, null, 2) + "\n");
      Deno.writeTextFileSync(
        `${s.dir}/server.json`,
        JSON.stringify({
          schema: 1,
          pid: 999999,
          port: 1,
          url: "http://127.0.0.1:1/",
          instance: "x",
          stop_secret: "x",
          started_at: "2020-01-01T00:00:00Z",
          proc_start: null,
        }) + "\n",
      );
    },
  },
];

interface Tally {
  injected: number;
  exit7: number;
  lockCourtesy: number;
  cacheOk: number;
  journalLeft: number;
  rolledForward: number;
  endedBefore: number;
  endedAfter: number;
  fsyncRetries: number;
  tempCleanupFailed: number;
  reportedAfterCommit: number;
  missed: number;
  readBeforeLock: number;
  renamesSynced: number;
}

/** Runs every injection into one command; returns its counts. */
async function injectAll(c: Case, errnoCount: number, t: Tally): Promise<void> {
  await using s = await tempStore({ init: c.init });
  await c.setup(s);
  const cwd = s.root;
  const before = dataOf(s.dir);
  const beforeNormal = normal(before, before);
  // A warm-up run first, so Deno's module cache is written before any call is counted.
  const warm = await s.track(c.args);
  assertEquals(warm.code, 0, `${c.name}: warm-up run: ${warm.stderr}`);
  restore(s.dir, before);
  removeBackups(cwd);
  // One clean run tracing every call: where each call sits, and the complete after-state.
  const clean = await traced(cwd, c.args, ["-e", `trace=${Object.keys(SYSCALLS).join(",")}`]);
  assertEquals(clean.code, 0, `${c.name}: clean run: ${clean.stderr}`);
  const afterNormal = normal(dataOf(s.dir), before);
  assert(afterNormal.join() !== beforeNormal.join(), `${c.name}: the command changes the store`);
  restore(s.dir, before);
  removeBackups(cwd);
  // The commit ends with the last fsync; later calls refresh derived caches, best effort.
  const isSync = (l: string) => l.startsWith("fsync(") || l.startsWith("fdatasync(");
  // Durability: every data file renamed into place was synced first (the cache need not be).
  for (const [k, line] of clean.log.entries()) {
    const m = /^rename\("([^"]+)", "([^"]+)"\)/.exec(line);
    if (m === null || !m[2].includes("/.track/") || m[2].includes("/.track/cache/")) continue;
    const synced = clean.log.slice(0, k).some((l) => isSync(l) && l.includes(`<${m[1]}>`));
    assert(synced, `${c.name}: ${m[2]} renamed into place without a sync of ${m[1]}`);
    t.renamesSynced++;
  }
  const commitEnd = clean.log.findLastIndex(isSync);
  assert(commitEnd !== -1, `${c.name}: the clean run fsynced nothing`);
  // Reads before the lock only shape messages (warnings); every decision is made under it.
  const lockLine = clean.log.findIndex((l) =>
    l.startsWith("openat(") && /\/\.track\/lock"/.test(l)
  );
  assert(lockLine !== -1, `${c.name}: the clean run never opened the lock`);
  const lineOf = (name: string, n: number): number => {
    let k = 0;
    return clean.log.findIndex((l) => l.startsWith(`${name}(`) && ++k === n);
  };
  for (const [name, allErrnos] of Object.entries(SYSCALLS)) {
    const points = storeCalls(clean.log, name);
    const errnos = c.name.startsWith("update") ? allErrnos : allErrnos.slice(0, errnoCount);
    for (const errno of errnos) {
      for (const n of points) {
        const r = await traced(cwd, c.args, [
          "-e",
          // Both syncs are traced after a failed one: neither may follow it (never retried).
          `trace=${name === "fsync" || name === "fdatasync" ? "fsync,fdatasync" : name}`,
          "-e",
          `inject=${name}:error=${errno}:when=${n}`,
        ]);
        const i = r.log.findIndex((l) => l.includes("(INJECTED)"));
        const hit = i === -1 ? "" : r.log[i];
        const what = `${c.name}: ${name}#${n} ${errno} (${hit.slice(0, 140)})`;
        if (!hit.includes("/.track")) {
          // Deno wrote its module cache in this run, shifting the count: not a store call.
          assertEquals(r.code === 0 || r.code === 7, true, `${what}: exit ${r.code}`);
          t.missed++;
          restore(s.dir, before);
          removeBackups(cwd);
          continue;
        }
        t.injected++;
        if (name === "fsync" || name === "fdatasync") {
          t.fsyncRetries += r.log.slice(i + 1).filter(isSync).length;
        }
        // A failed unlink of a temp file leaves exactly that file: debris for doctor --fix.
        const tempUnlink = name === "unlink" && /\.tmp"\)/.test(hit);
        if (tempUnlink) t.tempCleanupFailed++;
        else assertEquals(tempFiles(s.dir), [], `${what}: no temp file left`);
        const journal = snapshot(s.dir).has("journal");
        if (r.code === 0) {
          // Best effort: the lock's holder note, a cache file, a read after the commit (the
          // cache refresh lists tickets/) or before the lock (a warning's "did you mean").
          const read = name === "openat" && hit.includes("O_RDONLY") && !hit.includes("O_CREAT");
          const readAfterCommit = read && lineOf(name, n) > commitEnd;
          const readBeforeLock = read && lineOf(name, n) < lockLine;
          if (readBeforeLock) t.readBeforeLock++;
          assert(
            bestEffort(hit) || readAfterCommit || readBeforeLock || tempUnlink,
            `${what}: exit 0 after a failed call on a data file`,
          );
          assert(!journal, `${what}: exit 0 with a journal left`);
          assertEquals(
            normal(dataOf(s.dir), before),
            afterNormal,
            `${what}: exit 0, change complete`,
          );
          if (tempUnlink || readBeforeLock) {
            // Counted above.
          } else if (hit.includes(".track/lock")) t.lockCourtesy++;
          else t.cacheOk++;
        } else if (
          c.reportsAfterCommit && r.code === 6 && lineOf(name, n) > commitEnd &&
          hit.includes("O_RDONLY") && !journal
        ) {
          assertEquals(normal(dataOf(s.dir), before), afterNormal, `${what}: repair complete`);
          t.reportedAfterCommit++;
        } else {
          assertEquals(r.code, 7, `${what}: exit ${r.code}: ${r.stderr}`);
          t.exit7++;
          assertStringIncludes(r.stderr, ".track", `${what}: message names the file`);
          assert(!/\n\s+at /.test(r.stderr), `${what}: no stack trace`);
          if (journal) {
            t.journalLeft++;
            assertStringIncludes(r.stderr, "will be completed", `${what}: says it is committed`);
            const fix = await s.track(["doctor", "--fix"]);
            assert(fix.code === 0 || fix.code === 6, `${what}: doctor --fix: ${fix.stderr}`);
            assert(!snapshot(s.dir).has("journal"), `${what}: doctor --fix completed the journal`);
            t.rolledForward++;
          }
          const now = normal(dataOf(s.dir), before);
          const same = now.join() === beforeNormal.join();
          if (same) t.endedBefore++;
          else {
            assertEquals(now, afterNormal, `${what}: neither the state before nor after`);
            t.endedAfter++;
          }
        }
        restore(s.dir, before);
        removeBackups(cwd);
      }
    }
  }
}

const strace = ensureStrace();

Deno.test({
  name: "suite faults: every failed system call leaves each command all or nothing (exit 7)",
  ignore: !strace,
  async fn() {
    const errnoCount = size("TRACK_SUITE_FAULT_ERRNOS", 1);
    assert(errnoCount > 0, "TRACK_SUITE_FAULT_ERRNOS must be at least 1");
    const started = performance.now();
    const totals: Tally = {
      injected: 0,
      exit7: 0,
      lockCourtesy: 0,
      cacheOk: 0,
      journalLeft: 0,
      rolledForward: 0,
      endedBefore: 0,
      endedAfter: 0,
      fsyncRetries: 0,
      tempCleanupFailed: 0,
      reportedAfterCommit: 0,
      missed: 0,
      readBeforeLock: 0,
      renamesSynced: 0,
    };
    const only = Deno.env.get("TRACK_SUITE_FAULT_COMMANDS")?.split(",").filter((x) => x !== "");
    const cases = only ? CASES.filter((c) => only.includes(c.name.split(" (")[0])) : CASES;
    assert(cases.length > 0, "no command selected");
    for (const c of cases) {
      const t: Tally = { ...totals };
      for (const k of Object.keys(t) as Array<keyof Tally>) t[k] = 0;
      await injectAll(c, errnoCount, t);
      assert(t.injected > 0, `${c.name}: no call injected`);
      assert(t.exit7 > 0, `${c.name}: no injection made the command fail`);
      report("faults", {
        command: JSON.stringify(c.name),
        injected: t.injected,
        renames_synced_first: t.renamesSynced,
        exit_7: t.exit7,
        ended_before: t.endedBefore,
        ended_after: t.endedAfter,
        journal_left_then_rolled_forward: t.rolledForward,
        lock_note_failed_ok: t.lockCourtesy,
        cache_failed_ok: t.cacheOk,
        temp_cleanup_failed: t.tempCleanupFailed,
        warning_read_before_lock_failed_ok: t.readBeforeLock,
        read_failed_in_report_after_repair: t.reportedAfterCommit,
        fsync_after_failed_fsync: t.fsyncRetries,
      });
      for (const k of Object.keys(t) as Array<keyof Tally>) totals[k] += t[k];
    }
    report("faults", {
      commands: cases.length,
      syscalls: Object.keys(SYSCALLS).join("/"),
      injected: totals.injected,
      exit_7: totals.exit7,
      ended_before: totals.endedBefore,
      ended_after_roll_forward: totals.endedAfter,
      journal_left: totals.journalLeft,
      best_effort_failed_ok: totals.lockCourtesy + totals.cacheOk,
      missed_store_call: totals.missed,
      fsync_after_failed_fsync: totals.fsyncRetries,
      seconds: ((performance.now() - started) / 1000).toFixed(1),
    });
    assertEquals(totals.fsyncRetries, 0, "fsync retried after a failure");
    assert(totals.missed * 10 <= totals.injected, "too many injections missed the store");
    assert(totals.journalLeft > 0, "no injection hit a command between its commit and its end");
    assert(totals.endedAfter > 0, "no failed command was completed by the roll-forward");
  },
});
