/**
 * The one exit-code table. Commands throw a {@linkcode TrackError}; only `main` turns it into
 * an exit code. Documented in README.md ("Exit codes") and tested end to end.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  conflict: 3,
  notFound: 4,
  lockBusy: 5,
  badData: 6,
  io: 7,
  remote: 8,
  /** Not an error: granted on this machine, not confirmed by the sync remote (docs/sync.md). */
  provisional: 9,
} as const;

/** Machine name of an error kind, as printed in `--json` errors. */
export type ErrorKind = keyof typeof EXIT;

/** The kind whose exit code is `code` (another track's exit status); null for 0 or unknown. */
export function kindOfExit(code: number): ErrorKind | null {
  if (code === EXIT.ok) return null;
  return (Object.keys(EXIT) as ErrorKind[]).find((k) => EXIT[k] === code) ?? null;
}

/** An expected failure: a message for the user, an optional hint, and its exit code. */
export class TrackError extends Error {
  /** Which row of the exit-code table this is. */
  readonly kind: ErrorKind;
  /** The next command to try, without the "hint:" prefix. */
  readonly hint: string | null;
  /** Extra structured detail for `--json` output. */
  readonly detail: Record<string, unknown> | null;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { hint?: string; detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TrackError";
    this.kind = kind;
    this.hint = options.hint ?? null;
    this.detail = options.detail ?? null;
  }

  /** The exit code of this error. */
  get exitCode(): number {
    return EXIT[this.kind];
  }
}

/** Usage error (exit 2). */
export function usageError(message: string, hint?: string): TrackError {
  return new TrackError("usage", message, { hint });
}

/** Conflict (exit 3): claimed, illegal transition, unmet dependency, reserved path. */
export function conflictError(
  message: string,
  hint?: string,
  detail?: Record<string, unknown>,
): TrackError {
  return new TrackError("conflict", message, { hint, detail });
}

/** Not found (exit 4). */
export function notFoundError(message: string, hint?: string): TrackError {
  return new TrackError("notFound", message, { hint });
}

/** Bad data in .track/ (exit 6): names the file and, when known, the line. */
export function badDataError(
  file: string,
  reason: string,
  options: { line?: number; hint?: string } = {},
): TrackError {
  const where = options.line === undefined ? file : `${file}:${options.line}`;
  return new TrackError("badData", `Cannot read "${where}": ${reason}`, {
    hint: options.hint ?? restoreHint(file),
    detail: { file, line: options.line ?? null, reason },
  });
}

/**
 * How to fix a store file that does not read. With sync on the store is in the git directory
 * (`…/track/store/…`), where `git diff .track/` shows nothing: the last synced copy is in the
 * state tree of `refs/track/local` (docs/sync.md's wire layout: tickets sharded by their last
 * two digits, board posts by the first two characters of their name).
 */
function restoreHint(file: string): string {
  const m = /(?:^|\/)track\/store\/(.+)$/.exec(file);
  if (m === null) {
    return "fix or restore the file by hand (git diff .track/), then run: track doctor";
  }
  const rel = m[1];
  const t = /^(tickets|archive)\/(T-\d+\.md)$/.exec(rel);
  const b = /^board\/([^/]+)\/([^/]+)$/.exec(rel);
  const wire = t !== null
    ? `${t[1]}/${t[2].slice(-5, -3)}/${t[2]}`
    : b !== null
    ? `board/${b[1]}/${b[2].slice(0, 2)}/${b[2]}`
    : rel;
  return "fix the file by hand (with sync on it is in the git directory, not the work tree; " +
    `the last synced copy: git show refs/track/local:${wire}), then run: track doctor`;
}

/** I/O failure (exit 7): names the file; the target stays as it was. */
export function ioError(action: string, file: string, cause: unknown): TrackError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TrackError("io", `Cannot ${action} "${file}": ${reason}; nothing was changed`, {
    hint: "check free disk space and permissions of the .track/ directory, then retry",
    detail: { file, reason },
    cause,
  });
}

/**
 * The sync remote could not be reached or did not confirm in time (exit 8): nothing is lost,
 * every local change stays queued for the next `track sync`. `reason` is git's own words.
 */
export function remoteError(
  message: string,
  hint?: string,
  detail?: Record<string, unknown>,
): TrackError {
  return new TrackError("remote", message, {
    hint: hint ?? "check the remote with: track doctor; then run: track sync",
    detail,
  });
}

/**
 * A failed write of a file outside the store (an `--output` or `--write` target): a missing
 * folder is exit 4 naming it, anything else exit 7; the hint is about that folder, not .track/.
 * `retry` is the command to run again.
 */
export function outsideWriteError(file: string, cause: unknown, retry: string): TrackError {
  const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof Deno.errors.NotFound) {
    return new TrackError(
      "notFound",
      `Cannot write "${file}": the folder "${folder}" does not exist; nothing was changed`,
      {
        hint: `create it first (mkdir -p "${folder}"), then run: ${retry}`,
        detail: { file, reason },
      },
    );
  }
  return new TrackError("io", `Cannot write "${file}": ${reason}; nothing was changed`, {
    hint: `check free disk space and permissions of "${folder}", then run: ${retry}`,
    detail: { file, reason },
    cause,
  });
}
