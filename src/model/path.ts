/**
 * POSIX path helpers (track runs on Linux and macOS). Written here instead of importing
 * `node:path`, whose compatibility layer costs about 8 ms of startup on every command.
 */

/** Whether `p` is absolute. */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** Resolves `.` and `..` segments and duplicate slashes; keeps a leading `/`. */
export function normalize(p: string): string {
  const abs = isAbsolute(p);
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const body = out.join("/");
  return abs ? "/" + body : body === "" ? "." : body;
}

/** Joins segments and normalises the result. */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/** Absolute, normalised path of `p` seen from `base`. */
export function resolve(base: string, p = "."): string {
  return normalize(isAbsolute(p) ? p : `${base}/${p}`);
}

/** Parent directory of `p`. */
export function dirname(p: string): string {
  const n = normalize(p);
  const i = n.lastIndexOf("/");
  if (i === -1) return ".";
  return i === 0 ? "/" : n.slice(0, i);
}

/** Last segment of `p`. */
export function basename(p: string): string {
  const n = normalize(p);
  return n.slice(n.lastIndexOf("/") + 1);
}

/** Path from `from` to `to` (both absolute). */
export function relative(from: string, to: string): string {
  const a = normalize(from).split("/").filter(Boolean);
  const b = normalize(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
}
