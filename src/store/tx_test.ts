/** Reads under the lock go through the transaction and see its own buffered writes. */
import { assertEquals } from "../../tests/assert.ts";
import { at, unitStore } from "../../tests/unit_store.ts";
import { touchAgent } from "./agent_records.ts";

Deno.test("tx.readTicket / tryReadTicket / readAllTickets / readAgent see the transaction's writes; the store outside does not until commit", async () => {
  using u = unitStore();
  await u.create("one");
  await u.store.mutate("test", (tx) => {
    const t = tx.readTicket("T-0001");
    tx.writeTicket({ ...t, title: "renamed", id: "T-0002" });
    tx.writeTicket({ ...t, title: "changed" });
    touchAgent(tx, "alpha", at(1));
    assertEquals(tx.readTicket("T-0001").title, "changed");
    assertEquals(tx.tryReadTicket("T-0002")?.title, "renamed");
    assertEquals(tx.tryReadTicket("T-0003"), null);
    assertEquals(tx.readAllTickets().tickets.map((x) => [x.id, x.title]), [
      ["T-0001", "changed"],
      ["T-0002", "renamed"],
    ]);
    assertEquals(tx.readAgent("alpha")?.id, "alpha");
    assertEquals(tx.readAgent("bravo"), null);
    // Not committed yet: a reader outside the transaction sees the store as it was.
    assertEquals(u.store.readTicket("T-0001").title, "one");
    assertEquals(u.store.tryReadTicket("T-0002"), null);
  });
  assertEquals(u.store.readTicket("T-0001").title, "changed");
  assertEquals(u.store.readTicket("T-0002").title, "renamed");
});
