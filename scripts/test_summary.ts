/**
 * The gate behind `deno task ok` (with `--gate`), `deno task test` and `.ci/run`. With `--gate`
 * it first runs `deno fmt --check`, `deno lint`, `deno check main.ts bench/ scripts/` and the
 * layer check (scripts/check_layers.ts), each failing step counting as one failure; then the
 * tests (remaining arguments go to `deno test`), counted per test from the JUnit report of the
 * real run (scripts/junit_count.ts; CI does not read Deno's own summary line). It prints the
 * skipped tests and `N skipped`, and as its very last line `N passed, N failed`. Exits non-zero
 * when anything failed, when no test ran at all, or, in CI (`CI=true`), when any test was
 * skipped: CI installs everything the tests need (strace, chromium, git, zsh, fish), so a skip
 * there is a guarantee left unchecked and counts as a failure.
 */
import { countJunit } from "./junit_count.ts";

/** Tests CI may skip, with the reason. */
const CI_MAY_SKIP: Record<string, string> = {
  "deno task compile builds a binary that runs, with its checksum":
    "needs Deno's compile runtime from dl.deno.land: the GitHub workflow sets TRACK_TEST_COMPILE=1",
};

const enc = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

async function run(args: string[]): Promise<boolean> {
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" });
  return (await child.spawn().status).success;
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

const gate = Deno.args[0] === "--gate";
const testArgs = gate ? Deno.args.slice(1) : Deno.args;
let failed = 0;
if (gate) {
  const layers = ["run", "-A", new URL("./check_layers.ts", import.meta.url).pathname];
  // bench/ and scripts/ are no test's imports: checked here, or a broken import goes unseen.
  const check = ["check", "main.ts", ...["bench/", "scripts/"].filter(isDir)];
  for (const step of [["fmt", "--check"], ["lint"], check, layers]) {
    if (!(await run(step))) {
      say(`gate: deno ${step.join(" ")} failed`);
      failed++;
    }
  }
}

const junit = await Deno.makeTempFile({ suffix: ".xml" });
const ran = await run(["test", "-A", `--junit-path=${junit}`, ...testArgs]);
let counts = {
  passed: 0,
  failed: 0,
  skipped: 0,
  tests: [] as ReturnType<typeof countJunit>["tests"],
};
try {
  counts = countJunit(Deno.readTextFileSync(junit));
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e; // No report: the run failed before any test.
} finally {
  await Deno.remove(junit).catch(() => {});
}
failed += counts.failed;
if (!ran && counts.failed === 0) {
  say("deno test failed outside any test (see above)");
  failed++;
}
if (counts.passed + counts.failed === 0) {
  say("no test ran");
  failed++;
}
const ci = Deno.env.get("CI") === "true";
for (const t of counts.tests.filter((t) => t.outcome === "skipped")) {
  const allowed = CI_MAY_SKIP[t.name];
  if (ci && allowed === undefined) {
    say(`skipped in CI (counted as failed): ${t.file}: ${t.name}`);
    failed++;
  } else say(`skipped: ${t.file}: ${t.name}${allowed ? ` (${allowed})` : ""}`);
}
say(`${counts.skipped} skipped`);
say(`${counts.passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
