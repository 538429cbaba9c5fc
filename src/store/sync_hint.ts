/**
 * The sync hint of the tracked `.track/config.json` (`"sync": {"remote": <name>, "ref": <ref>}`):
 * what lets a fresh clone join the shared state by itself, and why a hostile one is never acted
 * on (docs/sync.md). Loaded only by the commands that set sync up (`remote`, `sync`); the check
 * every command makes on a schema-2 config.json (sync_config.ts `unjoinedError`) runs no git.
 */
import { basename, join } from "../model/path.ts";
import { badDataError, TrackError } from "../model/errors.ts";
import { runGitSync } from "./git.ts";
import { parseJsonObject, readTextStrict } from "./read.ts";
import {
  hintOf,
  hintRefused,
  hintShapeProblem,
  REMOTE_NAME,
  type SyncHint,
} from "./sync_config.ts";

export type { SyncHint } from "./sync_config.ts";

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
  return hintOf(readTrackConfig(trackDir).raw, `${basename(trackDir)}/config.json`);
}

/**
 * Whether a hint may be acted on in this clone: its remote must be a remote NAME configured here
 * (never a URL or path: a cloned repository must not send anyone's tickets elsewhere) and its
 * ref must be under refs/track/ (never a code branch). Returns the reason it may not, or null.
 */
export function syncHintProblem(hint: SyncHint, commonDir: string): string | null {
  const shape = hintShapeProblem(hint);
  if (shape !== null) return shape;
  if (!isConfiguredRemote(commonDir, hint.remote!)) {
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
  if (problem !== null) throw hintRefused(`${basename(trackDir)}/config.json`, hint, problem);
  return { remote: hint.remote!, ref: hint.ref };
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
