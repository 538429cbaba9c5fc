/**
 * Running the real `git` binary for sync (docs/sync.md): never interactively, never with the
 * repository's hooks, never with the caller's `GIT_DIR`-style variables, and never for longer
 * than a kill timer allows. Every git call of the sync engine goes through {@linkcode runGit}.
 */
import { TrackError } from "../model/errors.ts";
import { gitEnv } from "./git_env.ts";

/** What one git run gave back. */
export interface GitResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  /** The kill timer fired: git was stopped before it finished. */
  timedOut: boolean;
}

/** Options of {@linkcode runGit}. */
export interface GitOptions {
  /** The git directory to run against (`--git-dir`); otherwise git finds it from `cwd`. */
  gitDir?: string;
  cwd?: string;
  stdin?: Uint8Array | string;
  /** Kill git after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Extra environment (e.g. `GIT_INDEX_FILE` for a private index). */
  env?: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Variables of the caller that reach the transport (never which repository git reads): the ssh
 * agent, which answers without a prompt (most ssh keys are held there), and the proxies a
 * container may need to reach an https remote.
 */
const TRANSPORT_VARS = [
  "SSH_AUTH_SOCK",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
  "NO_PROXY",
  "no_proxy",
];

function transportEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of TRANSPORT_VARS) {
    try {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    } catch {
      // No env permission: none passed.
    }
  }
  return env;
}

/** The environment of every sync git call: no prompt can wait for a person. */
export function syncGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...gitEnv(),
    ...transportEnv(),
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "true",
    SSH_ASKPASS: "true",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes -o ConnectTimeout=10",
    ...extra,
  };
}

/**
 * Runs `git <args>` with hooks off (`core.hooksPath=/dev/null`), a clean environment and a kill
 * timer. A missing git binary is exit 7 saying so; git's own failures are returned, not thrown.
 */
export async function runGit(args: string[], options: GitOptions = {}): Promise<GitResult> {
  const full = ["-c", "core.hooksPath=/dev/null"];
  if (options.gitDir !== undefined) full.push(`--git-dir=${options.gitDir}`);
  full.push(...args);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? 30_000);
  try {
    const child = new Deno.Command("git", {
      args: full,
      cwd: options.cwd,
      clearEnv: true,
      env: syncGitEnv(options.env),
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).spawn();
    // Read while writing: git may fill its stdout pipe before it has read all of stdin.
    const output = child.output();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const data = typeof options.stdin === "string"
        ? encoder.encode(options.stdin)
        : options.stdin;
      // git may exit before reading everything (a failure): its exit status says what happened.
      await writer.write(data).catch(() => {});
      await writer.close().catch(() => {});
    }
    // Killed by the timer, git is gone, but a process it started (the receive-pack and hook of
    // a path remote) can still hold its pipes open: stop waiting for them once git has exited.
    const killed = new Promise<null>((resolve) => {
      controller.signal.addEventListener("abort", () => {
        child.status.then(() => setTimeout(() => resolve(null), 200), () => resolve(null));
      });
    });
    const out = await Promise.race([output, killed]);
    if (out === null) {
      output.catch(() => {});
      return {
        code: 128,
        stdout: new Uint8Array(),
        stderr: "git did not finish in time (killed)",
        timedOut: true,
      };
    }
    return { code: out.code, stdout: out.stdout, stderr: decoder.decode(out.stderr), timedOut };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TrackError("io", "Cannot run git: no `git` binary on the PATH", {
        hint: "install git 2.20 or newer, then retry",
      });
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** git's stdout as text. */
export function gitText(result: GitResult): string {
  return decoder.decode(result.stdout);
}

/**
 * {@linkcode runGit} for a purely local lookup that must not make its caller async (`git config
 * --get` while a store is being opened): same flags and clean environment, no stdin, no kill
 * timer (never use it for anything that may touch the network or wait for a lock).
 */
export function runGitSync(
  args: string[],
  options: { gitDir?: string; cwd?: string } = {},
): { code: number; stdout: string; stderr: string } {
  const full = ["-c", "core.hooksPath=/dev/null"];
  if (options.gitDir !== undefined) full.push(`--git-dir=${options.gitDir}`);
  full.push(...args);
  try {
    const out = new Deno.Command("git", {
      args: full,
      cwd: options.cwd,
      clearEnv: true,
      env: syncGitEnv(),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TrackError("io", "Cannot run git: no `git` binary on the PATH", {
        hint: "install git 2.20 or newer, then retry",
      });
    }
    throw e;
  }
}
