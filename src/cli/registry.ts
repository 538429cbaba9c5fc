/**
 * The ordered command registry. Each entry names a command and loads its spec on demand, so
 * `track list` loads only what `list` needs. `--help`, the README command table and shell
 * completions load every spec through {@linkcode loadCommands}, so they cannot drift.
 */
import type { CommandSpec } from "./command.ts";

/** A command spec with its option type erased, as the registry holds it. */
export type AnyCommand = CommandSpec<never>;

/** One registry entry: the command's name and how to load its spec. */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<AnyCommand>;
}

function entry(name: string, load: () => Promise<{ default: unknown }>): CommandEntry {
  return { name, load: async () => (await load()).default as AnyCommand };
}

/** Every command, in help order. */
export const COMMANDS: readonly CommandEntry[] = [
  entry("init", () => import("../commands/init.ts")),
  entry("create", () => import("../commands/create.ts")),
  entry("list", () => import("../commands/list.ts")),
  entry("show", () => import("../commands/show.ts")),
  entry("path", () => import("../commands/path.ts")),
  entry("edit", () => import("../commands/edit.ts")),
  entry("ready", () => import("../commands/ready.ts")),
  entry("blocked", () => import("../commands/blocked.ts")),
  entry("search", () => import("../commands/search.ts")),
  entry("graph", () => import("../commands/graph.ts")),
  entry("next", () => import("../commands/next.ts")),
  entry("claim", () => import("../commands/claim.ts")),
  entry("update", () => import("../commands/update.ts")),
  entry("log", () => import("../commands/log.ts")),
  entry("verify", () => import("../commands/verify.ts")),
  entry("cost", () => import("../commands/cost.ts")),
  entry("archive", () => import("../commands/archive.ts")),
  entry("board", () => import("../commands/board.ts")),
  entry("inbox", () => import("../commands/inbox.ts")),
  entry("ack", () => import("../commands/ack.ts")),
  entry("register", () => import("../commands/register.ts")),
  entry("heartbeat", () => import("../commands/heartbeat.ts")),
  entry("agents", () => import("../commands/agents.ts")),
  entry("deregister", () => import("../commands/deregister.ts")),
  entry("stale", () => import("../commands/stale.ts")),
  entry("files", () => import("../commands/files.ts")),
  entry("serve", () => import("../commands/serve.ts")),
  entry("stop", () => import("../commands/stop.ts")),
  entry("export", () => import("../commands/export.ts")),
  entry("import", () => import("../commands/import.ts")),
  entry("migrate", () => import("../commands/migrate.ts")),
  entry("remote", () => import("../commands/remote.ts")),
  entry("sync", () => import("../commands/sync.ts")),
  entry("doctor", () => import("../commands/doctor.ts")),
  entry("protocol", () => import("../commands/protocol.ts")),
  entry("prime", () => import("../commands/prime.ts")),
  entry("hooks", () => import("../commands/hooks.ts")),
  entry("mcp", () => import("../commands/mcp.ts")),
  entry("completions", () => import("../commands/completions.ts")),
  entry("hook", () => import("../commands/hook.ts")),
];

/** Loads every command's spec, in registry order. */
export async function loadCommands(
  entries: readonly CommandEntry[] = COMMANDS,
): Promise<AnyCommand[]> {
  return await Promise.all(entries.map((e) => e.load()));
}
