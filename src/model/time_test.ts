import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { formatAge, isoSeconds, parseDuration } from "./time.ts";
import { TrackError } from "./errors.ts";

Deno.test("parseDuration() reads 90s, 30m, 4h, 2d and combinations; refuses the rest (exit 2)", () => {
  assertEquals(parseDuration("90s"), 90_000);
  assertEquals(parseDuration("30m"), 1_800_000);
  assertEquals(parseDuration("4h"), 14_400_000);
  assertEquals(parseDuration("2d"), 172_800_000);
  assertEquals(parseDuration("1h30m"), 5_400_000);
  for (const bad of ["", "5", "m", "1.5h", "-1h", "1 h", "1w", "soon"]) {
    const e = assertThrows(() => parseDuration(bad, "--threshold"), bad);
    assertEquals(e instanceof TrackError && e.exitCode, 2, bad);
  }
});

Deno.test("isoSeconds() and formatAge() format UTC seconds and coarse ages", () => {
  assertEquals(isoSeconds(new Date("2026-01-31T12:00:00.999Z")), "2026-01-31T12:00:00Z");
  assertEquals(
    [59_000, 60_000, 3_600_000, 86_400_000, -5].map(formatAge),
    ["59s", "1m", "1h", "1d", "0s"],
  );
});
