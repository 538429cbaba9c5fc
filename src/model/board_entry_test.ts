import { assertEquals } from "../../tests/assert.ts";
import { boardEntryText } from "./board_entry.ts";

Deno.test("boardEntryText: an undirected entry has agent-track 0.1's bytes; the message is verbatim", () => {
  assertEquals(
    boardEntryText({
      at: "2026-03-01T10:00:00Z",
      agent: "track",
      ticket: "T-0001",
      tag: "sync-conflict",
      kind: "event",
      message: "a\n---\nb",
    }),
    "---\nat: 2026-03-01T10:00:00Z\nagent: track\nticket: T-0001\ntag: sync-conflict\nkind: event\n---\na\n---\nb\n",
  );
});

Deno.test("boardEntryText: the addressing keys come after kind, only when used", () => {
  const base = {
    at: "2026-03-01T10:00:00Z",
    agent: "ann",
    ticket: null,
    tag: "note",
    kind: "post",
    message: "hi",
  };
  assertEquals(
    boardEntryText({ ...base, to: ["bob", "human"], reply_to: "2026-03-01/x", ack: true }),
    '---\nat: 2026-03-01T10:00:00Z\nagent: ann\nticket: null\ntag: note\nkind: post\nto:\n  - bob\n  - human\nreply_to: "2026-03-01/x"\nack: true\n---\nhi\n',
  );
  assertEquals(
    boardEntryText({ ...base, to: [], reply_to: null, ack: false }),
    boardEntryText(base),
  );
});
