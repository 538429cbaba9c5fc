/**
 * Heartbeat age on the boot clock when both readings come from the same boot, else on the wall
 * clock (pure: the readings come from src/store/clock.ts). See docs/design.md "Clock".
 */

/** A reading of the boot clock: which boot, and milliseconds since it. */
export interface MonoStamp {
  boot: string;
  uptime_ms: number;
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
