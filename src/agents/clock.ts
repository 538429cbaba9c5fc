/**
 * The clock stale detection trusts. Wall clocks jump (NTP steps, a VM resumed, someone setting
 * the date), so a heartbeat's age is measured on the kernel's boot clock when the heartbeat and
 * the check happened on the same boot of the same machine: /proc/uptime counts real elapsed
 * time including suspend and never moves with the wall clock. Only when that cannot be compared
 * (another machine, a reboot, no /proc) does the wall clock decide. See docs/design.md.
 *
 * Test hook (documented there): `TRACK_FAKE_UPTIME=+N` / `-N` shifts the boot clock by N ms and
 * `TRACK_FAKE_UPTIME=none` behaves as a machine without one.
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

function fakeOffset(): number | "none" {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("TRACK_FAKE_UPTIME");
  } catch {
    return 0; // No env permission: no test hook.
  }
  if (raw === undefined || raw === "") return 0;
  if (raw === "none") return "none";
  const n = Number(raw);
  return Number.isFinite(n) ? n : 0;
}

/** Reads the boot clock now, or null where there is none. */
export function monotonicNow(): MonoStamp | null {
  const offset = fakeOffset();
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
 * Real time elapsed since a heartbeat: on the boot clock when both readings come from the same
 * boot, else on the wall clock. `source` says which one decided.
 */
export function heartbeatAge(
  heartbeat: { wall: string; mono: MonoStamp | null },
  now: { wall: Date; mono: MonoStamp | null },
): { ms: number; source: "boot-clock" | "wall-clock" } {
  if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === now.mono.boot) {
    return { ms: now.mono.uptime_ms - heartbeat.mono.uptime_ms, source: "boot-clock" };
  }
  return { ms: now.wall.getTime() - Date.parse(heartbeat.wall), source: "wall-clock" };
}
