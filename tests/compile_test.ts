/**
 * `deno task compile`. Each test has one expected outcome, set up beforehand, never read off the
 * result: without the runtime (downloads sent to a dead loopback proxy) the task must stop with
 * one clear line; with it (TRACK_TEST_COMPILE=1, set by the GitHub workflow, which has internet;
 * DENORT_BIN; or a runtime already in Deno's cache) it must build a binary that runs. Elsewhere
 * the second is skipped (scripts/test_summary.ts lists it as allowed to skip).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { testCommand, testEnv } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TARGET = "x86_64-unknown-linux-gnu";
/** Nothing listens on the discard port of loopback: every download through it fails at once. */
const DEAD_PROXY = "http://127.0.0.1:9";

/** Whether Deno's cache already holds the compile runtime for `target` (no download needed). */
function runtimeCached(target: string): boolean {
  const dir = `${testEnv().DENO_DIR}/dl`;
  const walk = (d: string): boolean => {
    try {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory && walk(`${d}/${e.name}`)) return true;
        if (e.isFile && e.name.includes("denort") && e.name.includes(target)) return true;
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return false;
  };
  return walk(dir);
}

Deno.test({
  name: "deno task compile fails with one clear line when the runtime cannot be downloaded",
  ignore: runtimeCached(TARGET),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "track-compile-" });
    try {
      const r = await testCommand(Deno.execPath(), {
        args: ["task", "-q", "compile", "--target", TARGET, "--out", out],
        cwd: ROOT,
        env: { HTTPS_PROXY: DEAD_PROXY, HTTP_PROXY: DEAD_PROXY },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 1, stderr);
      const lines = stderr.trim().split("\n");
      assertMatch(
        lines[lines.length - 1],
        /^compile: cannot download Deno's compile runtime for x86_64-unknown-linux-gnu/,
      );
      assert(!/Stack backtrace|^\s+at /m.test(stderr), `stack trace in: ${stderr}`);
      assert(lines.every((l) => l.startsWith("compile: ")), `unexpected lines: ${stderr}`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

const HOST = Deno.build.target;
Deno.test({
  name: "deno task compile builds a binary that runs, with its checksum",
  ignore: !(
    Deno.env.get("TRACK_TEST_COMPILE") === "1" || Deno.env.get("DENORT_BIN") || runtimeCached(HOST)
  ),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "track-compile-" });
    try {
      const denort = Deno.env.get("DENORT_BIN");
      const r = await testCommand(Deno.execPath(), {
        args: ["task", "-q", "compile", "--target", HOST, "--out", out],
        cwd: ROOT,
        env: denort ? { DENORT_BIN: denort } : {},
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
      const sums = Deno.readTextFileSync(`${out}/SHA256SUMS`);
      assertMatch(sums, new RegExp(`^[0-9a-f]{64}  track-${HOST}\\n$`));
      const version = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).version;
      const run = await testCommand(`${out}/track-${HOST}`, {
        args: ["--version"],
        stdout: "piped",
      }).output();
      assertEquals(new TextDecoder().decode(run.stdout).trim(), `track ${version}`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("deno task compile refuses an unknown target with exit 2", async () => {
  const r = await testCommand(Deno.execPath(), {
    args: ["task", "-q", "compile", "--target", "riscv64-unknown-linux-gnu"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(r.code, 2);
  assertMatch(new TextDecoder().decode(r.stderr), /^compile: unknown target "riscv64/m);
});

Deno.test("writeChecksums() writes sha256sum -c compatible lines for every track-* file", async () => {
  const { writeChecksums } = await import("../scripts/compile.ts");
  const dir = await Deno.makeTempDir({ prefix: "track-sums-" });
  try {
    Deno.writeTextFileSync(`${dir}/track-b`, "bee\n");
    Deno.writeTextFileSync(`${dir}/track-a`, "");
    Deno.writeTextFileSync(`${dir}/notes.txt`, "not a binary");
    await writeChecksums(dir);
    assertEquals(
      Deno.readTextFileSync(`${dir}/SHA256SUMS`),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  track-a\n" +
        "c150e5a8a604acebd8d15bd7bf8ea96b2874bdcc91dee6319977d353251283b0  track-b\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
