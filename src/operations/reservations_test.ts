/** Reservations, in process: who may reserve, conflicts all or nothing, checking, releasing. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { at, refused, unitStore } from "../../tests/unit_store.ts";
import { claimTicket } from "./claims.ts";
import { checkPaths, readReservations, releasePaths, reservePaths } from "./reservations.ts";

const reserve = (
  u: ReturnType<typeof unitStore>,
  agent: string,
  ticket: string,
  paths: string[],
  opts: { shared?: boolean; force?: boolean } = {},
) =>
  reservePaths(u.store, {
    agent,
    ticket,
    paths,
    shared: opts.shared ?? false,
    force: opts.force,
  }, at(1));

Deno.test("reserve: exclusive only for the ticket's holder; shared or force for anyone else", async () => {
  using u = unitStore();
  await u.create("one");
  const unclaimed = await refused(reserve(u, "alpha", "T-0001", ["src/a.ts"]));
  assert(unclaimed.message.includes("claimed by nobody"), unclaimed.message);
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  const other = await refused(reserve(u, "bravo", "T-0001", ["src/a.ts"]));
  assertEquals((other.detail as { holder: string }).holder, "alpha");
  assertEquals(readReservations(u.store), [], "refusals write nothing");
  assertEquals(
    (await reserve(u, "bravo", "T-0001", ["docs/**"], { shared: true }))[0].mode,
    "shared",
  );
  assertEquals((await reserve(u, "alpha", "T-0001", ["src/**"]))[0].mode, "exclusive");
  // The ticket lists its files.
  assertEquals(u.store.readTicket("T-0001").files, ["docs/**", "src/**"]);
});

Deno.test("reserve: an overlapping exclusive reservation refuses the whole request, naming holder and ticket", async () => {
  using u = unitStore();
  await u.create("one");
  await u.create("two");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  await claimTicket(u.store, "T-0002", "bravo", { force: false, now: at(1) });
  await reserve(u, "alpha", "T-0001", ["src/auth/**"]);
  const before = readReservations(u.store);
  for (const paths of [["src/auth/token.ts"], ["lib/x.ts", "src/**/*.ts"], ["**"]]) {
    const e = await refused(reserve(u, "bravo", "T-0002", paths));
    assertEquals(e.detail, { holder: "alpha", ticket: "T-0001", path: "src/auth/**" });
    assertEquals(readReservations(u.store), before, `${paths}: all or nothing`);
  }
  // Shared next to exclusive is refused too (it would edit what alpha excludes).
  await refused(reserve(u, "bravo", "T-0002", ["src/auth/a.ts"], { shared: true }));
  // No overlap: fine. Its own paths never conflict with itself.
  await reserve(u, "bravo", "T-0002", ["src/api/**", "src/auth.ts"]);
  await reserve(u, "alpha", "T-0001", ["src/auth/**", "src/auth/deep/**"]);
});

Deno.test("checkPaths(): holders, shared neighbours, and the asking agent's own reservations", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  await reserve(u, "alpha", "T-0001", ["src/**"]);
  await reserve(u, "carol", "T-0001", ["docs/**"], { shared: true });
  const [src, docs, free] = checkPaths(u.store, ["src/a.ts", "docs/x.md", "README.md"], "bravo");
  assertEquals([src.free, src.holders.map((h) => h.agent), src.shared], [false, ["alpha"], []]);
  assertEquals([docs.free, docs.holders, docs.shared.map((s) => s.agent)], [true, [], ["carol"]]);
  assertEquals([free.path, free.free, free.holders, free.shared], ["README.md", true, [], []]);
  // Nobody is exempt without an agent; the holder itself sees its paths free.
  assertEquals(checkPaths(u.store, ["src/a.ts"], null)[0].free, false);
  assertEquals(checkPaths(u.store, ["src/a.ts"], "alpha")[0].free, true);
});

Deno.test("release: the agent's reservations, all or the named ones; others' stay", async () => {
  using u = unitStore();
  await u.create("one");
  await claimTicket(u.store, "T-0001", "alpha", { force: false, now: at(1) });
  await reserve(u, "alpha", "T-0001", ["a/**", "b/**", "c.ts"]);
  await reserve(u, "bravo", "T-0001", ["d/**"], { shared: true });
  const one = await releasePaths(u.store, { agent: "alpha", paths: ["b/**", "nope"] }, at(2));
  assertEquals(one.map((r) => r.path), ["b/**"]);
  const rest = await releasePaths(u.store, { agent: "alpha", paths: [] }, at(3));
  assertEquals(rest.map((r) => r.path).sort(), ["a/**", "c.ts"]);
  assertEquals(readReservations(u.store).map((r) => [r.agent, r.path]), [["bravo", "d/**"]]);
});
