import { assertEquals } from "../../tests/assert.ts";
import { parseTranscript, spanAt, spansOf } from "./cost.ts";

Deno.test("spansOf() gives each agent one ticket at a time, switching back when one ends", () => {
  const spans = spansOf([
    { at: 10, ticket: "T-0001", agent: "a" },
    { at: 20, ticket: "T-0002", agent: "a" },
    { at: 30, ticket: "T-0002", agent: null },
    { at: 40, ticket: "T-0001", agent: "b" }, // taken over by b
  ]);
  assertEquals(spans, [
    { agent: "a", ticket: "T-0001", from: 10, to: 20 },
    { agent: "a", ticket: "T-0002", from: 20, to: 30 },
    { agent: "a", ticket: "T-0001", from: 30, to: 40 },
    { agent: "b", ticket: "T-0001", from: 40, to: null },
  ]);
  assertEquals(spanAt(spans, "a", 35)?.ticket, "T-0001");
  assertEquals(spanAt(spans, "a", 45), null);
});

Deno.test("parseTranscript() counts a streamed message once, with its final usage", () => {
  const line = (stop: string | null, out: number) =>
    JSON.stringify({
      type: "assistant",
      timestamp: "2026-11-29T10:00:00Z",
      requestId: "req_1",
      message: {
        id: "msg_1",
        model: "claude-sonnet-4-5",
        stop_reason: stop,
        usage: { input_tokens: 3, output_tokens: out },
      },
    });
  const r = parseTranscript([line(null, 1), line("tool_use", 90), line(null, 1)].join("\n"));
  assertEquals(r.records.length, 1);
  assertEquals(r.records[0].output, 90);
});
