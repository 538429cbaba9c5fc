import { assertEquals, assertStringIncludes, assertThrows } from "../assert.ts";
import { scale, size } from "./pool.ts";

/** Runs `fn` with `vars` set in this process's environment, then puts it back. */
function withEnv(vars: Record<string, string>, fn: () => void): void {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
    fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

Deno.test("size() refuses a suite size that would run nothing; scale() refuses 0", () => {
  withEnv({ TRACK_SUITE_SCALE: "", TRACK_SUITE_X: "0" }, () => {
    assertStringIncludes(assertThrows(() => size("TRACK_SUITE_X", 10)).message, "TRACK_SUITE_X=0");
  });
  withEnv({ TRACK_SUITE_SCALE: "", TRACK_SUITE_X: "-3" }, () => {
    assertThrows(() => size("TRACK_SUITE_X", 10));
  });
  withEnv({ TRACK_SUITE_SCALE: "", TRACK_SUITE_X: "2.5" }, () => {
    assertThrows(() => size("TRACK_SUITE_X", 10));
  });
  for (const bad of ["0", "-1", "abc"]) {
    withEnv({ TRACK_SUITE_SCALE: bad, TRACK_SUITE_X: "" }, () => {
      assertStringIncludes(assertThrows(() => scale()).message, "TRACK_SUITE_SCALE");
      assertThrows(() => size("TRACK_SUITE_X", 10));
    });
  }
  withEnv({ TRACK_SUITE_SCALE: "0.001", TRACK_SUITE_X: "" }, () => {
    assertEquals(size("TRACK_SUITE_X", 10), 1, "a tiny scale still runs the minimum");
  });
  withEnv({ TRACK_SUITE_SCALE: "3", TRACK_SUITE_X: "7" }, () => {
    assertEquals([scale(), size("TRACK_SUITE_X", 10), size("TRACK_SUITE_Y", 10)], [3, 7, 30]);
  });
});
