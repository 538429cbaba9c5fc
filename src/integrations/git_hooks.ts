/**
 * The git guard: a pre-commit hook that refuses commits touching paths another agent reserved,
 * and a commit-msg hook that warns when the committing agent holds a ticket the message does not
 * name. Installed into the hooks directory git itself uses (the common git dir's, so linked
 * worktrees share it; `core.hooksPath` is honoured). A hook already there is kept as
 * `<hook>.local` and called first; uninstall puts it back.
 */
import { join } from "../model/path.ts";
import { tempPathFor } from "../store/atomic.ts";
import { conflictError, TrackError } from "../model/errors.ts";
import { conflictsFor, readReservations, type Reservation } from "../operations/reservations.ts";
import type { Store } from "../store/store.ts";
import { heldBy } from "../model/holding.ts";

/** The git hooks we install. */
export const GIT_HOOKS = ["pre-commit", "commit-msg"] as const;
/** A git hook we install. */
export type GitHookName = typeof GIT_HOOKS[number];

/** Second line of every script we write; how uninstall knows a hook is ours. */
export const GIT_HOOK_MARK = "# track-guard: installed by `track hooks install --git`";

/** Runs git in `cwd`; returns its output, or throws a TrackError naming the command. */
export function git(args: string[], cwd: string): string {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (e) {
    throw new TrackError("io", `Cannot run "git ${args.join(" ")}": ${(e as Error).message}`, {
      hint: "install git, or run this inside a git repository",
    });
  }
  if (!out.success) {
    const msg = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    throw new TrackError("notFound", `"git ${args.join(" ")}" failed in "${cwd}": ${msg}`, {
      hint: "run this inside a git repository (git init)",
    });
  }
  return new TextDecoder().decode(out.stdout);
}

/** The hooks directory git uses for the repository at `cwd` (shared by all its worktrees). */
export function gitHooksDir(cwd: string): string {
  try {
    return git(["rev-parse", "--path-format=absolute", "--git-path", "hooks"], cwd).trim();
  } catch (e) {
    if (!(e instanceof TrackError) || e.kind !== "notFound") throw e;
    throw new TrackError(
      "notFound",
      `Cannot find the git hooks of "${cwd}": ${e.message.replace(/^.*?failed in "[^"]*": /, "")}`,
      { hint: "run it inside a git repository, or install only: track hooks install --claude" },
    );
  }
}

/** The script for `name`, calling `command` (a shell command prefix that runs track). */
export function gitHookScript(name: GitHookName, command: string): string {
  return [
    "#!/bin/sh",
    GIT_HOOK_MARK,
    "# (track hooks uninstall --git removes it). The hook that was here before, if any, is",
    `# kept as ${name}.local and runs first. TRACK_GUARD=off skips the guard, =warn only warns.`,
    `local_hook="$(dirname "$0")/${name}.local"`,
    `if [ -x "$local_hook" ]; then "$local_hook" "$@" || exit $?; fi`,
    `[ "\${TRACK_GUARD:-}" = "off" ] && exit 0`,
    `${command} hook git ${name} "$@"`,
    "code=$?",
    'if [ "$code" -eq 126 ] || [ "$code" -eq 127 ]; then',
    `  echo "track-guard: cannot run track (${
      command.replaceAll('"', "'")
    }); not guarding (hint: track hooks install --git)" >&2`,
    "  exit 0",
    "fi",
    'exit "$code"',
    "",
  ].join("\n");
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** What happened to one hook. */
export interface GitHookChange {
  hook: GitHookName;
  path: string;
  action: "installed" | "updated" | "unchanged" | "chained" | "removed" | "restored" | "absent";
}

/** Installs both hooks into the hooks directory of the repository at `cwd`. Idempotent. */
export function installGitHooks(cwd: string, command: string): GitHookChange[] {
  const dir = gitHooksDir(cwd);
  Deno.mkdirSync(dir, { recursive: true });
  return GIT_HOOKS.map((hook) => {
    const path = join(dir, hook);
    const script = gitHookScript(hook, command);
    const current = readOrNull(path);
    let action: GitHookChange["action"] = "installed";
    if (current !== null && current.includes(GIT_HOOK_MARK)) {
      if (current === script) return { hook, path, action: "unchanged" };
      action = "updated";
    } else if (current !== null || exists(path)) {
      if (exists(`${path}.local`)) {
        throw conflictError(
          `Cannot install the ${hook} hook in "${dir}": "${hook}" and "${hook}.local" both exist and neither is track's`,
          `merge them into ${hook}.local by hand, then run: track hooks install --git`,
        );
      }
      Deno.renameSync(path, `${path}.local`);
      action = "chained";
    }
    // A fresh temp name created with createNew (never through a link: a committed hooks
    // directory, core.hooksPath, could hold one at a fixed name), then a rename.
    const tmp = tempPathFor(path);
    const file = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o755 });
    try {
      try {
        const bytes = new TextEncoder().encode(script);
        for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
      } finally {
        file.close();
      }
      Deno.chmodSync(tmp, 0o755);
      Deno.renameSync(tmp, path);
    } catch (e) {
      Deno.removeSync(tmp);
      throw e;
    }
    return { hook, path, action };
  });
}

/** Removes our hooks only, putting back any `<hook>.local` we had moved aside. */
export function uninstallGitHooks(cwd: string): GitHookChange[] {
  const dir = gitHooksDir(cwd);
  return GIT_HOOKS.map((hook) => {
    const path = join(dir, hook);
    const current = readOrNull(path);
    if (current === null || !current.includes(GIT_HOOK_MARK)) {
      return { hook, path, action: "absent" };
    }
    Deno.removeSync(path);
    if (exists(`${path}.local`)) {
      Deno.renameSync(`${path}.local`, path);
      return { hook, path, action: "restored" };
    }
    return { hook, path, action: "removed" };
  });
}

/** A staged path that another agent holds. */
export interface GuardConflict {
  path: string;
  holder: Reservation;
}

/** Paths staged for the commit being made in `cwd` (both sides of renames, deletions too). */
export function stagedPaths(cwd: string): string[] {
  const out = git(["diff", "--cached", "--name-only", "-z", "--no-renames"], cwd);
  return out.split("\0").filter((p) => p !== "");
}

/** Staged paths reserved exclusively by an agent other than `agent` (null: anyone). */
export function guardConflicts(
  store: Store,
  paths: readonly string[],
  agent: string | null,
): GuardConflict[] {
  const all = readReservations(store);
  if (all.length === 0) return [];
  const out: GuardConflict[] = [];
  for (const path of paths) {
    const holder = conflictsFor(all, path, agent ?? "\0", "exclusive").find((r) =>
      r.mode === "exclusive"
    );
    if (holder) out.push({ path, holder });
  }
  return out;
}

/** The refusal (or, without an agent, the warning) text for guard conflicts. */
export function describeConflicts(conflicts: readonly GuardConflict[]): string {
  const shown = conflicts.slice(0, 5).map((c) =>
    `"${c.path}" (reserved by "${c.holder.agent}" for ${c.holder.ticket})`
  );
  return shown.join(", ") + (conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : "");
}

/** Ticket ids a commit message names (comment lines ignored). */
export function ticketsInMessage(message: string): string[] {
  const text = message.split("\n").filter((l) => !l.startsWith("#")).join("\n");
  return [...new Set([...text.matchAll(/\bT-\d{4,9}\b/g)].map((m) => m[0]))];
}

/**
 * The commit-msg rule: a warning when `agent` holds tickets (src/model/holding.ts) and the
 * commit message names none of them, else null. Never refuses a commit. The message is read
 * only when the agent holds something.
 */
export function commitMessageWarning(
  store: Store,
  agent: string,
  message: () => string,
): string | null {
  const held = heldBy(store.readAllTickets().tickets, agent).map((t) => t.id);
  if (held.length === 0 || ticketsInMessage(message()).length > 0) return null;
  return `track-guard: warning: the commit message names no ticket, and "${agent}" holds ${
    held.join(", ")
  } (hint: start the message with "${held[0]}: ")`;
}
