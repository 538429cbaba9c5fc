/**
 * Listing a directory and lstat-ing its entries, for the one place where that is the whole cost:
 * checking a 10,000-ticket metadata cache (`list`, `ready`, `blocked`, `agents`). Deno's
 * `readDirSync` and `lstatSync` spend about 2.5 and 4 µs per entry here, mostly outside the
 * system calls; through libc (`getdents64` into one buffer, and `statx` relative to the open
 * directory) the same work costs about half. Canonical ticket names are recognised in the listing's
 * bytes ({@linkcode Dir.ticketNumbers}): a reader of 1,000 tickets makes no string per name until
 * it needs one.
 *
 * The native path is used only on Linux x86_64 and aarch64 with glibc >= 2.30 (`getdents64`;
 * `struct linux_dirent64` and `struct statx` are the same on both), only when FFI is already permitted (never a
 * prompt), and only after it agreed with `Deno.lstatSync` on a real file in this process.
 * Anywhere else, and on any failure, {@linkcode openDir} answers through Deno's own API, with
 * the same {@linkcode Stat} values. Either way nothing is written.
 *
 * `TRACK_NATIVE_FS=0` turns the native path off (speed_switches.ts), for the benchmark.
 */
import { formatId } from "../model/ids.ts";
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
  /**
   * The canonical ticket file names listed (`T-` and four to nine digits, no leading zero past
   * four, `.md`: store.ts `canonicalTicketNumber`), each as `number * 2 + (regular ? 1 : 0)`, in
   * listing order; null when this listing cannot tell them without making every name a string
   * (then use {@linkcode entries}).
   */
  ticketNumbers(): number[] | null;
  /** lstat of `name` inside the directory, or null when it cannot be stat-ed. */
  lstat(name: string): Stat | null;
  /**
   * {@linkcode lstat} into `out` as `[isFile ? 1 : 0, ino, size, mtime, ctime]`, allocating
   * nothing (a reader of 10,000 tickets makes no object per stat); false when `name` cannot be
   * stat-ed (`out` is then unchanged).
   */
  lstatInto(name: string, out: Float64Array): boolean;
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
    ticketNumbers: () => null,
    lstat: (name) => plainName(name) ? lstatPath(prefix + name) : null,
    lstatInto(name, out) {
      const st = plainName(name) ? lstatPath(prefix + name) : null;
      if (st === null) return false;
      out[0] = st.isFile ? 1 : 0;
      out[1] = st.ino;
      out[2] = st.size;
      out[3] = st.mtime;
      out[4] = st.ctime;
      return true;
    },
    close() {},
  };
}

const SYMBOLS = {
  // open(2) is variadic; without O_CREAT its third argument is never read.
  open: { parameters: ["buffer", "i32"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const DT_REG = 8;
const O_RDONLY_DIRECTORY_CLOEXEC = 0o2200000;
/** Offsets in `struct linux_dirent64`: d_reclen (16-bit), d_type, d_name (NUL-terminated). */
const DIRENT_RECLEN = 16;
const DIRENT_TYPE = 18;
const DIRENT_NAME = 19;
const T = 84, DASH = 45, DOT = 46, M = 109, D = 100, ZERO = 48, NINE = 57;

/**
 * The number of the canonical ticket name at `buf[p…]` (NUL-terminated), or -1: the byte-level
 * twin of store.ts `canonicalTicketNumber` (native_fs_test.ts holds them to the same answers).
 */
export function ticketNumberAt(buf: Uint8Array, p: number): number {
  if (buf[p] !== T || buf[p + 1] !== DASH) return -1;
  let n = 0, q = p + 2;
  for (; q < p + 11; q++) {
    const c = buf[q];
    if (c < ZERO || c > NINE) break;
    n = n * 10 + c - ZERO;
  }
  const digits = q - p - 2;
  if (digits < 4 || (digits > 4 && buf[p + 2] === ZERO)) return -1;
  return buf[q] === DOT && buf[q + 1] === M && buf[q + 2] === D && buf[q + 3] === 0 ? n : -1;
}
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
const decoder = new TextDecoder();

class NativeDir implements Dir {
  readonly native = true;
  #lib: Libc;
  #fd: number;
  /** Canonical ticket names, as {@linkcode Dir.ticketNumbers} gives them. */
  #tickets: number[] = [];
  /** Every other name. */
  #others: Entry[] = [];
  #entries: Entry[] | null = null;
  #stat = new Uint8Array(256);
  #words = new Uint32Array(this.#stat.buffer);
  #signed = new Int32Array(this.#stat.buffer);
  #name = new Uint8Array(1024);

  constructor(lib: Libc, fd: number) {
    this.#lib = lib;
    this.#fd = fd;
  }

  /** Reads every entry; throws when getdents64 fails. */
  read(): void {
    const buf = new Uint8Array(32 * 1024);
    const size = BigInt(buf.length);
    for (;;) {
      const got = Number(this.#lib.symbols.getdents64(this.#fd, buf, size));
      if (got < 0) throw new Error("getdents64 failed");
      if (got === 0) break;
      for (let off = 0; off < got;) {
        const reclen = buf[off + DIRENT_RECLEN] | (buf[off + DIRENT_RECLEN + 1] << 8);
        if (reclen === 0) throw new Error("getdents64: bad record");
        const p = off + DIRENT_NAME;
        const regular = buf[off + DIRENT_TYPE] === DT_REG;
        off += reclen;
        const n = ticketNumberAt(buf, p);
        if (n >= 0) {
          this.#tickets.push(n * 2 + (regular ? 1 : 0));
          continue;
        }
        const end = buf.indexOf(0, p);
        if (end < 0 || end >= off) throw new Error("getdents64: unterminated name");
        const name = decoder.decode(buf.subarray(p, end));
        if (name === "." || name === "..") continue;
        this.#others.push({ name, isFile: regular });
      }
    }
  }

  get entries(): readonly Entry[] {
    if (this.#entries === null) {
      this.#entries = this.#tickets.map((x) => ({
        name: formatId(Math.floor(x / 2)) + ".md",
        isFile: x % 2 === 1,
      }));
      this.#entries.push(...this.#others);
    }
    return this.#entries;
  }

  ticketNumbers(): number[] {
    return this.#tickets;
  }

  lstat(name: string): Stat | null {
    const out = new Float64Array(5);
    if (!this.lstatInto(name, out)) return null;
    return { isFile: out[0] === 1, ino: out[1], size: out[2], mtime: out[3], ctime: out[4] };
  }

  lstatInto(name: string, out: Float64Array): boolean {
    if (!plainName(name)) return false;
    const buf = this.#name;
    // A name is at most 255 bytes on Linux; anything longer cannot exist here.
    if (name.length >= buf.length) return false;
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
      if (read !== name.length || written >= buf.length) return false;
      len = written;
    }
    buf[len] = 0;
    if (this.#fd < 0) return false;
    const s = this.#lib.symbols.statx(
      this.#fd,
      buf,
      AT_SYMLINK_NOFOLLOW,
      STATX_BASIC_STATS,
      this.#stat,
    );
    if (s !== 0) return false;
    const w = this.#words, i = this.#signed;
    // 64-bit fields as two 32-bit halves: exact below 2^53, and no BigInt per call.
    out[0] = (w[W_MODE] & S_IFMT) === S_IFREG ? 1 : 0;
    out[1] = w[W_INO] + w[W_INO + 1] * 2 ** 32;
    out[2] = w[W_SIZE] + w[W_SIZE + 1] * 2 ** 32;
    out[3] = (w[W_MTIME] + i[W_MTIME + 1] * 2 ** 32) * 1000 + Math.floor(w[W_MTIME + 2] / 1e6);
    out[4] = (w[W_CTIME] + i[W_CTIME + 1] * 2 ** 32) * 1000;
    return true;
  }

  close(): void {
    if (this.#fd >= 0) this.#lib.symbols.close(this.#fd);
    this.#fd = -1;
  }
}

let verified = false;

/** Whether the native path gives what Deno gives, checked once on an entry of `dir`. */
function agrees(dir: NativeDir, path: string): boolean {
  if (verified) return true;
  // A ticket file when there is one: the listing then makes no string of every name.
  const ticket = dir.ticketNumbers().find((x) => x % 2 === 1);
  const probe = ticket !== undefined
    ? { name: formatId(Math.floor(ticket / 2)) + ".md" }
    : dir.entries.find((e) => e.isFile) ?? dir.entries[0];
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
  const fd = lib?.symbols.open(encoder.encode(path + "\0"), O_RDONLY_DIRECTORY_CLOEXEC) ?? -1;
  if (lib !== null && fd >= 0) {
    const dir = new NativeDir(lib, fd);
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
