import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { formatId, idNumber, normalizeId, parseId } from "./ids.ts";

Deno.test("normalizeId() accepts T-0007, t-7 and 7, and nothing else", () => {
  for (const ok of ["T-0007", "t-7", "7", "0007", "T-7", " 7 "]) {
    assertEquals(normalizeId(ok), "T-0007", ok);
  }
  assertEquals(normalizeId("12345"), "T-12345");
  for (
    const bad of [
      "",
      "T-",
      "0",
      "T-0",
      "-1",
      "../x",
      "/",
      "T-1.md",
      "x".repeat(200),
      "7\0",
      "1e3",
      "T-1234567890",
    ]
  ) {
    assertEquals(normalizeId(bad), null, bad);
  }
  assertThrows(() => parseId("../etc"));
});

Deno.test("idNumber() only accepts canonical ids", () => {
  assertEquals(idNumber("T-0042"), 42);
  assertEquals(idNumber(formatId(123456)), 123456);
  assertEquals(idNumber("T-042"), null);
  assertEquals(idNumber("T-00042"), null);
});
