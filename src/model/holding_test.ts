import { assertEquals } from "../../tests/assert.ts";
import { HELD_STATUSES, heldBy, holderOf, isHeldBy } from "./holding.ts";
import { STATUSES } from "./transitions.ts";

Deno.test("holderOf(): the claimer while claimed or in-progress, nobody otherwise", () => {
  const rows = STATUSES.map((status) => [status, holderOf({ status, claimed_by: "alpha" })]);
  assertEquals(rows, [
    ["backlog", null],
    ["claimed", "alpha"],
    ["in-progress", "alpha"],
    ["review", null],
    ["done", null],
  ]);
  for (const status of STATUSES) assertEquals(holderOf({ status, claimed_by: null }), null);
  assertEquals(HELD_STATUSES, ["claimed", "in-progress"]);
});

Deno.test("heldBy() keeps order and only the agent's held tickets; isHeldBy() agrees", () => {
  const tickets = [
    { id: "T-0003", status: "in-progress" as const, claimed_by: "alpha" },
    { id: "T-0001", status: "claimed" as const, claimed_by: "alpha" },
    { id: "T-0002", status: "claimed" as const, claimed_by: "bravo" },
    { id: "T-0004", status: "review" as const, claimed_by: "alpha" },
    { id: "T-0005", status: "done" as const, claimed_by: "alpha" },
  ];
  assertEquals(heldBy(tickets, "alpha").map((t) => t.id), ["T-0003", "T-0001"]);
  assertEquals(heldBy(tickets, "bravo").map((t) => t.id), ["T-0002"]);
  assertEquals(heldBy(tickets, "Alpha"), []);
  assertEquals(tickets.map((t) => isHeldBy(t, "alpha")), [true, true, false, false, false]);
});
