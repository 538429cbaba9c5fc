import { assert, assertEquals } from "../../tests/assert.ts";
import {
  emptyIdBlocks,
  grabFrom,
  type IdBlocks,
  lowestFree,
  nextBlockSize,
  parseIdBlocks,
  parseSequence,
  prunePublished,
  publishable,
  retireAll,
  runningLow,
  sequenceText,
  serializeIdBlocks,
} from "./id_blocks.ts";

const blocks = (...list: Array<[number, number, "pending" | "confirmed" | "retired"]>) =>
  ({
    schema: 1,
    grabs: list.length,
    blocks: list.map(([start, end, state]) => ({ start, end, commit: "c", on: null, state })),
  }) as IdBlocks;

Deno.test("block sizes start at 5 and double up to the cap", () => {
  assertEquals([0, 1, 2, 3, 4, 5].map((g) => nextBlockSize(g, 50)), [5, 10, 20, 40, 50, 50]);
  assertEquals(nextBlockSize(0, 3), 3);
  assertEquals(nextBlockSize(99, 50), 50);
});

Deno.test("a grab starts at the sequence, never below a published number", () => {
  assertEquals(grabFrom(351, 12, 5), { start: 351, end: 356, next: 356 });
  assertEquals(grabFrom(null, 12, 5), { start: 13, end: 18, next: 18 });
  assertEquals(grabFrom(10, 40, 5), { start: 41, end: 46, next: 46 });
  assertEquals(grabFrom(null, 0, 5).start, 1);
  assertEquals(parseSequence(sequenceText(42)), 42);
  assertEquals(sequenceText(42), "0042\n");
  assertEquals(parseSequence("x\n"), null);
  assertEquals(parseSequence(null), null);
});

Deno.test("draws come from confirmed blocks only, lowest first", () => {
  const b = blocks([20, 25, "pending"], [10, 15, "confirmed"], [1, 5, "retired"]);
  assertEquals(lowestFree(b, () => false), 10);
  assertEquals(lowestFree(b, (n) => n < 13), 13);
  assertEquals(lowestFree(b, (n) => n < 15), null);
  assert(publishable(b, 3) && publishable(b, 14) && !publishable(b, 20) && !publishable(b, 15));
  assertEquals(lowestFree(emptyIdBlocks(), () => false), null);
});

Deno.test("running low: fewer than half of the last block free", () => {
  const b = blocks([5, 10, "confirmed"]);
  assert(!runningLow(b, (n) => n < 7)); // 3 free
  assert(runningLow(b, (n) => n < 8)); // 2 free < 2.5
  assert(runningLow(emptyIdBlocks(), () => false));
});

Deno.test("retiring keeps numbers publishable, none drawable; pruning drops published blocks", () => {
  const r = retireAll(blocks([5, 10, "confirmed"], [10, 20, "pending"]));
  assertEquals(r.grabs, 0);
  assertEquals(r.blocks.map((b) => b.state), ["retired"]);
  assertEquals(lowestFree(r, () => false), null);
  assert(publishable(r, 7));
  const p = prunePublished(blocks([5, 10, "confirmed"], [10, 20, "confirmed"]), (n) => n < 12);
  assertEquals(p.blocks.map((b) => b.start), [10]);
});

Deno.test("the blocks file round-trips and refuses other shapes", () => {
  const b = blocks([5, 10, "confirmed"]);
  assertEquals(parseIdBlocks(serializeIdBlocks(b)), b);
  for (
    const bad of [
      "",
      "{}",
      '{"schema":1,"grabs":0,"blocks":[{"start":5,"end":5,"commit":"c","on":null,"state":"confirmed"}]}',
      '{"schema":1,"grabs":0,"blocks":[{"start":5,"end":9,"commit":"c","on":null,"state":"x"}]}',
      '{"schema":2,"grabs":0,"blocks":[]}',
    ]
  ) assertEquals(parseIdBlocks(bad), null, bad);
});
