/** What a command's `run` gets instead of touching Deno.args, env, the clock or the console. */
import { findStore } from "../store/discovery.ts";
import { Store } from "../store/store.ts";
import { usageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { checkAgentName } from "../agents/agent.ts";

/** Read-only environment lookup. */
export interface Env {
  get(name: string): string | undefined;
}

/** Everything a command may use from the outside world. */
export interface Context {
  io: Io;
  env: Env;
  cwd: string;
  /** Whether `--json` was given. */
  json: boolean;
  now(): Date;
  /** The store, found on first use (exit 4 when there is none). */
  store(): Store;
  /** `--agent` value or `TRACK_AGENT`, validated; null when neither is set. */
  agent(flag: string | undefined): string | null;
  /** Like {@linkcode agent} but a usage error when neither is set. */
  requireAgent(flag: string | undefined, command: string): string;
}

/** Lock wait budget from `TRACK_LOCK_TIMEOUT` (milliseconds), if set. */
function lockTimeout(env: Env): number | undefined {
  const raw = env.get("TRACK_LOCK_TIMEOUT");
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw usageError(`Invalid TRACK_LOCK_TIMEOUT ${JSON.stringify(raw)}: expected milliseconds`);
  }
  return n;
}

/**
 * Test hook `TRACK_FAKE_NOW`: an ISO timestamp (a stopped clock) or `+N` / `-N` milliseconds
 * added to the real clock (a stepped one). Lets tests jump a subprocess's wall clock.
 */
function fakeNow(env: Env): (() => Date) | undefined {
  const raw = env.get("TRACK_FAKE_NOW");
  if (raw === undefined || raw === "") return undefined;
  if (/^[+-]\d+$/.test(raw)) return () => new Date(Date.now() + Number(raw));
  const at = Date.parse(raw);
  if (Number.isNaN(at)) throw usageError(`Invalid TRACK_FAKE_NOW ${JSON.stringify(raw)}`);
  return () => new Date(at);
}

/** Builds a context over the given outside world. */
export function createContext(
  options: { io: Io; env: Env; cwd: string; json: boolean; now?: () => Date; store?: Store },
): Context {
  let store: Store | undefined = options.store;
  const ctx: Context = {
    io: options.io,
    env: options.env,
    cwd: options.cwd,
    json: options.json,
    now: options.now ?? fakeNow(options.env) ?? (() => new Date()),
    store() {
      store ??= new Store(findStore(options.cwd, options.env), {
        lockTimeoutMs: lockTimeout(options.env),
      });
      return store;
    },
    agent(flag) {
      const name = flag ?? options.env.get("TRACK_AGENT");
      if (name === undefined || name === "") return null;
      return checkAgentName(name);
    },
    requireAgent(flag, command) {
      const name = ctx.agent(flag);
      if (name === null) {
        throw usageError(
          `"track ${command}" needs an agent: pass --agent NAME or set TRACK_AGENT`,
          "track register (prints a free agent name)",
        );
      }
      return name;
    },
  };
  return ctx;
}
