/**
 * `track doctor`'s checks of the sync remote (docs/sync.md, "Doctor"): git present and new
 * enough; the remote reachable (`git ls-remote` under a short kill timer); the state ref present
 * and holding a state this track reads (`meta.json` of a known layout), and not behind the
 * highest tip this clone has seen; on a remote that is a path: a stale ref lock (`<ref>.lock`,
 * `packed-refs.lock`: how to remove it is printed, it is never removed here) and
 * `receive.denyNonFastForwards` / `receive.denyDeletes` (advice). Runs only when sync is on
 * (`<git common dir>/track/sync.json`): with sync off doctor runs no git at all. Nothing here
 * writes: objects of the remote's tip that were never fetched are not fetched, the check then
 * says so.
 */
import { TrackError } from "../model/errors.ts";
import { dirname, isAbsolute, join, resolve } from "../model/path.ts";
import { checkMeta, META_PATH } from "../model/sync_wire.ts";
import { gitText, runGit } from "../store/git.ts";
import { gitCommonDirOf, type SyncConfig, type SyncPaths } from "../store/sync_config.ts";
import { gitVersion, MIN_GIT, REMOTE_STATE_REF, revParse } from "../store/sync_repo.ts";
/** A ref lock younger than this may belong to a push in flight: a warning, not a problem. */
const FRESH_LOCK_MS = 60_000;

/** Kinds of finding about the remote (see doctor.ts `FindingKind`). */
export type RemoteFindingKind =
  | "git"
  | "remote-unreachable"
  | "remote-state"
  | "remote-ref-lock"
  | "remote-protection"
  | "local-ref-lock";

/** One finding about the remote, in the shape of doctor's findings. */
export interface RemoteFinding {
  kind: RemoteFindingKind;
  file: string | null;
  message: string;
  advice: string;
  warning: boolean;
}

/** What doctor learned about the remote, for `--json` and the summary line. */
export interface RemoteReport {
  remote: string;
  ref: string;
  /** The URL or path git resolves the remote to, when it could be told. */
  url: string | null;
  /** git's version, e.g. "2.39", or null when git could not be run (or told its version). */
  git: string | null;
  reachable: boolean;
  /** The state ref's commit on the remote, or null when it has none (or was not reached). */
  state: string | null;
  /** The remote's git directory when it is a path on this machine. */
  path: string | null;
  findings: RemoteFinding[];
}

function problem(kind: RemoteFindingKind, file: string | null, message: string, advice: string) {
  return { kind, file, message, advice, warning: false };
}

function warning(kind: RemoteFindingKind, file: string | null, message: string, advice: string) {
  return { kind, file, message, advice, warning: true };
}

/**
 * Whether `url` (as git resolves a remote) is a path on this machine: `file://…`, an absolute
 * or relative path, and not `host:path` (git's scp-like syntax: a colon before any slash).
 */
export function localPathOf(url: string, base: string): string | null {
  if (url.startsWith("file://")) return decodeURIComponent(url.slice("file://".length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return null;
  const colon = url.indexOf(":");
  const slash = url.indexOf("/");
  if (colon !== -1 && (slash === -1 || colon < slash)) return null;
  return isAbsolute(url) ? url : resolve(base, url);
}

/** The git directory of the repository at `path` (bare, or a work tree with `.git`), or null. */
function gitDirAt(path: string): string | null {
  const common = gitCommonDirOf(path);
  if (common !== null) return common;
  try {
    if (Deno.statSync(join(path, "HEAD")).isFile && Deno.statSync(join(path, "refs")).isDirectory) {
      return path;
    }
  } catch {
    // Not a git directory.
  }
  return null;
}

function mtimeAgeMs(path: string, now: Date): number | null {
  try {
    const info = Deno.lstatSync(path);
    return info.mtime === null ? 0 : now.getTime() - info.mtime.getTime();
  } catch {
    return null;
  }
}

function minutes(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * Checks the remote of `config` for the repository of `paths`. `timeoutMs` bounds each git
 * run that may touch the network. Never throws for what it finds (each is a finding); never
 * writes.
 */
export async function checkRemote(
  paths: SyncPaths,
  config: SyncConfig,
  options: { now: Date; timeoutMs?: number },
): Promise<RemoteReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const report: RemoteReport = {
    remote: config.remote,
    ref: config.ref,
    url: null,
    git: null,
    reachable: false,
    state: null,
    path: null,
    findings: [],
  };
  const f = report.findings;
  const gitDir = paths.commonDir;

  // git present and new enough.
  let version: [number, number] | null;
  try {
    version = await gitVersion();
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    f.push(problem(
      "git",
      null,
      `sync needs git ${MIN_GIT.join(".")} or newer; there is no \`git\` binary on the PATH`,
      `install git ${MIN_GIT.join(".")} or newer, then run: track doctor`,
    ));
    return report;
  }
  report.git = version?.join(".") ?? null;
  if (
    version === null || version[0] < MIN_GIT[0] ||
    (version[0] === MIN_GIT[0] && version[1] < MIN_GIT[1])
  ) {
    f.push(problem(
      "git",
      null,
      `sync needs git ${MIN_GIT.join(".")} or newer (--force-with-lease=<ref>:<oid>); this ` +
        `git is ${report.git ?? "of an unknown version"}`,
      `install git ${MIN_GIT.join(".")} or newer, then run: track doctor`,
    ));
    return report;
  }

  // Where the remote is.
  const url = await runGit(["ls-remote", "--get-url", config.remote], { gitDir, timeoutMs });
  report.url = url.code === 0 ? gitText(url).trim() || null : null;
  const local = report.url === null ? null : localPathOf(report.url, dirname(paths.commonDir));
  const remoteGitDir = local === null ? null : gitDirAt(local);
  report.path = remoteGitDir;

  // Reachable, and the state ref.
  const ls = await runGit(["ls-remote", "--refs", config.remote, config.ref], {
    gitDir,
    timeoutMs,
  });
  const where = `"${config.remote}"` +
    (report.url !== null && report.url !== config.remote ? ` (${report.url})` : "");
  if (ls.code !== 0 || ls.timedOut) {
    const reason = ls.timedOut
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : ls.stderr.trim().split("\n").filter((l) => l !== "").slice(-2).join("; ") ||
        `git ls-remote exited ${ls.code}`;
    f.push(problem(
      "remote-unreachable",
      null,
      `cannot reach the sync remote ${where}: ${reason}; everything stays queued locally`,
      local !== null && remoteGitDir === null
        ? `the path "${local}" is not a git repository: fix it with git remote set-url, or ` +
          `track remote show`
        : "check the network, the URL (track remote show) and your git credentials, then run: " +
          "track doctor",
    ));
  } else {
    report.reachable = true;
    const line = gitText(ls).split("\n").find((l) => l.endsWith(`\t${config.ref}`));
    report.state = line?.split("\t")[0] ?? null;
  }

  if (report.reachable && report.state === null) {
    // The engine restores a lost ref from the highest tip this clone has seen (operations/
    // sync.ts): worth knowing (someone deleted shared data), not something to repair by hand.
    const known = await revParse(gitDir, REMOTE_STATE_REF);
    f.push(warning(
      "remote-state",
      null,
      `the sync remote ${where} has no ${config.ref}` +
        (known === null
          ? ": nothing was published there yet (or it was deleted before this clone synced)"
          : `, though this clone saw it at ${known.slice(0, 12)}: it was deleted (a ` +
            "`git push --mirror` from a plain clone deletes it) or the remote was replaced"),
      known === null
        ? "track sync (publishes this clone's store)"
        : "track sync (restores it from this clone's copy); then find out who deleted it, and " +
          "protect the ref (docs/sync.md); never recreate it by hand or by a force-push",
    ));
  } else if (report.state !== null) {
    await checkState(report, { gitDir, remoteGitDir, where, timeoutMs });
  }

  checkLocalLocks(report, paths.commonDir, options.now);
  if (remoteGitDir !== null) checkPathRemote(report, remoteGitDir, options.now);
  if (remoteGitDir !== null) await checkProtection(report, remoteGitDir, timeoutMs);
  return report;
}

/** The state ref's tree holds a meta.json of a known layout; the remote did not go backwards. */
async function checkState(
  report: RemoteReport,
  ctx: { gitDir: string; remoteGitDir: string | null; where: string; timeoutMs: number },
): Promise<void> {
  const oid = report.state!;
  // Read the commit where it is: the remote's own directory when it is a path, else this
  // clone when a fetch already brought it (doctor never fetches).
  const haveLocally = (await runGit(["cat-file", "-e", `${oid}^{commit}`], {
    gitDir: ctx.gitDir,
  })).code === 0;
  const readFrom = ctx.remoteGitDir ?? (haveLocally ? ctx.gitDir : null);
  if (readFrom === null) {
    report.findings.push(warning(
      "remote-state",
      null,
      `the state ref ${report.ref} of ${ctx.where} is at ${
        oid.slice(0, 12)
      }, which this clone has not fetched yet: its tree was not checked`,
      "track sync --fetch-only, then: track doctor",
    ));
    return;
  }
  const isCommit = await runGit(["cat-file", "-t", oid], { gitDir: readFrom });
  if (gitText(isCommit).trim() !== "commit") {
    report.findings.push(problem(
      "remote-state",
      null,
      `the state ref ${report.ref} of ${ctx.where} does not name a commit (${oid.slice(0, 12)})`,
      "someone else wrote this ref: find out who (git log on the remote); track sync refuses it",
    ));
    return;
  }
  const meta = await runGit(["cat-file", "blob", `${oid}:${META_PATH}`], { gitDir: readFrom });
  const bad = checkMeta(meta.code === 0 ? gitText(meta) : null);
  if (!bad.ok) {
    report.findings.push(problem(
      "remote-state",
      null,
      `the state ref ${report.ref} of ${ctx.where} at ${
        oid.slice(0, 12)
      } is not a state this track reads: ${bad.reason}`,
      bad.newer
        ? "upgrade track on this machine (track --version shows this one)"
        : "the ref was written by something else than track: find out who (git log on the " +
          "remote); track sync refuses it",
    ));
    return;
  }
  // Gone backwards: the highest tip this clone has seen there is not in the remote's history.
  const known = await revParse(ctx.gitDir, REMOTE_STATE_REF);
  if (known === null || known === oid) return;
  // Both commits must be in one repository: this clone's, or the path remote's.
  const has = async (dir: string, c: string) =>
    (await runGit(["cat-file", "-e", `${c}^{commit}`], { gitDir: dir })).code === 0;
  const where = haveLocally
    ? ctx.gitDir
    : ctx.remoteGitDir !== null && await has(ctx.remoteGitDir, known)
    ? ctx.remoteGitDir
    : null;
  if (where === null) return;
  const ancestor = async (a: string, b: string) =>
    (await runGit(["merge-base", "--is-ancestor", a, b], { gitDir: where })).code === 0;
  if (await ancestor(known, oid)) return;
  const back =
    `the state ref ${report.ref} of ${ctx.where} went backwards: it is at ${
      oid.slice(0, 12)
    }, which does not contain ${known.slice(0, 12)} that this clone saw there (a force-push or a ` +
    "restored backup)";
  if (await ancestor(oid, known)) {
    report.findings.push(warning(
      "remote-state",
      null,
      `${back}; it is an older state of the same history`,
      "track sync (publishes on top of the newer state this clone saw, restoring what was lost); " +
        "never force-push the state ref",
    ));
  } else {
    report.findings.push(problem(
      "remote-state",
      null,
      `${back}; it is another history: track sync refuses to follow it (exit 6) and posts an ` +
        "alarm to the board",
      "find out who force-pushed the state ref; to keep the remote's history and merge this " +
        "clone's content into it: track sync --accept-rewind; never force-push the state ref",
    ));
  }
}

/** Every `*.lock` file below `dir` (a refs directory), sorted; none when it does not exist. */
function lockFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return; // Missing or unreadable: nothing to report here.
    }
    for (const e of entries) {
      if (e.isDirectory) walk(join(d, e.name));
      else if (e.isFile && e.name.endsWith(".lock")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Ref locks left in this clone's own repository by a killed git (`refs/track/fetched.lock`,
 * `remote-state.lock`, `local.lock`, `packed-refs.lock`): every sync fails on them (exit 7).
 * How to remove one is printed; it is never removed here.
 */
function checkLocalLocks(report: RemoteReport, commonDir: string, now: Date): void {
  const locks = [
    ...lockFiles(join(commonDir, "refs", "track")),
    join(commonDir, "packed-refs.lock"),
  ];
  for (const lock of locks) {
    const age = mtimeAgeMs(lock, now);
    if (age === null) continue;
    const old = minutes(Math.max(0, age));
    const message = `this repository has a ref lock "${lock}" (${old} old): ` +
      (age < FRESH_LOCK_MS
        ? "a git command (a sync) may be running now"
        : "track sync fails on it (exit 7) until it is gone");
    const advice = `if no git command is running in this repository (it is ${old} old), ` +
      `remove that file: rm '${lock}'; then run: track sync`;
    report.findings.push(
      age < FRESH_LOCK_MS
        ? warning("local-ref-lock", lock, message, advice)
        : problem("local-ref-lock", lock, message, advice),
    );
  }
}

/** A ref lock left in a remote that is a path: print how to remove it, never remove it. */
function checkPathRemote(report: RemoteReport, remoteGitDir: string, now: Date): void {
  for (
    const lock of [join(remoteGitDir, `${report.ref}.lock`), join(remoteGitDir, "packed-refs.lock")]
  ) {
    const age = mtimeAgeMs(lock, now);
    if (age === null) continue;
    const fresh = age < FRESH_LOCK_MS;
    const message = `the remote has a ref lock "${lock}" (${minutes(Math.max(0, age))} old): ` +
      (fresh
        ? "a push may be running now"
        : 'every push to the state ref is refused while it is there (git: "cannot lock ref")');
    const advice = `if no git push to this remote is running (it is ${
      minutes(Math.max(0, age))
    } old), remove that file: rm '${lock}'; then run: track sync`;
    report.findings.push(
      fresh
        ? warning("remote-ref-lock", lock, message, advice)
        : problem("remote-ref-lock", lock, message, advice),
    );
  }
}

/** receive.denyNonFastForwards and receive.denyDeletes of a path remote (advice only). */
async function checkProtection(
  report: RemoteReport,
  remoteGitDir: string,
  timeoutMs: number,
): Promise<void> {
  for (const key of ["receive.denyNonFastForwards", "receive.denyDeletes"]) {
    const r = await runGit(["config", "--bool", "--get", key], { gitDir: remoteGitDir, timeoutMs });
    if (gitText(r).trim() === "true") continue;
    report.findings.push(warning(
      "remote-protection",
      remoteGitDir,
      `${key} is not set on the remote "${remoteGitDir}": ${
        key === "receive.denyDeletes"
          ? "a push can delete the state ref"
          : "a force-push can rewind the state ref"
      } (track notices and refuses to follow, but cannot undo it)`,
      `git --git-dir='${remoteGitDir}' config ${key} true`,
    ));
  }
}
