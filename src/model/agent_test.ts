import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { TrackError } from "./errors.ts";
import { agentNameProblem, checkAgentName } from "./agent.ts";

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
