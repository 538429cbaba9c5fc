/**
 * The state of a worktree's code for verified done (docs/agents.md "Verified done"): git HEAD and
 * a hash of everything that differs from it, ignoring `.track/`:
 *
 *   sha256( `git diff HEAD --binary --no-ext-diff --no-textconv --no-color -- . ':(exclude).track'`
 *           + "\0untracked\0"
 *           + for each untracked, not ignored file (`git ls-files --others --exclude-standard`),
 *             sorted by path: path + "\0" + sha256(contents, or a symlink's target) + "\n" )
 *
 * Before the first commit every file counts as untracked (with the index's files). Outside git
 * the state is `head=none tree=nogit`: nothing can tell a change, which docs/agents.md says.
 * Also the HMAC key for evidence lines, kept in git's own directory (never committed).
 */
import { TrackError } from "../model/errors.ts";
import { join } from "../model/path.ts";
import type { TreeState } from "../model/verify.ts";

import { gitEnv } from "./git_env.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const EXCLUDE = ":(exclude).track";

function git(dir: string, args: string[]): { ok: boolean; out: Uint8Array } {
  try {
    const r = new Deno.Command("git", {
      args: ["-c", "core.quotepath=off", ...args],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      // Never the caller's GIT_DIR or GIT_INDEX_FILE (a hook of another repository).
      clearEnv: true,
      env: gitEnv(),
    }).outputSync();
    return { ok: r.success, out: r.stdout };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, out: new Uint8Array() }; // no git
    throw e;
  }
}

async function sha256(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function readEntry(path: string): Uint8Array {
  try {
    const st = Deno.lstatSync(path);
    if (st.isSymlink) return encoder.encode("link:" + Deno.readLinkSync(path));
    if (st.isDirectory) return encoder.encode("dir"); // a nested repository: its name only
    // A FIFO, socket or device is never opened: reading one would block or never end.
    if (!st.isFile) return encoder.encode("special");
    return Deno.readFileSync(path);
  } catch (e) {
    // Deleted between the listing and the read: hashed as missing, the next run sees it.
    if (e instanceof Deno.errors.NotFound) return encoder.encode("missing");
    throw new TrackError(
      "io",
      `Cannot read "${path}" to fingerprint the working tree: ${
        (e as Error).message
      }; nothing was changed`,
      {
        hint: "make it readable by you, or list it in .gitignore, then run track verify again",
        detail: { file: path },
        cause: e,
      },
    );
  }
}

/** The top directory of the git worktree holding `dir`, or null outside git. */
export function worktreeTop(dir: string): string | null {
  const r = git(dir, ["rev-parse", "--show-toplevel"]);
  return r.ok ? decoder.decode(r.out).trim() : null;
}

/** HEAD and the working-tree hash of the worktree holding `dir` (see the module comment). */
export async function treeState(dir: string): Promise<TreeState> {
  const top = worktreeTop(dir);
  if (top === null) return { head: "none", tree: "0" };
  const headRun = git(top, ["rev-parse", "--verify", "-q", "HEAD"]);
  const head = headRun.ok ? decoder.decode(headRun.out).trim() : "none";
  const parts: Uint8Array[] = [];
  let listArgs = ["ls-files", "-z", "--others", "--exclude-standard", "--", ".", EXCLUDE];
  if (head !== "none") {
    const diff = git(top, [
      "diff",
      "HEAD",
      "--binary",
      "--no-ext-diff",
      "--no-textconv",
      "--no-color",
      "--",
      ".",
      EXCLUDE,
    ]);
    parts.push(diff.out);
  } else {
    listArgs = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", EXCLUDE];
  }
  parts.push(encoder.encode("\0untracked\0"));
  const names = decoder.decode(git(top, listArgs).out).split("\0").filter((n) => n !== "")
    .sort();
  for (const name of [...new Set(names)]) {
    const hash = await sha256(readEntry(join(top, name)));
    parts.push(encoder.encode(`${name}\0${hash}\n`));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return { head, tree: (await sha256(all)).slice(0, 16) };
}

/**
 * The key evidence lines are signed with: `<git common dir>/track/verify-key` (outside every
 * worktree, never committed), else `.track/verify-key` outside git. Created (random, 0600) when
 * `create` is set and it is missing; null when missing otherwise.
 */
export function verifyKey(
  storeDir: string,
  create: boolean,
  root: string = storeDir,
): Uint8Array | null {
  // git runs in the project root: with sync on the store itself is inside the git dir.
  const common = git(root, ["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  const dir = common.ok ? join(decoder.decode(common.out).trim(), "track") : storeDir;
  const path = join(dir, "verify-key");
  // Any failure but a missing key is exit 7 naming the file (never an internal error).
  const failed = (action: string, e: unknown) =>
    new TrackError(
      "io",
      `Cannot ${action} the verify key "${path}": ${(e as Error).message}; nothing was changed`,
      {
        hint:
          `it must be a file readable by you (32 random bytes, mode 0600); move it away and run: track verify T-NNNN (a new key: evidence recorded with the old one no longer counts)`,
        detail: { file: path },
        cause: e,
      },
    );
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw failed("read", e);
  }
  if (!create) return null;
  const key = crypto.getRandomValues(new Uint8Array(32));
  try {
    Deno.mkdirSync(dir, { recursive: true });
    // createNew: two first runs at once keep the first key (the other reads it back).
    Deno.writeFileSync(path, key, { createNew: true, mode: 0o600 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw failed("create", e);
    try {
      return Deno.readFileSync(path);
    } catch (e2) {
      throw failed("read", e2);
    }
  }
  return key;
}

/** HMAC-SHA256 of `message` with `key`, hex, first 32 digits. */
export async function evidenceMac(key: Uint8Array, message: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", k, encoder.encode(message));
  return Array.from(new Uint8Array(sig), (b) => b.toString(16).padStart(2, "0")).join("").slice(
    0,
    32,
  );
}
