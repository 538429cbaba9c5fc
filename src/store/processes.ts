/**
 * Other processes, as the store's runtime files (lock holders' pid files, the dashboard's
 * server.json) name them: alive or not, and when they started (so a reused pid is told apart).
 * Linux answers through /proc; elsewhere a process is never called dead.
 */

/**
 * Whether process `pid` is alive. Only Linux (/proc) can prove a process dead. A zombie (killed,
 * not yet reaped: a server started with `serve -d` whose parent is gone waits for init to reap
 * it, which in a container may be never) is dead.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (Deno.build.os !== "linux") return true;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return true; // Cannot tell: never call a live process dead.
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when unknown. */
export function procStartTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}
