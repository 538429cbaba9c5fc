/**
 * Switches that turn a speed layer off, for the benchmark's side-by-side rows (`deno task
 * bench`) and for ruling a layer out when something looks wrong. They never change an answer:
 * every layer they control is verified against the files it stands for.
 *
 * - `TRACK_NO_CACHE=1`: readers ignore the ticket metadata cache and the search word index and
 *   parse every file; writers and readers leave both as they are (ticket_cache.ts,
 *   word_index.ts).
 * - `TRACK_NATIVE_FS=0`: directory listing and lstat through Deno's API instead of libc
 *   (native_fs.ts).
 */

/** The switches as set in this process's environment (read once). */
export interface SpeedSwitches {
  cache: boolean;
  nativeFs: boolean;
}

let switches: SpeedSwitches | undefined;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // No env permission: every layer on.
  }
}

/** Which speed layers are on. */
export function speedSwitches(): SpeedSwitches {
  switches ??= {
    cache: env("TRACK_NO_CACHE") !== "1",
    nativeFs: env("TRACK_NATIVE_FS") !== "0",
  };
  return switches;
}
