/**
 * `deno task mutants`: plants each deliberate bug of MUTANTS (scripts/mutants_list.ts) in a
 * throw-away copy of this checkout, runs the suite named for the guarantee that bug breaks, and
 * prints a table "mutant → killed by". A suite earns its name only if it fails on its mutant:
 * exits 1 if any mutant survives, if a mutant's text no longer matches the code exactly once,
 * if a mutant does not type-check (a type error would "kill" it for the wrong reason), or if a
 * suite fails before any bug is planted.
 *
 *   deno task mutants                 all mutants
 *   deno task mutants claim-theft     only the named ones
 *   deno task mutants --write         also write the table to docs/mutants.md
 */
import { type Mutant, MUTANTS } from "./mutants_list.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const enc = new TextEncoder();
const dec = new TextDecoder();

function say(line: string): void {
  Deno.stderr.writeSync(enc.encode(line + "\n"));
}

/** Applies `m` to `text`: its `find` must occur exactly once. */
export function plant(m: Mutant, text: string): string {
  const at = text.indexOf(m.find);
  if (at === -1) throw new Error(`mutant ${m.name}: text not found in ${m.file}`);
  if (text.indexOf(m.find, at + 1) !== -1) {
    throw new Error(`mutant ${m.name}: text occurs more than once in ${m.file}`);
  }
  return text.slice(0, at) + m.replace + text.slice(at + m.find.length);
}

/** The environment every run gets: nothing of the caller's but what deno and git need. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", CI: Deno.env.get("CI") ?? "" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "TRACK_SUITE_SEED"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

async function run(args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    clearEnv: true,
    env: cleanEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** The first line that says why a run failed, for the table. */
function firstFailure(output: string): string {
  const lines = output.split("\n");
  const i = lines.findIndex((l) => /^error: |AssertionError|Error: /.test(l));
  const line = (i === -1 ? "(failed without an assertion message)" : lines[i])
    .replace(/^error: /, "").replace(/\s+/g, " ").trim();
  return line.length > 160 ? line.slice(0, 157) + "..." : line;
}

/** Copies the checkout's tracked and untracked (not ignored) files into a temp dir. */
async function copyCheckout(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "track-mutants-" });
  const ls = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  if (!ls.success) throw new Error("git ls-files failed: run this inside the git checkout");
  for (const rel of dec.decode(ls.stdout).split("\0")) {
    if (rel === "") continue;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(`${ROOT}/${rel}`);
    } catch {
      continue; // Deleted in the work tree.
    }
    if (!info.isFile) continue;
    const to = `${dir}/${rel}`;
    Deno.mkdirSync(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    Deno.copyFileSync(`${ROOT}/${rel}`, to);
  }
  return dir;
}

interface Outcome {
  mutant: Mutant;
  status: "killed" | "survived" | "invalid";
  why: string;
  seconds: number;
}

function table(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) =>
    `| \`${o.mutant.name}\` | ${o.mutant.breaks} | \`${o.mutant.file}\` | ${
      o.status === "killed" ? `killed by \`${o.mutant.suite}\`` : `**${o.status.toUpperCase()}**`
    } | ${o.why.replaceAll("|", "\\|")} | ${o.seconds.toFixed(0)} s |`
  );
  return [
    "| Mutant | What it breaks | Planted in | Result | First failure | Time |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

if (import.meta.main) {
  const write = Deno.args.includes("--write");
  const names = Deno.args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !MUTANTS.some((m) => m.name === n));
  if (unknown.length > 0) {
    say(
      `unknown mutant(s): ${unknown.join(", ")}; known: ${MUTANTS.map((m) => m.name).join(", ")}`,
    );
    Deno.exit(2);
  }
  const chosen = names.length === 0 ? MUTANTS : MUTANTS.filter((m) => names.includes(m.name));
  const copy = await copyCheckout();
  let failed = false;
  const outcomes: Outcome[] = [];
  try {
    // Each suite must pass before any bug is planted, or a "kill" means nothing.
    for (const suite of [...new Set(chosen.map((m) => m.suite))]) {
      say(`baseline: ${suite} ...`);
      const r = await run(["test", "-A", "--quiet", suite], copy);
      if (!r.ok) {
        say(`baseline failed for ${suite} without any mutant:\n${r.output}`);
        Deno.exit(1);
      }
    }
    for (const m of chosen) {
      const path = `${copy}/${m.file}`;
      const original = Deno.readTextFileSync(path);
      const started = performance.now();
      let outcome: Outcome;
      try {
        Deno.writeTextFileSync(path, plant(m, original));
        const check = await run(["check", "--quiet", "main.ts", m.suite], copy);
        if (!check.ok) {
          outcome = { mutant: m, status: "invalid", why: firstFailure(check.output), seconds: 0 };
        } else {
          say(`mutant ${m.name}: running ${m.suite} ...`);
          const r = await run(["test", "-A", "--quiet", m.suite], copy);
          outcome = {
            mutant: m,
            status: r.ok ? "survived" : "killed",
            why: r.ok ? "the suite passed with the bug planted" : firstFailure(r.output),
            seconds: (performance.now() - started) / 1000,
          };
        }
      } catch (e) {
        outcome = { mutant: m, status: "invalid", why: (e as Error).message, seconds: 0 };
      } finally {
        Deno.writeTextFileSync(path, original);
      }
      if (outcome.status !== "killed") failed = true;
      say(`mutant ${m.name}: ${outcome.status} (${outcome.why})`);
      outcomes.push(outcome);
    }
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
  const text = table(outcomes);
  Deno.stdout.writeSync(enc.encode(text + "\n"));
  if (write) {
    // A run of some mutants (names given) replaces their rows and keeps every other row, in the
    // order of scripts/mutants_list.ts.
    let rows = text.split("\n").slice(2);
    if (names.length > 0) {
      const rowName = (row: string) => /^\| `([^`]+)`/.exec(row)?.[1] ?? null;
      const ran = new Map(rows.map((r) => [rowName(r), r]));
      let kept: string[] = [];
      try {
        kept = Deno.readTextFileSync(`${ROOT}/docs/mutants.md`).split("\n").filter((r) =>
          rowName(r) !== null
        );
      } catch {
        // No table yet: only the rows of this run.
      }
      const old = new Map(kept.map((r) => [rowName(r), r]));
      rows = MUTANTS.map((m) => ran.get(m.name) ?? old.get(m.name)).filter((r) =>
        r !== undefined
      ) as string[];
    }
    const merged = [...text.split("\n").slice(0, 2), ...rows].join("\n");
    const doc = `# Mutants: does each guarantee suite fail when its guarantee breaks?

Made by \`deno task mutants --write\` (scripts/mutants.ts) on ${
      new Date().toISOString().slice(0, 10)
    }. Each row plants one deliberate bug (listed in
scripts/mutants_list.ts) in a throw-away copy of the checkout and runs the suite named for the
guarantee it breaks. Every suite passed on the unmutated copy first. A mutant that survives
fails the run.

${merged}
`;
    Deno.writeTextFileSync(`${ROOT}/docs/mutants.md`, doc);
  }
  Deno.exit(failed ? 1 : 0);
}
