/** `track hooks install|uninstall [--claude] [--git]`: make the protocol automatic. */
import { dirname, join, resolve } from "../model/path.ts";
import { bool, defineCommand, str } from "../cli/command.ts";
import { badDataError, ioError, usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { writeFileAtomic } from "../store/atomic.ts";
import { addClaudeHooks, removeClaudeHooks } from "../integrations/claude_hooks.ts";
import {
  git,
  type GitHookChange,
  gitHooksDir,
  installGitHooks,
  uninstallGitHooks,
} from "../integrations/git_hooks.ts";
import { trackCommand } from "../integrations/invocation.ts";

/** Where `.claude/settings.json` goes: the git worktree's top level, else the working dir. */
function projectRoot(cwd: string): string {
  try {
    return git(["rev-parse", "--show-toplevel"], cwd).trim();
  } catch {
    return cwd;
  }
}

function readSettings(path: string): { settings: Record<string, unknown>; text: string | null } {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { settings: {}, text: null };
    throw ioError("read", path, e);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw badDataError(path, `is not valid JSON (${(e as Error).message})`, {
      hint: `fix the JSON by hand, then run: track hooks install --claude`,
    });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw badDataError(path, "must hold a JSON object", {
      hint: "fix it by hand, then run: track hooks install --claude",
    });
  }
  const hooks = (raw as Record<string, unknown>).hooks;
  if (
    hooks !== undefined && (typeof hooks !== "object" || hooks === null || Array.isArray(hooks))
  ) {
    throw badDataError(path, `"hooks" must be a JSON object of events`, {
      hint: "fix it by hand, then run: track hooks install --claude",
    });
  }
  return { settings: raw as Record<string, unknown>, text };
}

function writeSettings(path: string, text: string): void {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw ioError("write", path, e);
  }
  // A fresh temp name created with createNew, then a rename: a link committed at a fixed temp
  // name (`settings.json.track.tmp` -> ~/.bashrc) was written through before.
  writeFileAtomic(path, text, path);
}

export default defineCommand({
  name: "hooks",
  summary: "Install or remove the Claude Code hooks (--claude) and the git guard (--git)",
  usage: "hooks install|uninstall [--claude] [--git] [--command CMD] [--settings FILE]",
  positionals: ["action"],
  flags: [
    {
      name: "claude",
      type: "boolean",
      description: "Claude Code hooks in .claude/settings.json (default: both)",
    },
    {
      name: "git",
      type: "boolean",
      description: "pre-commit and commit-msg guard (default: both)",
    },
    {
      name: "command",
      type: "string",
      value: "CMD",
      description: "How hooks run track (default: this track's absolute path; e.g. track)",
    },
    {
      name: "settings",
      type: "string",
      value: "FILE",
      description: "Claude settings file (default: .claude/settings.json at the repo top)",
    },
  ],
  parse(args) {
    const [action, extra] = args.positionals;
    if ((action !== "install" && action !== "uninstall") || extra !== undefined) {
      throw usageError(
        `"track hooks" needs install or uninstall${
          action === undefined ? "" : `, got ${JSON.stringify(args.positionals.join(" "))}`
        }`,
        "track hooks install --claude --git",
      );
    }
    let claude = bool(args, "claude");
    let gitHooks = bool(args, "git");
    if (!claude && !gitHooks) claude = gitHooks = true;
    return {
      action,
      claude,
      git: gitHooks,
      command: str(args, "command"),
      settings: str(args, "settings"),
    } as const;
  },
  run(opts, ctx) {
    const command = trackCommand(opts.command);
    const result: {
      claude: { path: string; action: string; removed: number } | null;
      git: GitHookChange[] | null;
    } = { claude: null, git: null };
    // Outside a git repository, fail before touching settings.json (all or nothing).
    if (opts.git) gitHooksDir(ctx.cwd);
    if (opts.claude) {
      const path = opts.settings !== undefined
        ? resolve(ctx.cwd, opts.settings)
        : join(projectRoot(ctx.cwd), ".claude", "settings.json");
      const { settings, text } = readSettings(path);
      const removed = removeClaudeHooks(settings);
      if (opts.action === "install") addClaudeHooks(settings, command);
      const next = JSON.stringify(settings, null, 2) + "\n";
      let action = next === text
        ? "unchanged"
        : opts.action === "install"
        ? "installed"
        : "removed";
      if (opts.action === "uninstall" && removed === 0) action = "absent";
      if (next !== text && !(text === null && opts.action === "uninstall")) {
        writeSettings(path, next);
      }
      result.claude = { path, action, removed };
    }
    if (opts.git) {
      result.git = opts.action === "install"
        ? installGitHooks(ctx.cwd, command)
        : uninstallGitHooks(ctx.cwd);
    }
    if (ctx.json) printJson(ctx, { action: opts.action, command, ...result });
    else {
      if (result.claude) ctx.io.out(`claude: ${result.claude.action} ${result.claude.path}`);
      for (const g of result.git ?? []) ctx.io.out(`git: ${g.action} ${g.path}`);
      if (opts.action === "install") ctx.io.err(`Hooks run: ${command}`);
    }
    return Promise.resolve(0);
  },
});
