import { assertEquals } from "../../tests/assert.ts";
import {
  childrenOf,
  hasNeeds,
  missingNeeds,
  needsOf,
  parentCycle,
  parentOf,
  progressOf,
  reviewableBy,
  submittedByOf,
} from "./planning.ts";
import { parseTicket, serializeTicket, type TicketSummary } from "./ticket.ts";
import type { FrontValue } from "./front_matter.ts";

function t(id: string, status: string, extra: Array<[string, FrontValue]> = []): TicketSummary {
  return {
    id,
    title: id,
    status: status as TicketSummary["status"],
    priority: "medium",
    created: "2026-01-01T00:00:00Z",
    created_by: null,
    claimed_by: null,
    claimed_at: null,
    labels: [],
    branch: null,
    files: [],
    depends_on: [],
    updated: null,
    claim_epoch: 0,
    extra,
  };
}

Deno.test("parentCycle() names the chain a new parent would close, null for a tree", () => {
  const parents = new Map([["T-0002", "T-0001"], ["T-0003", "T-0002"]]);
  const of = (id: string) => parents.get(id) ?? null;
  assertEquals(parentCycle("T-0001", "T-0003", of), ["T-0001", "T-0003", "T-0002", "T-0001"]);
  assertEquals(parentCycle("T-0001", "T-0001", of), ["T-0001", "T-0001"]);
  assertEquals(parentCycle("T-0004", "T-0003", of), null);
  // A cycle elsewhere (hand-edited) ends the walk instead of looping.
  const loop = new Map([["T-0005", "T-0006"], ["T-0006", "T-0005"]]);
  assertEquals(parentCycle("T-0001", "T-0005", (id) => loop.get(id) ?? null), null);
});

Deno.test("progressOf() counts children by status, every status present", () => {
  const all = [
    t("T-0002", "done", [["parent", "T-0001"]]),
    t("T-0003", "review", [["parent", "T-0001"]]),
    t("T-0004", "backlog"),
  ];
  const kids = childrenOf(all, "T-0001");
  assertEquals(kids.map((k) => k.id), ["T-0002", "T-0003"]);
  assertEquals(progressOf(kids), {
    done: 1,
    total: 2,
    by_status: { backlog: 0, claimed: 0, "in-progress": 0, review: 1, done: 1 },
  });
});

Deno.test("needs: an agent is offered a ticket only with every capability it needs", () => {
  const x = t("T-0001", "backlog", [["needs", ["frontend", "review"]]]);
  assertEquals(needsOf(x), ["frontend", "review"]);
  assertEquals(hasNeeds(x, ["frontend"]), false);
  assertEquals(missingNeeds(x, ["frontend"]), ["review"]);
  assertEquals(hasNeeds(x, ["review", "frontend", "go"]), true);
  assertEquals(hasNeeds(t("T-0002", "backlog"), []), true);
});

Deno.test("parent, needs, submitted_by round-trip; a file without them reads as before", () => {
  const text = "---\nid: T-0001\ntitle: x\nstatus: review\ncreated: 2026-01-01T00:00:00Z\n" +
    "needs:\n  - frontend\nparent: T-0009\nsubmitted_by: ann\n---\nbody\n";
  const parsed = parseTicket(text);
  assertEquals([parentOf(parsed), needsOf(parsed), submittedByOf(parsed)], [
    "T-0009",
    ["frontend"],
    "ann",
  ]);
  assertEquals(parseTicket(serializeTicket(parsed)), parsed);
  const plain = parseTicket(
    "---\nid: T-0001\ntitle: x\nstatus: backlog\ncreated: 2026-01-01T00:00:00Z\n---\n",
  );
  assertEquals([parentOf(plain), needsOf(plain), submittedByOf(plain)], [null, [], null]);
});

Deno.test("reviewableBy(): in review, nobody reviewing, and not the submitter's own work", () => {
  const r = (extra: Array<[string, FrontValue]>, claimed: string | null = null) => ({
    ...t("T-0001", "review", extra),
    claimed_by: claimed,
  });
  assertEquals(reviewableBy(r([["submitted_by", "ann"]]), "ann"), false);
  assertEquals(reviewableBy(r([["submitted_by", "ann"]]), "bob"), true);
  assertEquals(reviewableBy(r([["reviewer", "cat"], ["submitted_by", "ann"]]), "bob"), false);
  // A ticket from before submitted_by: its claimer counts as the submitter.
  assertEquals(reviewableBy(r([], "ann"), "ann"), false);
  assertEquals(reviewableBy(t("T-0002", "backlog"), "bob"), false);
});
