/** Text that comes from a flag or from stdin, checked like file content. */
import { usageError } from "../model/errors.ts";
import { checkText } from "../model/text.ts";
import type { Context } from "./context.ts";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** How long a pipe on stdin may stay silent before a command goes on without it. */
export const STDIN_WAIT_MS = 250;

/** What stdin is: a redirected file, a pipe, or anything else (terminal, /dev/null, socket). */
function stdinKind(ctx: Context): "file" | "pipe" | "other" {
  if (ctx.io.stdinIsTty) return "other";
  try {
    const s = Deno.statSync("/dev/stdin");
    return s.isFile ? "file" : s.isFifo === true ? "pipe" : "other";
  } catch {
    return "other";
  }
}

/**
 * The value of `flag`, or stdin when the flag is absent (or "-") and stdin is a pipe or file.
 * Returns null when neither gives anything. Without "-", a pipe that stays silent for
 * {@linkcode STDIN_WAIT_MS} counts as no input (agent harnesses often leave stdin open).
 */
export async function textFromFlagOrStdin(
  ctx: Context,
  flag: string | undefined,
  what: string,
): Promise<string | null> {
  if (flag !== undefined && flag !== "-") return checkText(flag, what);
  const kind = flag === "-" ? "file" : stdinKind(ctx);
  if (kind === "other") return null;
  const bytes = kind === "pipe"
    ? await ctx.io.readStdinWithin(STDIN_WAIT_MS)
    : await ctx.io.readStdin();
  if (bytes === null) return null;
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    throw usageError(`The ${what} on stdin is not valid UTF-8`);
  }
  if (text === "" && flag !== "-") return null;
  return checkText(text, what);
}
