/**
 * track with test clocks: exactly main.ts, except that the first argument is a JSON clock
 * setting injected into the run, never read from the environment. Only tests spawn it (through
 * runTrack's `clock` option); main.ts has no way to fake a clock, so nothing a user exports can
 * date a heartbeat in the future.
 *
 * Clock setting: `{"now"?: string, "uptime"?: string}`. `now` is an ISO timestamp (a stopped
 * wall clock) or `+N` / `-N` milliseconds added to the real one (a stepped clock); `uptime` is
 * `+N` / `-N` milliseconds added to the boot clock, or `none` (a machine without one); `boot` a
 * boot id standing for this machine's (another machine's boot clock, for the sync tests).
 */
import { main } from "../src/cli/main.ts";
import { shiftBootClock } from "../src/store/clock.ts";

/** A fake clock for one run. */
export interface FakeClock {
  now?: string;
  uptime?: string;
  boot?: string;
}

/** The wall clock `now` describes, or undefined for the real one. */
export function fakeNow(now: string | undefined): (() => Date) | undefined {
  if (now === undefined) return undefined;
  if (/^[+-]\d+$/.test(now)) return () => new Date(Date.now() + Number(now));
  if (!/^\d{4}-\d\d-\d\dT/.test(now) || Number.isNaN(Date.parse(now))) {
    throw new Error(`fake clock: now ${JSON.stringify(now)} is neither +N, -N nor an ISO time`);
  }
  const at = Date.parse(now);
  return () => new Date(at);
}

/** The boot-clock shift `uptime` describes. */
export function fakeUptime(uptime: string | undefined): number | "none" {
  if (uptime === undefined) return 0;
  if (uptime === "none") return "none";
  if (!/^[+-]\d+$/.test(uptime)) {
    throw new Error(`fake clock: uptime ${JSON.stringify(uptime)} is neither +N, -N nor none`);
  }
  return Number(uptime);
}

if (import.meta.main) {
  const [setting, ...args] = Deno.args;
  const clock = JSON.parse(setting) as FakeClock;
  shiftBootClock(fakeUptime(clock.uptime), clock.boot ?? null);
  Deno.exit(await main(args, { now: fakeNow(clock.now), autoSync: true }));
}
