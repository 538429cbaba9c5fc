/**
 * Other processes, as the store's runtime files (lock holders' pid files, the dashboard's
 * server.json) and agent records name them: alive or not, and when they started (so a reused pid
 * is told apart). Linux answers through /proc; elsewhere a process is never called dead.
 *
 * A session's Claude Code process (docs/agents.md "Liveness") is (pid, start time in clock ticks
 * since boot, boot id): {@linkcode claudeProcess} finds it, {@linkcode processState} checks it.
 */
import type { AgentProcess } from "../model/agent.ts";
import { monotonicNow } from "./clock.ts";

/**
 * Whether process `pid` is alive. Only Linux (/proc) can prove a process dead. A zombie (killed,
 * not yet reaped: a server started with `serve -d` whose parent is gone waits for init to reap
 * it, which in a container may be never) is dead.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (Deno.build.os !== "linux") return true;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return true; // Cannot tell: never call a live process dead.
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when unknown. */
export function procStartTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** The fields of /proc/PID/stat we use, or null when the process does not exist. */
export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** Start time in clock ticks after boot (field 22). */
  start: number;
}

/**
 * Reads /proc/PID/stat; null when there is no such process, undefined when it cannot be read
 * (no /proc, no permission).
 */
export function procStat(pid: number): ProcStat | null | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? null : undefined;
  }
  // comm may hold spaces and parentheses: it ends at the last ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  const ppid = Number(fields[1]);
  const start = Number(fields[19]);
  if (!Number.isSafeInteger(ppid) || !Number.isSafeInteger(start)) return undefined;
  return { comm: text.slice(text.indexOf("(") + 1, close), state: fields[0], ppid, start };
}

function looksLikeClaude(pid: number, stat: ProcStat): boolean {
  if (stat.comm === "claude") return true;
  let argv: string[];
  try {
    argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").slice(0, 2);
  } catch {
    return false;
  }
  // The native binary, or node running the npm package (`node …/claude-code/cli.js`).
  return argv.some((a) => /(^|\/)claude$/.test(a) || /claude-code\/cli\.m?js$/.test(a));
}

/** How many parents up the chain we look (Claude Code → shell → track, plus wrappers). */
const MAX_DEPTH = 12;

/**
 * The Claude Code process this process runs under: the nearest ancestor named `claude` (the
 * native binary, or node running Claude Code's cli.js). Null when there is none or no /proc.
 */
export function claudeProcess(): AgentProcess | null {
  if (Deno.build.os !== "linux") return null;
  const boot = monotonicNow()?.boot;
  if (boot === undefined) return null;
  let pid = Deno.pid;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const stat = procStat(pid);
    if (!stat || stat.ppid <= 1) return null;
    pid = stat.ppid;
    const parent = procStat(pid);
    if (!parent) return null;
    if (looksLikeClaude(pid, parent)) return { pid, start: parent.start, boot };
  }
  return null;
}

/**
 * Whether the recorded process still runs: "alive" (same pid, same start time, this boot, not a
 * zombie), "gone" (this boot, and the pid is free, reused by another process, or a zombie), or
 * "unknown" (recorded on another boot or machine, or no /proc here).
 */
export function processState(p: AgentProcess | null): "alive" | "gone" | "unknown" {
  if (p === null || Deno.build.os !== "linux") return "unknown";
  const boot = monotonicNow()?.boot;
  if (boot === undefined || boot !== p.boot) return "unknown";
  const stat = procStat(p.pid);
  if (stat === undefined) return "unknown";
  if (stat === null || stat.start !== p.start) return "gone";
  return stat.state === "Z" || stat.state === "X" ? "gone" : "alive";
}
