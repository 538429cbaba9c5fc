/** Updates and transitions, in process: the table, --force, the holder rule, fields, the log. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { at, refused, unitStore } from "../../tests/unit_store.ts";
import { STATUSES, TRANSITIONS } from "../model/transitions.ts";
import { readAgent } from "../store/agent_records.ts";
import { readBoard } from "./board.ts";
import { claimTicket } from "./claims.ts";
import { readReservations, reservePaths } from "./reservations.ts";
import { logTicket, updateTicket } from "./update.ts";

const lastEvent = (u: ReturnType<typeof unitStore>) =>
  readBoard(u.store, { last: 1 }).entries[0].message;

Deno.test("update: every move the table allows succeeds for the holder; every other is refused, naming the allowed ones", async () => {
  using u = unitStore();
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      if (from === to || to === "claimed") continue;
      const t = await u.create(`${from} -> ${to}`);
      // Walk the ticket to `from` with legal steps as its holder.
      const path = {
        backlog: [],
        claimed: [],
        "in-progress": ["in-progress"],
        review: ["in-progress", "review"],
        done: ["in-progress", "review", "done"],
      }[from] as Array<"in-progress" | "review" | "done">;
      if (from !== "backlog") await claimTicket(u.store, t.id, "dev", { force: false, now: at(1) });
      for (const s of path) {
        await updateTicket(u.store, t.id, { status: s, agent: "dev", force: false }, at(2));
      }
      const move = updateTicket(u.store, t.id, { status: to, agent: "dev", force: false }, at(3));
      if (TRANSITIONS[from].includes(to) || (from === "claimed" && to === "review")) {
        const r = await move;
        assertEquals([r.from, r.ticket.status, r.changed], [from, to, true]);
      } else {
        const e = await refused(move);
        assertEquals(e.kind, "conflict", `${from} -> ${to}`);
        assertEquals((e.detail as { allowed: string[] }).allowed, [...TRANSITIONS[from]]);
        assertEquals(u.store.readTicket(t.id).status, from, "a refusal writes nothing");
      }
    }
  }
});

Deno.test("update: the claimer goes claimed -> review through in-progress; --force lifts the table", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "dev", { force: false, now: at(1) });
  await updateTicket(u.store, "T-0001", { status: "review", agent: "dev", force: false }, at(2));
  assertEquals(lastEvent(u), "T-0001: claimed -> in-progress -> review");
  // Not for someone else (review is not theirs to jump to), and a person needs a legal step.
  await u.create("two");
  const e = await refused(
    updateTicket(u.store, "T-0002", { status: "done", agent: null, force: false }, at(3)),
  );
  assertEquals(e.kind, "conflict");
  const forced = await updateTicket(
    u.store,
    "T-0002",
    { status: "done", agent: null, force: true },
    at(4),
  );
  assertEquals(forced.ticket.status, "done");
});

Deno.test("update: another agent's held ticket needs force; force and takeOver fence the holder; review is free", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  for (const agent of ["bravo", null]) {
    const e = await refused(
      updateTicket(u.store, "T-0001", { status: "backlog", agent, force: false }, at(2)),
    );
    assertEquals((e.detail as { needs_force: boolean; holder: string }).needs_force, true);
    assertEquals((e.detail as { holder: string }).holder, "alpha");
  }
  // takeOver lifts only the holder rule: claimed -> done is still not a legal step.
  const illegal = await refused(
    updateTicket(
      u.store,
      "T-0001",
      { status: "done", agent: null, force: false, takeOver: true },
      at(3),
    ),
  );
  assert(illegal.message.includes("allowed next states"), illegal.message);
  const taken = await updateTicket(
    u.store,
    "T-0001",
    { status: "in-progress", agent: null, force: false, takeOver: true },
    at(4),
  );
  assertEquals([taken.ticket.status, taken.ticket.claimed_by], ["in-progress", "alpha"]);
  assertEquals(
    lastEvent(u),
    'T-0001: claimed -> in-progress (taken from "alpha" after confirming)',
  );
  assertEquals(readAgent(u.store, "alpha")!.lost.map((l) => l.ticket), ["T-0001"]);

  // A review ticket is out of its claimer's hands: anyone moves it on without force.
  await u.create("two");
  await claimTicket(u.store, "T-0002", "carol", { force: false, now: at(5) });
  await updateTicket(u.store, "T-0002", { status: "review", agent: "carol", force: false }, at(6));
  const reviewed = await updateTicket(u.store, "T-0002", {
    status: "done",
    agent: "dave",
    force: false,
  }, at(7));
  assertEquals([reviewed.ticket.status, reviewed.ticket.claimed_by], ["done", "carol"]);
});

Deno.test("update: backlog clears the claimer and ends reservations; done ends them too; done -> backlog reopens", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "dev", { force: false, now: at(1) });
  await reservePaths(u.store, {
    paths: ["src/x/**"],
    agent: "dev",
    ticket: "T-0001",
    shared: false,
  }, at(1));
  const back = await updateTicket(u.store, "T-0001", {
    status: "backlog",
    agent: "dev",
    force: false,
  }, at(2));
  assertEquals([back.ticket.claimed_by, back.ticket.claimed_at], [null, null]);
  assertEquals(readReservations(u.store), []);
  await claimTicket(u.store, "T-0001", "dev", { force: false, now: at(3) });
  await reservePaths(
    u.store,
    { paths: ["src/y.ts"], agent: "dev", ticket: "T-0001", shared: true },
    at(3),
  );
  for (const s of ["in-progress", "review", "done"] as const) {
    await updateTicket(u.store, "T-0001", { status: s, agent: "dev", force: false }, at(4));
  }
  assertEquals(readReservations(u.store), []);
  const reopened = await updateTicket(u.store, "T-0001", {
    status: "backlog",
    agent: null,
    force: false,
  }, at(5));
  assertEquals([reopened.ticket.status, reopened.ticket.claimed_by], ["backlog", null]);
  assertEquals(lastEvent(u), "T-0001: done -> backlog (reopened)");
});

Deno.test("update: fields change; an update that changes nothing writes nothing", async () => {
  using u = unitStore();
  await u.create("one");
  await u.create("two");
  const r = await updateTicket(u.store, "T-0001", {
    title: "renamed",
    priority: "critical",
    addLabels: ["ui", "api", "ui"],
    branch: "feature/x",
    addDeps: ["T-0002"],
    description: "new text",
    acceptance: "\n\n- works\n\n",
    agent: null,
    force: false,
  }, at(1));
  const t = r.ticket;
  assertEquals([t.title, t.priority, t.labels, t.branch, t.depends_on, t.updated], [
    "renamed",
    "critical",
    ["api", "ui"],
    "feature/x",
    ["T-0002"],
    "2026-03-01T10:01:00Z",
  ]);
  assertEquals(u.store.readTicket("T-0001"), t);
  const text = Deno.readTextFileSync(u.store.ticketPath("T-0001"));
  const same = await updateTicket(u.store, "T-0001", {
    title: "renamed",
    addLabels: ["ui"],
    agent: null,
    force: false,
  }, at(9));
  assertEquals([same.changed, same.ticket.updated], [false, "2026-03-01T10:01:00Z"]);
  assertEquals(Deno.readTextFileSync(u.store.ticketPath("T-0001")), text);
  const cleared = await updateTicket(u.store, "T-0001", {
    branch: "",
    removeLabels: ["ui"],
    removeDeps: ["T-0002"],
    agent: null,
    force: false,
  }, at(10));
  assertEquals([cleared.ticket.branch, cleared.ticket.labels, cleared.ticket.depends_on], [null, [
    "api",
  ], []]);
});

Deno.test("update: bad input is refused before the lock and changes nothing", async () => {
  using u = unitStore();
  await u.create("one");
  const before = Deno.readTextFileSync(u.store.ticketPath("T-0001"));
  const bad = [
    { title: "" },
    { title: "two\nlines" },
    { title: "x".repeat(1025) },
    { addLabels: ["a,b"] },
    { branch: "has space" },
    { addDeps: ["T-0001"] },
    { addDeps: ["T-0042"] },
    { acceptance: "## Work Log\n" },
  ];
  for (const input of bad) {
    const e = await refused(
      updateTicket(u.store, "T-0001", { ...input, agent: null, force: false }, at(1)),
    );
    assert(
      ["usage", "conflict", "notFound"].includes(e.kind),
      `${JSON.stringify(input)}: ${e.kind}`,
    );
  }
  assertEquals(Deno.readTextFileSync(u.store.ticketPath("T-0001")), before);
});

Deno.test("log: appends a Work Log entry as the agent; an empty message is refused", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "dev", { force: false, now: at(1) });
  const t = await logTicket(u.store, "T-0001", { agent: "dev", message: "did it\n\n" }, at(2));
  assert(t.body.endsWith("did it\n"), JSON.stringify(t.body));
  assert(t.body.includes("2026-03-01T10:02:00Z"), t.body);
  const e = await refused(logTicket(u.store, "T-0001", { agent: "dev", message: " \n " }, at(3)));
  assertEquals(e.kind, "usage");
});
