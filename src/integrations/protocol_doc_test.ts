import { assert } from "../../tests/assert.ts";
import { protocolText } from "./protocol.ts";

Deno.test("docs/protocol.md holds the protocol text exactly as track prints it", () => {
  const doc = Deno.readTextFileSync(new URL("../../docs/protocol.md", import.meta.url));
  for (const format of ["claude", "agents"] as const) {
    assert(
      doc.includes("```markdown\n" + protocolText(format) + "```"),
      `docs/protocol.md is out of date for ${format}: run deno run -A scripts/protocol_doc.ts`,
    );
  }
});
