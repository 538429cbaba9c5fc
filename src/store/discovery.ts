/**
 * Finding the store: `TRACK_DIR` (the .track directory itself) wins; otherwise walk up from the
 * working directory to the first directory holding `.track/`, like git. A store is recognised by
 * its `config.json`.
 *
 * Inside a linked git worktree (its `.git` is a file naming a directory with a `commondir`), the
 * main worktree's store is always the one used: the walk continues from the same directory of
 * the main worktree. A `.track/` checked out in the linked worktree (once `.track/` is committed)
 * is a copy and is ignored, so every worktree claims from one board. Found through the `.git`
 * file and `commondir` without spawning git.
 */
import { basename, dirname, join, relative, resolve } from "../model/path.ts";
import { badDataError, notFoundError, type TrackError } from "../model/errors.ts";
import { dotGitOf, syncPaths } from "./sync_config.ts";
import type { StoreHome } from "./store.ts";

/** Name of the store directory. */
export const STORE_DIR_NAME = ".track";

/** Runtime files that never belong in git. */
export const GITIGNORE =
  "# runtime files, caches and secrets of track: never commit these\nlock\njournal\n*.pid\n.*.tmp\nserver.json\ncache/\nverify-key\n";

/** Git attributes: board entries are separate files, so only the reservations list can clash. */
export const GITATTRIBUTES =
  "# track: keep LF everywhere so files stay byte-identical\n* text eol=lf\n";

/** Name of the file that makes a directory a store. */
export const CONFIG_FILE = "config.json";

/** Read-only environment lookup. */
type Env = { get(name: string): string | undefined };

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Whether anything (a link included) is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A linked git worktree: its top directory, the main worktree's, and git's admin directory. */
export interface LinkedWorktree {
  root: string;
  main: string;
  /** The worktree's own directory under the common git dir (`.git/worktrees/<name>`). */
  gitDir: string;
}

/** A repository of its own at a directory, with its git common dir when known. */
interface RepoMark {
  kind: "repo";
  /** The git common dir (`<dir>/.git`, or what a `.git` file names), or null when unknown. */
  commonDir: string | null;
}

/**
 * What `dir/.git` says: null when there is none, a repository of its own (a `.git` directory, a
 * submodule, a bare repository's worktree), or the linked worktree `dir` is the top of.
 */
function gitMark(dir: string): null | RepoMark | LinkedWorktree {
  const git = dotGitOf(dir);
  if (git === null) return null;
  if (!git.isFile || !git.linked) return { kind: "repo", commonDir: git.commonDir };
  const commonDir = git.commonDir!;
  // The common dir of a repository with a main worktree is <main worktree>/.git.
  if (!commonDir.endsWith("/.git")) return { kind: "repo", commonDir };
  const main = dirname(commonDir);
  return main === dir ? { kind: "repo", commonDir } : { root: dir, main, gitDir: git.gitDir! };
}

function isLinked(mark: null | RepoMark | LinkedWorktree): mark is LinkedWorktree {
  return mark !== null && !("kind" in mark);
}

/**
 * For a directory whose `.git` is a file (a linked worktree), the main worktree's directory;
 * otherwise null.
 */
export function mainWorktreeOf(dir: string): string | null {
  const mark = gitMark(dir);
  return isLinked(mark) ? mark.main : null;
}

/**
 * The linked worktree holding `path` (a directory or a path below one), or null: walks up to the
 * first `.git`, so a repository nested in a worktree is its own.
 */
export function linkedWorktreeOf(path: string): LinkedWorktree | null {
  let dir = resolve(path);
  for (;;) {
    const mark = gitMark(dir);
    if (mark === null) {
      // Keep walking up.
    } else if (isLinked(mark)) return mark;
    else return null;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Where `path` (inside linked worktree `wt`) is in the main worktree. */
export function inMainWorktree(path: string, wt: LinkedWorktree): string {
  return join(wt.main, relative(wt.root, resolve(path)));
}

/** What discovery found. */
export interface Discovery {
  /**
   * The store directory, or null when there is none: the `.track/` directory found, or with sync
   * on (`<git common dir>/track/sync.json` exists) `<git common dir>/track/store`.
   */
  dir: string | null;
  /** The `.track/` directory found (config.json's), or null. Equal to `dir` with sync off. */
  trackDir: string | null;
  /**
   * The sync paths of the repository whose work-tree top holds `trackDir`, and whether sync is
   * on; null outside git (or for a `.track/` below the top of its work tree: never synced).
   */
  home: StoreHome | null;
  /**
   * A `.track/` checked out in a linked worktree and passed over for the main worktree's store
   * (or, when `dir` is null, for want of one), or null.
   */
  ignoredCopy: string | null;
  /** The linked worktree holding that copy, or null. */
  worktree: LinkedWorktree | null;
}

const MAX_NESTING = 8;

interface Walked {
  dir: string | null;
  ignoredCopy: string | null;
  worktree: LinkedWorktree | null;
  /** The git common dir when `dir` is `.track` at the top of a work tree, else null. */
  commonDir: string | null;
}

function walk(start: string, depth: number): Walked {
  let candidate: string | null = null;
  let copy: Walked = { dir: null, ignoredCopy: null, worktree: null, commonDir: null };
  let dir = start;
  for (;;) {
    if (candidate === null && isDir(join(dir, STORE_DIR_NAME))) {
      candidate = join(dir, STORE_DIR_NAME);
    }
    const mark = gitMark(dir);
    if (mark !== null && !isLinked(mark) && candidate !== null) {
      const top = dirname(candidate) === dir;
      return { ...copy, dir: candidate, commonDir: top ? mark.commonDir : null };
    }
    if (isLinked(mark)) {
      // Whatever was found so far is checked out in this linked worktree: not the store.
      if (candidate !== null && copy.ignoredCopy === null) {
        copy = {
          dir: null,
          ignoredCopy: candidate,
          worktree: mark,
          commonDir: dirname(candidate) === dir ? join(mark.main, ".git") : null,
        };
      }
      candidate = null;
      if (depth < MAX_NESTING) {
        const main = walk(join(mark.main, relative(dir, start)), depth + 1);
        if (main.dir !== null) {
          return copy.ignoredCopy === null
            ? main
            : { ...copy, dir: main.dir, commonDir: main.commonDir };
        }
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return { ...copy, dir: candidate, commonDir: null };
    dir = parent;
  }
}

/**
 * With sync on for the repository (`<common>/track/sync.json` exists: one lstat, the only cost
 * when it is off), the store is `<common>/track/store`; its `.track/` keeps config.json. A link
 * at the store's place is exit 6 (never followed); a missing store while sync.json exists too.
 */
function withHome(
  trackDir: string | null,
  commonDir: string | null,
  rest: Pick<Discovery, "ignoredCopy" | "worktree">,
): Discovery {
  if (trackDir === null || commonDir === null) {
    return { dir: trackDir, trackDir, home: null, ...rest };
  }
  const paths = syncPaths(commonDir);
  if (!exists(paths.config)) {
    return { dir: trackDir, trackDir, home: { paths, on: false }, ...rest };
  }
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.lstatSync(paths.store);
  } catch {
    info = null;
  }
  if (info === null || info.isSymlink || !info.isDirectory) {
    throw badDataError(
      paths.store,
      info === null
        ? `is missing, but "${paths.config}" says sync is on (the store lives there)`
        : info.isSymlink
        ? "is a symbolic link; track never follows one for its store"
        : "is not a directory",
      {
        hint: info?.isSymlink
          ? "replace the link with the real directory it points to (if that is yours), then run: track doctor"
          : "track doctor",
      },
    );
  }
  return { dir: paths.store, trackDir, home: { paths, on: true }, ...rest };
}

/**
 * Where the store is, with what was passed over on the way. Pure lookup: never creates
 * anything, and does not check that the directory is a valid store.
 */
export function discoverStore(cwd: string, env: Env): Discovery {
  const fromEnv = env.get("TRACK_DIR");
  if (fromEnv) {
    const dir = resolve(cwd, fromEnv);
    const wt = linkedWorktreeOf(dir);
    const none = { ignoredCopy: null, worktree: null };
    if (wt === null) {
      if (!isDir(dir)) return withHome(null, null, none);
      return withHome(dir, topCommonDir(dir), none);
    }
    // TRACK_DIR inside a linked worktree names a checked-out copy: use the main worktree's.
    const main = inMainWorktree(dir, wt);
    const rest = { ignoredCopy: isDir(dir) ? dir : null, worktree: wt };
    if (isDir(main)) return withHome(main, topCommonDir(main), rest);
    // No store in the main worktree: with sync on, the copy's config.json leads to the store.
    if (rest.ignoredCopy !== null && dirname(dir) === wt.root) {
      const found = withHome(dir, join(wt.main, ".git"), rest);
      if (found.home?.on) return { ...found, ignoredCopy: null, worktree: null };
    }
    return withHome(null, null, rest);
  }
  const w = walk(resolve(cwd), 0);
  const rest = { ignoredCopy: w.ignoredCopy, worktree: w.worktree };
  if (w.dir === null && w.ignoredCopy !== null && w.commonDir !== null) {
    // No store in the main worktree: with sync on, the copy's config.json leads to the store.
    const found = withHome(w.ignoredCopy, w.commonDir, rest);
    if (found.home?.on) return { ...found, ignoredCopy: null, worktree: null };
    return withHome(null, null, rest);
  }
  return withHome(w.dir, w.commonDir, rest);
}

/** The git common dir when `trackDir` is `.track` at the top of a work tree, else null. */
function topCommonDir(trackDir: string): string | null {
  if (basename(trackDir) !== STORE_DIR_NAME) return null;
  const mark = gitMark(dirname(trackDir));
  if (mark === null) return null;
  return isLinked(mark) ? join(mark.main, ".git") : mark.commonDir;
}

/** Where the store is, or null. Pure lookup: never creates anything. */
export function locateStore(cwd: string, env: Env): string | null {
  return discoverStore(cwd, env).dir;
}

/**
 * The directory that repository paths (file reservations) are relative to: the directory holding
 * `.track/` (`trackDir`: never the store directory, which with sync on is in the git dir), or, inside a linked worktree whose main worktree holds the store, the same directory
 * of this worktree. Every worktree of a repository has the same tree, so `src/a.ts` means the
 * same file in each.
 */
export function projectRoot(trackDir: string, cwd: string): string {
  const owner = dirname(trackDir);
  const wt = linkedWorktreeOf(cwd);
  if (wt !== null && (owner === wt.main || owner.startsWith(wt.main + "/"))) {
    return join(wt.root, relative(wt.main, owner));
  }
  return owner;
}

/**
 * What sort of directory a would-be store is: a store (its config.json), an agent-track 0.1
 * store (or one that lost its config.json), an empty directory, or something else.
 */
export function storeKind(dir: string): "store" | "legacy" | "empty" | "other" {
  if (exists(join(dir, CONFIG_FILE))) return "store";
  // agent-track 0.1 wrote no config.json; its tickets/, agents/ and BOARD.md make it a store.
  if (["tickets", "agents", "BOARD.md"].some((n) => exists(join(dir, n)))) return "legacy";
  try {
    for (const _ of Deno.readDirSync(dir)) return "other";
  } catch {
    return "other";
  }
  return "empty";
}

/** The error for a store whose config.json is missing, with the command that repairs it. */
export function missingConfigError(dir: string, display: string): TrackError {
  const kind = storeKind(dir);
  // Absolute: the hint must work from any directory of the project.
  const path = join(dir, CONFIG_FILE);
  return badDataError(display, "is missing: a store of this track always has one", {
    hint: kind === "empty"
      ? "track init (it writes config.json)"
      : kind === "legacy"
      ? `restore it if it was committed (git checkout -- "${path}"); for an agent-track 0.1 store: track migrate --dry-run`
      : `restore it if it was committed (git checkout -- "${path}"), or make this folder a new store: track init`,
  });
}

/**
 * Like {@linkcode discoverStore} but throws exit 4 with a hint when there is no store. A
 * directory named by `TRACK_DIR` must be recognisable as a store: its `config.json`, or with
 * `legacy` an agent-track 0.1 store's files (for `migrate`).
 */
export function findStore(cwd: string, env: Env, options: { legacy?: boolean } = {}): Discovery {
  const found = discoverStore(cwd, env);
  const fromEnv = env.get("TRACK_DIR");
  if (found.dir === null) throw noStoreError(cwd, fromEnv, found);
  if (fromEnv) {
    const kind = storeKind(found.trackDir!);
    if (kind === "store" || (kind === "legacy" && options.legacy)) return found;
    const shown = `TRACK_DIR="${fromEnv}"`;
    if (kind === "legacy") {
      throw notFoundError(
        `${shown} is not a store of this track: it has no ${CONFIG_FILE} (an agent-track 0.1 store?)`,
        "track migrate --dry-run (it honours TRACK_DIR)",
      );
    }
    const inner = join(found.dir, STORE_DIR_NAME);
    throw notFoundError(
      `${shown} is not a .track directory: "${found.dir}" has no ${CONFIG_FILE}; nothing was changed`,
      isDir(inner)
        ? `point TRACK_DIR at the store itself: TRACK_DIR="${inner}"`
        : kind === "empty"
        ? "create a store there with: track init (it honours TRACK_DIR)"
        : "point TRACK_DIR at a .track directory, or unset it to find .track/ from here",
    );
  }
  return found;
}

function noStoreError(cwd: string, fromEnv: string | undefined, found: Discovery): TrackError {
  if (found.ignoredCopy !== null && found.worktree !== null) {
    const wanted = inMainWorktree(found.ignoredCopy, found.worktree);
    return notFoundError(
      `No store in the main worktree "${found.worktree.main}": "${found.ignoredCopy}" is a copy ` +
        "checked out in this linked worktree, and every worktree uses the main worktree's store",
      `start the shared store from that copy: cp -R "${found.ignoredCopy}" "${wanted}"`,
    );
  }
  if (fromEnv) {
    const dir = resolve(cwd, fromEnv);
    if (exists(dir)) {
      return notFoundError(
        `No store at TRACK_DIR="${fromEnv}": it is a file, not a .track directory`,
        "point TRACK_DIR at a .track directory, or unset it to find .track/ from here",
      );
    }
    return notFoundError(
      `No store at TRACK_DIR="${fromEnv}": no such directory`,
      "create it with: track init (it honours TRACK_DIR)",
    );
  }
  const synced = syncedRepositoryOf(resolve(cwd));
  if (synced !== null) {
    // A branch without .track/ checked out in a repository that syncs: the store is intact.
    return notFoundError(
      `No .track/ in this checkout of "${synced.top}", but this repository syncs: its store is ` +
        `"${synced.store}" (nothing is lost); track needs the tracked .track/config.json to use it`,
      `bring it back from a branch that has it (e.g. git checkout main -- .track/config.json), or: cd "${synced.top}" && track init`,
    );
  }
  return notFoundError(
    `No .track/ directory found in "${resolve(cwd)}" or any parent`,
    "create one here with: track init",
  );
}

/**
 * The work-tree top holding `dir` and its sync store when sync is on for that repository, else
 * null (for the "no .track/ here" message only).
 */
function syncedRepositoryOf(dir: string): { top: string; store: string } | null {
  for (let d = dir;; d = dirname(d)) {
    const mark = gitMark(d);
    if (mark !== null) {
      const common = isLinked(mark) ? join(mark.main, ".git") : mark.commonDir;
      if (common === null) return null;
      const paths = syncPaths(common);
      return exists(paths.config) ? { top: d, store: paths.store } : null;
    }
    if (dirname(d) === d) return null;
  }
}

/** Name of the marker, in a linked worktree's git admin directory, that the note was shown. */
const NOTED = "track-copy-ignored";

/**
 * Whether the "checked-out copy ignored" note is due for this worktree: true the first time
 * only. Remembered in git's own directory for the worktree (never committed, removed with the
 * worktree); when that cannot be written the note is simply shown again.
 */
export function firstCopyNote(wt: LinkedWorktree): boolean {
  try {
    Deno.writeTextFileSync(join(wt.gitDir, NOTED), "", { createNew: true });
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.AlreadyExists);
  }
}

/** Name of the marker (in git's directory for the work tree) that the ignored-data note was shown. */
const DATA_NOTED = "track-data-ignored";

/**
 * With sync on, the `.track/` of the caller's work tree when it still holds store data (an old
 * branch that tracked `.track/tickets/` checked out, or a move cut short) and the note about it
 * is due: once per work tree (remembered in git's directory, like {@linkcode firstCopyNote});
 * otherwise null. One lstat when sync is on; nothing when it is off.
 */
export function ignoredDataNote(found: Discovery): { dir: string; cutShort: boolean } | null {
  if (!found.home?.on) return null;
  const here = found.worktree !== null ? found.ignoredCopy : found.trackDir;
  if (here === null || !exists(join(here, "tickets"))) return null;
  // An empty tickets/ (track init, or git leaving a directory behind) holds nothing to report.
  try {
    if (Deno.readDirSync(join(here, "tickets")).next().done) return null;
  } catch {
    return null;
  }
  const marker = found.worktree !== null
    ? join(found.worktree.gitDir, DATA_NOTED)
    : join(found.home.paths.home, DATA_NOTED);
  // The marker relocateStore keeps until .track/ is emptied (sync_home.ts movingMarker).
  const note = { dir: here, cutShort: exists(join(found.home.paths.home, "moving")) };
  try {
    Deno.writeTextFileSync(marker, "", { createNew: true });
    return note;
  } catch (e) {
    return e instanceof Deno.errors.AlreadyExists ? null : note;
  }
}

/** Where `init` creates the store, or the store it reports instead. */
export interface InitPlan {
  /** The directory to create. */
  target: string;
  /** An existing store in the main worktree that `init` reports instead, or null. */
  shared: string | null;
  /** A checked-out copy of `.track/` in this linked worktree, or null. */
  ignoredCopy: string | null;
  /** The linked worktree `init` runs in, or null. */
  worktree: LinkedWorktree | null;
}

/**
 * Where `init` creates the store: `TRACK_DIR`, or `.track` in the working directory; inside a
 * linked worktree the same place in the main worktree, or that worktree's existing store.
 */
export function initPlan(cwd: string, env: Env): InitPlan {
  const fromEnv = env.get("TRACK_DIR");
  const plain = fromEnv ? resolve(cwd, fromEnv) : join(resolve(cwd), STORE_DIR_NAME);
  const wt = linkedWorktreeOf(plain);
  if (wt === null) return { target: plain, shared: null, ignoredCopy: null, worktree: null };
  // What the same command run in the main worktree would find: the store every worktree shares.
  const shared = fromEnv ? null : walk(inMainWorktree(cwd, wt), 0).dir;
  const copy = fromEnv ? plain : walk(resolve(cwd), 0).ignoredCopy;
  return {
    target: inMainWorktree(plain, wt),
    shared,
    ignoredCopy: copy !== null && isDir(copy) ? copy : null,
    worktree: wt,
  };
}
