/**
 * Pushes a clone makes while Claude Code agents work on it (issue 21): 8 agents on one clone of a
 * path remote, auto-sync on (`TRACK_SYNC=auto`: a write leaves a paced background sync behind)
 * and the push interval of an ssh or https remote (60 s). Each agent is driven through the real
 * commands Claude Code's hooks and an agent run, as subprocesses: SessionStart, `next` (a
 * decision: synced before it returns, never paced), then a tool call every 3 s (PreToolUse and
 * PostToolUse of an Edit; PostToolUse is the heartbeat), a Work Log line every 5th call, and
 * every 100th call (BENCH_SYNC_HOOKS_CALLS_PER_TICKET) the ticket through review to done and the
 * next one claimed (each ticket in progress while worked on). Rows: accepted pushes per minute of
 * the clone (state commits, from the remote's history), with those that carried a decision and
 * all pushes that reached the remote (a pre-receive hook); the PostToolUse hook's latency with
 * auto-sync on. BENCH_SYNC_HOOKS_SECONDS: how long the agents work (default 120; the 600).
 */
import { quantile, type Row } from "../lib.ts";
import { type Clone, SyncWorld } from "../../tests/sync_world.ts";
import { claudeHookInput } from "../../tests/helpers.ts";

const SECONDS = Number(Deno.env.get("BENCH_SYNC_HOOKS_SECONDS") ?? 120);
const AGENTS = 8;
const TICKETS = 40;
const TOOL_EVERY_MS = 3_000;
const LOG_EVERY = 5;
const CALLS_PER_TICKET = Number(Deno.env.get("BENCH_SYNC_HOOKS_CALLS_PER_TICKET") ?? 100);
const INTERVAL_MS = 60_000;
const AUTO = { TRACK_SYNC: "auto" };

function log(text: string): void {
  // deno-lint-ignore no-console
  console.error(`  ${text}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Tally {
  toolCalls: number;
  logs: number;
  done: number;
  claims: number;
  failed: string[];
  postToolUseMs: number[];
}

/** One agent's session until `until` (epoch ms): the workload in the module doc. */
async function agent(c: Clone, index: number, until: number, tally: Tally): Promise<void> {
  const session = crypto.randomUUID();
  const name = `claude-${session.slice(0, 8)}`;
  const hook = async (event: string, arg: string, extra: Record<string, unknown> = {}) => {
    const t0 = performance.now();
    const r = await c.track(["hook", "claude", arg], {
      stdin: claudeHookInput(session, c.dir, event, extra),
      env: AUTO,
    });
    if (r.code !== 0) tally.failed.push(`${name} ${arg}: exit ${r.code}: ${r.stderr.trim()}`);
    return performance.now() - t0;
  };
  /** Moves `id` on through the lifecycle; a refusal is a failure of the run. */
  const step = async (id: string, status: string): Promise<boolean> => {
    const r = await c.track(["update", id, "--status", status, "--agent", name], { env: AUTO });
    if (r.code !== 0) tally.failed.push(`${name} ${status}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.code === 0;
  };
  const next = async (): Promise<string | null> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await c.track(["next", "--agent", name, "--json"], { env: AUTO });
      if (r.code === 0) {
        tally.claims++;
        const id = (JSON.parse(r.stdout) as { ticket: { id: string } }).ticket.id;
        await step(id, "in-progress");
        return id;
      }
      if (r.code === 4) return null;
      await sleep(500);
    }
    tally.failed.push(`${name} next: no grant in 5 attempts`);
    return null;
  };
  await hook("SessionStart", "session-start", { source: "startup" });
  let ticket = await next();
  // Agents start a little apart, as sessions do.
  let due = Date.now() + index * (TOOL_EVERY_MS / AGENTS);
  for (let call = 1; ticket !== null; call++) {
    await sleep(due - Date.now());
    if (Date.now() >= until) break;
    due += TOOL_EVERY_MS;
    const edit = {
      tool_name: "Edit",
      tool_input: { file_path: `${c.dir}/src/${name}/f${call}.ts` },
    };
    await hook("PreToolUse", "pre-tool-use", edit);
    tally.postToolUseMs.push(await hook("PostToolUse", "post-tool-use", edit));
    tally.toolCalls++;
    if (call % LOG_EVERY === 0) {
      const r = await c.track(["log", ticket, "--agent", name, "-m", `step ${call}`], {
        env: AUTO,
      });
      if (r.code === 0) tally.logs++;
      else tally.failed.push(`${name} log: exit ${r.code}: ${r.stderr.trim()}`);
    }
    if (call % CALLS_PER_TICKET === 0) {
      if (await step(ticket, "review") && await step(ticket, "done")) tally.done++;
      ticket = await next();
    }
  }
  await hook("SessionEnd", "session-end", { reason: "other" });
}

export default async function syncHooks(): Promise<Row[]> {
  await using w = await SyncWorld.create({ remote: "path" });
  const [c] = await w.syncedClones(["hooks"]);
  for (let i = 0; i < TICKETS; i++) await c.ok(["create", "-t", `hook work ${i + 1}`]);
  await c.ok(["sync"]);
  c.setInterval(INTERVAL_MS);
  const pushes = await w.countPushes();
  const tip0 = await w.remoteRef();
  const tally: Tally = {
    toolCalls: 0,
    logs: 0,
    done: 0,
    claims: 0,
    failed: [],
    postToolUseMs: [],
  };
  log(`8 Claude-hook agents for ${SECONDS} s, auto-sync, interval ${INTERVAL_MS / 1000} s`);
  const t0 = Date.now();
  const until = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(c, i, until, tally)));
  const minutes = (Date.now() - t0) / 60_000;
  const reached = pushes();
  const range = tip0 === null ? "refs/track/state" : `${tip0}..refs/track/state`;
  const msgs = await w.bareGit(["log", "--first-parent", "--format=%x00%B", range]);
  const commits = msgs.stdout.split("\0").slice(1);
  const deciding = commits.filter((m) => /^Track-Op: \d+ (next|claim) /m.test(m)).length;
  if (tally.failed.length > 0) throw new Error(`hook agents failed:\n${tally.failed.join("\n")}`);
  const per = (n: number) => Math.round((n / minutes) * 10) / 10;
  const ms = [...tally.postToolUseMs].sort((a, b) => a - b);
  const label = `8 Claude-hook agents on one clone, ${SECONDS} s, path remote, interval 60 s`;
  return [
    {
      name: `pushes per minute per clone, ${label}`,
      value: per(commits.length),
      unit: "pushes/min",
      note: `${commits.length} pushes accepted in ${minutes.toFixed(1)} min, ${deciding} of them ` +
        `carrying a decision (next: never paced), ${per(commits.length - deciding)}/min without ` +
        `one; ${reached} reached the remote; workload: ${tally.toolCalls} tool calls ` +
        `(PreToolUse + PostToolUse), ${tally.logs} Work Log lines, ${tally.claims} claims, ` +
        `${tally.done} tickets done`,
    },
    {
      name: `PostToolUse hook (the heartbeat) with auto-sync on, ${label}`,
      median_ms: quantile(ms, 0.5),
      p95_ms: quantile(ms, 0.95),
      samples: ms.length,
      note: "a real hook process: startup, heartbeat under the lock, a background sync started " +
        "when none runs",
    },
  ];
}
