import { assertEquals, assertThrows as throws } from "../../tests/assert.ts";
import { TrackError } from "./errors.ts";

/** The usage error `fn` throws. */
function assertThrows(fn: () => unknown): TrackError {
  const e = throws(fn);
  if (!(e instanceof TrackError)) throw e;
  return e;
}
import {
  canTransition,
  isPriority,
  isStatus,
  parsePriority,
  parseStatus,
  PRIORITIES,
  priorityRank,
  STATUSES,
  TRANSITIONS,
} from "./transitions.ts";

Deno.test("parseStatus() / parsePriority() accept exactly the listed values", () => {
  for (const s of STATUSES) assertEquals(parseStatus(s), s);
  for (const p of PRIORITIES) assertEquals(parsePriority(p), p);
  for (const bad of ["", "Backlog", "in progress", "done ", "review\n", "medium", null, 3, {}]) {
    assertEquals(isStatus(bad), false, String(bad));
    const e = assertThrows(() => parseStatus(bad));
    assertEquals(e.kind, "usage");
  }
  for (const bad of ["", "High", "urgent", "backlog", undefined, ["low"]]) {
    assertEquals(isPriority(bad), false, String(bad));
    assertEquals(assertThrows(() => parsePriority(bad)).kind, "usage");
  }
});

Deno.test("parseStatus() / parsePriority() name the value and every allowed one", () => {
  assertEquals(
    assertThrows(() => parseStatus("gone")).message,
    'Invalid status "gone": expected one of backlog, claimed, in-progress, review, done',
  );
  assertEquals(
    assertThrows(() => parsePriority("urgent")).message,
    'Invalid priority "urgent": expected one of critical, high, medium, low',
  );
  // Not a string: its type, never the value itself; a long value is cut.
  assertEquals(
    assertThrows(() => parseStatus({ evil: true })).message.startsWith(
      "Invalid status object:",
    ),
    true,
  );
  const long = assertThrows(() => parseStatus("x".repeat(500))).message;
  assertEquals(long.includes("x".repeat(71)), false);
});

Deno.test("canTransition() follows the table; no status moves to itself", () => {
  const allowed: string[] = [];
  for (const from of STATUSES) {
    for (const to of STATUSES) if (canTransition(from, to)) allowed.push(`${from}>${to}`);
  }
  assertEquals(allowed, [
    "backlog>claimed",
    "claimed>backlog",
    "claimed>in-progress",
    "in-progress>backlog",
    "in-progress>review",
    "review>in-progress",
    "review>done",
    "done>backlog",
  ]);
  assertEquals(Object.keys(TRANSITIONS), [...STATUSES]);
  assertEquals(PRIORITIES.map(priorityRank), [0, 1, 2, 3]);
});
