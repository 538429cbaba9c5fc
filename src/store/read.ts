/**
 * Strict reading of files in .track/: invalid UTF-8, a BOM, CRLF line endings and NUL bytes are
 * bad data (exit 6) naming the file and line, never silently "fixed".
 */
import { badDataError, ioError } from "../model/errors.ts";
import { lstatInside } from "./no_follow.ts";

/** Largest file in .track/ we agree to parse (a ticket with a long work log stays far below). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 10) line++;
  return line;
}

function firstInvalidUtf8Line(bytes: Uint8Array): number {
  let start = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 10) {
      try {
        fatal.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      start = i + 1;
      line++;
    }
  }
  return 1;
}

/** Decodes bytes of `file` as strict UTF-8 text with LF line endings. */
export function decodeStrict(bytes: Uint8Array, file: string): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw badDataError(file, "starts with a byte-order mark (BOM); save it as UTF-8 without BOM", {
      line: 1,
    });
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw badDataError(file, "contains a NUL byte", { line: lineOf(bytes, nul) });
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    throw badDataError(file, "is not valid UTF-8", { line: firstInvalidUtf8Line(bytes) });
  }
  const cr = text.indexOf("\r");
  if (cr !== -1) {
    throw badDataError(file, "has CRLF or CR line endings; .track/ files use LF", {
      line: text.slice(0, cr).split("\n").length,
    });
  }
  return text;
}

/**
 * Reads `path` as strict text; `display` names it in errors. Returns null when it does not
 * exist. A directory or symlink where a file should be is bad data. `inside` (the .track
 * directory) also refuses a link on any directory between it and `path` (no_follow.ts).
 */
export function readTextStrict(path: string, display: string, inside?: string): string | null {
  let info: Deno.FileInfo;
  if (inside !== undefined) {
    const found = lstatInside(inside, path, { action: "read" });
    if (found === null) return null;
    info = found;
  } else {
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw ioError("read", display, e);
    }
  }
  if (info.isSymlink) {
    throw badDataError(display, "is a symbolic link; .track/ holds only regular files");
  }
  if (info.isDirectory) throw badDataError(display, "is a directory where a file should be");
  if (info.size > MAX_FILE_BYTES) {
    throw badDataError(display, `is ${info.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    // Deleted between lstat and read (a concurrent rename never deletes, but a person might).
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError("read", display, e);
  }
  return decodeStrict(bytes, display);
}

/**
 * Reads a file that a directory listing just reported as a regular file, without a separate
 * lstat. Returns null when it vanished meanwhile.
 */
export function readKnownFile(path: string, display: string): string | null {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    // Replaced by a directory or a symlink since the listing: take the careful path.
    if (e instanceof Deno.errors.IsADirectory) return readTextStrict(path, display);
    throw ioError("read", display, e);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw badDataError(display, `is ${bytes.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  }
  return decodeStrict(bytes, display);
}

/** Parses `text` of file `display` as a JSON object; anything else is bad data (exit 6). */
export function parseJsonObject(text: string, display: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // V8 names the offset ("... at position 12") for most errors; the end of input is the last
    // line; a one-line file has only line 1.
    const at = /at position (\d+)/.exec(message);
    const upTo = at
      ? Number(at[1])
      : /end of JSON input/.test(message)
      ? text.trimEnd().length
      : -1;
    const lines = text.trimEnd().split("\n").length;
    throw badDataError(display, `is not valid JSON (${message})`, {
      line: upTo !== -1 ? text.slice(0, upTo).split("\n").length : lines === 1 ? 1 : undefined,
    });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw badDataError(display, "must hold a JSON object");
  }
  return raw as Record<string, unknown>;
}
