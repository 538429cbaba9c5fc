/** Small assertion helpers over node:assert/strict (jsr:@std/assert is unreachable here). */
import nodeAssert from "node:assert/strict";

/** Asserts `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts `fn` throws; returns the error. */
export function assertThrows(fn: () => unknown, message?: string): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: message ?? "expected a throw" });
}

/** Asserts `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    text.includes(part),
    message ?? `expected ${JSON.stringify(text.slice(0, 500))} to include ${JSON.stringify(part)}`,
  );
}

/** Asserts a regex matches. */
export function assertMatch(text: string, re: RegExp, message?: string): void {
  nodeAssert.match(text, re, message);
}
