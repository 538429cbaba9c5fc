/**
 * `deno task bench:peers`: track next to Backlog.md (npm package `backlog.md`, installed into a
 * temp directory) on the same workload: create N tasks, list them, show one, and claim one task
 * from 8 processes at once (released together through a pipe), counting double claims. Writes
 * bench/PEERS.md and prints it. TRACK_PEERS_N sets N (default 1,000), TRACK_PEERS_ROUNDS the
 * contention rounds (default 10), BACKLOG_MD_VERSION the version (default 1.52.0).
 */
import { fileURLToPath } from "node:url";
import { machine, ms, summarize, TRACK_RUN } from "./lib.ts";

const N = Number(Deno.env.get("TRACK_PEERS_N") ?? 1000);
const ROUNDS = Number(Deno.env.get("TRACK_PEERS_ROUNDS") ?? 10);
const REPS = Number(Deno.env.get("TRACK_BENCH_REPS") ?? 10);
const VERSION = Deno.env.get("BACKLOG_MD_VERSION") ?? "1.52.0";

function log(text: string): void {
  // deno-lint-ignore no-console
  console.error(text);
}

interface Tool {
  name: string;
  cmd: string[];
  init: string[];
  create: (i: number) => string[];
  list: string[];
  show: string[];
  /** Claim task `i` for `agent`. */
  claim: (i: number, agent: string) => string[];
  /** Who holds task `i` now, read from disk after a round. */
  holder: (root: string, i: number) => Promise<string | null>;
}

async function run(
  tool: Tool,
  args: string[],
  cwd: string,
): Promise<{ code: number; ms: number; out: string }> {
  const t0 = performance.now();
  const o = await new Deno.Command(tool.cmd[0], {
    args: [...tool.cmd.slice(1), ...args],
    cwd,
    env: { NO_COLOR: "1", TRACK_AGENT: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, ms: performance.now() - t0, out: new TextDecoder().decode(o.stdout) };
}

/** Starts `argvs` as processes blocked on a pipe, then releases them together. */
async function together(tool: Tool, argvs: string[][], cwd: string): Promise<number[]> {
  const children = argvs.map((args) =>
    new Deno.Command("sh", {
      args: ["-c", 'read -r _ && exec "$@"', "sh", ...tool.cmd, ...args],
      cwd,
      env: { NO_COLOR: "1", TRACK_AGENT: "" },
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  const writers = children.map((c) => c.stdin.getWriter());
  await Promise.all(writers.map((w) => w.write(new TextEncoder().encode("go\n"))));
  await Promise.all(writers.map((w) => w.close()));
  return (await Promise.all(children.map((c) => c.status))).map((s) => s.code);
}

async function installBacklog(dir: string): Promise<string> {
  log(`installing backlog.md@${VERSION} from npm into ${dir}`);
  const o = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      dir,
      `backlog.md@${VERSION}`,
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!o.success) throw new Error("npm install backlog.md failed");
  // The package's cli.js only finds and runs this platform binary; run it directly so node's
  // own startup is not counted against Backlog.md.
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const os = Deno.build.os === "windows" ? "windows" : Deno.build.os;
  const bin = `${dir}/node_modules/backlog.md-${os}-${arch}/backlog`;
  Deno.statSync(bin);
  return bin;
}

function trackTool(): Tool {
  return {
    name: "track",
    cmd: [Deno.execPath(), ...TRACK_RUN],
    init: ["init"],
    create: (i) => ["create", "--title", `Task number ${i}`],
    list: ["list"],
    show: ["show", "T-0500"],
    claim: (i, agent) => ["claim", String(i), "--agent", agent],
    holder: async (root, i) => {
      const text = await Deno.readTextFile(
        `${root}/.track/tickets/T-${String(i).padStart(4, "0")}.md`,
      );
      const m = /^claimed_by: (.*)$/m.exec(text);
      return m && m[1] !== "null" ? m[1] : null;
    },
  };
}

function backlogTool(bin: string): Tool {
  return {
    name: `Backlog.md ${VERSION}`,
    cmd: [bin],
    init: [
      "init",
      "bench",
      "--defaults",
      "--check-branches",
      "false",
      "--include-remote",
      "false",
      "--auto-open-browser",
      "false",
      "--integration-mode",
      "none",
    ],
    create: (i) => ["task", "create", `Task number ${i}`],
    list: ["task", "list", "--plain"],
    show: ["task", "500", "--plain"],
    // Backlog.md has no claim: taking a task is setting its status and assignee.
    claim: (i, agent) => ["task", "edit", String(i), "-s", "In Progress", "-a", `@${agent}`],
    holder: async (root, i) => {
      for (const e of Deno.readDirSync(`${root}/backlog/tasks`)) {
        if (!e.name.startsWith(`task-${i} `)) continue;
        const text = await Deno.readTextFile(`${root}/backlog/tasks/${e.name}`);
        const m = /assignee:\s*\n\s*- '?@?([^'\n]+)'?/m.exec(text) ??
          /assignee: \[['"]?@?([^'"\]]+)/.exec(text);
        return m ? m[1] : null;
      }
      return null;
    },
  };
}

interface Result {
  tool: string;
  create: ReturnType<typeof summarize>;
  list: ReturnType<typeof summarize>;
  show: ReturnType<typeof summarize>;
  claimRounds: number;
  winnersTold: number;
  doubleClaims: number;
  lastWriterMismatch: number;
}

async function measure(tool: Tool): Promise<Result> {
  const root = await Deno.makeTempDir({ prefix: "track-peers-" });
  try {
    await new Deno.Command("git", { args: ["init", "-q", "."], cwd: root }).output();
    const init = await run(tool, tool.init, root);
    if (init.code !== 0) throw new Error(`${tool.name} init failed`);
    log(`${tool.name}: create ${N}`);
    const creates: number[] = [];
    for (let i = 1; i <= N; i++) {
      const r = await run(tool, tool.create(i), root);
      if (r.code !== 0) throw new Error(`${tool.name} create ${i} failed`);
      creates.push(r.ms);
    }
    log(`${tool.name}: list / show`);
    const lists: number[] = [];
    const shows: number[] = [];
    for (let i = 0; i < REPS; i++) {
      lists.push((await run(tool, tool.list, root)).ms);
      shows.push((await run(tool, tool.show, root)).ms);
    }
    log(`${tool.name}: 8-way claims x ${ROUNDS}`);
    let told = 0;
    let doubles = 0;
    let mismatch = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const task = round * 7;
      const agents = Array.from({ length: 8 }, (_, a) => `agent${a}`);
      const codes = await together(tool, agents.map((a) => tool.claim(task, a)), root);
      const winners = agents.filter((_, k) => codes[k] === 0);
      told += winners.length;
      doubles += Math.max(0, winners.length - 1);
      const holder = await tool.holder(root, task);
      if (winners.length === 1 && holder !== winners[0]) mismatch++;
    }
    return {
      tool: tool.name,
      create: summarize(creates),
      list: summarize(lists),
      show: summarize(shows),
      claimRounds: ROUNDS,
      winnersTold: told,
      doubleClaims: doubles,
      lastWriterMismatch: mismatch,
    };
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

function cell(s: ReturnType<typeof summarize>): string {
  return `${ms(s.median_ms)} (${ms(s.p10_ms)}-${ms(s.p90_ms)})`;
}

if (import.meta.main) {
  const started = new Date();
  const dir = await Deno.makeTempDir({ prefix: "track-peers-npm-" });
  try {
    const bin = await installBacklog(dir);
    const results = [await measure(trackTool()), await measure(backlogTool(bin))];
    const lines = [
      "# track next to its peers",
      "",
      "Written by `deno task bench:peers` (bench/peers.ts); do not edit by hand.",
      "",
      `- Machine: ${machine()}`,
      `- Deno: ${Deno.version.deno}; Backlog.md ${VERSION} (npm, its compiled linux binary run directly)`,
      `- Date: ${started.toISOString().slice(0, 19)}Z`,
      `- Workload: create ${
        N.toLocaleString("en")
      } tasks one command each, list them (${REPS} runs),`,
      `  show one (${REPS} runs), then ${ROUNDS} rounds of 8 processes claiming the same task at once`,
      "  (released together through a pipe). Times: median (p10-p90) ms of one command.",
      "",
      "| Tool | create | list | show | claim rounds | told they won | double claims |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...results.map((r) =>
        `| ${r.tool} | ${cell(r.create)} | ${cell(r.list)} | ${
          cell(r.show)
        } | ${r.claimRounds} | ${r.winnersTold} | ${r.doubleClaims} |`
      ),
      "",
      'Backlog.md has no claim operation; the closest is `task edit N -s "In Progress" -a @agent`.',
      "Every process that exits 0 was told it has the task; a double claim is each extra one per",
      "round. Total create time: " +
      results.map((r) =>
        `${r.tool} ${((r.create.median_ms ?? 0) * N / 1000).toFixed(0)} s (median x N)`
      ).join(", ") + ".",
      "",
    ];
    const text = lines.join("\n");
    Deno.writeTextFileSync(fileURLToPath(new URL("./PEERS.md", import.meta.url)), text);
    await Deno.stdout.write(new TextEncoder().encode(text));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
