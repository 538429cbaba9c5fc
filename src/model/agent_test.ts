import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { TrackError } from "./errors.ts";
import {
  AgentFormatError,
  agentNameProblem,
  checkAgentName,
  parseAgent,
  serializeAgent,
} from "./agent.ts";

Deno.test("checkAgentName() refuses human and Windows device names in any case, with or without extension (exit 2)", () => {
  for (
    const name of [
      "human",
      "Human",
      "HUMAN",
      "CON",
      "con",
      "Con.txt",
      "prn",
      "AUX",
      "nul.tar.gz",
      "COM1",
      "com9.log",
      "LPT1",
      "lpt9",
      "../x",
      "a.json",
      "",
    ]
  ) {
    const e = assertThrows(() => checkAgentName(name), name);
    assertEquals(e instanceof TrackError && e.exitCode, 2, name);
  }
  for (
    const name of ["humans", "human-2", "console", "com0", "com10", "lpt", "auxiliary", "nulls"]
  ) {
    assertEquals(agentNameProblem(name), null, name);
  }
});

Deno.test("parseAgent() host: optional (older records read as before), a clone id, written only when set", () => {
  const base = { id: "a", status: "active", registered_at: "2026-11-25T10:00:00Z" };
  const old = parseAgent(JSON.stringify(base), "a");
  assertEquals(old.host, undefined);
  assertEquals("host" in JSON.parse(serializeAgent(old)), false);
  const hosted = parseAgent(JSON.stringify({ ...base, host: "3f9a0c12b7e4" }), "a");
  assertEquals(hosted.host, "3f9a0c12b7e4");
  assertEquals(JSON.parse(serializeAgent(hosted)).host, "3f9a0c12b7e4");
  assertEquals(Object.keys(hosted.extra), []);
  for (const bad of ["3F9A", 12, "../x"]) {
    const e = assertThrows(() => parseAgent(JSON.stringify({ ...base, host: bad }), "a"));
    assertEquals(e instanceof AgentFormatError, true);
  }
});
