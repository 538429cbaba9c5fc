/**
 * Which filesystem holds .track/: flock on a network filesystem may not exclude processes on
 * other machines, so track warns there. Linux only (/proc/mounts); elsewhere nothing is said.
 */

/** Filesystem types whose locks cannot be trusted across machines. */
export const NETWORK_FS_TYPES: ReadonlySet<string> = new Set([
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "smbfs",
  "ncpfs",
  "afs",
  "9p",
  "fuse.sshfs",
  "fuse.rclone",
  "fuse.s3fs",
  "fuse.gcsfuse",
  "davfs",
  "fuse.davfs2",
  "glusterfs",
  "fuse.glusterfs",
  "ceph",
  "lustre",
]);

/** Decodes the octal escapes /proc/mounts uses for spaces and such (`\040`). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The filesystem type of the mount holding `path`, from `mounts` (the text of /proc/mounts):
 * the entry with the longest mount point that is a prefix of `path`.
 */
export function fsTypeOf(path: string, mounts: string): string | null {
  let best: { point: string; type: string } | null = null;
  for (const line of mounts.split("\n")) {
    const parts = line.split(" ");
    if (parts.length < 3) continue;
    const point = unescapeMount(parts[1]);
    const inside = point === "/" || path === point || path.startsWith(point + "/");
    if (inside && (best === null || point.length >= best.point.length)) {
      best = { point, type: parts[2] };
    }
  }
  return best?.type ?? null;
}

/** The network filesystem type holding `dir`, or null when it is local or unknown. */
export function networkFsType(dir: string): string | null {
  if (Deno.build.os !== "linux") return null;
  let mounts: string;
  let real: string;
  try {
    mounts = Deno.readTextFileSync("/proc/mounts");
    real = Deno.realPathSync(dir);
  } catch {
    return null; // No /proc or no dir: nothing to warn about.
  }
  const type = fsTypeOf(real, mounts);
  return type !== null && NETWORK_FS_TYPES.has(type) ? type : null;
}
