import { assertEquals } from "../../tests/assert.ts";
import {
  acceptanceOf,
  appendLogEntry,
  descriptionOf,
  logEntriesOf,
  newTicketBody,
  withAcceptance,
  withDescription,
} from "./ticket.ts";

const ENTRY = { at: "2026-01-01T00:00:00Z", agent: "a", message: "did it\n\nmore" };

Deno.test("newTicketBody() with acceptance criteria: each section reads back exactly", () => {
  const body = newTicketBody("the desc\n\n## Work Log\nnot a log", "- [ ] works");
  assertEquals(descriptionOf(body), "the desc\n\n## Work Log\nnot a log");
  assertEquals(acceptanceOf(body), "- [ ] works");
  assertEquals(acceptanceOf(newTicketBody("x")), "");
  assertEquals(newTicketBody("x", ""), newTicketBody("x"));
});

Deno.test("withDescription() replaces only the description; criteria and Work Log stay", () => {
  const body = appendLogEntry(newTicketBody("old", "- [ ] crit"), ENTRY);
  for (const d of ["new text\nline 2", "", "---\n## Acceptance Criteria\n\n# heading\n"]) {
    const next = withDescription(body, d);
    assertEquals(descriptionOf(next), d);
    assertEquals(acceptanceOf(next), "- [ ] crit");
    assertEquals(logEntriesOf(next), logEntriesOf(body));
  }
  // The same text as create gives.
  assertEquals(withDescription(newTicketBody("old"), "new"), newTicketBody("new"));
});

Deno.test("withDescription() on hand-written and agent-track 0.1 bodies", () => {
  // No Acceptance Criteria: an empty section is added to end the description.
  const noCriteria = "\n## Description\n\nold\n\n## Work Log\n\n- 2026-01-01T00:00:00Z [a] hi\n";
  const a = withDescription(noCriteria, "new");
  assertEquals(descriptionOf(a), "new");
  assertEquals(logEntriesOf(a).map((e) => e.message), ["hi"]);
  // No sections at all: the free text was the description.
  const b = withDescription("just some notes\n", "new");
  assertEquals(descriptionOf(b), "new");
  assertEquals(acceptanceOf(b), "");
  assertEquals(withDescription("", "new"), newTicketBody("new"));
});

Deno.test("withAcceptance() replaces, clears or adds the section; description and log stay", () => {
  const body = appendLogEntry(newTicketBody("desc"), ENTRY);
  const set = withAcceptance(body, "- [ ] one\n- [ ] two");
  assertEquals(acceptanceOf(set), "- [ ] one\n- [ ] two");
  assertEquals(descriptionOf(set), "desc");
  assertEquals(logEntriesOf(set), logEntriesOf(body));
  assertEquals(withAcceptance(set, ""), body);
  assertEquals(withAcceptance(newTicketBody("d"), "c"), newTicketBody("d", "c"));
  const noSection = "\n## Description\n\nd\n\n## Work Log\n\n- 2026-01-01T00:00:00Z [a] hi\n";
  const added = withAcceptance(noSection, "c");
  assertEquals([descriptionOf(added), acceptanceOf(added)], ["d", "c"]);
  assertEquals(logEntriesOf(added).length, 1);
  assertEquals(acceptanceOf(withAcceptance("", "c")), "c");
});
