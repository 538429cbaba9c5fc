/**
 * Agent records: `.track/agents/<name>.json`, one per agent, fixed key order. Compatible with
 * agent-track 0.1 files (its extra keys are kept as they were).
 */
import { usageError } from "./errors.ts";
import type { MonoStamp } from "./clock.ts";

/** Liveness of an agent as recorded. `stale` is set by `stale --reclaim`. */
export type AgentStatus = "active" | "stale" | "deregistered";

/** A claim this agent lost, kept so its late writes are refused with the reason. */
export interface LostClaim {
  ticket: string;
  /** The claim epoch the agent held. */
  epoch: number;
  at: string;
  reason: string;
  /** The tenure it held (sync stores: `claim_id`, docs/sync.md "Decisions"); absent before. */
  claim_id?: string;
}

/**
 * The Claude Code process a session's hooks run under (found through the hook's parent chain):
 * its pid, its start time in clock ticks since boot (/proc/PID/stat field 22, so a pid reused by
 * another process is told apart) and the boot it belongs to.
 */
export interface AgentProcess {
  pid: number;
  start: number;
  boot: string;
}

/** A tool call in progress (PreToolUse recorded it; its PostToolUse removes it). */
export interface BusyCall {
  /** Claude Code's tool_use_id, or null when the payload had none. */
  id: string | null;
  tool: string;
  /** A short description: the command, file or pattern (one line, at most 80 characters). */
  what: string;
  since: string;
}

/** Why the agent waits for the person (Notification / PermissionRequest / Stop hooks). */
export interface Waiting {
  /** permission (a tool needs approval), idle (waiting for input), finished (turn ended). */
  kind: "permission" | "idle" | "finished";
  reason: string;
  since: string;
}

/** An agent record as stored. */
export interface Agent {
  id: string;
  status: AgentStatus;
  registered_at: string;
  last_heartbeat: string;
  capabilities: string[];
  session_id: string | null;
  worktree: string | null;
  lost: LostClaim[];
  /** Boot-clock reading of the last heartbeat (src/store/clock.ts reads it); null when unavailable. */
  heartbeat_clock: MonoStamp | null;
  /** The Claude Code process of the session (hooks only), or null. */
  process: AgentProcess | null;
  /** Tool calls in progress (hooks only), oldest first. */
  busy: BusyCall[];
  /** Set while the agent waits for the person (hooks only). */
  waiting: Waiting | null;
  /**
   * The clone (its 12-hex clone id) the agent acts from, with sync on (docs/sync.md
   * "Identities"); absent in records written with sync off and by older versions.
   */
  host?: string | null;
  /** Keys this version does not know (from agent-track 0.1 or newer versions), kept sorted. */
  extra: Record<string, unknown>;
}

/** Valid agent names: they become file names. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The name of the person at the dashboard or CLI (`create` without `--agent`); no agent's. */
export const HUMAN = "human";

/**
 * Device names Windows reserves in every directory, with or without an extension (`CON`,
 * `con.txt`, `COM1`, `LPT9.log`, any case): an agent record named so could not be created there.
 */
const DEVICE_NAME = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/**
 * Why `name` cannot name an agent, or null when it can. Agent names become file names, so they
 * are short, portable, and never a Windows device name; `human` is reserved for the person.
 */
export function agentNameProblem(name: string): string | null {
  if (!AGENT_NAME.test(name) || name.endsWith(".json") || name.includes("..")) {
    return 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';
  }
  if (name.toLowerCase() === HUMAN) {
    return `"${HUMAN}" is reserved for the person using the dashboard or the CLI without --agent`;
  }
  if (DEVICE_NAME.test(name)) {
    return "CON, PRN, AUX, NUL, COM1-COM9 and LPT1-LPT9 (any case, with or without an " +
      "extension) are device names on Windows";
  }
  return null;
}

/** Throws a usage error (exit 2) unless `name` is a valid agent name. */
export function checkAgentName(name: string): string {
  const problem = agentNameProblem(name);
  if (problem !== null) {
    const shown = name.length > 40 ? name.slice(0, 40) + "…" : name;
    throw usageError(
      `Invalid agent name ${JSON.stringify(shown)}: ${problem}`,
      "track register (picks a free name)",
    );
  }
  return name;
}

const KNOWN = new Set([
  "id",
  "status",
  "registered_at",
  "last_heartbeat",
  "capabilities",
  "session_id",
  "worktree",
  "lost",
  "heartbeat_clock",
  "process",
  "busy",
  "waiting",
  "host",
]);

/** Parse failure of an agent file. */
export class AgentFormatError extends Error {}

function str(r: Record<string, unknown>, key: string, nullable: boolean): string | null {
  const v = r[key];
  if (v === undefined || v === null) {
    if (nullable) return null;
    throw new AgentFormatError(`"${key}" is missing`);
  }
  if (typeof v !== "string") throw new AgentFormatError(`"${key}" must be a string`);
  return v;
}

/** Parses an agent file's JSON text. `expectedId` comes from the file name. */
export function parseAgent(text: string, expectedId: string): Agent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AgentFormatError(`is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AgentFormatError("must hold a JSON object");
  }
  const r = raw as Record<string, unknown>;
  const id = str(r, "id", false)!;
  if (id !== expectedId) {
    throw new AgentFormatError(`"id" is "${id}" but the file is named ${expectedId}.json`);
  }
  let status = str(r, "status", true) ?? "active";
  // agent-track 0.1 wrote "idle"/"working"; both mean alive.
  if (status !== "stale" && status !== "deregistered") status = "active";
  const caps = r.capabilities ?? [];
  if (!Array.isArray(caps) || caps.some((c) => typeof c !== "string")) {
    throw new AgentFormatError(`"capabilities" must be a list of strings`);
  }
  const lostRaw = r.lost ?? [];
  if (!Array.isArray(lostRaw)) throw new AgentFormatError(`"lost" must be a list`);
  const lost: LostClaim[] = lostRaw.map((l) => {
    if (
      typeof l !== "object" || l === null || typeof l.ticket !== "string" ||
      typeof l.epoch !== "number" || typeof l.at !== "string" || typeof l.reason !== "string"
    ) {
      throw new AgentFormatError(`"lost" entries need ticket, epoch, at and reason`);
    }
    return {
      ticket: l.ticket,
      epoch: l.epoch,
      at: l.at,
      reason: l.reason,
      ...(typeof l.claim_id === "string" ? { claim_id: l.claim_id } : {}),
    };
  });
  const clockRaw = r.heartbeat_clock ?? null;
  let heartbeatClock: MonoStamp | null = null;
  if (clockRaw !== null) {
    const c = clockRaw as Record<string, unknown>;
    if (
      typeof c !== "object" || Array.isArray(c) || typeof c.boot !== "string" ||
      typeof c.uptime_ms !== "number" || !Number.isFinite(c.uptime_ms)
    ) {
      throw new AgentFormatError(`"heartbeat_clock" needs boot (text) and uptime_ms (number)`);
    }
    heartbeatClock = { boot: c.boot, uptime_ms: c.uptime_ms };
  }
  const registered = str(r, "registered_at", true);
  const proc = parseProcess(r.process ?? null);
  const busy = parseBusy(r.busy ?? []);
  const waiting = parseWaiting(r.waiting ?? null);
  const host = r.host ?? null;
  if (host !== null && (typeof host !== "string" || !/^[0-9a-f]{12}$/.test(host))) {
    throw new AgentFormatError(`"host" must be a clone id (12 hex digits)`);
  }
  const heartbeat = str(r, "last_heartbeat", true) ?? registered;
  if (heartbeat === null) throw new AgentFormatError(`"last_heartbeat" is missing`);
  const extra: Record<string, unknown> = {};
  for (const k of Object.keys(r).sort()) {
    if (!KNOWN.has(k) && k !== "__proto__") extra[k] = r[k];
  }
  return {
    id,
    status: status as AgentStatus,
    registered_at: registered ?? heartbeat,
    last_heartbeat: heartbeat,
    capabilities: caps as string[],
    session_id: str(r, "session_id", true),
    worktree: str(r, "worktree", true),
    lost,
    heartbeat_clock: heartbeatClock,
    process: proc,
    busy,
    waiting,
    ...(host === null ? {} : { host }),
    extra,
  };
}

function parseProcess(v: unknown): AgentProcess | null {
  if (v === null) return null;
  const p = v as Record<string, unknown>;
  if (
    typeof p !== "object" || Array.isArray(p) || !Number.isSafeInteger(p.pid) ||
    !Number.isSafeInteger(p.start) || typeof p.boot !== "string"
  ) {
    throw new AgentFormatError(`"process" needs pid and start (integers) and boot (text)`);
  }
  return { pid: p.pid as number, start: p.start as number, boot: p.boot };
}

function parseBusy(v: unknown): BusyCall[] {
  if (!Array.isArray(v)) throw new AgentFormatError(`"busy" must be a list`);
  return v.map((b) => {
    if (
      typeof b !== "object" || b === null || (b.id !== null && typeof b.id !== "string") ||
      typeof b.tool !== "string" || typeof b.what !== "string" || typeof b.since !== "string"
    ) {
      throw new AgentFormatError(`"busy" entries need id, tool, what and since`);
    }
    return { id: b.id, tool: b.tool, what: b.what, since: b.since };
  });
}

const WAITING_KINDS = new Set(["permission", "idle", "finished"]);

function parseWaiting(v: unknown): Waiting | null {
  if (v === null) return null;
  const w = v as Record<string, unknown>;
  if (
    typeof w !== "object" || Array.isArray(w) || !WAITING_KINDS.has(w.kind as string) ||
    typeof w.reason !== "string" || typeof w.since !== "string"
  ) {
    throw new AgentFormatError(
      `"waiting" needs kind (permission, idle or finished), reason and since`,
    );
  }
  return { kind: w.kind as Waiting["kind"], reason: w.reason, since: w.since };
}

/** Serialises an agent record deterministically. */
export function serializeAgent(a: Agent): string {
  const obj: Record<string, unknown> = {
    id: a.id,
    status: a.status,
    registered_at: a.registered_at,
    last_heartbeat: a.last_heartbeat,
    capabilities: a.capabilities,
    session_id: a.session_id,
    worktree: a.worktree,
    lost: a.lost,
    heartbeat_clock: a.heartbeat_clock,
  };
  // Written only when set, so records of agents without the Claude Code hooks stay as they were.
  if (a.process !== null) obj.process = a.process;
  if (a.busy.length > 0) obj.busy = a.busy;
  if (a.waiting !== null) obj.waiting = a.waiting;
  // Only with sync on: a store without a remote keeps the records it always had.
  if (a.host !== undefined && a.host !== null) obj.host = a.host;
  for (const [k, v] of Object.entries(a.extra)) obj[k] = v;
  return JSON.stringify(obj, null, 2) + "\n";
}

/** Readable names handed out by `register` without `--agent`, in order. */
export const AGENT_NAMES = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliet",
  "kilo",
  "lima",
  "mike",
  "november",
  "oscar",
  "papa",
  "quebec",
  "romeo",
  "sierra",
  "tango",
  "uniform",
  "victor",
  "whiskey",
  "xray",
  "yankee",
  "zulu",
].map((n) => `agent-${n}`);
