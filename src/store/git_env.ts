/**
 * The environment for git commands track runs on its own account (the verify tree state, the
 * verify key's place, a handoff's `git status`): nothing of the caller's git environment leaks
 * in. Inside a git hook of another repository, or under `GIT_DIR`/`GIT_WORK_TREE`/
 * `GIT_INDEX_FILE` set by a script, git would otherwise read that repository or index instead of
 * the one in the working directory. HOME stays (for the user's `safe.directory`), prompts are
 * off, optional locks are not taken (a read must not block a concurrent `git commit`).
 *
 * The git guard (integrations/git_hooks.ts) does NOT use this: it runs inside the user's own
 * hook and must read exactly the index git hands it.
 */

/** A clean environment for `new Deno.Command("git", { clearEnv: true, env: gitEnv() })`. */
export function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {
    GIT_OPTIONAL_LOCKS: "0",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    LC_ALL: "C",
  };
  for (const name of ["PATH", "HOME"]) {
    try {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    } catch {
      // No env permission: git is found on the default PATH.
    }
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}
