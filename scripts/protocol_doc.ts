/**
 * Rewrites the two protocol blocks of docs/protocol.md from `protocolText()`, so the document is
 * the text `track protocol` prints. src/integrations/protocol_doc_test.ts fails when it is stale.
 * Run: `deno run -A scripts/protocol_doc.ts`.
 */
import { protocolText } from "../src/integrations/protocol.ts";

/** docs/protocol.md with its first two ```markdown blocks replaced (claude, then agents). */
export function withProtocol(doc: string): string {
  const parts = doc.split("```markdown\n");
  if (parts.length !== 3) throw new Error("docs/protocol.md needs exactly two ```markdown blocks");
  const body = (part: string, text: string) => text + part.slice(part.indexOf("\n```") + 1);
  return parts[0] + "```markdown\n" + body(parts[1], protocolText("claude")) + "```markdown\n" +
    body(parts[2], protocolText("agents"));
}

if (import.meta.main) {
  const path = new URL("../docs/protocol.md", import.meta.url);
  Deno.writeTextFileSync(path, withProtocol(Deno.readTextFileSync(path)));
}
