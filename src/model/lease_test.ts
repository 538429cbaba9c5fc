import { assert, assertEquals } from "../../tests/assert.ts";
import {
  afterPush,
  type HeartbeatToken,
  holderLease,
  leaseTimes,
  type Observation,
  observationsDue,
  observe,
  parseObservations,
  serializeObservations,
  totalOf,
} from "./lease.ts";

const MIN = 60_000;
const T = 30 * MIN;
const tok = (seq: number): HeartbeatToken => ({ seq, boot: "b-holder", uptime_ms: seq * 1000 });
const at = (ms: number, boot = "b-obs") => ({ boot, uptime_ms: ms });

Deno.test("lease times for T = 30 min: publish 10, warn 15, refuse 43.5, reclaim 45, fetch 3", () => {
  const t = leaseTimes(T);
  assertEquals([t.publish, t.warn, t.refuse, t.reclaim, t.freshFetch].map((x) => x / MIN), [
    10,
    15,
    43.5,
    45,
    3,
  ]);
  // The holder stops before any observer may reclaim.
  assert(t.refuse < t.reclaim);
});

Deno.test("observe: a total is its own time plus the largest relayed total for the same token, never a sum", () => {
  const relayed: Array<Map<string, Observation>> = [
    new Map([["bob", { token: tok(3), total_ms: 10 * MIN }]]),
    new Map([["bob", { token: tok(3), total_ms: 20 * MIN }]]),
    new Map([["bob", { token: tok(2), total_ms: 40 * MIN }]]), // another token: not counted
  ];
  const seen = observe({}, new Map([["bob", tok(3)]]), relayed, at(1000 * MIN));
  assertEquals(seen.bob.pred_ms, 20 * MIN);
  assertEquals(totalOf(seen.bob, at(1005 * MIN)), 25 * MIN);
  // Seen again: the record stays (its own time keeps counting from the first sight).
  const again = observe(seen, new Map([["bob", tok(3)]]), [], at(1010 * MIN));
  assertEquals(again.bob, seen.bob);
  // A new token starts anew; so does a reboot of the observer (another boot id).
  assertEquals(observe(seen, new Map([["bob", tok(4)]]), relayed, at(1010 * MIN)).bob.pred_ms, 0);
  const rebooted = observe(seen, new Map([["bob", tok(3)]]), [], at(5, "b-obs-2"));
  assertEquals([rebooted.bob.first.boot, rebooted.bob.pred_ms], ["b-obs-2", 0]);
  assertEquals(totalOf(seen.bob, at(5, "b-obs-2")), null);
  // No boot clock here: nothing is observed.
  assertEquals(observe({}, new Map([["bob", tok(3)]]), relayed, null), {});
});

Deno.test("afterPush: an unchanged token keeps the push that first carried it", () => {
  const first = afterPush({}, new Map([["bob", tok(1)]]), at(0, "h"), "2026-01-01T00:00:00Z");
  const same = afterPush(first, new Map([["bob", tok(1)]]), at(9 * MIN, "h"), "later");
  assertEquals(same, first);
  const moved = afterPush(same, new Map([["bob", tok(2)]]), at(12 * MIN, "h"), "t12");
  assertEquals(moved.bob.pushed_from, at(12 * MIN, "h"));
  // Agents the push did not carry keep their record.
  const other = afterPush(moved, new Map([["eve", tok(1)]]), at(13 * MIN, "h"), "t13");
  assertEquals(Object.keys(other), ["bob", "eve"]);
});

Deno.test("holderLease: ok, warn from T/2, expired from 3T/2 - T/20 or when the boot changed", () => {
  const rec = { token: tok(1), pushed_from: at(0, "h"), pushed_at: "2026-01-01T00:00:00Z" };
  assertEquals(holderLease(undefined, at(0, "h"), T).level, "none");
  assertEquals(holderLease(rec, at(14 * MIN, "h"), T).level, "ok");
  assertEquals(holderLease(rec, at(15 * MIN, "h"), T).level, "warn");
  assertEquals(holderLease(rec, at(43 * MIN, "h"), T).level, "warn");
  assertEquals(holderLease(rec, at(43.5 * MIN, "h"), T).level, "expired");
  assertEquals(holderLease(rec, at(1, "h-rebooted"), T).level, "expired");
});

Deno.test("observations: the file round-trips; a push of its own only from T/3 and only when changed", () => {
  const mine = new Map([["bob", { token: tok(3), total_ms: 11 * MIN }]]);
  assertEquals(parseObservations(serializeObservations(mine)), mine);
  assertEquals(parseObservations("not json").size, 0);
  assertEquals(parseObservations('{"bob": {"token": 1, "total_ms": 5}}').size, 0);
  assert(observationsDue(mine, new Map(), T));
  assert(!observationsDue(mine, mine, T));
  assert(!observationsDue(new Map([["bob", { token: tok(3), total_ms: 9 * MIN }]]), new Map(), T));
});
