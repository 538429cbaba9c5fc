/**
 * Where sync keeps its local files, and its settings (docs/sync.md). With sync on, everything
 * of track's that is not the tracked `.track/config.json` lives in the git common dir (shared by
 * every linked worktree, never cloned, never touched by a checkout):
 *
 * ```
 * <git common dir>/track/
 *   sync.json      whether sync is on: {"schema":1,"remote":…,"ref":…} (this module)
 *   store/         the store: today's .track/ layout (tickets/, agents/, board/, lock, cache/, …)
 *   sync.lock      one sync step per clone at a time (flock)
 *   clone-id       this clone's id
 *   sync/          the sync engine's private files (stat cache, scratch index, confirmed tip,
 *                  apply-pending while an apply's files may not be on disk yet)
 * ```
 *
 * Refs: the state itself is `<ref>` (default `refs/track/state`) on the remote; locally
 * `refs/track/remote-state` holds the highest remote tip any fetch has seen (fast-forward only)
 * and `refs/track/local` the last state materialized into the store.
 */
import { badDataError, TrackError } from "../model/errors.ts";
import { basename, dirname, isAbsolute, join, resolve } from "../model/path.ts";

/** The default ref of the shared state on the remote. */
export const DEFAULT_STATE_REF = "refs/track/state";

/**
 * A ref the state may live on: under refs/track/, never a code branch, and a name git accepts
 * (components that do not start or end with a dot, no `..`, none ending in `.lock`), so a bad
 * one is refused here rather than by git as an unreachable remote.
 */
export const STATE_REF_PATTERN =
  /^(?!.*\.\.)(?!.*\.lock(?:\/|$))refs\/track(?:\/[a-z0-9_-](?:[a-z0-9._-]*[a-z0-9_-])?)+$/;

/** Name of track's directory inside the git common dir. */
export const SYNC_HOME = "track";

/** What `<git common dir>/track/sync.json` says. */
export interface SyncConfig {
  schema: 1;
  /** A git remote name of this repository, or a URL or path. */
  remote: string;
  /** The ref of the shared state on the remote (matches {@linkcode STATE_REF_PATTERN}). */
  ref: string;
  /** Least milliseconds between two pushes that carry no decision (null: by remote kind). */
  interval_ms: number | null;
}

/** The local files of sync, for the repository whose git common dir is `commonDir`. */
export interface SyncPaths {
  commonDir: string;
  /** `<common>/track` */
  home: string;
  config: string;
  store: string;
  syncLock: string;
  cloneId: string;
  /** The engine's private files. */
  private: string;
}

/** The sync paths of a git common dir. */
export function syncPaths(commonDir: string): SyncPaths {
  const home = join(commonDir, SYNC_HOME);
  return {
    commonDir,
    home,
    config: join(home, "sync.json"),
    store: join(home, "store"),
    syncLock: join(home, "sync.lock"),
    cloneId: join(home, "clone-id"),
    private: join(home, "sync"),
  };
}

function readSmall(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** What a `.git` at a work-tree top names (see {@linkcode dotGitOf}). */
export interface DotGit {
  /** A `.git` file (a linked worktree, a submodule), not a directory. */
  isFile: boolean;
  /** git's admin directory for this work tree; null for a `.git` file naming none. */
  gitDir: string | null;
  /** The directory every worktree of the repository shares; null when there is none. */
  commonDir: string | null;
  /** The admin directory names a common dir of its own (`commondir`): a linked worktree's. */
  linked: boolean;
}

/**
 * What `<dir>/.git` names, or null when there is none: a `.git` directory, or a `.git` file's
 * `gitdir:` and that directory's `commondir`. Pure lookup, no git. Discovery's worktree walk and
 * sync's paths both read `.git` through this.
 */
export function dotGitOf(dir: string): DotGit | null {
  const dotGit = join(dir, ".git");
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dotGit);
  } catch {
    return null;
  }
  if (!info.isFile) {
    const own = info.isDirectory ? dotGit : null;
    return { isFile: false, gitDir: own, commonDir: own, linked: false };
  }
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit) ?? "");
  if (!m) return { isFile: true, gitDir: null, commonDir: null, linked: false };
  const gitDir = isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]);
  const common = readSmall(join(gitDir, "commondir"))?.trim();
  if (!common) return { isFile: true, gitDir, commonDir: gitDir, linked: false };
  const commonDir = isAbsolute(common) ? common : resolve(gitDir, common);
  return { isFile: true, gitDir, commonDir, linked: true };
}

/**
 * The git common dir of the repository whose work tree top is `dir` (a `.git` directory, or a
 * linked worktree's `.git` file naming one with a `commondir`), or null. Pure lookup, no git.
 */
export function gitCommonDirOf(dir: string): string | null {
  return dotGitOf(dir)?.commonDir ?? null;
}

/** The work-tree top of the repository a store's `.track/` directory belongs to. */
export function projectOfTrackDir(trackDir: string): string {
  return dirname(trackDir);
}

/**
 * The sync settings of a repository, or null when sync is off (no sync.json). A sync.json that
 * does not parse or names a ref outside refs/track/ is bad data (exit 6), never guessed at.
 */
export function readSyncConfig(paths: SyncPaths): SyncConfig | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Deno.readFileSync(paths.config));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw badDataError(paths.config, e instanceof Error ? e.message : String(e), {
      hint: "fix it by hand, or turn sync off and on again: track remote show",
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badDataError(paths.config, `not JSON: ${(e as Error).message}`);
  }
  const v = value as Partial<SyncConfig> | null;
  if (
    v === null || typeof v !== "object" || Array.isArray(v) || v.schema !== 1 ||
    typeof v.remote !== "string" || v.remote === "" || typeof v.ref !== "string" ||
    !STATE_REF_PATTERN.test(v.ref) ||
    (v.interval_ms !== undefined && v.interval_ms !== null &&
      (typeof v.interval_ms !== "number" || !Number.isInteger(v.interval_ms) ||
        v.interval_ms < 0))
  ) {
    throw badDataError(
      paths.config,
      'expected {"schema":1,"remote":"<name or url>","ref":"refs/track/…","interval_ms":null}',
    );
  }
  return { schema: 1, remote: v.remote, ref: v.ref, interval_ms: v.interval_ms ?? null };
}

/** What the tracked config.json says about sync: which remote (a name) and ref to join. */
export interface SyncHint {
  /** A remote NAME of this repository; null when sync was set up with a URL or path. */
  remote: string | null;
  ref: string;
}

/** A git remote name as git accepts it in `remote.<name>.url` (never a URL or a path). */
export const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The `"sync"` hint of a parsed config.json (`display` names the file), or null when there is
 * none. A hint of the wrong shape is exit 6 naming the file.
 */
export function hintOf(raw: Record<string, unknown>, display: string): SyncHint | null {
  if (raw.sync === undefined) return null;
  const s = raw.sync as Record<string, unknown> | null;
  if (
    s === null || typeof s !== "object" || Array.isArray(s) ||
    !(s.remote === null || typeof s.remote === "string") || typeof s.ref !== "string"
  ) {
    throw badDataError(
      display,
      `"sync" must be {"remote": "<remote name>" or null, "ref": "refs/track/…"}`,
    );
  }
  return { remote: s.remote as string | null, ref: s.ref };
}

/**
 * Why a hint may never be acted on whatever this clone's remotes are (a ref outside
 * refs/track/, no remote, a URL or path instead of a remote name), or null.
 */
export function hintShapeProblem(hint: SyncHint): string | null {
  if (!STATE_REF_PATTERN.test(hint.ref)) {
    return `its ref ${
      JSON.stringify(hint.ref)
    } is not under refs/track/ (a code branch is never used)`;
  }
  if (hint.remote === null) return "it names no remote of this repository";
  if (
    !REMOTE_NAME.test(hint.remote) || hint.remote.endsWith(".") || hint.remote.includes("..")
  ) {
    return `${JSON.stringify(hint.remote)} is not a remote name (a URL or path is never acted on)`;
  }
  return null;
}

/** The error for a hint that is not acted on (nothing was changed). */
export function hintRefused(display: string, hint: SyncHint, problem: string): TrackError {
  return new TrackError(
    "notFound",
    `${display} says this repository's tickets sync through ${
      JSON.stringify(hint.remote)
    } (${hint.ref}), but that is not acted on: ${problem}; nothing was changed`,
    {
      hint: "set sync up yourself with a remote you trust: track remote add <remote name>",
      detail: { file: display, remote: hint.remote, ref: hint.ref },
    },
  );
}

/**
 * Whether `<common>/config` has a `[remote "<name>"]` section. A quick look for a message only
 * (no git: every command that opens a store may come here); acting on a hint asks git itself
 * (sync_hint.ts).
 */
function hasRemoteSection(commonDir: string, name: string): boolean {
  const text = readSmall(join(commonDir, "config")) ?? "";
  const quoted = name.replace(/[.]/g, "\\.");
  return new RegExp(`^\\s*\\[remote\\s+"${quoted}"\\s*\\]`, "m").test(text);
}

/**
 * The error of every command in a clone whose `.track/config.json` (`trackDir`, parsed as `raw`)
 * says schema 2 (the data lives in the git common dir) while this clone has no sync.json: a
 * fresh clone. Exit 4 either way, nothing changed: "run track sync to join" when the hint names
 * a remote of this clone and a ref under refs/track/, otherwise why it is not acted on.
 */
export function unjoinedError(
  trackDir: string,
  raw: Record<string, unknown>,
  commonDir: string | null,
): TrackError {
  const file = `${basename(trackDir)}/config.json`;
  const hint = hintOf(raw, file);
  if (hint === null || commonDir === null) {
    return new TrackError(
      "notFound",
      `${file} says the store lives in the git directory (schema 2, sync on), but ${
        commonDir === null ? "this is not a git repository" : "sync is off in this clone"
      } and it names no remote to join; nothing was changed`,
      { hint: "track remote add <remote name> (sets sync up in this clone)", detail: { file } },
    );
  }
  const problem = hintShapeProblem(hint) ??
    (hasRemoteSection(commonDir, hint.remote!)
      ? null
      : `no remote named ${JSON.stringify(hint.remote)} is configured in this clone`);
  if (problem !== null) return hintRefused(file, hint, problem);
  return new TrackError(
    "notFound",
    `This repository's tickets sync through "${hint.remote}" (${hint.ref}); this clone has not joined yet`,
    { hint: "run track sync to join", detail: { file, remote: hint.remote, ref: hint.ref } },
  );
}
