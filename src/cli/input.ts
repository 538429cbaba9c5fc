/** Text that comes from a flag or from stdin, checked like file content. */
import { usageError } from "./errors.ts";
import type { Context } from "./context.ts";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether stdin is a pipe or a redirected file (never a terminal or /dev/null). */
function stdinHasData(ctx: Context): boolean {
  if (ctx.io.stdinIsTty) return false;
  try {
    const s = Deno.statSync("/dev/stdin");
    return s.isFile || s.isFifo === true;
  } catch {
    return false;
  }
}

/** Checks user-supplied text: no NUL, no CR, no BOM. `what` names it in errors. */
export function checkText(text: string, what: string): string {
  if (text.includes("\0")) throw usageError(`The ${what} contains a NUL character`);
  if (text.startsWith("\uFEFF")) {
    throw usageError(`The ${what} starts with a byte-order mark (BOM)`);
  }
  if (text.includes("\r")) {
    throw usageError(`The ${what} contains CR (\\r) characters; use LF line endings`);
  }
  return text;
}

/**
 * The value of `flag`, or stdin when the flag is absent (or "-") and stdin is a pipe or file.
 * Returns null when neither gives anything.
 */
export async function textFromFlagOrStdin(
  ctx: Context,
  flag: string | undefined,
  what: string,
): Promise<string | null> {
  if (flag !== undefined && flag !== "-") return checkText(flag, what);
  if (flag !== "-" && !stdinHasData(ctx)) return null;
  const bytes = await ctx.io.readStdin();
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    throw usageError(`The ${what} on stdin is not valid UTF-8`);
  }
  if (text === "" && flag !== "-") return null;
  return checkText(text, what);
}
