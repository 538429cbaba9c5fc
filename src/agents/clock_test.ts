import { assertEquals } from "../../tests/assert.ts";
import { heartbeatAge, monotonicNow } from "./clock.ts";

const wall = (iso: string) => new Date(iso);

Deno.test("heartbeatAge() uses the boot clock on the same boot, whatever the wall clock says", () => {
  const hb = { wall: "2026-01-01T12:00:00Z", mono: { boot: "b1", uptime_ms: 1_000 } };
  // Wall clock jumped an hour forward, only 5 s really passed.
  const age = heartbeatAge(hb, {
    wall: wall("2026-01-01T13:00:05Z"),
    mono: { boot: "b1", uptime_ms: 6_000 },
  });
  assertEquals(age, { ms: 5_000, source: "boot-clock" });
  // Wall clock set back ten minutes, an hour really passed.
  const back = heartbeatAge(hb, {
    wall: wall("2026-01-01T12:50:00Z"),
    mono: { boot: "b1", uptime_ms: 3_601_000 },
  });
  assertEquals(back, { ms: 3_600_000, source: "boot-clock" });
});

Deno.test("heartbeatAge() falls back to the wall clock across boots or without a boot clock", () => {
  const now = { wall: wall("2026-01-01T13:00:00Z"), mono: { boot: "b2", uptime_ms: 10 } };
  const hb = { wall: "2026-01-01T12:00:00Z", mono: { boot: "b1", uptime_ms: 1_000 } };
  assertEquals(heartbeatAge(hb, now), { ms: 3_600_000, source: "wall-clock" });
  assertEquals(heartbeatAge({ ...hb, mono: null }, now).source, "wall-clock");
  assertEquals(heartbeatAge(hb, { ...now, mono: null }).source, "wall-clock");
});

Deno.test("monotonicNow() reads this boot's clock on Linux and it does not go back", () => {
  const a = monotonicNow();
  const b = monotonicNow();
  if (Deno.build.os !== "linux") return;
  assertEquals(a !== null && b !== null && a.boot === b.boot && b.uptime_ms >= a.uptime_ms, true);
});
