/** What a command's `run` gets instead of touching Deno.args, env, the clock or the console. */
import { findStore, firstCopyNote, ignoredDataNote } from "../store/discovery.ts";
import { type Store, storeFor } from "../store/store.ts";
import { resolve } from "../model/path.ts";
import { usageError } from "../model/errors.ts";
import type { Io } from "./io.ts";
import type { AnyCommand } from "./registry.ts";
import { checkAgentName } from "../model/agent.ts";
import { editDistance } from "./args.ts";

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
  /**
   * The store, found and its config.json checked on first use (exit 4 when there is none, 6 when
   * config.json is missing or unreadable). `check: false` skips the config check, for commands
   * that report or repair it (`doctor`, `migrate`). `unjoined: true` also opens a clone whose
   * config.json says schema 2 (sync on) while this clone has no sync.json yet, for the commands
   * that set sync up (`remote`, `sync` joining); every other command refuses it (exit 4).
   */
  store(options?: { check?: boolean; unjoined?: boolean }): Store;
  /** The store if {@linkcode store} opened one during this command, else null (opens nothing). */
  openedStore(): Store | null;
  /** `--agent` value or `TRACK_AGENT`, validated; null when neither is set. */
  agent(flag: string | undefined): string | null;
  /** Like {@linkcode agent} but a usage error when neither is set. */
  requireAgent(flag: string | undefined, command: string): string;
  /**
   * {@linkcode agent} for a command that acts as the agent, and so registers it when unknown:
   * exit 3 when the name equals a registered agent's but for case, and a warning on stderr
   * (with the nearest registered name) when it is not registered yet.
   */
  actingAgent(flag: string | undefined, command: string): Promise<string | null>;
  /** {@linkcode actingAgent} with {@linkcode requireAgent}'s usage error when none is set. */
  requireActingAgent(flag: string | undefined, command: string): Promise<string>;
  /**
   * Warnings `main` prints on stderr once the command has ended: after its output, or after its
   * error unless that is a usage error or JSON (where stderr holds exactly the error object).
   */
  readonly warnings: string[];
  /**
   * Every command's spec in registry order (for completions), handed in by `main` so that no
   * command imports the registry that loads it.
   */
  commands(): Promise<AnyCommand[]>;
}

/** Checks an agent a command is about to act as; see {@linkcode Context.actingAgent}. */
async function checkActingAgent(ctx: Context, name: string, command: string): Promise<void> {
  // Loaded only by writing commands, which load the agent store anyway.
  const { readAgentToWrite, readAllAgents } = await import("../store/agent_records.ts");
  const store = ctx.store();
  if (store.synced) {
    // Leases across machines: a holder whose heartbeat has not been published for T/2 hears so.
    const { leaseWarning } = await import("../operations/leases.ts");
    const warning = leaseWarning(store, name);
    if (warning !== null) ctx.warnings.push(warning);
  }
  // Read before the lock, for the message only: touchAgent checks again under the lock.
  if (readAgentToWrite(store, name) !== null) return;
  const lower = name.toLowerCase();
  const near = readAllAgents(store).agents.map((a) => a.id)
    .map((id) => ({ id, d: editDistance(lower, id.toLowerCase()) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))[0]?.id;
  ctx.warnings.push(
    `warning: agent "${name}" is not registered` +
      (near === undefined ? "" : ` (did you mean "${near}"?)`) +
      `; a successful "track ${command}" registers it (hint: track agents)`,
  );
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

/** Builds a context over the given outside world. */
export function createContext(
  options: {
    io: Io;
    env: Env;
    cwd: string;
    json: boolean;
    now?: () => Date;
    store?: Store;
    commands?: () => Promise<AnyCommand[]>;
  },
): Context {
  let store: Store | undefined = options.store;
  // A store handed in (tests, the dashboard) was opened by its owner.
  let checked = store !== undefined;
  const ctx: Context = {
    io: options.io,
    env: options.env,
    cwd: options.cwd,
    json: options.json,
    now: options.now ?? (() => new Date()),
    store(open = {}) {
      if (store === undefined) {
        const found = findStore(options.cwd, options.env, { legacy: open.check === false });
        const synced = found.home?.on ?? false;
        if (
          !synced && found.ignoredCopy !== null && found.worktree !== null &&
          firstCopyNote(found.worktree)
        ) {
          options.io.err(
            `note: using the main worktree's store "${found.dir}"; the ".track/" checked out in ` +
              `this linked worktree ("${found.ignoredCopy}") is a copy and is ignored ` +
              "(shown once per worktree)",
          );
        }
        const ignored = synced ? ignoredDataNote(found) : null;
        if (ignored !== null) {
          options.io.err(
            ignored.cutShort
              ? `note: "${ignored.dir}" still holds the data of a move to "${found.dir}" that was ` +
                "cut short; it is ignored, the move is complete on that side (run track sync to " +
                "remove the old copy) (shown once per worktree)"
              : `note: "${ignored.dir}" holds tickets (checked out from a branch that tracked ` +
                `them); they are ignored: with sync on the store is "${found.dir}" (track path) ` +
                "(shown once per worktree)",
          );
        }
        store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home }, {
          lockTimeoutMs: lockTimeout(options.env),
          now: ctx.now,
          cwd: resolve(options.cwd),
          notice: (m) => ctx.warnings.push(m),
        });
        checked = false;
      }
      if (!checked && open.check !== false) {
        store.checkConfig({ unjoined: open.unjoined });
        checked = !open.unjoined;
      }
      return store;
    },
    openedStore: () => store ?? null,
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
    warnings: [],
    async actingAgent(flag, command) {
      const name = ctx.agent(flag);
      if (name !== null) await checkActingAgent(ctx, name, command);
      return name;
    },
    async requireActingAgent(flag, command) {
      const name = ctx.requireAgent(flag, command);
      await checkActingAgent(ctx, name, command);
      return name;
    },
    commands: options.commands ?? (() => Promise.reject(new Error("No command registry here"))),
  };
  return ctx;
}
