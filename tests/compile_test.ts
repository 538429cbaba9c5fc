/**
 * `deno task compile`: here the compile runtime cannot be downloaded, so the task must stop with
 * one clear line (no stack trace). Where the download works the test checks the binary instead.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { testCommand } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TARGET = "x86_64-unknown-linux-gnu";

Deno.test("deno task compile fails with one clear line when the runtime cannot be downloaded", async () => {
  const out = await Deno.makeTempDir({ prefix: "track-compile-" });
  try {
    const r = await testCommand(Deno.execPath(), {
      args: ["task", "-q", "compile", "--target", TARGET, "--out", out],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    if (r.code === 0) {
      // The download worked (a machine with internet): the binary and its checksum exist.
      const sums = Deno.readTextFileSync(`${out}/SHA256SUMS`);
      assertMatch(sums, new RegExp(`^[0-9a-f]{64}  track-${TARGET}\\n$`));
      return;
    }
    assertEquals(r.code, 1, stderr);
    const lines = stderr.trim().split("\n");
    const last = lines[lines.length - 1];
    assertMatch(
      last,
      /^compile: cannot download Deno's compile runtime for x86_64-unknown-linux-gnu/,
    );
    assert(!/Stack backtrace|^\s+at /m.test(stderr), `stack trace in: ${stderr}`);
    assert(lines.every((l) => l.startsWith("compile: ")), `unexpected lines: ${stderr}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
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
