/**
 * The clock stale detection trusts. Wall clocks jump (NTP steps, a VM resumed, someone setting
 * the date), so a heartbeat's age is measured on the kernel's boot clock when the heartbeat and
 * the check happened on the same boot of the same machine: /proc/uptime counts real elapsed
 * time including suspend and never moves with the wall clock. Only when that cannot be compared
 * (another machine, a reboot, no /proc) does the wall clock decide. See docs/design.md.
 *
 * No environment variable moves this clock: tests shift it through {@linkcode shiftBootClock},
 * called only by their own entry point (tests/track_test_main.ts).
 */

/** A reading of the boot clock: which boot, and milliseconds since it. */
export interface MonoStamp {
  boot: string;
  uptime_ms: number;
}

let bootId: string | null | undefined;

function readBootId(): string | null {
  if (bootId !== undefined) return bootId;
  try {
    bootId = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim() || null;
  } catch {
    bootId = null; // Not Linux, or /proc hidden: fall back to the wall clock.
  }
  return bootId;
}

let shift: number | "none" = 0;

/**
 * Test entry points only: shifts every later boot-clock reading of this process by `ms`
 * milliseconds, or `"none"` behaves as a machine without a boot clock. track itself never calls
 * it, so nothing a user sets can pin a heartbeat in the future.
 */
export function shiftBootClock(ms: number | "none"): void {
  shift = ms;
}

/** Reads the boot clock now, or null where there is none. */
export function monotonicNow(): MonoStamp | null {
  const offset = shift;
  if (offset === "none" || Deno.build.os !== "linux") return null;
  const boot = readBootId();
  if (boot === null) return null;
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/uptime");
  } catch {
    return null;
  }
  const seconds = Number(text.split(" ")[0]);
  if (!Number.isFinite(seconds)) return null;
  return { boot, uptime_ms: Math.round(seconds * 1000) + offset };
}

/**
 * How far in the future a heartbeat may be before it is suspect: covers readings racing the
 * check and wall clocks of machines that share a store disagreeing a little, nothing more.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Real time elapsed since a heartbeat: on the boot clock when both readings come from the same
 * boot, else on the wall clock. `source` says which one decided. `future` marks a heartbeat
 * dated more than {@linkcode FUTURE_TOLERANCE_MS} ahead of that clock (a fake or wrong clock,
 * a hand-edited record): its age is unknown, and callers treat it as stale, never as fresh.
 */
export function heartbeatAge(
  heartbeat: { wall: string; mono: MonoStamp | null },
  now: { wall: Date; mono: MonoStamp | null },
): { ms: number; source: "boot-clock" | "wall-clock"; future: boolean } {
  if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === now.mono.boot) {
    const ms = now.mono.uptime_ms - heartbeat.mono.uptime_ms;
    return { ms, source: "boot-clock", future: ms < -FUTURE_TOLERANCE_MS };
  }
  const ms = now.wall.getTime() - Date.parse(heartbeat.wall);
  return { ms, source: "wall-clock", future: ms < -FUTURE_TOLERANCE_MS };
}
