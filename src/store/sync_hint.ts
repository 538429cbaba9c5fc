/**
 * The sync hint of the tracked `.track/config.json` (`"sync": {"remote": <name>, "ref": <ref>}`):
 * what lets a fresh clone join the shared state by itself, and why a hostile one is never acted
 * on (docs/sync.md). Loaded by every command with the store (config.json's schema 2 check), so
 * it stays small: git runs only when a hint is about to be acted on.
 */
import { basename, join } from "../model/path.ts";
import { badDataError, TrackError } from "../model/errors.ts";
import { runGitSync } from "./git.ts";
import { parseJsonObject, readTextStrict } from "./read.ts";
import { STATE_REF_PATTERN } from "./sync_config.ts";

/** What the tracked config.json says about sync: which remote (a name) and ref to join. */
export interface SyncHint {
  /** A remote NAME of this repository; null when sync was set up with a URL or path. */
  remote: string | null;
  ref: string;
}

/** A git remote name as git accepts it in `remote.<name>.url` (never a URL or a path). */
const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Whether `name` is a remote configured in this repository (`git config remote.<name>.url`
 * exists). A URL, a path or an option-like string never is.
 */
export function isConfiguredRemote(commonDir: string, name: string): boolean {
  if (!REMOTE_NAME.test(name) || name.endsWith(".") || name.includes("..")) return false;
  const r = runGitSync(["config", "--get", `remote.${name}.url`], { gitDir: commonDir });
  return r.code === 0 && r.stdout.trim() !== "";
}

/**
 * The sync hint in `.track/config.json` (`"sync": {"remote": …, "ref": …}`), as written, or null
 * when there is none. Not validated beyond its shape: {@linkcode checkSyncHint} says whether it
 * may be acted on. A hint of the wrong shape is exit 6 naming the file.
 */
export function readSyncHint(trackDir: string): SyncHint | null {
  return hintOf(readTrackConfig(trackDir).raw, trackDir);
}

function hintOf(raw: Record<string, unknown>, trackDir: string): SyncHint | null {
  if (raw.sync === undefined) return null;
  const s = raw.sync as Record<string, unknown> | null;
  if (
    s === null || typeof s !== "object" || Array.isArray(s) ||
    !(s.remote === null || typeof s.remote === "string") || typeof s.ref !== "string"
  ) {
    throw badDataError(
      `${basename(trackDir)}/config.json`,
      `"sync" must be {"remote": "<remote name>" or null, "ref": "refs/track/…"}`,
    );
  }
  return { remote: s.remote as string | null, ref: s.ref };
}

/**
 * Whether a hint may be acted on in this clone: its remote must be a remote NAME configured here
 * (never a URL or path: a cloned repository must not send anyone's tickets elsewhere) and its
 * ref must be under refs/track/ (never a code branch). Returns the reason it may not, or null.
 */
export function syncHintProblem(hint: SyncHint, commonDir: string): string | null {
  if (!STATE_REF_PATTERN.test(hint.ref)) {
    return `its ref ${
      JSON.stringify(hint.ref)
    } is not under refs/track/ (a code branch is never used)`;
  }
  if (hint.remote === null) return "it names no remote of this repository";
  if (!REMOTE_NAME.test(hint.remote)) {
    return `${JSON.stringify(hint.remote)} is not a remote name (a URL or path is never acted on)`;
  }
  if (!isConfiguredRemote(commonDir, hint.remote)) {
    return `no remote named ${JSON.stringify(hint.remote)} is configured in this clone`;
  }
  return null;
}

/**
 * The hint of a fresh clone's config.json, checked: `{remote, ref}` to join, or a TrackError
 * (exit 4) saying why it is not acted on. For `track sync` joining by itself.
 */
export function joinableHint(trackDir: string, commonDir: string): { remote: string; ref: string } {
  const hint = readSyncHint(trackDir);
  if (hint === null) {
    throw new TrackError("notFound", "Sync is off in this clone and config.json names no remote", {
      hint: "track remote add <remote> (a remote name of this repository)",
    });
  }
  const problem = syncHintProblem(hint, commonDir);
  if (problem !== null) throw hintRefused(trackDir, hint, problem);
  return { remote: hint.remote!, ref: hint.ref };
}

/** The error for a hint that is not acted on (nothing was changed). */
export function hintRefused(trackDir: string, hint: SyncHint, problem: string): TrackError {
  return new TrackError(
    "notFound",
    `${basename(trackDir)}/config.json says this repository's tickets sync through ${
      JSON.stringify(hint.remote)
    } (${hint.ref}), but that is not acted on: ${problem}; nothing was changed`,
    {
      hint: "set sync up yourself with a remote you trust: track remote add <remote name>",
      detail: { file: `${basename(trackDir)}/config.json`, remote: hint.remote, ref: hint.ref },
    },
  );
}

/** Reads `.track/config.json` as an object (exit 6 when it is missing or does not parse). */
export function readTrackConfig(trackDir: string): { raw: Record<string, unknown>; text: string } {
  const path = join(trackDir, "config.json");
  const display = `${basename(trackDir)}/config.json`;
  const text = readTextStrict(path, display, trackDir);
  if (text === null) {
    throw badDataError(display, "is missing; nothing was changed", {
      hint: `restore it if it was committed (git checkout -- "${path}")`,
    });
  }
  return { raw: parseJsonObject(text, display), text };
}

/**
 * The error of every command in a clone whose config.json says schema 2 (sync on) while this
 * clone has no sync.json (a fresh clone): exit 4 "run track sync to join" when the hint may be
 * acted on, otherwise exit 4 saying why it is not (nothing is changed either way).
 */
export function unjoinedError(
  trackDir: string,
  raw: Record<string, unknown>,
  commonDir: string | null,
): TrackError {
  const hint = hintOf(raw, trackDir);
  const file = `${basename(trackDir)}/config.json`;
  if (hint === null || commonDir === null) {
    return new TrackError(
      "notFound",
      `${file} says the store lives in the git directory (schema 2, sync on), but ${
        commonDir === null ? "this is not a git repository" : "sync is off in this clone"
      } and it names no remote to join; nothing was changed`,
      { hint: "track remote add <remote name> (sets sync up in this clone)", detail: { file } },
    );
  }
  const problem = syncHintProblem(hint, commonDir);
  if (problem !== null) return hintRefused(trackDir, hint, problem);
  return new TrackError(
    "notFound",
    `This repository's tickets sync through "${hint.remote}" (${hint.ref}); this clone has not joined yet`,
    { hint: "run track sync to join", detail: { file, remote: hint.remote, ref: hint.ref } },
  );
}
