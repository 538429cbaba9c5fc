/** The claim rule, in process: open dependencies, another holder, --force, fencing, epochs. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { at, refused, unitStore } from "../../tests/unit_store.ts";
import { testCommand } from "../../tests/helpers.ts";
import { readAgent } from "../store/agent_records.ts";
import { claimLocked, claimNext, claimTicket } from "./claims.ts";
import { registerAgent } from "./lifecycle.ts";
import { readBoard } from "./board.ts";
import { reservePaths } from "./reservations.ts";
import { logTicket, updateTicket } from "./update.ts";

Deno.test("claim: a backlog ticket becomes claimed by the agent, epoch 1, one board event", async () => {
  using u = unitStore();
  await u.create("one");
  const r = await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(5) });
  assertEquals([r.already, r.takenFrom], [false, null]);
  const t = u.store.readTicket("T-0001");
  assertEquals([t.status, t.claimed_by, t.claimed_at, t.claim_epoch], [
    "claimed",
    "alpha",
    "2026-03-01T10:05:00Z",
    1,
  ]);
  const events = readBoard(u.store, { last: 10 }).entries.map((e) => [e.tag, e.message]);
  assertEquals(events.at(-1), ["claimed", "Claimed T-0001"]);
  assert(readAgent(u.store, "alpha") !== null, "claiming registers the agent");
});

Deno.test("claim: claiming again is idempotent (already, same epoch, no new event)", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  const posts = readBoard(u.store, { last: 100 }).entries.length;
  const again = await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(2) });
  assertEquals([again.already, again.ticket.claim_epoch], [true, 1]);
  assertEquals(readBoard(u.store, { last: 100 }).entries.length, posts);
  // In progress is still held: still already.
  await updateTicket(
    u.store,
    "T-0001",
    { status: "in-progress", agent: "alpha", force: false },
    at(3),
  );
  const third = await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(4) });
  assertEquals([third.already, third.ticket.status], [true, "in-progress"]);
});

Deno.test("claim: open dependencies refuse (exit 3 naming them) until they are done; --force skips", async () => {
  using u = unitStore();
  await u.create("dep a");
  await u.create("dep b");
  await u.create("needs both", ["T-0001", "T-0002"]);
  const e = await refused(claimTicket(u.store, "T-0003", "alpha", { force: false, now: at(1) }));
  assertEquals([e.kind, e.detail], ["conflict", { ticket: "T-0003", open: ["T-0001", "T-0002"] }]);
  assertEquals(u.store.readTicket("T-0003").status, "backlog", "a refusal writes nothing");
  for (const id of ["T-0001", "T-0002"]) {
    await claimTicket(u.store, id, "dev", { force: false, now: at(2) });
    for (const status of ["in-progress", "review", "done"] as const) {
      await updateTicket(u.store, id, { status, agent: "dev", force: false }, at(3));
    }
  }
  const ok = await claimTicket(u.store, "T-0003", "alpha", { force: false, now: at(4) });
  assertEquals(ok.ticket.claimed_by, "alpha");
  await u.create("needs open", ["T-0003"]);
  const forced = await claimTicket(u.store, "T-0004", "alpha", { force: true, now: at(5) });
  assertEquals(forced.ticket.status, "claimed");
});

Deno.test("claim: another holder refuses, in every held status and in review; done refuses even with --force", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  for (const status of ["claimed", "in-progress", "review"] as const) {
    if (status !== "claimed") {
      await updateTicket(u.store, "T-0001", { status, agent: "alpha", force: false }, at(2));
    }
    const e = await refused(claimTicket(u.store, "T-0001", "bravo", { force: false, now: at(3) }));
    assertEquals([e.kind, (e.detail as { holder: string }).holder], ["conflict", "alpha"]);
    assert(e.message.includes(`status ${status}`), e.message);
  }
  await updateTicket(u.store, "T-0001", { status: "done", agent: "alpha", force: false }, at(4));
  const done = await refused(claimTicket(u.store, "T-0001", "bravo", { force: true, now: at(5) }));
  assert(done.message.includes("only backlog tickets can be claimed"), done.message);
  assertEquals(u.store.readTicket("T-0001").status, "done");
});

Deno.test("claim --force: takes the ticket, bumps the epoch, fences the old holder until it claims again", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  await reservePaths(u.store, {
    paths: ["src/a/**"],
    agent: "alpha",
    ticket: "T-0001",
    shared: false,
  }, at(1));
  const r = await claimTicket(u.store, "T-0001", "bravo", { force: true, now: at(2) });
  assertEquals([r.takenFrom, r.ticket.claimed_by, r.ticket.claim_epoch], ["alpha", "bravo", 2]);
  // alpha's reservations on that ticket went with it; its lost note names the epoch it lost.
  assertEquals(readAgent(u.store, "alpha")!.lost.map((l) => [l.ticket, l.epoch]), [["T-0001", 1]]);
  // Each late write, one after another (each is a transaction of its own).
  const fenced = [
    () =>
      updateTicket(
        u.store,
        "T-0001",
        { status: "in-progress", agent: "alpha", force: false },
        at(3),
      ),
    () => logTicket(u.store, "T-0001", { agent: "alpha", message: "late" }, at(3)),
    () =>
      reservePaths(u.store, {
        paths: ["src/b/**"],
        agent: "alpha",
        ticket: "T-0001",
        shared: true,
      }, at(3)),
  ];
  for (const p of fenced) {
    const e = await refused(p());
    assertEquals(e.kind, "conflict");
    assert(e.message.includes('"alpha" lost its claim'), e.message);
  }
  assertEquals(u.store.readTicket("T-0001").claimed_by, "bravo");
  // Back to backlog by its holder, claimed again by alpha: a new epoch, the note is cleared.
  await updateTicket(u.store, "T-0001", { status: "backlog", agent: "bravo", force: false }, at(4));
  const again = await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(5) });
  assertEquals(again.ticket.claim_epoch, 3);
  assertEquals(readAgent(u.store, "alpha")!.lost, []);
  await logTicket(u.store, "T-0001", { agent: "alpha", message: "back at it" }, at(6));
});

Deno.test("claim epochs only grow: claim, release, reclaim, force", async () => {
  using u = unitStore();
  await u.create("one");
  const epochs: number[] = [];
  for (const [agent, m] of [["a", 1], ["b", 3], ["c", 5]] as const) {
    epochs.push(
      (await claimTicket(u.store, "T-0001", agent, { force: false, now: at(m) })).ticket
        .claim_epoch,
    );
    await updateTicket(u.store, "T-0001", { status: "backlog", agent, force: false }, at(m + 1));
  }
  await claimTicket(u.store, "T-0001", "d", { force: false, now: at(8) });
  epochs.push(
    (await claimTicket(u.store, "T-0001", "e", { force: true, now: at(9) })).ticket.claim_epoch,
  );
  assertEquals(epochs, [1, 2, 3, 5]);
});

Deno.test("next: claims the ready ticket; exit 4 naming the blocked ones when nothing is ready", async () => {
  using u = unitStore();
  await u.create("first");
  await u.create("blocked", ["T-0001"]);
  const r = await claimNext(u.store, "alpha", { now: at(1) });
  assertEquals([r.ticket.id, r.ticket.claimed_by], ["T-0001", "alpha"]);
  const e = await refused(claimNext(u.store, "bravo", { now: at(2) }));
  assertEquals(e.kind, "notFound");
  const why = e.detail as { backlog: number; blocked: Array<{ id: string }> };
  assertEquals([why.backlog, why.blocked.map((b) => b.id)], [1, ["T-0002"]]);
  assertEquals(u.store.readTicket("T-0002").status, "backlog");
});

Deno.test("claim --force: the handoff note never shows an earlier holder's worktree as the holder's it took from", async () => {
  using u = unitStore();
  await u.create("one");
  // yankee's worktree has an uncommitted file; xray's has none.
  const worktree = (name: string) => {
    const wt = `${u.root}/wt-${name}`;
    Deno.mkdirSync(wt);
    testCommand("git", { args: ["init", "-q"], cwd: wt, stdout: "null", stderr: "null" })
      .outputSync();
    return wt;
  };
  const wt = worktree("yankee");
  Deno.writeTextFileSync(`${wt}/yankee-secret.ts`, "x\n");
  const reg = (agent: string, worktree: string | null) =>
    registerAgent(u.store, {
      agent,
      capabilities: [],
      sessionId: null,
      worktree,
      force: false,
    }, at(0));
  await reg("yankee", wt);
  await reg("xray", worktree("xray"));
  await claimTicket(u.store, "T-0001", "yankee", { force: false, now: at(1) });
  // Someone holds the lock while zulu's claim reads the holder (yankee) and its worktree, then
  // xray takes the ticket before zulu's claim gets the lock.
  let open!: () => void;
  const gate = new Promise<void>((r) => open = r);
  const held = u.store.mutate("hold", async (tx) => {
    await gate;
    claimLocked(tx, tx.readTicket("T-0001"), "xray", { force: true, now: at(2) });
  });
  const zulu = claimTicket(u.store, "T-0001", "zulu", { force: true, now: at(3) });
  open();
  await held;
  const r = await zulu;
  assertEquals([r.takenFrom, r.ticket.claimed_by], ["xray", "zulu"]);
  const note = r.handoff!.message;
  assert(note.startsWith("handoff from xray"), note);
  assert(!note.includes("yankee-secret.ts"), note);
});
