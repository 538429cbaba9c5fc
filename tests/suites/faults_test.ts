/**
 * Suite 5, I/O faults: strace fails one system call of a real `track` run at a time (every
 * fsync, write, openat, rename and link that touches .track/, with EIO, ENOSPC and EACCES).
 * Each time: exit 7 with a message naming the file, the target byte-identical to before, no
 * temp file left behind, and no fsync after a failed fsync (never retried). A call that is best
 * effort (the holder note in the lock file, the metadata cache refreshed after the commit) may
 * fail with the command still exiting 0: then the change must be complete. Only the main
 * thread is traced (no -f): that is where track's file I/O runs, and its call sequence is
 * deterministic, so "the Nth openat" is the same call in every run. Needs strace (Debian; the
 * set-up installs it when absent and running as root).
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { MAIN, snapshot, tempStore } from "../helpers.ts";
import { report } from "./pool.ts";

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
  write: ["ENOSPC", "EIO"],
  openat: ["EACCES", "ENOSPC", "EIO"],
  rename: ["EIO", "EACCES", "ENOSPC"],
  linkat: ["EIO", "ENOSPC"],
};

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

function tempFiles(dir: string): string[] {
  return [...snapshot(dir).keys()].filter((k) => k.endsWith(".tmp"));
}

const strace = ensureStrace();

Deno.test({
  name: "suite faults: a failed system call leaves the store as it was (exit 7)",
  ignore: !strace,
  async fn() {
    await using s = await tempStore();
    await s.json(["create", "--title", "target"]);
    const command = ["update", "T-0001", "--title", "changed"];
    const lockWrite = (line: string) => line.startsWith("write(") && line.includes(".track/lock>");
    let injected = 0;
    let exit7 = 0;
    let lockCourtesy = 0;
    let bestEffort = 0;
    let fsyncRetries = 0;
    const started = performance.now();
    for (const [name, errnos] of Object.entries(SYSCALLS)) {
      // A clean traced run of the same command finds which calls touch the store.
      const clean = await traced(s.root, command, ["-e", `trace=${name}`]);
      assertEquals(clean.code, 0, clean.stderr);
      const points = storeCalls(clean.log, name);
      assert(points.length > 0, `no ${name} on .track/`);
      // Put the target back as it was for the injected runs.
      await s.json(["update", "T-0001", "--title", "target"]);
      for (const errno of errnos) {
        for (const n of points) {
          const bytes = snapshot(s.dir);
          const r = await traced(s.root, command, [
            "-e",
            `trace=${name}`,
            "-e",
            `inject=${name}:error=${errno}:when=${n}`,
          ]);
          const hit = r.log.find((l) => l.includes("(INJECTED)")) ?? "";
          assertStringIncludes(hit, "/.track", `${name}#${n} hit a store call`);
          injected++;
          const what = `${name}#${n} ${errno} (${hit.slice(0, 120)})`;
          if (r.code === 0) {
            // The call was best effort (naming the holder in the lock file, refreshing the
            // metadata cache after the commit): the command must then have fully succeeded.
            assertEquals(tempFiles(s.dir), [], `${what}: no temp file left`);
            const t = await s.json<{ ticket: { title: string } }>(["show", "T-0001"]);
            assertEquals(t.ticket.title, "changed", `${what}: exit 0 but the change is missing`);
            if (lockWrite(hit)) lockCourtesy++;
            else bestEffort++;
            await s.json(["update", "T-0001", "--title", "target"]);
            continue;
          }
          assertEquals(r.code, 7, `${what}: exit ${r.code}: ${r.stderr}`);
          exit7++;
          assertStringIncludes(r.stderr, ".track", `${what}: message names the file`);
          assert(!/\n\s+at /.test(r.stderr), `${what}: no stack trace`);
          const after = snapshot(s.dir);
          for (const [k, v] of bytes) {
            if (k === "lock") continue;
            assertEquals(after.get(k), v, `${what}: ${k} byte-identical`);
          }
          assertEquals(tempFiles(s.dir), [], `${what}: no temp file left`);
          if (name === "fsync") {
            const i = r.log.findIndex((l) => l.includes("(INJECTED)"));
            const again = r.log.slice(i + 1).filter((l) => l.startsWith("fsync(")).length;
            fsyncRetries += again;
          }
        }
      }
    }
    report("faults", {
      syscalls: Object.keys(SYSCALLS).join("/"),
      injected,
      exit_7: exit7,
      lock_courtesy_writes_failed_ok: lockCourtesy,
      other_best_effort_failed_ok: bestEffort,
      fsync_after_failed_fsync: fsyncRetries,
      seconds: ((performance.now() - started) / 1000).toFixed(1),
    });
    assertEquals(fsyncRetries, 0, "fsync retried after a failure");
  },
});

Deno.test({
  name: "suite faults: a failure after an earlier file was written names what was kept",
  ignore: !strace,
  async fn() {
    await using s = await tempStore();
    // `create` writes the ticket, then a board entry: fail the board entry's temp file.
    const clean = await traced(s.root, ["create", "--title", "probe"], ["-e", "trace=openat"]);
    assertEquals(clean.code, 0, clean.stderr);
    const board = clean.log.filter((l) =>
      l.startsWith("openat(")
    ).findIndex((l) => l.includes("/.track/board/") && l.includes(".tmp")) + 1;
    assert(board > 0);
    const r = await traced(s.root, ["create", "--title", "second"], [
      "-e",
      "trace=openat",
      "-e",
      `inject=openat:error=ENOSPC:when=${board}`,
    ]);
    assertEquals(r.code, 7, r.stderr);
    assertStringIncludes(r.stderr, "already written");
    assertStringIncludes(r.stderr, ".track/tickets/T-0002.md");
    assertEquals(tempFiles(s.dir), []);
    report("faults-multi-file", {
      exit: r.code,
      message: JSON.stringify(r.stderr.trim().slice(0, 160)),
    });
  },
});
