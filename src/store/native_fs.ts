/**
 * Listing a directory and lstat-ing its entries, for the one place where that is the whole cost:
 * checking a 10,000-ticket metadata cache (`list`, `ready`, `blocked`, `agents`). Deno's
 * `readDirSync` and `lstatSync` spend about 2.5 and 4 µs per entry here, mostly outside the
 * system calls; through libc (`opendir`/`readdir`, and `statx` relative to the open directory)
 * the same work costs about half.
 *
 * The native path is used only on Linux x86_64 and aarch64 with glibc (whose `struct dirent`
 * and `struct statx` layouts are the same there), only when FFI is already permitted (never a
 * prompt), and only after it agreed with `Deno.lstatSync` on a real file in this process.
 * Anywhere else, and on any failure, {@linkcode openDir} answers through Deno's own API, with
 * the same {@linkcode Stat} values. Either way nothing is written.
 *
 * `TRACK_NATIVE_FS=0` turns the native path off (speed_switches.ts), for the benchmark.
 */
import { speedSwitches } from "./speed_switches.ts";

/** What the metadata cache records of a file. Both paths produce identical numbers. */
export interface Stat {
  isFile: boolean;
  ino: number;
  size: number;
  /** Modification time in whole milliseconds. */
  mtime: number;
  /** Status-change time in whole seconds, as milliseconds (Deno reports no finer). */
  ctime: number;
}

/** One directory entry; `isFile` is false when the listing could not tell. */
export interface Entry {
  name: string;
  isFile: boolean;
}

/**
 * An open directory: its entries, and lstat of a name inside it. A name holding "/" or NUL is
 * never looked up (it could reach another file): its lstat is null.
 */
export interface Dir {
  /** Whether this listing went through libc (for tests and diagnostics). */
  readonly native: boolean;
  readonly entries: readonly Entry[];
  /** lstat of `name` inside the directory, or null when it cannot be stat-ed. */
  lstat(name: string): Stat | null;
  close(): void;
}

/** A {@linkcode Stat} from Deno's file info. */
export function statOf(info: Deno.FileInfo): Stat {
  const ctime = info.ctime?.getTime();
  return {
    isFile: info.isFile,
    ino: info.ino ?? 0,
    size: info.size,
    mtime: info.mtime?.getTime() ?? -1,
    ctime: ctime === undefined ? -1 : Math.floor(ctime / 1000) * 1000,
  };
}

/** lstat of `path` through Deno, or null when it cannot be stat-ed. */
export function lstatPath(path: string): Stat | null {
  try {
    return statOf(Deno.lstatSync(path));
  } catch {
    return null;
  }
}

function plainName(name: string): boolean {
  return name !== "" && !name.includes("/") && !name.includes("\0");
}

function denoDir(path: string): Dir {
  const entries: Entry[] = [];
  for (const e of Deno.readDirSync(path)) entries.push({ name: e.name, isFile: e.isFile });
  const prefix = path.endsWith("/") ? path : path + "/";
  return {
    native: false,
    entries,
    lstat: (name) => plainName(name) ? lstatPath(prefix + name) : null,
    close() {},
  };
}

const SYMBOLS = {
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  dirfd: { parameters: ["pointer"], result: "i32" },
  closedir: { parameters: ["pointer"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const DT_REG = 8;
/** Offsets in glibc's `struct dirent` (64-bit Linux). */
const DIRENT_TYPE = 18;
const DIRENT_NAME = 19;
/**
 * `struct statx` (the same on every Linux architecture) as 32-bit words, little-endian as
 * x86_64 and aarch64 are: stx_mode is the low half of word 7; ino, size and the seconds of
 * ctime and mtime are 64-bit (low word first), each followed by a 32-bit nanoseconds word.
 */
const W_MODE = 7, W_INO = 8, W_SIZE = 10, W_CTIME = 24, W_MTIME = 28;

let libc: Libc | null | undefined;

function nativeLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    libc = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    libc = null; // No glibc (musl), or a glibc without statx: Deno's API it is.
  }
  return libc;
}

const encoder = new TextEncoder();

class NativeDir implements Dir {
  readonly native = true;
  readonly entries: Entry[] = [];
  #lib: Libc;
  #dir: Deno.PointerObject | null;
  #fd: number;
  #stat = new Uint8Array(256);
  #words = new Uint32Array(this.#stat.buffer);
  #signed = new Int32Array(this.#stat.buffer);
  #name = new Uint8Array(1024);

  constructor(lib: Libc, dir: Deno.PointerObject) {
    this.#lib = lib;
    this.#dir = dir;
    this.#fd = lib.symbols.dirfd(dir);
  }

  /** Reads every entry; throws when readdir fails. */
  read(): void {
    const lib = this.#lib, dir = this.#dir!;
    // readdir returns NULL both at the end and on an error; only errno tells them apart.
    const errnoAt = lib.symbols.__errno_location();
    if (errnoAt === null) throw new Error("no errno");
    const errno = new Int32Array(Deno.UnsafePointerView.getArrayBuffer(errnoAt, 4));
    for (;;) {
      errno[0] = 0;
      const e = lib.symbols.readdir(dir);
      if (e === null) {
        if (errno[0] !== 0) throw new Error(`readdir failed (errno ${errno[0]})`);
        break;
      }
      // d_type is the byte right before d_name, so one C-string read from it returns both: the
      // type as the first character, then the name. (d_type 0, "unknown", ends the string at
      // once: then the name is read on its own.) Half the calls of a view per entry.
      const typed = Deno.UnsafePointerView.getCString(e, DIRENT_TYPE);
      const name = typed === ""
        ? Deno.UnsafePointerView.getCString(e, DIRENT_NAME)
        : typed.slice(1);
      if (name === "." || name === "..") continue;
      this.entries.push({ name, isFile: typed.charCodeAt(0) === DT_REG });
    }
  }

  lstat(name: string): Stat | null {
    if (!plainName(name)) return null;
    const buf = this.#name;
    // A name is at most 255 bytes on Linux; anything longer cannot exist here.
    if (name.length >= buf.length) return null;
    // Ticket names are ASCII: written byte by byte, which costs less than TextEncoder's
    // argument checks on every call; anything else goes through the encoder.
    let len = 0;
    for (; len < name.length; len++) {
      const c = name.charCodeAt(len);
      if (c > 0x7f) break;
      buf[len] = c;
    }
    if (len < name.length) {
      const { read, written } = encoder.encodeInto(name, buf);
      if (read !== name.length || written >= buf.length) return null;
      len = written;
    }
    buf[len] = 0;
    if (this.#dir === null) return null;
    const s = this.#lib.symbols.statx(
      this.#fd,
      buf,
      AT_SYMLINK_NOFOLLOW,
      STATX_BASIC_STATS,
      this.#stat,
    );
    if (s !== 0) return null;
    const w = this.#words, i = this.#signed;
    // 64-bit fields as two 32-bit halves: exact below 2^53, and no BigInt per call.
    return {
      isFile: (w[W_MODE] & S_IFMT) === S_IFREG,
      ino: w[W_INO] + w[W_INO + 1] * 2 ** 32,
      size: w[W_SIZE] + w[W_SIZE + 1] * 2 ** 32,
      mtime: (w[W_MTIME] + i[W_MTIME + 1] * 2 ** 32) * 1000 + Math.floor(w[W_MTIME + 2] / 1e6),
      ctime: (w[W_CTIME] + i[W_CTIME + 1] * 2 ** 32) * 1000,
    };
  }

  close(): void {
    if (this.#dir !== null) this.#lib.symbols.closedir(this.#dir);
    this.#dir = null;
  }
}

let verified = false;

/** Whether the native path gives what Deno gives, checked once on an entry of `dir`. */
function agrees(dir: NativeDir, path: string): boolean {
  if (verified) return true;
  const probe = dir.entries.find((e) => e.isFile) ?? dir.entries[0];
  if (probe === undefined) return true; // Nothing to stat: the listing alone was used.
  const native = dir.lstat(probe.name);
  const deno = lstatPath(`${path}/${probe.name}`);
  verified = native !== null && deno !== null && native.isFile === deno.isFile &&
    native.ino === deno.ino && native.size === deno.size && native.mtime === deno.mtime &&
    native.ctime === deno.ctime;
  return verified;
}

/**
 * Opens `path` for listing and lstat. Throws what `Deno.readDirSync` throws when the directory
 * cannot be read. `native: false` forces Deno's API (tests compare the two).
 */
export function openDir(path: string, options: { native?: boolean } = {}): Dir {
  // A NUL would cut the path short for libc; Deno's API refuses such a path outright.
  const off = options.native === false || !speedSwitches().nativeFs || path.includes("\0");
  const lib = off ? null : nativeLibc();
  const handle = lib?.symbols.opendir(encoder.encode(path + "\0")) ?? null;
  if (lib !== null && handle !== null) {
    const dir = new NativeDir(lib, handle);
    try {
      dir.read();
      if (agrees(dir, path)) return dir;
    } catch {
      // Fall back below.
    }
    dir.close();
    libc = null; // Failed or disagreed once: never again in this process.
  }
  // Also the path for a missing or unreadable directory: Deno's API reports it properly.
  return denoDir(path);
}
