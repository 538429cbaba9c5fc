import { assertEquals } from "../../tests/assert.ts";
import { monotonicNow, shiftBootClock } from "./clock.ts";

Deno.test("monotonicNow() reads this boot's clock on Linux and it does not go back", () => {
  const a = monotonicNow();
  const b = monotonicNow();
  if (Deno.build.os !== "linux") return;
  assertEquals(a !== null && b !== null && a.boot === b.boot && b.uptime_ms >= a.uptime_ms, true);
});

Deno.test("shiftBootClock() moves later readings; nothing in the environment does", () => {
  if (Deno.build.os !== "linux") return;
  const previous = Deno.env.get("TRACK_FAKE_UPTIME");
  Deno.env.set("TRACK_FAKE_UPTIME", "+100000000000");
  try {
    const real = monotonicNow()!;
    const proc = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]) * 1000;
    assertEquals(Math.abs(real.uptime_ms - proc) < 60_000, true, "TRACK_FAKE_UPTIME is ignored");
    shiftBootClock(3_600_000);
    const shifted = monotonicNow()!;
    shiftBootClock("none");
    assertEquals(monotonicNow(), null);
    shiftBootClock(0);
    const after = monotonicNow()!;
    assertEquals(shifted.uptime_ms - real.uptime_ms >= 3_600_000, true);
    assertEquals(after.uptime_ms - real.uptime_ms < 3_600_000, true, "shift undone");
  } finally {
    shiftBootClock(0);
    if (previous === undefined) Deno.env.delete("TRACK_FAKE_UPTIME");
    else Deno.env.set("TRACK_FAKE_UPTIME", previous);
  }
});
