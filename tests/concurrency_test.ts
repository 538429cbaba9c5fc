/** Real processes contending on the real lock: one winner per claim, no lost ids or entries. */
import { assertEquals } from "./assert.ts";
import { race, tempStore } from "./helpers.ts";

Deno.test("claim: 16 processes racing for each of 20 tickets, exactly one wins each", async () => {
  await using s = await tempStore();
  const tickets = 20;
  for (let i = 0; i < tickets; i++) await s.json(["create", "--title", `Ticket ${i}`]);
  // Each process tries every ticket, in a different order, so all contend on all of them.
  const plans = Array.from({ length: 16 }, (_, p) =>
    Array.from({ length: tickets }, (_, k) => {
      const n = ((k + p) % tickets) + 1;
      return ["claim", String(n), "--agent", `racer-${p}`];
    }));
  const results = await race(plans, { cwd: s.root });
  const winners = new Map<string, string[]>();
  for (const [p, rs] of results.entries()) {
    for (const [k, r] of rs.entries()) {
      const id = `T-${String(((k + p) % tickets) + 1).padStart(4, "0")}`;
      if (r.code === 0) winners.set(id, [...(winners.get(id) ?? []), `racer-${p}`]);
      else assertEquals(r.code, 3, r.stderr);
    }
  }
  for (let n = 1; n <= tickets; n++) {
    const id = `T-${String(n).padStart(4, "0")}`;
    const won = winners.get(id) ?? [];
    assertEquals(won.length, 1, `${id} winners: ${won.join(", ")}`);
    const shown = await s.json<{ ticket: { claimed_by: string } }>(["show", id]);
    assertEquals(shown.ticket.claimed_by, won[0]);
  }
});

Deno.test("create: 8 processes x 50 creates give 400 distinct ids and 400 files", async () => {
  await using s = await tempStore();
  const plans = Array.from(
    { length: 8 },
    (_, p) => Array.from({ length: 50 }, (_, k) => ["create", "--title", `p${p} k${k}`, "--json"]),
  );
  const results = await race(plans, { cwd: s.root });
  const ids = new Set<string>();
  for (const rs of results) {
    for (const r of rs) {
      assertEquals(r.code, 0, r.stderr);
      ids.add(JSON.parse(r.stdout).ticket.id);
    }
  }
  assertEquals(ids.size, 400);
  const files = [...Deno.readDirSync(`${s.dir}/tickets`)].filter((e) => e.name.endsWith(".md"));
  assertEquals(files.length, 400);
  const titles = new Set(
    (await s.json<{ tickets: Array<{ title: string }> }>(["list"])).tickets.map((t) => t.title),
  );
  assertEquals(titles.size, 400);
});

Deno.test("log: 8 processes logging to one ticket lose no entry", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "Shared"]);
  const plans = Array.from(
    { length: 8 },
    (_, p) =>
      Array.from(
        { length: 15 },
        (_, k) => ["log", "1", "--agent", `w${p}`, "-m", `entry ${p}-${k}`],
      ),
  );
  const results = await race(plans, { cwd: s.root });
  for (const rs of results) for (const r of rs) assertEquals(r.code, 0, r.stderr);
  const shown = await s.json<{ ticket: { log: Array<{ agent: string; message: string }> } }>([
    "show",
    "1",
  ]);
  const messages = new Set(shown.ticket.log.map((e) => e.message));
  assertEquals(shown.ticket.log.length, 120);
  for (let p = 0; p < 8; p++) {
    for (let k = 0; k < 15; k++) assertEquals(messages.has(`entry ${p}-${k}`), true);
  }
});
