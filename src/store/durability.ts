/**
 * One durability barrier for many files written without fsync (journal.ts `putChangesLazily`):
 * the sync step materialises a fetched state in batches, then calls {@linkcode syncFilesystem}
 * once, and only then moves `refs/track/local`.
 *
 * - Linux: `syncfs(2)` on the store's file system through libc (FFI; only when FFI is already
 *   permitted, never a prompt). One call flushes every dirty page and inode of that file system
 *   and, since Linux 5.8, reports a writeback error any of them hit.
 * - Elsewhere, or when libc cannot be used: each touched file is fsynced (`fcntl(F_FULLFSYNC)`
 *   is what Deno's `syncSync` does on macOS), then each touched directory, deepest first.
 *
 * Either way a failure throws an exit-7 error, so the caller does not move its ref.
 */
import { ioError } from "../model/errors.ts";
import { syncDir } from "./atomic.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  syncfs: { parameters: ["i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

/** Linux `O_RDONLY | O_DIRECTORY | O_CLOEXEC` (the same on x86_64 and aarch64). */
const O_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;

let libc: Libc | null | undefined;

function linuxLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux") return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    libc = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    libc = null; // No glibc (musl): the per-file fallback.
  }
  return libc;
}

function errno(lib: Libc): number {
  const at = lib.symbols.__errno_location();
  return at === null ? -1 : new Int32Array(Deno.UnsafePointerView.getArrayBuffer(at, 4))[0];
}

/** How the last {@linkcode syncFilesystem} made the files durable (for tests and reports). */
export type BarrierKind = "syncfs" | "fsync";

/**
 * Makes durable every write made so far under `dir` (a store directory): `files` and `dirs` are
 * the paths written and the directories whose entries changed, used only by the fallback;
 * `"all"` (when they are not known: a barrier an earlier process did not reach) makes the
 * fallback fsync every file and directory under `dir`. `display` names the store in errors.
 * Returns how it was done.
 */
export function syncFilesystem(
  dir: string,
  touched: { files: Iterable<string>; dirs: Iterable<string> } | "all",
  display: string,
  options: { native?: boolean } = {},
): BarrierKind {
  const lib = options.native === false || dir.includes("\0") ? null : linuxLibc();
  if (lib !== null) {
    const fd = lib.symbols.open(new TextEncoder().encode(dir + "\0"), O_DIRECTORY_CLOEXEC);
    if (fd >= 0) {
      const r = lib.symbols.syncfs(fd);
      const code = r === 0 ? 0 : errno(lib);
      lib.symbols.close(fd);
      if (r !== 0) {
        throw ioError("flush to disk the file system of", display, new Error(`errno ${code}`));
      }
      return "syncfs";
    }
    // Could not open the directory through libc: Deno's API below reports why, if it fails.
  }
  if (touched === "all") touched = everything(dir);
  for (const path of touched.files) {
    let f: Deno.FsFile | undefined;
    try {
      f = Deno.openSync(path, { read: true });
      f.syncSync();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // Removed since: its directory counts.
      throw ioError("flush to disk", path, e);
    } finally {
      f?.close();
    }
  }
  // Deepest first: a new directory's own entries before its entry in the parent.
  for (const d of [...new Set(touched.dirs)].sort((a, b) => b.length - a.length)) {
    syncDir(d, d);
  }
  return "fsync";
}

/** Every file and directory under `dir` (links not followed), for a fallback barrier. */
function everything(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [dir];
  for (let i = 0; i < dirs.length; i++) {
    for (const e of Deno.readDirSync(dirs[i])) {
      const path = `${dirs[i]}/${e.name}`;
      if (e.isDirectory) dirs.push(path);
      else if (e.isFile) files.push(path);
    }
  }
  return { files, dirs };
}
