/**
 * Reading the boot clock (/proc); the comparison of two readings is src/model/clock.ts.
 *
 * The clock stale detection trusts. Wall clocks jump (NTP steps, a VM resumed, someone setting
 * the date), so a heartbeat's age is measured on the kernel's boot clock when the heartbeat and
 * the check happened on the same boot of the same machine: /proc/uptime counts real elapsed
 * time including suspend and never moves with the wall clock. Only when that cannot be compared
 * (another machine, a reboot, no /proc) does the wall clock decide. See docs/design.md.
 *
 * No environment variable moves this clock: tests shift it through {@linkcode shiftBootClock},
 * called only by their own entry point (tests/track_test_main.ts).
 */

import type { MonoStamp } from "../model/clock.ts";

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
let fakeBoot: string | null = null;

/**
 * Test entry points only: shifts every later boot-clock reading of this process by `ms`
 * milliseconds, or `"none"` behaves as a machine without a boot clock; `boot` stands for another
 * boot id (another machine: the sync tests run their clones as machines of their own). track
 * itself never calls it, so nothing a user sets can pin a heartbeat in the future.
 */
export function shiftBootClock(ms: number | "none", boot: string | null = null): void {
  shift = ms;
  fakeBoot = boot;
}

/** Reads the boot clock now, or null where there is none. */
export function monotonicNow(): MonoStamp | null {
  const offset = shift;
  if (offset === "none" || Deno.build.os !== "linux") return null;
  const boot = fakeBoot ?? readBootId();
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
