import { assertEquals } from "../../tests/assert.ts";
import { FUTURE_TOLERANCE_MS, heartbeatAge } from "./clock.ts";

const wall = (iso: string) => new Date(iso);

Deno.test("heartbeatAge() uses the boot clock on the same boot, whatever the wall clock says", () => {
  const hb = { wall: "2026-01-01T12:00:00Z", mono: { boot: "b1", uptime_ms: 1_000 } };
  // Wall clock jumped an hour forward, only 5 s really passed.
  const age = heartbeatAge(hb, {
    wall: wall("2026-01-01T13:00:05Z"),
    mono: { boot: "b1", uptime_ms: 6_000 },
  });
  assertEquals(age, { ms: 5_000, source: "boot-clock", future: false });
  // Wall clock set back ten minutes, an hour really passed.
  const back = heartbeatAge(hb, {
    wall: wall("2026-01-01T12:50:00Z"),
    mono: { boot: "b1", uptime_ms: 3_601_000 },
  });
  assertEquals(back, { ms: 3_600_000, source: "boot-clock", future: false });
});

Deno.test("heartbeatAge() falls back to the wall clock across boots or without a boot clock", () => {
  const now = { wall: wall("2026-01-01T13:00:00Z"), mono: { boot: "b2", uptime_ms: 10 } };
  const hb = { wall: "2026-01-01T12:00:00Z", mono: { boot: "b1", uptime_ms: 1_000 } };
  assertEquals(heartbeatAge(hb, now), { ms: 3_600_000, source: "wall-clock", future: false });
  assertEquals(heartbeatAge({ ...hb, mono: null }, now).source, "wall-clock");
  assertEquals(heartbeatAge(hb, { ...now, mono: null }).source, "wall-clock");
});

Deno.test("heartbeatAge() marks a heartbeat beyond the tolerance in the future, on either clock", () => {
  const now = { wall: wall("2026-01-01T12:00:00Z"), mono: { boot: "b1", uptime_ms: 1_000_000 } };
  const at = (uptime: number) => ({
    wall: "2026-01-01T12:00:00Z",
    mono: { boot: "b1", uptime_ms: uptime },
  });
  // A reading racing the check, or a little skew: not suspect.
  assertEquals(heartbeatAge(at(1_000_000 + FUTURE_TOLERANCE_MS), now).future, false);
  assertEquals(heartbeatAge(at(1_000_000 + FUTURE_TOLERANCE_MS + 1), now).future, true);
  // The boot clock decides: a wall stamp in the year 2999 is fine when the boot clock is.
  assertEquals(heartbeatAge({ ...at(999_000), wall: "2999-01-01T00:00:00Z" }, now).future, false);
  // Without a boot clock the wall decides.
  assertEquals(
    heartbeatAge({ wall: "2999-01-01T00:00:00Z", mono: null }, now),
    {
      ms: now.wall.getTime() - Date.parse("2999-01-01T00:00:00Z"),
      source: "wall-clock",
      future: true,
    },
  );
  assertEquals(heartbeatAge({ wall: "2026-01-01T12:04:00Z", mono: null }, now).future, false);
});
