import { assertEquals } from "../../tests/assert.ts";
import { emptyInbox, serializeInbox, undelivered } from "./inbox_records.ts";

Deno.test("serializeInbox() writes fixed keys and sorted, deduplicated sets", () => {
  const r = {
    ...emptyInbox("agent-b"),
    messages: [
      "2026-01-02/000000000-0001-b",
      "2026-01-01/000000000-0000-a",
      "2026-01-01/000000000-0000-a",
    ],
    read: ["2026-01-01/000000000-0000-a"],
  };
  assertEquals(
    serializeInbox(r),
    JSON.stringify(
      {
        schema: 1,
        agent: "agent-b",
        messages: ["2026-01-01/000000000-0000-a", "2026-01-02/000000000-0001-b"],
        delivered: [],
        read: ["2026-01-01/000000000-0000-a"],
        acked: [],
      },
      null,
      2,
    ) + "\n",
  );
});

Deno.test("undelivered() is what is neither read nor delivered, so a merged record never repeats", () => {
  const ours = { ...emptyInbox("b"), messages: ["1", "2", "3"], delivered: ["1"] };
  const theirs = { ...emptyInbox("b"), messages: ["1", "2", "4"], read: ["2"] };
  assertEquals(undelivered(ours), ["2", "3"]);
  // Two copies merge by the union of each set: what either side delivered or read stays so.
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
  const merged = {
    ...emptyInbox("b"),
    messages: union(ours.messages, theirs.messages),
    delivered: union(ours.delivered, theirs.delivered),
    read: union(ours.read, theirs.read),
  };
  assertEquals(undelivered(merged), ["3", "4"]);
});
