import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import {
  acceptanceOf,
  appendLogEntry,
  descriptionOf,
  logEntriesOf,
  newTicketBody,
  parseTicket,
  serializeTicket,
  type Ticket,
  TicketFormatError,
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

/** Strings a ticket's fields may hold that YAML, markdown or a terminal would treat specially. */
const HOSTILE = [
  "plain",
  "with: colon",
  "#hash",
  "- dash",
  "---",
  "...",
  "[x, y]",
  "{a: 1}",
  "null",
  "~",
  "yes",
  "0x10",
  "1e3",
  "'single' \"double\"",
  "back\\slash \\n",
  " lead and trail ",
  "\u202Eevil\u202C",
  "\u00e9\u0301 \u{1F680}",
  "\u2028line sep",
  "*alias &anchor !tag",
  "% @ ` | >",
  "x".repeat(300),
];

function ticket(over: Partial<Ticket>): Ticket {
  return {
    id: "T-0001",
    title: "t",
    status: "in-progress",
    priority: "high",
    created: "2026-01-01T00:00:00Z",
    created_by: "human",
    claimed_by: "agent-a",
    claimed_at: "2026-01-01T00:01:00Z",
    labels: [],
    branch: null,
    files: [],
    depends_on: [],
    updated: "2026-01-01T00:02:00Z",
    claim_epoch: 3,
    extra: [],
    body: "",
    ...over,
  };
}

Deno.test("serializeTicket() -> parseTicket() is the identity over hostile strings in every field", () => {
  for (const s of HOSTILE) {
    const t = ticket({
      title: s,
      created_by: s,
      claimed_by: s,
      labels: [s, "z"].sort(),
      branch: s,
      files: [s],
      depends_on: ["T-0002", "T-12345"],
      extra: [["zz_custom", s], ["zz_list", [s, s]]],
      body: newTicketBody(`${s}\n---\nid: T-0009\n---\n## Work Log\n`, s),
    });
    const text = serializeTicket(t);
    assertEquals(parseTicket(text, "T-0001"), t, JSON.stringify(s));
    assertEquals(serializeTicket(parseTicket(text)), text, "serialising again changes nothing");
  }
});

Deno.test("parseTicket() reads back nulls, empty lists, epoch 0 and every status and priority", () => {
  for (const status of ["backlog", "claimed", "in-progress", "review", "done"] as const) {
    for (const priority of ["critical", "high", "medium", "low"] as const) {
      const t = ticket({
        status,
        priority,
        created_by: null,
        claimed_by: null,
        claimed_at: null,
        updated: null,
        claim_epoch: 0,
        body: "no trailing newline is added to an empty body",
      });
      const back = parseTicket(serializeTicket(t));
      assertEquals(back, { ...t, body: t.body + "\n" });
    }
  }
});

Deno.test("parseTicket() refuses what serializeTicket() never writes, naming the key and line", () => {
  const good = serializeTicket(ticket({}));
  const cases: Array<[string, string, RegExp]> = [
    ["status: in-progress", "status: doing", /"status" must be one of/],
    ["priority: high", "priority: urgent", /"priority" must be one of/],
    ["claim_epoch: 3", "claim_epoch: -1", /"claim_epoch" must be a whole number/],
    ["created: 2026-01-01T00:00:00Z", "created: yesterday", /"created" must be a UTC timestamp/],
    ["id: T-0001", "id: T-1", /"id" must look like T-0001/],
    ["depends_on: []", "depends_on: [nope]", /"depends_on" holds an invalid ticket id/],
  ];
  for (const [from, to, message] of cases) {
    assert(good.includes(from), from);
    const e = assertThrows(() => parseTicket(good.replace(from, to)));
    assert(e instanceof TicketFormatError, String(e));
    assertMatch(e.message, message);
    assert(e.line !== undefined && e.line > 1, `${to}: line ${e.line}`);
  }
  const wrongFile = assertThrows(() => parseTicket(good, "T-0002"));
  assertMatch(wrongFile.message, /named T-0002\.md/);
});
