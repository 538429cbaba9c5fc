/**
 * Suite 7, malformed input: hand-made broken files (one case each) and thousands of random
 * byte and line mutations of valid tickets and agent files. For every read command: no stack
 * trace, no uncaught exception (exit 1), a documented exit code, a message naming the file when
 * it is refused, and no file changed. For every write command: a refusal leaves the whole store
 * byte for byte as it was, and a file that does not parse is never rewritten. No run may take
 * over 30 s: a ceiling against a hang or an exponential parse, far above CI's worst case (the
 * suites print `max_ms`, tens of ms); speed itself is `deno task bench`'s business. Mutations
 * run in-process through `main()` for speed; a sample also goes through the real CLI.
 * Sizes: TRACK_SUITE_MUTATIONS (CI 2000).
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { mainEnv, runTrack, snapshot, tempStore } from "../helpers.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { report, rng, seed, size } from "./pool.ts";

/** Read commands run against every broken store. */
const READS: string[][] = [
  ["list", "--all"],
  ["list", "--all", "--json"],
  ["show", "1"],
  ["show", "2", "--json"],
  ["ready"],
  ["blocked"],
  ["board", "--last", "20"],
  ["agents", "--all", "--json"],
  ["stale"],
  ["files", "--list"],
  ["doctor", "--json"],
];
/** Exit codes a read command may end with on bad data (README "Exit codes"). */
const DOCUMENTED = new Set([0, 4, 6, 7]);
/** Exit codes a write command may end with on bad data: also usage and conflict, never 1 or 5. */
const WRITE_CODES = new Set([0, 2, 3, 4, 6, 7]);
/** Ceiling for one in-process run (see the header): a hang guard, not a speed goal. */
const CEILING_MS = 30_000;
/** Write commands run against every hand-made broken store. */
const WRITES = [
  ["log", "1", "--agent", "ann", "-m", "more"],
  ["files", "--add", "src/b.ts", "--agent", "ann", "--ticket", "1"],
  ["heartbeat", "--agent", "ann"],
  ["claim", "2", "--agent", "bob", "--force"],
  ["create", "--title", "third"],
  ["stale", "--reclaim", "--threshold", "1s"],
];
const enc = new TextEncoder();

interface Case {
  name: string;
  /** Breaks the store in `dir` (.track). */
  apply(dir: string): void;
  /** A command that must refuse with exit 6 naming `file`; omitted when any outcome is fine. */
  expect?: { args: string[]; file: string; code?: number };
}

const T1 = "tickets/T-0001.md";

function editTicket(dir: string, fn: (text: string) => string | Uint8Array): void {
  const path = `${dir}/${T1}`;
  const out = fn(Deno.readTextFileSync(path));
  if (typeof out === "string") Deno.writeTextFileSync(path, out);
  else Deno.writeFileSync(path, out);
}

function ticketCase(name: string, fn: (text: string) => string | Uint8Array, refuse = true): Case {
  return {
    name,
    apply: (dir) => editTicket(dir, fn),
    expect: refuse ? { args: ["show", "1"], file: `.track/${T1}` } : undefined,
  };
}

function agentCase(name: string, text: string | Uint8Array): Case {
  return {
    name,
    apply: (dir) => {
      const p = `${dir}/agents/ann.json`;
      if (typeof text === "string") Deno.writeTextFileSync(p, text);
      else Deno.writeFileSync(p, text);
    },
    expect: {
      args: ["files", "--add", "x.ts", "--agent", "ann", "--ticket", "1"],
      file: ".track/agents/ann.json",
    },
  };
}

const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...enc.encode(p)] : p)));

const CASES: Case[] = [
  ticketCase("invalid UTF-8 in the title", (t) => {
    const b = enc.encode(t);
    const i = t.indexOf("title: ") + 7;
    b[i] = 0xff;
    return b;
  }),
  ticketCase("byte-order mark", (t) => bytes([0xef, 0xbb, 0xbf], t)),
  ticketCase("CRLF line endings", (t) => t.replaceAll("\n", "\r\n")),
  ticketCase("lone CR", (t) => t.replace("title:", "ti\rtle:")),
  ticketCase("NUL byte", (t) => bytes(t.slice(0, 20), [0], t.slice(20))),
  ticketCase("truncated front matter", (t) => t.slice(0, t.indexOf("priority"))),
  ticketCase("empty file", () => ""),
  ticketCase("only the opening fence", () => "---\n"),
  ticketCase("no front matter at all", () => "# just markdown\n"),
  ticketCase("duplicate key", (t) => t.replace("title: ", "title: a\ntitle: ")),
  ticketCase("YAML alias bomb", (t) =>
    t.replace(
      "labels: []",
      'labels: &a ["x","x","x","x","x","x","x","x","x"]\nfiles: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nbranch: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    ).replace(/^files: \[\]\n/m, "").replace(/^branch: null\n/m, "")),
  ticketCase("anchor on a scalar", (t) => t.replace("title: ", "title: &anchor ")),
  ticketCase(
    "deep nesting",
    (t) => t.replace("labels: []", `labels: ${"[".repeat(5000)}${"]".repeat(5000)}`),
  ),
  ticketCase("YAML tag", (t) => t.replace("title: ", "title: !!python/object:os.system ")),
  ticketCase("flow mapping", (t) => t.replace("labels: []", "labels: {a: b}")),
  ticketCase(
    "__proto__ key",
    (t) => t.replace("labels: []", "labels: []\n__proto__: polluted"),
    false,
  ),
  ticketCase(
    "constructor key",
    (t) => t.replace("labels: []", "labels: []\nconstructor: x"),
    false,
  ),
  ticketCase("list where a scalar goes", (t) => t.replace(/^status: .*$/m, "status: [backlog]")),
  ticketCase("scalar where a list goes", (t) => t.replace("labels: []", "labels: ui")),
  ticketCase("unknown status", (t) => t.replace(/^status: .*$/m, "status: wontfix")),
  ticketCase("unknown priority", (t) => t.replace(/^priority: .*$/m, "priority: urgent")),
  ticketCase(
    "claim_epoch not a number",
    (t) => t.replace(/^claim_epoch: .*$/m, "claim_epoch: many"),
  ),
  ticketCase("created not a timestamp", (t) => t.replace(/^created: .*$/m, "created: yesterday")),
  ticketCase("missing id", (t) => t.replace(/^id: .*\n/m, "")),
  ticketCase("id differs from the file name", (t) => t.replace(/^id: .*$/m, "id: T-0009")),
  ticketCase(
    "invalid id in depends_on",
    (t) => t.replace(/^depends_on: .*$/m, "depends_on: [../../etc]"),
  ),
  ticketCase("huge title", (t) => t.replace(/^title: .*$/m, `title: ${"x".repeat(5000)}`)),
  ticketCase("file over the size limit", (t) => t + "y".repeat(17 * 1024 * 1024)),
  ticketCase("unterminated quote", (t) => t.replace(/^title: .*$/m, 'title: "abc')),
  ticketCase("key without a colon", (t) => t.replace("labels: []", "labels []")),
  ticketCase("tab indentation", (t) => t.replace("labels: []", "labels:\n\t- a")),
  ticketCase("one megabyte line in the body", (t) => t + "z".repeat(1024 * 1024) + "\n", false),
  {
    name: "directory where a ticket file should be",
    apply: (dir) => Deno.mkdirSync(`${dir}/tickets/T-0003.md`),
    expect: { args: ["show", "3"], file: ".track/tickets/T-0003.md" },
  },
  {
    name: "symlink pointing outside .track",
    apply: (dir) => Deno.symlinkSync("/etc/hostname", `${dir}/tickets/T-0003.md`),
    expect: { args: ["show", "3"], file: ".track/tickets/T-0003.md" },
  },
  {
    name: "invalid id in a file name",
    apply: (dir) => Deno.writeTextFileSync(`${dir}/tickets/T-1.md`, "junk"),
  },
  {
    name: "non-canonical duplicate of an id",
    apply: (dir) => Deno.copyFileSync(`${dir}/${T1}`, `${dir}/tickets/T-00001.md`),
  },
  {
    name: "unreadable permissions",
    apply: (dir) => Deno.chmodSync(`${dir}/${T1}`, 0o000),
    // Root reads anything; as another user this is exit 7 naming the file.
    expect: Deno.uid() === 0 ? undefined : { args: ["show", "1"], file: `.track/${T1}`, code: 7 },
  },
  {
    name: "tickets directory is a file",
    apply: (dir) => {
      Deno.removeSync(`${dir}/tickets`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/tickets`, "");
    },
  },
  agentCase("agent: invalid JSON", "{ nope"),
  agentCase("agent: an array", "[]\n"),
  agentCase(
    "agent: id differs from the file name",
    '{"id":"bob","last_heartbeat":"2026-01-01T00:00:00Z"}\n',
  ),
  agentCase(
    "agent: lost is not a list",
    '{"id":"ann","last_heartbeat":"2026-01-01T00:00:00Z","lost":3}\n',
  ),
  agentCase("agent: wrong type", '{"id":"ann","last_heartbeat":5}\n'),
  agentCase("agent: deep nesting", `{"id":"ann","x":${"[".repeat(100000)}${"]".repeat(100000)}}\n`),
  agentCase("agent: BOM", bytes([0xef, 0xbb, 0xbf], '{"id":"ann"}\n')),
  agentCase("agent: invalid UTF-8", bytes('{"id":"ann', [0xc3, 0x28], '"}\n')),
  {
    name: "agent: __proto__ key",
    apply: (dir) =>
      Deno.writeTextFileSync(
        `${dir}/agents/ann.json`,
        '{"id":"ann","last_heartbeat":"2026-01-01T00:00:00Z","__proto__":{"polluted":1}}\n',
      ),
  },
  {
    name: "reservations: invalid JSON",
    apply: (dir) => Deno.writeTextFileSync(`${dir}/reservations.json`, "{"),
    expect: { args: ["files", "--list"], file: ".track/reservations.json" },
  },
  {
    name: "reservations: wrong shape",
    apply: (dir) =>
      Deno.writeTextFileSync(`${dir}/reservations.json`, '{"reservations":[{"path":1}]}\n'),
    expect: { args: ["files", "--list"], file: ".track/reservations.json" },
  },
  {
    name: "config: invalid JSON",
    apply: (dir) => Deno.writeTextFileSync(`${dir}/config.json`, "{"),
    expect: { args: ["stale"], file: ".track/config.json" },
  },
  {
    name: "config: newer schema",
    apply: (dir) => Deno.writeTextFileSync(`${dir}/config.json`, '{"schema":99}\n'),
    expect: { args: ["stale"], file: ".track/config.json" },
  },
  {
    name: "agents directory is a file",
    apply: (dir) => {
      Deno.removeSync(`${dir}/agents`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/agents`, "");
    },
  },
  {
    name: "agents directory is a symlink outside .track",
    apply: (dir) => {
      Deno.removeSync(`${dir}/agents`, { recursive: true });
      Deno.symlinkSync("/etc", `${dir}/agents`);
    },
  },
  {
    name: "tickets directory is a symlink outside .track",
    apply: (dir) => {
      Deno.removeSync(`${dir}/tickets`, { recursive: true });
      Deno.symlinkSync("/etc", `${dir}/tickets`);
    },
    expect: { args: ["show", "1"], file: ".track/tickets" },
  },
  {
    name: "board day directory is a symlink outside .track",
    apply: (dir) => Deno.symlinkSync("/etc", `${dir}/board/2099-01-01`),
  },
  {
    name: "cache files are symlinks to /dev/zero",
    apply: (dir) => {
      Deno.mkdirSync(`${dir}/cache`, { recursive: true });
      for (const f of ["tickets.json", "tickets.log", "board-tail.json"]) {
        try {
          Deno.removeSync(`${dir}/cache/${f}`);
        } catch {
          // Not written yet.
        }
        Deno.symlinkSync("/dev/zero", `${dir}/cache/${f}`);
      }
    },
  },
  {
    name: "board entry without front matter",
    apply: (dir) => {
      const day = [...Deno.readDirSync(`${dir}/board`)][0].name;
      const f = [...Deno.readDirSync(`${dir}/board/${day}`)][0].name;
      Deno.writeTextFileSync(`${dir}/board/${day}/${f}`, "hello\n");
    },
  },
  {
    name: "board entry with invalid UTF-8",
    apply: (dir) => {
      const day = [...Deno.readDirSync(`${dir}/board`)][0].name;
      const f = [...Deno.readDirSync(`${dir}/board/${day}`)][0].name;
      Deno.writeFileSync(`${dir}/board/${day}/${f}`, bytes("---\nat: ", [0xff], "\n---\nx\n"));
    },
  },
  {
    name: "board day that is a file",
    apply: (dir) => Deno.writeTextFileSync(`${dir}/board/2026-01-01`, "x"),
  },
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function run(root: string, args: string[]): Promise<Outcome> {
  const io = new MemoryIo();
  const t0 = performance.now();
  const code = await main(args, { io, cwd: root, env: mainEnv() });
  return { code, stdout: io.stdout, stderr: io.stderr, ms: performance.now() - t0 };
}

/** Checks one command's outcome on a broken store. */
function check(what: string, args: string[], r: Outcome, codes = DOCUMENTED): void {
  assert(r.code !== 1, `${what}: ${args.join(" ")} hit an internal error: ${r.stderr}`);
  assert(codes.has(r.code), `${what}: ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  assert(!/\n\s+at /.test(r.stderr), `${what}: stack trace in ${r.stderr}`);
  if (r.code === 6 || r.code === 7) {
    assertStringIncludes(r.stderr + r.stdout, ".track", `${what}: ${args.join(" ")} names no file`);
  }
  assert(r.ms < CEILING_MS, `${what}: ${args.join(" ")} took ${Math.round(r.ms)} ms`);
}

function sameSnapshot(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** Paths (relative to .track) added, removed or changed between two snapshots. */
function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

type Files = Map<string, Uint8Array>;

function capture(dir: string): Files {
  const out: Files = new Map();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile) out.set(p.slice(dir.length + 1), Deno.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function restore(dir: string, files: Files): void {
  try {
    Deno.chmodSync(`${dir}/${T1}`, 0o644);
  } catch {
    // Not there or not ours to fix.
  }
  Deno.removeSync(dir, { recursive: true });
  for (const [rel, data] of files) {
    const p = `${dir}/${rel}`;
    Deno.mkdirSync(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    Deno.writeFileSync(p, data);
  }
}

async function pristine() {
  const s = await tempStore();
  const io = () => ({ io: new MemoryIo(), cwd: s.root, env: mainEnv() });
  assertEquals(await main(["create", "--title", "first"], io()), 0);
  assertEquals(await main(["create", "--title", "second", "--depends-on", "1"], io()), 0);
  assertEquals(await main(["register", "--agent", "ann"], io()), 0);
  assertEquals(await main(["claim", "1", "--agent", "ann"], io()), 0);
  assertEquals(await main(["log", "1", "--agent", "ann", "-m", "started: x"], io()), 0);
  assertEquals(
    await main(["files", "--add", "src/a.ts", "--agent", "ann", "--ticket", "1"], io()),
    0,
  );
  return s;
}

Deno.test("suite malformed: hand-made broken files", async () => {
  await using s = await pristine();
  const files = capture(s.dir);
  let runs = 0;
  let refused = 0;
  let writes = 0;
  let writesRefused = 0;
  let maxMs = 0;
  const failures: string[] = [];
  for (const c of CASES) {
    restore(s.dir, files);
    c.apply(s.dir);
    const before = snapshot(s.dir);
    for (const args of READS) {
      const r = await run(s.root, args);
      try {
        check(c.name, args, r);
      } catch (e) {
        failures.push((e as Error).message.slice(0, 300));
      }
      runs++;
      maxMs = Math.max(maxMs, r.ms);
    }
    assertEquals(snapshot(s.dir), before, `${c.name}: a read command changed a file`);
    if (c.expect) {
      const r = await run(s.root, c.expect.args);
      if (r.code !== (c.expect.code ?? 6)) {
        failures.push(`${c.name}: exit ${r.code} ${r.stderr.slice(0, 200)}`);
      } else if (!r.stderr.includes(c.expect.file)) {
        failures.push(`${c.name}: message does not name ${c.expect.file}: ${r.stderr}`);
      }
      refused++;
    }
    // Writes: a refusal changes nothing at all; a success never rewrote the file that was
    // refused above (it does not parse). Each write starts from the same broken store.
    for (const args of WRITES) {
      restore(s.dir, files);
      c.apply(s.dir);
      const r = await run(s.root, args);
      try {
        check(`${c.name} (write)`, args, r, WRITE_CODES);
      } catch (e) {
        failures.push((e as Error).message.slice(0, 300));
      }
      writes++;
      maxMs = Math.max(maxMs, r.ms);
      const after = snapshot(s.dir);
      if (r.code !== 0) {
        writesRefused++;
        if (!sameSnapshot(after, before)) {
          failures.push(
            `${c.name}: refused ${args.join(" ")} (exit ${r.code}) changed ` +
              changedPaths(before, after).join(", "),
          );
        }
      } else if (c.expect) {
        const rel = c.expect.file.replace(/^\.track\//, "");
        const touched = changedPaths(before, after).filter((p) =>
          p === rel || p.startsWith(rel + "/")
        );
        if (touched.length > 0) {
          failures.push(
            `${c.name}: ${args.join(" ")} rewrote ${touched.join(", ")}, which does not parse`,
          );
        }
      }
    }
  }
  assertEquals(failures, []);
  assertEquals(({} as Record<string, unknown>).polluted, undefined, "prototype untouched");
  restore(s.dir, files);
  report("malformed-cases", {
    cases: CASES.length,
    read_runs: runs,
    refused_with_exit_6_naming_file: refused,
    write_runs: writes,
    writes_refused_store_unchanged: writesRefused,
    max_ms: Math.round(maxMs),
  });
  assert(CASES.length >= 40);
  assert(writesRefused > CASES.length, `only ${writesRefused} writes were refused`);
});

const NASTY_LINES = [
  "---",
  "title:",
  "- x",
  "  - y",
  "labels: [",
  "&a x",
  "*a",
  "!!str x",
  "__proto__: 1",
  "status: nope",
  "depends_on: [T-0000]",
  "{",
  '"',
  "id: T-0002",
  "\t",
  "",
];

function mutate(text: Uint8Array, rand: (n: number) => number): Uint8Array {
  const b = [...text];
  const kind = rand(8);
  if (kind <= 3 && b.length > 0) {
    const i = rand(b.length);
    if (kind === 0) b[i] = rand(256); // flip a byte
    else if (kind === 1) b.splice(i, 0, rand(256)); // insert a byte
    else if (kind === 2) b.splice(i, 1); // delete a byte
    else b.length = i; // truncate
    return new Uint8Array(b);
  }
  const lines = new TextDecoder().decode(text).split("\n");
  const i = rand(lines.length);
  if (kind === 4) lines.splice(i, 1); // delete a line
  else if (kind === 5) lines.splice(i, 0, lines[rand(lines.length)]); // duplicate a line
  else if (kind === 6) {
    const j = rand(lines.length);
    [lines[i], lines[j]] = [lines[j], lines[i]]; // swap two lines
  } else lines.splice(i, 0, NASTY_LINES[rand(NASTY_LINES.length)]);
  return enc.encode(lines.join("\n"));
}

Deno.test("suite malformed: random mutations of tickets and agent files", async () => {
  const count = size("TRACK_SUITE_MUTATIONS", 2000);
  const cliSample = size("TRACK_SUITE_MUTATIONS_CLI", 10);
  const s0 = seed();
  const rand = rng(s0);
  await using s = await pristine();
  const ticketPath = `${s.dir}/${T1}`;
  const agentPath = `${s.dir}/agents/ann.json`;
  const ticket = Deno.readFileSync(ticketPath);
  const agent = Deno.readFileSync(agentPath);
  const codes: Record<number, number> = {};
  let maxMs = 0;
  let cli = 0;
  let writesRefused = 0;
  const started = performance.now();
  for (let k = 0; k < count; k++) {
    const onTicket = k % 2 === 0;
    const path = onTicket ? ticketPath : agentPath;
    const mutated = mutate(onTicket ? ticket : agent, rand);
    Deno.writeFileSync(path, mutated);
    const commands = onTicket
      ? [["show", "1", "--json"], ["list", "--all"]]
      : [["agents", "--all", "--json"], ["stale", "--json"]];
    for (const args of commands) {
      const r = await run(s.root, args);
      check(`mutation ${k} (seed ${s0})`, args, r);
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      maxMs = Math.max(maxMs, r.ms);
    }
    if (k % Math.max(1, Math.floor(count / cliSample)) === 0) {
      // The same through the real CLI: no stack trace, documented code, nothing written.
      const r = await runTrack(commands[0], { cwd: s.root });
      check(`mutation ${k} via CLI`, commands[0], { ...r, ms: 0 });
      cli++;
    }
    assertEquals(Deno.readFileSync(path), mutated, `mutation ${k}: the read changed the file`);
    // A write that touches the mutated file: refused means the whole store is as it was.
    const before = snapshot(s.dir);
    const write = onTicket
      ? ["log", "1", "--agent", "ann", "-m", "more"]
      : ["heartbeat", "--agent", "ann"];
    const w = await run(s.root, write);
    check(`mutation ${k} (seed ${s0}, write)`, write, w, WRITE_CODES);
    maxMs = Math.max(maxMs, w.ms);
    if (w.code !== 0) {
      writesRefused++;
      const after = snapshot(s.dir);
      assertEquals(
        changedPaths(before, after),
        [],
        `mutation ${k} (seed ${s0}): refused ${write.join(" ")} (exit ${w.code}) wrote`,
      );
    }
  }
  Deno.writeFileSync(ticketPath, ticket);
  Deno.writeFileSync(agentPath, agent);
  report("malformed-mutations", {
    mutations: count,
    via_cli: cli,
    exit_codes: JSON.stringify(codes),
    writes_refused_store_unchanged: writesRefused,
    max_ms: Math.round(maxMs),
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s0,
  });
});
