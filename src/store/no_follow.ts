/**
 * Never through a link. A cloned repository can commit any path inside `.track/` as a symbolic
 * link (`lock` -> `~/.bashrc`, `tickets` -> `/tmp/x`), so nothing inside the store is written,
 * created, appended to, truncated, renamed into or removed through one: every directory from the
 * store down to the file is lstat-ed and must be a real directory, the file must be a regular
 * file or missing, and a file opened for writing is checked after opening (fstat against lstat:
 * same device and inode) before a byte is written. Deno.open has no O_NOFOLLOW; what never
 * follows a final link stands in for it: createNew (O_CREAT|O_EXCL), mkdir, link, rename and
 * unlink. The store directory itself may be reached through links of the user's own (a
 * symlinked home or TRACK_DIR): only links inside it are refused, with exit 6 naming the link.
 *
 * A process that can write into `.track/` while we run could still swap a directory between
 * our lstat and our open; it can also simply write the data. What this guards against is a
 * link that is already there (committed, or left by anyone) when a command starts.
 */
import { basename } from "../model/path.ts";
import { ioError, TrackError } from "../model/errors.ts";

/** What a path inside the store should be. */
export type Expected = "file" | "directory";

function relParts(root: string, path: string): string[] {
  if (path === root) return [];
  if (!path.startsWith(root + "/")) {
    throw new TrackError("internal", `"${path}" is not inside the store "${root}"`);
  }
  return path.slice(root.length + 1).split("/").filter((s) => s !== "" && s !== ".");
}

/** How `path` (inside `root`, the .track directory) is shown to users: `.track/tickets`. */
export function shownInside(root: string, path: string): string {
  return path === root ? basename(root) : basename(root) + path.slice(root.length);
}

function linkTarget(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/**
 * Exit 6 for a symbolic link at `path` inside the store, naming it and its target. `action` is
 * what was attempted ("write", "read", "lock").
 */
export function linkError(
  root: string,
  path: string,
  options: { action?: string; expected?: Expected } = {},
): TrackError {
  const shown = shownInside(root, path);
  const target = linkTarget(path);
  const kind = options.expected ?? "file";
  const action = options.action ?? "write";
  return new TrackError(
    "badData",
    `Cannot ${action} "${shown}": it is a symbolic link${
      target === null ? "" : ` to "${target}"`
    }; track never reads or writes through links inside ${basename(root)}/${
      action === "read" ? "" : ", so nothing was changed"
    }`,
    {
      hint: `replace the link "${shown}" with a real ${kind} (a copy of what it points to, ` +
        `if that is yours; a committed link also leaves git with: git rm --cached "${shown}"), ` +
        `then run: track doctor`,
      detail: { file: shown, line: null, reason: "symbolic link", target },
    },
  );
}

function notDirError(root: string, path: string): TrackError {
  const shown = shownInside(root, path);
  return new TrackError(
    "badData",
    `Cannot write "${shown}": it is a file where a directory should be; nothing was changed`,
    {
      hint: "move the file aside by hand, then run: track doctor",
      detail: { file: shown, line: null, reason: "not a directory" },
    },
  );
}

function notFileError(root: string, path: string): TrackError {
  const shown = shownInside(root, path);
  return new TrackError(
    "badData",
    `Cannot write "${shown}": it is not a regular file; nothing was changed`,
    {
      hint: "move it aside by hand, then run: track doctor",
      detail: { file: shown, line: null, reason: "not a regular file" },
    },
  );
}

function lstatOrNull(path: string, root: string, action: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw ioError(action, shownInside(root, path), e);
  }
}

/**
 * lstat of `path` inside `root` after checking every directory between them: exit 6 at the
 * first symbolic link (or a file where a directory should be). Null when `path` or one of its
 * directories does not exist. A link at `path` itself is refused too; `expected` says what
 * `path` should be, for the message. `root` itself is not checked.
 */
export function lstatInside(
  root: string,
  path: string,
  options: { action?: string; expected?: Expected } = {},
): Deno.FileInfo | null {
  const action = options.action ?? "write";
  const parts = relParts(root, path);
  if (parts.length === 0) return lstatOrNull(root, root, action);
  let p = root;
  for (let i = 0; i < parts.length; i++) {
    p += "/" + parts[i];
    const info = lstatOrNull(p, root, action);
    if (info === null) return null;
    const last = i === parts.length - 1;
    if (info.isSymlink) {
      throw linkError(root, p, { action, expected: last ? options.expected : "directory" });
    }
    if (last) {
      if (options.expected === "directory" && !info.isDirectory) throw notDirError(root, p);
      return info;
    }
    if (!info.isDirectory) throw notDirError(root, p);
  }
  throw new TrackError("internal", "unreachable");
}

/**
 * Makes sure `dir` (inside `root`) is a real directory, creating it and any missing parents
 * below `root` one at a time; a link anywhere on the way is exit 6. mkdir never follows a
 * final link, and each component is lstat-ed after it exists.
 */
export function ensureDirInside(root: string, dir: string): void {
  let p = root;
  for (const part of relParts(root, dir)) {
    p += "/" + part;
    let info = lstatOrNull(p, root, "create directory");
    if (info === null) {
      try {
        Deno.mkdirSync(p);
      } catch (e) {
        // Created by someone else meanwhile: whatever it is, the lstat below judges it.
        if (!(e instanceof Deno.errors.AlreadyExists)) {
          throw ioError("create directory", shownInside(root, p), e);
        }
      }
      info = lstatOrNull(p, root, "create directory");
      if (info === null) {
        throw ioError("create directory", shownInside(root, p), new Error("it vanished"));
      }
    }
    if (info.isSymlink) throw linkError(root, p, { expected: "directory" });
    if (!info.isDirectory) throw notDirError(root, p);
  }
}

/** How often openInside looks again at a file replaced under it before giving up. */
const RETRIES = 100;

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  // Windows may not report ino: there the lstat checks before opening stand alone.
  return a.dev === b.dev && (a.ino === null || b.ino === null || a.ino === b.ino);
}

/** Whether `path` is, right now, the regular file `file` is open on (not a link). */
function isOpenedFile(root: string, path: string, file: Deno.FsFile): boolean {
  let now: Deno.FileInfo | null;
  let open: Deno.FileInfo;
  try {
    now = lstatOrNull(path, root, "open");
    open = file.statSync();
  } catch (e) {
    file.close();
    throw e instanceof TrackError ? e : ioError("open", shownInside(root, path), e);
  }
  return now !== null && now.isFile && open.isFile && sameFile(now, open);
}

/**
 * Throws exit 6 (closing `file`) unless `path` inside `root` is, right now, the regular file
 * `file` is open on: not a link, same device and inode. Call it after opening and before
 * writing a byte.
 */
export function assertOpenedInside(root: string, path: string, file: Deno.FsFile): void {
  if (isOpenedFile(root, path, file)) return;
  file.close();
  const now = lstatOrNull(path, root, "open");
  throw now?.isSymlink ? linkError(root, path) : notFileError(root, path);
}

/**
 * Opens the regular file `path` inside `root` for writing (or appending) without following a
 * link and without truncating it: every directory on the way and the file are lstat-ed first;
 * a missing file is created with createNew when `create` (O_EXCL never follows a final link);
 * an existing one is opened as it is and then checked to be the very file lstat saw. Returns
 * null when the file is missing and `create` is false. Exit 6 on any link.
 */
export function openInside(
  root: string,
  path: string,
  options: { read?: boolean; append?: boolean; create?: boolean; mode?: number } = {},
): Deno.FsFile | null {
  const read = options.read ?? false;
  const append = options.append ?? false;
  for (let attempt = 0;; attempt++) {
    const before = lstatInside(root, path, { action: "open" });
    if (before !== null && !before.isFile) throw notFileError(root, path);
    if (before === null && !options.create) return null;
    let file: Deno.FsFile;
    try {
      file = before === null
        ? Deno.openSync(path, {
          read,
          write: !append,
          append,
          createNew: true,
          mode: options.mode ?? 0o644,
        })
        : Deno.openSync(path, { read, write: !append, append });
    } catch (e) {
      // Created or removed by someone else between the lstat and the open: look again.
      const raced = e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotFound;
      if (raced && attempt < RETRIES) continue;
      throw ioError("open", shownInside(root, path), e);
    }
    if (isOpenedFile(root, path, file)) return file;
    // Replaced between the lstat and the open (a link, a directory, another file): look again;
    // the lstat above judges what is there now.
    file.close();
    if (attempt >= RETRIES) {
      throw ioError("open", shownInside(root, path), new Error("it keeps being replaced"));
    }
  }
}

/**
 * Removes the file `path` inside `root` (unlink never follows a final link: a link there is
 * removed, not its target) after checking the directories on the way. False when it was not
 * there.
 */
export function removeInside(root: string, path: string): boolean {
  const parts = relParts(root, path);
  if (parts.length > 1) {
    const parent = root + "/" + parts.slice(0, -1).join("/");
    if (lstatInside(root, parent, { action: "remove", expected: "directory" }) === null) {
      return false;
    }
  }
  try {
    Deno.removeSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw ioError("remove", shownInside(root, path), e);
  }
}

/**
 * Every symbolic link anywhere inside `root` (the links themselves are not followed), sorted,
 * with what each points to. For `track doctor` and for refusing a mutation up front.
 */
export function findLinks(
  root: string,
  options: { under?: string; limit?: number } = {},
): Array<{ path: string; target: string | null; isDir: boolean }> {
  const out: Array<{ path: string; target: string | null; isDir: boolean }> = [];
  const limit = options.limit ?? Infinity;
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw ioError("list", shownInside(root, dir), e);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (out.length >= limit) return;
      const p = `${dir}/${e.name}`;
      if (e.isSymlink) {
        let isDir = false;
        try {
          isDir = Deno.statSync(p).isDirectory; // Only to word the advice.
        } catch {
          isDir = false;
        }
        out.push({ path: p, target: linkTarget(p), isDir });
      } else if (e.isDirectory) walk(p);
    }
  };
  walk(options.under ?? root);
  return out;
}

/**
 * Exit 6 when any entry of `root` (the .track directory) or of one of `dirs` inside it is a
 * symbolic link: what a writer checks right after taking the lock, so a command refused for a
 * link has written nothing. Costs one listing of each directory.
 */
export function refuseLinks(root: string, dirs: readonly string[] = []): void {
  for (const dir of [root, ...dirs]) {
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(dir);
      for (const e of entries) {
        if (e.isSymlink) {
          const p = `${dir}/${e.name}`;
          let isDir = false;
          try {
            isDir = Deno.statSync(p).isDirectory; // Only to word the advice.
          } catch {
            isDir = false;
          }
          throw linkError(root, p, { expected: isDir ? "directory" : "file" });
        }
      }
    } catch (e) {
      if (e instanceof TrackError) throw e;
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      throw ioError("list", shownInside(root, dir), e);
    }
  }
}
