/**
 * scripts/test_summary.ts end to end on throw-away test files: per-test counts, skips printed and
 * failing CI, the fmt/lint/check gate counted in the last line `N passed, N failed`.
 */
import { assertEquals } from "./assert.ts";
import { testCommand } from "./helpers.ts";

const SUMMARY = new URL("../scripts/test_summary.ts", import.meta.url).pathname;

const SAMPLE = `Deno.test("pass", () => {});
Deno.test("fail", () => {
  throw new Error("x");
});
Deno.test({ name: "ignored", ignore: true, fn() {} });
Deno.test("steps", async (t) => {
  await t.step("ok", () => {});
  await t.step("bad", () => {
    throw new Error("y");
  });
});
`;

async function summary(
  files: Record<string, string>,
  args: string[],
  env: Record<string, string> = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "track-summary-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    const out = await testCommand(Deno.execPath(), {
      args: ["run", "-A", SUMMARY, ...args],
      cwd: dir,
      env,
      stdout: "piped",
      stderr: "null",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    return { code: out.code, last: lines.slice(-2), lines };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("test_summary counts tests (not steps), prints skips, and fails CI on a skip", async () => {
  const local = await summary({ "a_test.ts": SAMPLE }, ["a_test.ts"]);
  assertEquals(local.last, ["1 skipped", "1 passed, 2 failed"]);
  assertEquals(local.code, 1);
  const pass = SAMPLE.replace(/Deno\.test\("fail"[\s\S]*?\}\);\n/, "")
    .replace(/await t\.step\("bad"[\s\S]*?\}\);\n/, "");
  const skipOnly = await summary({ "a_test.ts": pass }, ["a_test.ts"]);
  assertEquals([skipOnly.code, skipOnly.last], [0, ["1 skipped", "2 passed, 0 failed"]]);
  const ci = await summary({ "a_test.ts": pass }, ["a_test.ts"], { CI: "true" });
  assertEquals([ci.code, ci.last], [1, ["1 skipped", "2 passed, 1 failed"]]);
  assertEquals(ci.lines.includes("skipped in CI (counted as failed): ./a_test.ts: ignored"), true);
});

Deno.test("test_summary: a run where every test is ignored fails", async () => {
  const r = await summary({
    "a_test.ts": `Deno.test({ name: "i", ignore: true, fn() {} });\n`,
  }, ["a_test.ts"]);
  assertEquals([r.code, r.last], [1, ["1 skipped", "0 passed, 1 failed"]]);
});

Deno.test("test_summary --gate: a fmt, lint or type failure fails the run in its last line", async () => {
  const ok = `Deno.test("pass", () => {});\n`;
  const main = "export const x: number = 1;\n";
  const clean = await summary({ "a_test.ts": ok, "main.ts": main }, ["--gate", "a_test.ts"]);
  assertEquals([clean.code, clean.last], [0, ["0 skipped", "1 passed, 0 failed"]]);
  const badFmt = await summary({ "a_test.ts": ok, "main.ts": "export const x:number=1\n" }, [
    "--gate",
    "a_test.ts",
  ]);
  assertEquals([badFmt.code, badFmt.last], [1, ["0 skipped", "1 passed, 1 failed"]]);
  const badType = await summary({ "a_test.ts": ok, "main.ts": 'export const x: number = "1";\n' }, [
    "--gate",
    "a_test.ts",
  ]);
  assertEquals([badType.code, badType.last], [1, ["0 skipped", "1 passed, 1 failed"]]);
});
