import { assertEquals } from "../../tests/assert.ts";
import { legacyEntryId, legacyTicketText, legacyTime, parseBoardMd } from "./agent_track.ts";
import { parseTicket } from "../model/ticket.ts";

Deno.test("parseBoardMd() splits at headers and keeps inner --- lines", () => {
  const text =
    "# Message Board\n\n**[2025-01-02T00:00:00Z] b** | T-2 | question\nq?\n---\nstill q\n\n---\n\n" +
    "**[2025-01-01T00:00:00Z] a**\nfirst\n---\n";
  const { entries, preamble } = parseBoardMd(text);
  assertEquals(preamble, "# Message Board");
  assertEquals(entries.map((e) => [e.at, e.agent, e.ticket, e.tag, e.message]), [
    ["2025-01-01T00:00:00Z", "a", null, "note", "first"],
    ["2025-01-02T00:00:00Z", "b", "T-0002", "question", "q?\n---\nstill q"],
  ]);
});

Deno.test("parseBoardMd() reads a single field as a ticket id or a tag, and cleans tags", () => {
  const { entries } = parseBoardMd(
    "**[t1] a** | T-0007\nx\n---\n**[t2] a** | Status Update\ny\n---\n**[t3] a** | misc | !!\nz\n",
  );
  assertEquals(entries.map((e) => [e.ticket, e.ticketText, e.tag]), [
    [null, "misc", "note"],
    [null, null, "status-update"],
    ["T-0007", null, "note"],
  ]);
});

Deno.test("legacyTime() reads zone-less timestamps as UTC; legacyEntryId() is stable", () => {
  assertEquals(legacyTime("2025-03-01 10:00:00"), Date.parse("2025-03-01T10:00:00Z"));
  assertEquals(legacyTime("2025-03-01T10:00:00+01:00"), Date.parse("2025-03-01T09:00:00Z"));
  const [e] = parseBoardMd("**[2025-03-01T10:00:00.5Z] a** | - | note\nhi\n").entries;
  const id = legacyEntryId(e, 3, legacyTime(e.at));
  assertEquals(id, legacyEntryId(e, 3, legacyTime(e.at)));
  assertEquals(id.slice(0, 26), "2025-03-01/100000500-0003-");
});

Deno.test("legacyTicketText() reads unquoted colons, None, scalar lists and block lists", () => {
  const text = "---\nid: T-0009\ntitle: Fix: it # now\nstatus: backlog\npriority: low\n" +
    "created: 2025-01-01T00:00:00\ncreated_by: None\nclaimed_by:\nclaimed_at: None\n" +
    "labels: a, 'b c'\nbranch:\nfiles:\n  - x.py\ndepends_on: ['T-0001']\n---\nbody\n";
  const t = parseTicket(legacyTicketText(text, "T-0009.md"), "T-0009");
  assertEquals(
    [t.title, t.created_by, t.claimed_by, t.claimed_at, t.labels, t.branch, t.files, t.depends_on],
    ["Fix: it # now", null, null, null, ["a", "b c"], null, ["x.py"], ["T-0001"]],
  );
  assertEquals(t.body, "body\n");
});
