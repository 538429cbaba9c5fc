/**
 * Tests never touch anything outside their temp directories, whatever the developer's
 * environment holds: every process a test starts gets a clean, explicit environment
 * (tests/helpers.ts testCommand/testEnv) and every in-process `main()` call gets an explicit env.
 */
import { assert, assertEquals } from "./assert.ts";
import { snapshot, tempStore, testCommand } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Test sources (relative paths): tests/**, src/**\/*_test.ts. */
function testSources(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${ROOT}${rel}`)) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory && e.name !== "fixtures") walk(p);
      else if (
        e.isFile && p.endsWith(".ts") && (rel.startsWith("tests") || p.endsWith("_test.ts"))
      ) {
        out.push(p);
      }
    }
  };
  walk("tests");
  walk("src");
  return out.sort();
}

/**
 * Files still starting processes with the parent's environment (which tests/helpers.ts scrubs
 * of TRACK_*, GIT_* and CLAUDE_* on import), with the reason.
 */
const EXEMPT: Record<string, string> = {
  // Under testCommand, `stale --reclaim` with fsync #3 failed ends in the after-state, but the
  // suite's normal() compares the board entry id recorded in inbox/B.json, which differs from
  // the clean run's: reported as "neither before nor after". Left to the suite's owner.
  "tests/suites/faults_test.ts": "strace runs: see the comment above",
};

/** How a test would start a process with the parent's environment (split: this file says it). */
const RAW_SPAWN = "new Deno." + "Command(";

/** The text of every `main(…)` call's arguments in `source`. */
function mainCalls(source: string): string[] {
  const calls: string[] = [];
  for (const m of source.matchAll(/(?<![.\w])main\(/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; i < source.length && depth > 0; i++) {
      if (source[i] === "(") depth++;
      else if (source[i] === ")") depth--;
    }
    calls.push(source.slice(start, i - 1));
  }
  return calls;
}

Deno.test("every process a test starts goes through testCommand (a clean environment)", () => {
  const offenders = testSources()
    .filter((p) => p !== "tests/helpers.ts" && !(p in EXEMPT))
    .filter((p) => Deno.readTextFileSync(`${ROOT}${p}`).includes(RAW_SPAWN));
  assertEquals(offenders, [], "use testCommand() from tests/helpers.ts");
});

Deno.test("every in-process main() call in a test passes an explicit env", () => {
  const offenders: string[] = [];
  for (const p of testSources()) {
    if (!p.endsWith("_test.ts")) continue; // Workers run in clean children.
    const source = Deno.readTextFileSync(`${ROOT}${p}`);
    if (!/import \{[^}]*\bmain\b[^}]*\} from "[./]*(src\/cli\/)?main\.ts"/.test(source)) continue;
    for (const call of mainCalls(source).filter((c) => c.trim() !== "")) { // "main()" in names
      if (!/\benv\b|\bio\(\)/.test(call)) offenders.push(`${p}: main(${call.slice(0, 60)})`);
    }
  }
  assertEquals(offenders, [], "pass env: mainEnv() (tests/helpers.ts)");
});

Deno.test("a hostile parent environment reaches no test: the sentinel store and HOME stay untouched", async () => {
  await using sentinel = await tempStore();
  await sentinel.json(["create", "-t", "the developer's real ticket"]);
  const home = `${sentinel.root}/home`;
  Deno.mkdirSync(`${home}/.config/git`, { recursive: true });
  Deno.writeTextFileSync(`${home}/.gitconfig`, "[user]\n\tname = intruder\n");
  const before = snapshot(sentinel.root);
  const probe = await testCommand(Deno.execPath(), {
    args: ["test", "-A", "--quiet", `${ROOT}tests/env_probe.ts`],
    cwd: ROOT,
    env: {
      TRACK_DIR: sentinel.dir,
      TRACK_AGENT: "intruder",
      TRACK_FAKE_NOW: "2999-01-01T00:00:00Z",
      TRACK_FAKE_UPTIME: "+100000000000",
      TRACK_LOCK_TIMEOUT: "0",
      TRACK_GUARD: "off",
      TRACK_DEBUG: "1",
      GIT_DIR: `${sentinel.root}/.git`,
      GIT_WORK_TREE: sentinel.root,
      CLAUDE_ENV_FILE: `${sentinel.root}/claude.env`,
      HOME: home,
      XDG_CONFIG_HOME: `${home}/.config`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(probe.stdout) + new TextDecoder().decode(probe.stderr);
  assertEquals(probe.code, 0, text);
  assert(/\b5 passed\b/.test(text), text);
  assertEquals(snapshot(sentinel.root), before, "the sentinel store or HOME changed");
});
