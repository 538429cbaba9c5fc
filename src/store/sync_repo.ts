/**
 * The git plumbing of sync (docs/sync.md), every call through {@linkcode runGit}: refs, trees,
 * blobs, commits, fetch into a scratch ref and the compare-and-swap push. The repository is the
 * project's git common dir; the state never touches a work tree, an index of the user's, or a
 * code branch.
 */
import { TrackError } from "../model/errors.ts";
import { join } from "../model/path.ts";
import { type GitResult, gitText, runGit } from "./git.ts";

const decoder = new TextDecoder();

/** The oldest git sync works with (`--force-with-lease=<ref>:<oid>`, protocol v2 fetches). */
export const MIN_GIT: readonly [number, number] = [2, 20];

/** The local ref a fetch lands in before it is checked (never trusted as it is). */
export const FETCHED_REF = "refs/track/fetched";
/** The highest remote tip any fetch has seen; moves only by fast-forward (rewind check). */
export const REMOTE_STATE_REF = "refs/track/remote-state";
/** The state last materialized into the store: the base of the next merge. */
export const LOCAL_REF = "refs/track/local";

/** Who a state commit is by: fixed, so no user.name is needed and no one's identity leaks. */
const IDENTITY = {
  GIT_AUTHOR_NAME: "track",
  GIT_AUTHOR_EMAIL: "track@localhost",
  GIT_COMMITTER_NAME: "track",
  GIT_COMMITTER_EMAIL: "track@localhost",
};

/**
 * A lock file of this repository git could not create because it exists (`Unable to create
 * '<path>.lock': File exists`): left by a git process that was killed, or one still running.
 */
function localLockError(what: string, r: GitResult): TrackError | null {
  const m = /Unable to create '([^']+\.lock)': File exists/.exec(r.stderr);
  if (m === null) return null;
  return new TrackError(
    "io",
    `git ${what} failed: the lock file "${m[1]}" of this repository exists (left by a git ` +
      "process that was killed, or one still running); nothing was changed by this step",
    {
      hint: `if no git process is running in this repository, remove it: rm '${m[1]}'; ` +
        "then run: track sync",
      detail: { file: m[1] },
    },
  );
}

function failed(what: string, r: GitResult): TrackError {
  const lock = localLockError(what, r);
  if (lock !== null) return lock;
  const reason = r.timedOut ? "timed out" : r.stderr.trim().split("\n").slice(-3).join("; ");
  return new TrackError("io", `git ${what} failed: ${reason || `exit ${r.code}`}`, {
    hint: "track doctor",
  });
}

/** git's version as [major, minor], or null when it cannot be told. */
export async function gitVersion(): Promise<[number, number] | null> {
  const r = await runGit(["--version"], { timeoutMs: 10_000 });
  const m = /git version (\d+)\.(\d+)/.exec(gitText(r));
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

/** The commit `ref` names, or null when it names none. */
export async function revParse(gitDir: string, ref: string): Promise<string | null> {
  const r = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir });
  if (r.code !== 0) return null;
  return gitText(r).trim() || null;
}

/**
 * The commit each of `refs` names (null: none), from one `git for-each-ref` instead of a
 * `rev-parse` per ref; a ref naming anything but a commit is resolved by {@linkcode revParse}.
 */
export async function readRefs(
  gitDir: string,
  refs: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>(refs.map((ref) => [ref, null]));
  if (refs.length === 0) return out;
  const r = await runGit(
    ["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)", ...refs],
    { gitDir },
  );
  if (r.code !== 0) {
    for (const ref of refs) out.set(ref, await revParse(gitDir, ref));
    return out;
  }
  for (const line of gitText(r).split("\n")) {
    const [oid, type, name] = line.split(" ");
    // A pattern also matches refs under it (`refs/x` lists `refs/x/y`): exact names only.
    if (name === undefined || !out.has(name)) continue;
    out.set(name, type === "commit" ? oid : await revParse(gitDir, name));
  }
  return out;
}

/** Sets `ref` to `oid` (created when missing). */
export async function updateRef(gitDir: string, ref: string, oid: string): Promise<void> {
  const r = await runGit(["update-ref", "-m", "track sync", ref, oid], { gitDir });
  if (r.code !== 0) throw failed(`update-ref ${ref}`, r);
}

/** Deletes `ref` when it exists. */
export async function deleteRef(gitDir: string, ref: string): Promise<void> {
  const r = await runGit(["update-ref", "-d", ref], { gitDir });
  if (r.code !== 0) throw failed(`update-ref -d ${ref}`, r);
}

/** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
export async function isAncestor(gitDir: string, a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  const r = await runGit(["merge-base", "--is-ancestor", a, b], { gitDir });
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw failed("merge-base --is-ancestor", r);
}

/**
 * Every blob `paths` (wire paths) had in the commits of `from..to`: by path, the blob ids the
 * range wrote there. One `git log` over the range, limited to those paths.
 */
export async function blobsInRange(
  gitDir: string,
  from: string,
  to: string,
  paths: readonly string[],
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (paths.length === 0 || from === to) return out;
  const r = await runGit(
    ["log", "--format=", "--raw", "--no-abbrev", "--no-renames", `${from}..${to}`, "--", ...paths],
    { gitDir },
  );
  if (r.code !== 0) throw failed("log --raw", r);
  // ":100644 100644 <old> <new> M\t<path>"
  for (const line of gitText(r).split("\n")) {
    const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [A-Z]\d*\t(.+)$/.exec(line);
    if (m === null) continue;
    let set = out.get(m[2]);
    if (set === undefined) out.set(m[2], set = new Set());
    set.add(m[1]);
  }
  return out;
}

/** The best common ancestor of two commits, or null when they share none. */
export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | null> {
  const r = await runGit(["merge-base", a, b], { gitDir });
  if (r.code === 1) return null;
  if (r.code !== 0) throw failed("merge-base", r);
  return gitText(r).trim() || null;
}

/** One blob of a tree. */
export interface TreeEntry {
  mode: string;
  oid: string;
}

/**
 * Every blob of the tree of `commit` (recursively) by path. Entries that are not regular
 * files (links, submodules, executables) are left out: they are never materialized. `under`:
 * only the entries below that path.
 */
export async function lsTree(
  gitDir: string,
  commit: string,
  under?: string,
): Promise<Map<string, string>> {
  const args = ["ls-tree", "-r", "-z", "--full-tree", commit];
  const r = await runGit(under === undefined ? args : [...args, "--", under], { gitDir });
  if (r.code !== 0) throw failed("ls-tree", r);
  const out = new Map<string, string>();
  for (const line of decoder.decode(r.stdout).split("\0")) {
    if (line === "") continue;
    const tab = line.indexOf("\t");
    const [mode, type, oid] = line.slice(0, tab).split(" ");
    if (mode === "100644" && type === "blob") out.set(line.slice(tab + 1), oid);
  }
  return out;
}

/**
 * Blobs read or written during a sync step, by git directory: a blob id names the same bytes
 * forever, so the merge, the replay and the lease step, which read the same few tickets, start
 * one `git cat-file` between them instead of one each. Kept only while a step runs
 * ({@linkcode withBlobMemo}), so an object pruned between two steps is still found missing.
 */
const blobMemo = new Map<string, { blobs: Map<string, Uint8Array>; bytes: number }>();
let memoUsers = 0;
/** What the memo keeps at most per git directory (bytes); beyond it, blobs are read again. */
const BLOB_MEMO_BYTES = 32 << 20;

/** Runs `fn` with blobs of this process's reads and writes remembered until it returns. */
export async function withBlobMemo<T>(fn: () => Promise<T>): Promise<T> {
  memoUsers++;
  try {
    return await fn();
  } finally {
    if (--memoUsers === 0) blobMemo.clear();
  }
}

function remember(gitDir: string, oid: string, bytes: Uint8Array): void {
  if (memoUsers === 0) return;
  let memo = blobMemo.get(gitDir);
  if (memo === undefined) blobMemo.set(gitDir, memo = { blobs: new Map(), bytes: 0 });
  if (memo.blobs.has(oid) || memo.bytes + bytes.length > BLOB_MEMO_BYTES) return;
  memo.blobs.set(oid, bytes);
  memo.bytes += bytes.length;
}

/** The bytes of each blob in `oids` (one `git cat-file --batch` for those not remembered). */
export async function readBlobs(
  gitDir: string,
  oids: Iterable<string>,
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const memo = memoUsers === 0 ? undefined : blobMemo.get(gitDir)?.blobs;
  const wanted: string[] = [];
  for (const oid of new Set(oids)) {
    const known = memo?.get(oid);
    if (known === undefined) wanted.push(oid);
    else out.set(oid, known);
  }
  if (wanted.length === 0) return out;
  const r = await runGit(["cat-file", "--batch"], {
    gitDir,
    stdin: wanted.join("\n") + "\n",
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw failed("cat-file --batch", r);
  const buf = r.stdout;
  let at = 0;
  for (const oid of wanted) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) throw failed("cat-file --batch (short output)", r);
    const header = decoder.decode(buf.subarray(at, nl)).split(" ");
    if (header[1] === "missing" || header.length < 3) {
      throw new TrackError("io", `git object ${oid} is missing from the repository`, {
        hint: "track doctor",
        detail: { missing: oid },
      });
    }
    const size = Number(header[2]);
    const bytes = buf.slice(nl + 1, nl + 1 + size);
    out.set(oid, bytes);
    remember(gitDir, oid, bytes);
    at = nl + 1 + size + 1;
  }
  return out;
}

/** Writes the files at `paths` as blobs; their oids in the same order. */
export async function hashFiles(gitDir: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await runGit(["hash-object", "-w", "--no-filters", "--stdin-paths"], {
    gitDir,
    stdin: paths.join("\n") + "\n",
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw failed("hash-object", r);
  const oids = gitText(r).split("\n").filter((l) => l !== "");
  if (oids.length !== paths.length) throw failed("hash-object (short output)", r);
  return oids;
}

/**
 * Writes `contents` as blobs (through temp files in `scratchDir`, one git run); their oids in
 * order.
 */
export async function writeBlobs(
  gitDir: string,
  scratchDir: string,
  contents: readonly Uint8Array[],
): Promise<string[]> {
  if (contents.length === 0) return [];
  Deno.mkdirSync(scratchDir, { recursive: true });
  const dir = Deno.makeTempDirSync({ dir: scratchDir, prefix: "blobs-" });
  try {
    const paths = contents.map((c, i) => {
      const p = join(dir, String(i));
      Deno.writeFileSync(p, c);
      return p;
    });
    const oids = await hashFiles(gitDir, paths);
    oids.forEach((oid, i) => remember(gitDir, oid, contents[i]));
    return oids;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * A tree: `base` (a commit, or null for empty) with `changes` applied (path → blob oid, or null
 * to remove), built in a private index file that is removed afterwards. Returns the tree oid.
 */
export async function buildTree(
  gitDir: string,
  indexFile: string,
  base: string | null,
  changes: ReadonlyMap<string, string | null>,
): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    let read = await runGit(base === null ? ["read-tree", "--empty"] : ["read-tree", base], {
      gitDir,
      env,
    });
    if (read.code !== 0 && base !== null && /invalid path/.test(read.stderr)) {
      // A tree git itself refuses to check out (`..`, `.git`: written with mktree, pushed
      // without fsck): every state built on it would fail here, on every clone. Keep only its
      // entries with plain names; the others never reach a store anyway.
      read = await readPlainEntries(gitDir, base, env);
    }
    if (read.code !== 0) throw failed("read-tree", read);
    if (changes.size > 0) {
      const zero = "0".repeat(base?.length ?? 40);
      const lines: string[] = [];
      for (const [path, oid] of changes) {
        lines.push(oid === null ? `0 ${zero}\t${path}` : `100644 blob ${oid}\t${path}`);
      }
      const upd = await runGit(["update-index", "-z", "--index-info"], {
        gitDir,
        env,
        stdin: lines.join("\0") + "\0",
      });
      if (upd.code !== 0) throw failed("update-index", upd);
    }
    const w = await runGit(["write-tree"], { gitDir, env });
    if (w.code !== 0) throw failed("write-tree", w);
    return gitText(w).trim();
  } finally {
    try {
      Deno.removeSync(indexFile);
    } catch {
      // Not written (read-tree failed) or already gone.
    }
  }
}

/** A path component every git accepts (never `.`, `..`, `.git` or a variant of it). */
const PLAIN_NAME = /^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/;

/** The index of `base` without its entries whose path has a component that is not plain. */
async function readPlainEntries(
  gitDir: string,
  base: string,
  env: Record<string, string>,
): Promise<GitResult> {
  const ls = await runGit(["ls-tree", "-r", "-z", "--full-tree", base], { gitDir });
  if (ls.code !== 0) return ls;
  const lines: string[] = [];
  for (const line of decoder.decode(ls.stdout).split("\0")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const path = line.slice(tab + 1);
    if (!path.split("/").every((c) => PLAIN_NAME.test(c))) continue;
    const [mode, , oid] = line.slice(0, tab).split(" ");
    lines.push(`${mode} ${oid}\t${path}`);
  }
  const empty = await runGit(["read-tree", "--empty"], { gitDir, env });
  if (empty.code !== 0 || lines.length === 0) return empty;
  return await runGit(["update-index", "-z", "--index-info"], {
    gitDir,
    env,
    stdin: lines.join("\0") + "\0",
  });
}

/** A commit of `tree` whose only parent is `parent` (none when null), with `message`. */
export async function commitTree(
  gitDir: string,
  tree: string,
  parent: string | null,
  message: string,
  when: Date,
): Promise<string> {
  const date = `${Math.floor(when.getTime() / 1000)} +0000`;
  const r = await runGit(
    ["commit-tree", tree, ...(parent === null ? [] : ["-p", parent]), "-F", "-"],
    {
      gitDir,
      stdin: message,
      env: { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    },
  );
  if (r.code !== 0) throw failed("commit-tree", r);
  return gitText(r).trim();
}

/** What a fetch of the state ref found. */
export type FetchOutcome =
  | { kind: "found"; oid: string; refs: Map<string, string | null> }
  | { kind: "missing"; refs: Map<string, string | null> }
  | { kind: "unreachable"; reason: string };

function lastLines(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim() !== "").slice(-2).join("; ");
}

/**
 * Fetches `ref` of `remote` into {@linkcode FETCHED_REF} (forced: it is a scratch ref, checked
 * before anything trusts it). A remote without the ref is `missing`; any other failure,
 * timeout included, is `unreachable`. `refs`: the commits `options.also` name, read after the
 * fetch with the fetched ref (one git run). `options.maintenance: false` skips git's automatic
 * maintenance after the fetch (a process, and now and then a repack, on the caller's time).
 */
export async function fetchState(
  gitDir: string,
  remote: string,
  ref: string,
  timeoutMs: number,
  options: { also?: readonly string[]; maintenance?: boolean } = {},
): Promise<FetchOutcome> {
  const args = options.maintenance === false
    ? ["-c", "maintenance.auto=false", "-c", "gc.auto=0", "fetch"]
    : ["fetch"];
  args.push("--no-tags", "--no-recurse-submodules", "--quiet");
  let r = await runGit([...args, "--no-write-fetch-head", remote, `+${ref}:${FETCHED_REF}`], {
    gitDir,
    timeoutMs,
  });
  if (r.code !== 0 && /no-write-fetch-head/.test(r.stderr)) {
    // git older than 2.29: FETCH_HEAD is written (harmless: it is the repository's own file).
    r = await runGit([...args, remote, `+${ref}:${FETCHED_REF}`], { gitDir, timeoutMs });
  }
  if (r.timedOut) return { kind: "unreachable", reason: `no answer within ${timeoutMs} ms` };
  if (r.code === 0) {
    const refs = await readRefs(gitDir, [FETCHED_REF, ...options.also ?? []]);
    const oid = refs.get(FETCHED_REF) ?? null;
    refs.delete(FETCHED_REF);
    if (oid === null) return { kind: "unreachable", reason: "the fetched ref is not a commit" };
    return { kind: "found", oid, refs };
  }
  if (/couldn't find remote ref/i.test(r.stderr)) {
    return { kind: "missing", refs: await readRefs(gitDir, options.also ?? []) };
  }
  // The remote answered; this repository could not take the fetched ref (a stale lock here).
  const lock = localLockError("fetch", r);
  if (lock !== null) throw lock;
  return { kind: "unreachable", reason: lastLines(r.stderr) || `git fetch exited ${r.code}` };
}

/** What a compare-and-swap push did. */
export type PushOutcome =
  | { kind: "accepted" }
  | {
    kind: "rejected";
    reason: string; /** git's whole stderr (hook output included). */
    stderr: string;
  }
  | { kind: "unknown"; reason: string };

/**
 * Pushes `commit` to `ref` of `remote` only if the remote's ref is `expected` (null: only if it
 * does not exist): `--force-with-lease=<ref>:<expected>`, never the implicit form, without
 * hooks. `unknown`: unreachable, timed out or killed, so the remote may or may not have it (the
 * next fetch tells).
 */
export async function pushState(
  gitDir: string,
  remote: string,
  ref: string,
  commit: string,
  expected: string | null,
  timeoutMs: number,
): Promise<PushOutcome> {
  const r = await runGit([
    "push",
    "--no-verify",
    "--porcelain",
    "--quiet",
    `--force-with-lease=${ref}:${expected ?? ""}`,
    remote,
    `${commit}:${ref}`,
  ], { gitDir, timeoutMs });
  if (r.timedOut) return { kind: "unknown", reason: `no answer within ${timeoutMs} ms` };
  const out = gitText(r);
  const line = out.split("\n").find((l) => l.includes(`\t${commit}:${ref}\t`) || l.endsWith(ref));
  if (r.code === 0) return { kind: "accepted" };
  const status = line?.split("\t") ?? [];
  if (status[0] === "!") {
    return {
      kind: "rejected",
      reason: [status[2], lastLines(r.stderr)].filter(Boolean).join(": "),
      stderr: r.stderr,
    };
  }
  return { kind: "unknown", reason: lastLines(r.stderr) || `git push exited ${r.code}` };
}

/** The URL git has for remote `name` of the repository, or null when it is not a remote name. */
export async function remoteUrl(gitDir: string, name: string): Promise<string | null> {
  const r = await runGit(["config", "--get", `remote.${name}.url`], { gitDir });
  return r.code === 0 ? gitText(r).trim() : null;
}
