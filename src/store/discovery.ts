/**
 * Finding the store: `TRACK_DIR` (the .track directory itself) wins; otherwise walk up from the
 * working directory to the first directory holding `.track/`, like git. In a linked git
 * worktree (`.git` is a file), the main worktree's `.track/` is used, found through the `.git`
 * file and `commondir` without spawning git.
 */
import { dirname, isAbsolute, join, resolve } from "./path.ts";
import { notFoundError } from "../cli/errors.ts";

/** Name of the store directory. */
export const STORE_DIR_NAME = ".track";

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function readSmall(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/**
 * For a directory whose `.git` is a file (a linked worktree), the main worktree's directory;
 * otherwise null.
 */
export function mainWorktreeOf(dir: string): string | null {
  const dotGit = join(dir, ".git");
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dotGit);
  } catch {
    return null;
  }
  if (!info.isFile) return null;
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit) ?? "");
  if (!m) return null;
  const gitDir = isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]);
  const common = readSmall(join(gitDir, "commondir"))?.trim();
  if (!common) return null;
  const commonDir = isAbsolute(common) ? common : resolve(gitDir, common);
  // The common dir of a normal repository is <main worktree>/.git.
  return commonDir.endsWith("/.git") || commonDir.endsWith("\\.git") ? dirname(commonDir) : null;
}

/** Where the store is, or null. Pure lookup: never creates anything. */
export function locateStore(
  cwd: string,
  env: { get(name: string): string | undefined },
): string | null {
  const fromEnv = env.get("TRACK_DIR");
  if (fromEnv) {
    const dir = resolve(cwd, fromEnv);
    return isDir(dir) ? dir : null;
  }
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, STORE_DIR_NAME);
    if (isDir(candidate)) return candidate;
    const main = mainWorktreeOf(dir);
    if (main !== null) {
      const shared = join(main, STORE_DIR_NAME);
      if (isDir(shared)) return shared;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The directory that repository paths (file reservations) are relative to: the linked worktree
 * holding `cwd` when the store is its main worktree's, otherwise the directory holding the store.
 * Every worktree of a repository has the same tree, so `src/a.ts` means the same file in each.
 */
export function projectRoot(storeDir: string, cwd: string): string {
  const owner = dirname(storeDir);
  let dir = resolve(cwd);
  for (;;) {
    if (join(dir, STORE_DIR_NAME) === storeDir) return dir;
    if (mainWorktreeOf(dir) === owner) return dir;
    const parent = dirname(dir);
    if (parent === dir) return owner;
    dir = parent;
  }
}

/** Like {@linkcode locateStore} but throws exit 4 with a hint when there is none. */
export function findStore(cwd: string, env: { get(name: string): string | undefined }): string {
  const found = locateStore(cwd, env);
  if (found !== null) return found;
  const fromEnv = env.get("TRACK_DIR");
  if (fromEnv) {
    throw notFoundError(
      `No store at TRACK_DIR="${fromEnv}": it is not a directory`,
      "create it with: track init (it honours TRACK_DIR)",
    );
  }
  throw notFoundError(
    `No .track/ directory found in "${resolve(cwd)}" or any parent`,
    "create one here with: track init",
  );
}

/**
 * The main worktree's store when `cwd` is inside a linked git worktree that has no store of its
 * own on the way up, else null: `init` there must not fork the board every worktree shares.
 */
export function sharedWorktreeStore(cwd: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    if (isDir(join(dir, STORE_DIR_NAME))) return null;
    const main = mainWorktreeOf(dir);
    if (main !== null) return isDir(join(main, STORE_DIR_NAME)) ? join(main, STORE_DIR_NAME) : null;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Where `init` creates the store: `TRACK_DIR`, or `.track` in the working directory. */
export function initTarget(cwd: string, env: { get(name: string): string | undefined }): string {
  const fromEnv = env.get("TRACK_DIR");
  return fromEnv ? resolve(cwd, fromEnv) : join(resolve(cwd), STORE_DIR_NAME);
}
