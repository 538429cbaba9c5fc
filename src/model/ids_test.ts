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

Deno.test("formatId: the fast path gives exactly the padded form", () => {
  const padded = (n: number) => `T-${String(n).padStart(4, "0")}`;
  const values = [0, -0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456789, 1e21, 2 ** 53];
  for (let n = 0; n < 12000; n += 7) values.push(n);
  for (const n of [...values, -1, 1.5, NaN, Infinity]) assertEquals(formatId(n), padded(n), `${n}`);
});
