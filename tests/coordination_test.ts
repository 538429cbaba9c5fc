/** Agents, board, reservations, stale reclaim, fencing, dependencies, ready/blocked/next. */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { race, snapshot, tempStore, testCommand } from "./helpers.ts";

function ageHeartbeat(dir: string, agent: string, minutes: number): void {
  const path = `${dir}/agents/${agent}.json`;
  const rec = JSON.parse(Deno.readTextFileSync(path));
  rec.last_heartbeat = new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19) + "Z";
  // Age is measured on the boot clock when the heartbeat has a reading (docs/design.md "Clock").
  if (rec.heartbeat_clock) rec.heartbeat_clock.uptime_ms -= minutes * 60_000;
  Deno.writeTextFileSync(path, JSON.stringify(rec, null, 2) + "\n");
}

Deno.test("next: 16 processes on 10 ready tickets claim 10 distinct tickets, 6 told nothing is ready (x20)", async () => {
  const rounds = Number(Deno.env.get("TRACK_NEXT_ROUNDS") ?? 20);
  for (let round = 0; round < rounds; round++) {
    await using s = await tempStore();
    for (let i = 0; i < 10; i++) await s.json(["create", "-t", `r${round} t${i}`]);
    const results = await race(
      Array.from({ length: 16 }, (_, p) => [["next", "--agent", `n${p}`, "--json"]]),
      { cwd: s.root },
    );
    const claimed: string[] = [];
    let nothing = 0;
    for (const [r] of results) {
      if (r.code === 0) claimed.push(JSON.parse(r.stdout).ticket.id);
      else {
        assertEquals(r.code, 4, r.stderr);
        assertStringIncludes(r.stderr, "Nothing is ready");
        nothing++;
      }
    }
    assertEquals(claimed.length, 10, `round ${round}`);
    assertEquals(new Set(claimed).size, 10, `round ${round}: a ticket was claimed twice`);
    assertEquals(nothing, 6);
    const list = await s.json<
      { tickets: Array<{ claimed_by: string | null; claim_epoch: number }> }
    >(["list"]);
    assert(list.tickets.every((t) => t.claimed_by !== null && t.claim_epoch === 1));
  }
});

Deno.test("8 processes doing heartbeat, files --add, log and board as one agent lose nothing", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "shared"]);
  await s.json(["claim", "1", "--agent", "solo"]);
  const plans = Array.from({ length: 8 }, (_, p) => {
    const plan: string[][] = [];
    for (let k = 0; k < 6; k++) {
      plan.push(["heartbeat", "--agent", "solo"]);
      plan.push(["files", "--add", `src/p${p}/f${k}.ts`, "--agent", "solo", "--ticket", "1"]);
      plan.push(["log", "1", "--agent", "solo", "-m", `log ${p}-${k}`]);
      plan.push(["board", "--agent", "solo", "-m", `post ${p}-${k}`]);
    }
    return plan;
  });
  const results = await race(plans, { cwd: s.root });
  for (const rs of results) for (const r of rs) assertEquals(r.code, 0, r.stderr);
  const files = await s.json<{ reservations: unknown[] }>(["files", "--list"]);
  assertEquals(files.reservations.length, 48);
  const shown = await s.json<{ ticket: { log: unknown[]; files: string[] } }>(["show", "1"]);
  assertEquals(shown.ticket.log.length, 48);
  assertEquals(shown.ticket.files.length, 48);
  const board = await s.json<{ entries: Array<{ message: string }> }>([
    "board",
    "--last",
    "1000",
    "--tag",
    "note",
  ]);
  assertEquals(board.entries.length, 48);
  const agents = await s.json<{ agents: Array<{ id: string; reservations: number }> }>(["agents"]);
  assertEquals(agents.agents.map((a) => [a.id, a.reservations]), [["solo", 48]]);
});

Deno.test("stale --reclaim: an old heartbeat loses its tickets, a fresh one keeps them, the fenced holder is refused", async () => {
  await using s = await tempStore();
  for (const t of ["old work", "fresh work", "old review"]) await s.json(["create", "-t", t]);
  await s.json(["claim", "1", "--agent", "old"]);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "old"]);
  await s.json(["files", "--add", "src/old/**", "--agent", "old", "--ticket", "1"]);
  await s.json(["claim", "3", "--agent", "old"]);
  for (const st of ["in-progress", "review"]) {
    await s.json(["update", "3", "--status", st, "--agent", "old"]);
  }
  await s.json(["claim", "2", "--agent", "fresh"]);
  ageHeartbeat(s.dir, "old", 45);
  const before = snapshot(s.dir);
  const listed = await s.json<{ stale: Array<{ agent: string }> }>(["stale"]);
  assertEquals(listed.stale.map((x) => x.agent), ["old"]);
  assertEquals(snapshot(s.dir), before, "stale without --reclaim writes nothing");
  const r = await s.json<
    { reclaimed: Array<{ agent: string; tickets: string[]; reservations_released: number }> }
  >([
    "stale",
    "--reclaim",
  ]);
  assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets, x.reservations_released]), [["old", [
    "T-0001",
  ], 1]]);
  const t1 = await s.json<{ ticket: { status: string; claimed_by: null } }>(["show", "1"]);
  assertEquals([t1.ticket.status, t1.ticket.claimed_by], ["backlog", null]);
  const t3 = await s.json<{ ticket: { status: string } }>(["show", "3"]);
  assertEquals(t3.ticket.status, "review", "review stays");
  const t2 = await s.json<{ ticket: { claimed_by: string } }>(["show", "2"]);
  assertEquals(t2.ticket.claimed_by, "fresh");
  assertEquals((await s.json<{ reservations: unknown[] }>(["files", "--list"])).reservations, []);
  const board = await s.json<{ entries: Array<{ tag: string; message: string }> }>([
    "board",
    "--tag",
    "stale",
  ]);
  assertStringIncludes(board.entries[0].message, "returned T-0001 to backlog");
  // Someone else takes it; the old holder wakes up late.
  await s.json(["claim", "1", "--agent", "newer"]);
  const frozen = snapshot(s.dir);
  for (
    const args of [
      ["update", "1", "--status", "review", "--agent", "old"],
      ["log", "1", "--agent", "old", "-m", "late"],
      ["files", "--add", "src/x.ts", "--agent", "old", "--ticket", "1"],
    ]
  ) {
    const late = await s.track(args);
    assertEquals(late.code, 3, `${args.join(" ")}: ${late.stderr}`);
    assertMatch(
      late.stderr,
      /lost its claim at \d{4}-.*reclaimed: no heartbeat for 45m.*held by "newer"/,
    );
  }
  const after = snapshot(s.dir);
  for (const [k, v] of frozen) if (!k.startsWith("agents/")) assertEquals(after.get(k), v, k);
});

Deno.test("registering again does not lift the fence on a lost claim", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "old"]);
  ageHeartbeat(s.dir, "old", 45);
  await s.json(["stale", "--reclaim"]);
  // The slow session wakes up and re-runs the protocol's first step: it is free to do so ...
  await s.json(["register", "--agent", "old"]);
  const before = s.read("tickets/T-0001.md");
  // ... but its late writes to the ticket it lost are still refused.
  for (
    const args of [
      ["log", "1", "--agent", "old", "-m", "late"],
      ["files", "--add", "src/x.ts", "--agent", "old", "--ticket", "1"],
    ]
  ) {
    const late = await s.track(args);
    assertEquals(late.code, 3, `${args.join(" ")}: ${late.stderr}`);
    assertStringIncludes(late.stderr, "lost its claim");
  }
  assertEquals(s.read("tickets/T-0001.md"), before);
  // Claiming it again is the way back.
  await s.json(["claim", "1", "--agent", "old"]);
  await s.json(["log", "1", "--agent", "old", "-m", "mine again"]);
});

Deno.test("a ticket moved to backlog by someone else fences its holder", async () => {
  await using s = await tempStore();
  for (const t of ["a", "b"]) await s.json(["create", "-t", t]);
  await s.json(["claim", "1", "--agent", "holder"]);
  await s.json(["claim", "2", "--agent", "holder"]);
  await s.json(["update", "1", "--status", "backlog", "--force"]); // a person at the terminal
  await s.json(["update", "2", "--status", "backlog", "--agent", "lead", "--force"]);
  for (const [id, by] of [["1", "human"], ["2", "lead"]]) {
    const before = s.read(`tickets/T-000${id}.md`);
    const late = await s.track(["log", id, "--agent", "holder", "-m", "late"]);
    assertEquals(late.code, 3, late.stderr);
    assertStringIncludes(late.stderr, `moved to backlog by "${by}" with --force`);
    assertEquals(s.read(`tickets/T-000${id}.md`), before);
  }
  // Giving a ticket back yourself is not losing it.
  await s.json(["claim", "1", "--agent", "holder"]);
  await s.json(["update", "1", "--status", "backlog", "--agent", "holder"]);
  await s.json(["log", "1", "--agent", "holder", "-m", "notes for the next one"]);
});

Deno.test("moving another agent's ticket needs --force for everyone; forced, the holder is fenced and told", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "holder"]);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "holder"]);
  const before = snapshot(s.dir);
  // A person (no --agent, no TRACK_AGENT) and another agent, to every status, CLI and JSON.
  for (const to of ["review", "done", "backlog", "claimed"]) {
    for (const who of [[], ["--agent", "other"]]) {
      const r = await s.track(["update", "1", "--status", to, ...who, "--json"]);
      assertEquals(r.code, 3, `${to} ${who}: ${r.stderr}`);
      const err = JSON.parse(r.stderr).error;
      assertStringIncludes(err.message, `"holder" is working on it (in-progress)`);
      assertEquals(err.detail.needs_force, true);
      assertEquals(err.detail.holder, "holder");
    }
  }
  assertEquals(snapshot(s.dir), before, "refused moves change nothing");
  // Fields other than the status stay open to everyone.
  await s.json(["update", "1", "--priority", "high"]);
  // With --force the move happens, the board names the holder, and the holder is fenced.
  const forced = await s.json<{ ticket: { status: string; claimed_by: string } }>([
    "update",
    "1",
    "--status",
    "review",
    "--force",
  ]);
  assertEquals([forced.ticket.status, forced.ticket.claimed_by], ["review", "holder"]);
  const board = await s.json<{ entries: Array<{ agent: string; message: string }> }>([
    "board",
    "--ticket",
    "1",
    "--last",
    "1",
  ]);
  assertEquals(board.entries[0].agent, "human");
  assertEquals(
    board.entries[0].message,
    'T-0001: in-progress -> review (taken from "holder" with --force)',
  );
  const frozen = s.read("tickets/T-0001.md");
  for (
    const args of [
      ["update", "1", "--status", "in-progress", "--agent", "holder"],
      ["log", "1", "--agent", "holder", "-m", "late"],
      ["files", "--add", "src/x.ts", "--agent", "holder", "--ticket", "1"],
    ]
  ) {
    const late = await s.track(args);
    assertEquals(late.code, 3, `${args.join(" ")}: ${late.stderr}`);
    assertStringIncludes(late.stderr, `moved to review by "human" with --force`);
  }
  assertEquals(s.read("tickets/T-0001.md"), frozen);
  // A reviewer moves a ticket in review on without force: it is no longer in the holder's hands.
  await s.json(["update", "1", "--status", "done", "--agent", "reviewer"]);
});

Deno.test("a forced claim fences the previous holder", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "a"]);
  const forced = await s.json<{ taken_from: string }>(["claim", "1", "--agent", "b", "--force"]);
  assertEquals(forced.taken_from, "a");
  const late = await s.track(["log", "1", "--agent", "a", "-m", "mine?"]);
  assertEquals(late.code, 3);
  assertStringIncludes(late.stderr, `taken over by "b" with --force`);
});

Deno.test("reservations: exclusive conflicts, shared overlap, check exit codes, list overlaps", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "auth"]);
  await s.json(["create", "-t", "api"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["claim", "2", "--agent", "b"]);
  await s.json(["files", "--add", "src/auth/**", "--agent", "a", "--ticket", "1"]);
  const clash = await s.track([
    "files",
    "--add",
    "./src/x/../auth/token.ts",
    "--agent",
    "b",
    "--ticket",
    "2",
  ]);
  assertEquals(clash.code, 3);
  assertStringIncludes(clash.stderr, `reserved exclusive by "a" for T-0001`);
  const wider = await s.track(["files", "--add", "src/**/*.ts", "--agent", "b", "--ticket", "2"]);
  assertEquals(wider.code, 3, "a glob overlapping a glob conflicts too");
  const free = await s.track(["files", "--check", "src/auth/token.ts", "--agent", "a"]);
  assertEquals(free.code, 0, "held by the caller is free");
  const busy = await s.track(["files", "--check", "src/auth/token.ts"], {
    env: { TRACK_AGENT: "b" },
  });
  assertEquals(busy.code, 3);
  assertStringIncludes(busy.stdout + busy.stderr, "a for T-0001");
  assertEquals((await s.track(["files", "--check", "src/api/x.ts", "--agent", "b"])).code, 0);
  await s.json(["files", "--add", "docs/**", "--agent", "a", "--ticket", "1", "--shared"]);
  await s.json(["files", "--add", "docs/api.md", "--agent", "b", "--ticket", "2", "--shared"]);
  const list = await s.json<
    { reservations: Array<{ path: string; overlaps: Array<{ agent: string }> }> }
  >([
    "files",
    "--list",
  ]);
  const docs = list.reservations.find((r) => r.path === "docs/**")!;
  assertEquals(docs.overlaps.map((o) => o.agent), ["b"]);
  const human = await s.track(["files", "--list"]);
  assertStringIncludes(human.stdout, "!docs/api.md (b)");
  const out = await s.track(["files", "--add", "../outside.ts", "--agent", "a", "--ticket", "1"]);
  assertEquals(out.code, 2);
  const rel = await s.json<{ released: unknown[] }>([
    "files",
    "--release",
    "docs/**",
    "--agent",
    "a",
  ]);
  assertEquals(rel.released.length, 1);
});

Deno.test("reservations end on done, on backlog, on deregister", async () => {
  await using s = await tempStore();
  for (const t of ["a", "b", "c"]) await s.json(["create", "-t", t]);
  for (const [n, agent] of [["1", "x"], ["2", "x"], ["3", "y"]]) {
    await s.json(["claim", n, "--agent", agent]);
    await s.json(["files", "--add", `f${n}.ts`, "--agent", agent, "--ticket", n]);
  }
  const count = async () =>
    (await s.json<{ reservations: unknown[] }>(["files", "--list"])).reservations.length;
  assertEquals(await count(), 3);
  for (const st of ["in-progress", "review", "done"]) {
    await s.json(["update", "1", "--status", st, "--agent", "x"]);
  }
  assertEquals(await count(), 2, "done releases");
  await s.json(["update", "2", "--status", "backlog", "--agent", "x"]);
  assertEquals(await count(), 1, "backlog releases");
  const d = await s.json<{ released: string[]; reservations_released: number }>([
    "deregister",
    "--agent",
    "y",
    "--release-tickets",
  ]);
  assertEquals(d.released, ["T-0003"]);
  assertEquals(d.reservations_released, 1);
  assertEquals(await count(), 0);
  const all = await s.json<{ agents: Array<{ id: string; status: string }> }>(["agents", "--all"]);
  assertEquals(all.agents.find((a) => a.id === "y")?.status, "deregistered");
  assertEquals(
    (await s.json<{ agents: Array<{ id: string }> }>(["agents"])).agents.map((a) => a.id),
    ["x"],
  );
});

Deno.test("a ticket returned to backlog by reclaim or deregister ends every reservation on it", async () => {
  await using s = await tempStore();
  for (const t of ["a", "b"]) await s.json(["create", "-t", t]);
  await s.json(["claim", "1", "--agent", "old"]);
  await s.json(["claim", "2", "--agent", "leaving"]);
  // A helper reserves files for each ticket alongside its holder (--force: it holds neither).
  await s.json(["files", "--add", "h1.ts", "--agent", "helper", "--ticket", "1", "--force"]);
  await s.json(["files", "--add", "h2.ts", "--agent", "helper", "--ticket", "2", "--force"]);
  await s.json(["files", "--add", "keep.ts", "--agent", "helper", "--ticket", "2", "--shared"]);
  ageHeartbeat(s.dir, "old", 45);
  await s.json(["stale", "--reclaim"]);
  await s.json(["deregister", "--agent", "leaving", "--release-tickets"]);
  const left = await s.json<{ reservations: Array<{ path: string }> }>(["files", "--list"]);
  assertEquals(left.reservations.map((r) => r.path), [], "backlog ends reservations");
});

Deno.test("deregister --release-tickets returns claimed and in-progress, keeps review", async () => {
  await using s = await tempStore();
  for (const t of ["a", "b", "c"]) await s.json(["create", "-t", t]);
  for (const n of ["1", "2", "3"]) await s.json(["claim", n, "--agent", "z"]);
  await s.json(["update", "2", "--status", "in-progress", "--agent", "z"]);
  for (const st of ["in-progress", "review"]) {
    await s.json(["update", "3", "--status", st, "--agent", "z"]);
  }
  const d = await s.json<{ released: string[] }>([
    "deregister",
    "--agent",
    "z",
    "--release-tickets",
  ]);
  assertEquals(d.released, ["T-0001", "T-0002"]);
  const statuses = (await s.json<{ tickets: Array<{ status: string }> }>(["list"])).tickets.map((
    t,
  ) => t.status);
  assertEquals(statuses, ["backlog", "backlog", "review"]);
  const plain = await s.track(["deregister", "--agent", "nobody"]);
  assertEquals(plain.code, 4);
});

Deno.test("dependencies: missing refused, cycles refused with the cycle, remove-dep, ready and blocked", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "one", "-p", "low"]);
  await s.json(["create", "-t", "two", "--depends-on", "1"]);
  await s.json(["create", "-t", "three", "--depends-on", "T-0002"]);
  await s.json(["create", "-t", "four", "-p", "critical"]);
  const missing = await s.track(["create", "-t", "x", "--depends-on", "99"]);
  assertEquals(missing.code, 4);
  const cycle = await s.track(["update", "1", "--depends-on", "3"]);
  assertEquals(cycle.code, 3);
  assertStringIncludes(cycle.stderr, "T-0001 -> T-0003 -> T-0002 -> T-0001");
  const self = await s.track(["update", "1", "--depends-on", "1"]);
  assertEquals(self.code, 3);
  const ready = await s.json<{ tickets: Array<{ id: string }> }>(["ready"]);
  assertEquals(ready.tickets.map((t) => t.id), ["T-0004", "T-0001"]);
  const blocked = await s.json<
    { tickets: Array<{ id: string; waiting_on: Array<{ id: string }> }> }
  >(["blocked"]);
  assertEquals(blocked.tickets.map((t) => [t.id, t.waiting_on.map((w) => w.id)]), [["T-0002", [
    "T-0001",
  ]], [
    "T-0003",
    ["T-0002"],
  ]]);
  await s.json(["update", "3", "--remove-dep", "2"]);
  const ready2 = await s.json<{ tickets: Array<{ id: string }> }>(["ready"]);
  assertEquals(ready2.tickets.map((t) => t.id), ["T-0004", "T-0003", "T-0001"]);
});

Deno.test("update with a bad --depends-on changes nothing, even with --status", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "a"]);
  await s.json(["create", "-t", "b", "--depends-on", "1"]);
  await s.json(["claim", "1", "--agent", "x"]);
  const before = snapshot(s.dir);
  for (
    const [args, code] of [
      [["update", "1", "--status", "in-progress", "--agent", "x", "--depends-on", "99"], 4],
      [["update", "1", "--status", "backlog", "--agent", "x", "--depends-on", "2"], 3],
      [["update", "2", "--status", "claimed", "--agent", "y", "--depends-on", "2", "--force"], 3],
    ] as const
  ) {
    const r = await s.track([...args]);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(snapshot(s.dir), before, `${args.join(" ")} changed files`);
  }
});

Deno.test("next skips tickets whose files another agent reserved, and honours --label", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "touches auth", "-p", "critical"]);
  await s.json(["create", "-t", "other", "-l", "ui"]);
  await s.json(["create", "-t", "holder ticket", "-p", "low"]);
  await s.json(["claim", "3", "--agent", "holder"]);
  await s.json(["files", "--add", "src/auth/**", "--agent", "holder", "--ticket", "3"]);
  // T-0001 declares it touches src/auth/login.ts (reserved by holder for T-0003).
  const t1 = `${s.dir}/tickets/T-0001.md`;
  Deno.writeTextFileSync(
    t1,
    Deno.readTextFileSync(t1).replace("files: []", "files:\n  - src/auth/login.ts"),
  );
  const n = await s.json<{ ticket: { id: string } }>(["next", "--agent", "me"]);
  assertEquals(n.ticket.id, "T-0002");
  const none = await s.track(["next", "--agent", "me2", "--label", "ui"]);
  assertEquals(none.code, 4);
});

Deno.test("board: 64 KB with --- and markdown reads back identical; filters; ticket events appear", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const big = ("## Heading\n\n---\n- item `code` **bold**\n\n" + "x".repeat(1000) + "\n").repeat(64)
    .slice(0, 65536);
  await s.track(["board", "--agent", "a", "--ticket", "1", "--tag", "question", "-m", "-"], {
    stdin: big,
  });
  await s.json(["board", "--agent", "b", "-m", "plain note"]);
  const q = await s.json<
    { entries: Array<{ message: string; agent: string; ticket: string; tag: string }> }
  >([
    "board",
    "--tag",
    "question",
  ]);
  assertEquals(q.entries.length, 1);
  assertEquals(q.entries[0].message, big);
  assertEquals([q.entries[0].agent, q.entries[0].ticket], ["a", "T-0001"]);
  const forTicket = await s.json<{ entries: Array<{ tag: string }> }>(["board", "--ticket", "1"]);
  assertEquals(forTicket.entries.map((e) => e.tag), ["created", "question"]);
  const last = await s.json<{ entries: Array<{ message: string }> }>(["board", "--last", "1"]);
  assertEquals(last.entries.map((e) => e.message), ["plain note"]);
  const since = await s.json<{ entries: unknown[] }>(["board", "--since", "1h"]);
  assertEquals(since.entries.length, 3);
  const future = await s.json<{ entries: unknown[] }>(["board", "--since", "2999-01-01T00:00:00Z"]);
  assertEquals(future.entries.length, 0);
  // --since takes an age or a UTC timestamp; anything else is refused, not guessed at.
  for (const bad of ["5", "1", "Nov 25 2026", "yesterday"]) {
    assertEquals((await s.track(["board", "--since", bad])).code, 2, bad);
  }
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19);
  const utc = await s.json<{ entries: unknown[] }>(["board", "--since", inAnHour], {
    env: { TZ: "Asia/Tokyo" },
  });
  assertEquals(utc.entries.length, 0, "a timestamp without an offset is UTC, not local time");
  const day = await s.json<{ entries: unknown[] }>(["board", "--since", "2000-01-01"]);
  assertEquals(day.entries.length, 3);
  const none = await s.track(["board", "--tag", "no-such-tag"]);
  assertEquals(none.code, 0);
  assertStringIncludes(none.stderr, "No board messages match", "the board is not empty");
  assertEquals((await s.track(["board", "--agent", "a", "-m", "x", "--tag", "Bad Tag"])).code, 2);
  assertEquals((await s.track(["board", "--agent", "a", "-m", "x", "--ticket", "9"])).code, 4);
  assertEquals((await s.track(["board", "-m", "no agent"])).code, 2);
});

Deno.test("every command run with an agent counts as a heartbeat", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["register", "--agent", "hb"]);
  ageHeartbeat(s.dir, "hb", 50);
  assertEquals((await s.json<{ stale: unknown[] }>(["stale"])).stale.length, 1);
  await s.json(["log", "1", "--agent", "hb", "-m", "still here"]);
  assertEquals((await s.json<{ stale: unknown[] }>(["stale"])).stale.length, 0);
  ageHeartbeat(s.dir, "hb", 50);
  await s.json(["board", "-m", "hi"], { env: { TRACK_AGENT: "hb" } });
  assertEquals(
    (await s.json<{ stale: unknown[] }>(["stale", "--threshold", "10m"])).stale.length,
    0,
  );
  assertEquals((await s.track(["stale", "--threshold", "soon"])).code, 2);
  // create and stale --reclaim are writes too: run with an agent, they count as its heartbeat.
  ageHeartbeat(s.dir, "hb", 50);
  await s.json(["create", "-t", "by hb"], { env: { TRACK_AGENT: "hb" } });
  assertEquals((await s.json<{ stale: unknown[] }>(["stale"])).stale.length, 0, "create");
  ageHeartbeat(s.dir, "hb", 50);
  const r = await s.json<{ reclaimed: unknown[] }>(["stale", "--reclaim", "--agent", "hb"]);
  assertEquals(r.reclaimed, [], "the agent running the reclaim is alive, not stale");
  const hb = JSON.parse(s.read("agents/hb.json"));
  assertEquals(hb.status, "active");
});

Deno.test("board: posts on two git branches merge without conflict and read back in time order", async () => {
  await using s = await tempStore();
  const git = (...args: string[]) => {
    const out = testCommand("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
      cwd: s.root,
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    assertEquals(out.code, 0, `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  };
  git("init", "-q", "-b", "main");
  await s.json(["board", "--agent", "base", "-m", "before the split"]);
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  git("checkout", "-q", "-b", "feature");
  await s.json(["board", "--agent", "on-feature", "-m", "from feature\n---\nsecond line"]);
  git("add", "-A");
  git("commit", "-q", "-m", "feature");
  git("checkout", "-q", "main");
  await s.json(["board", "--agent", "on-main", "-m", "from main"]);
  git("add", "-A");
  git("commit", "-q", "-m", "main");
  git("merge", "-q", "--no-edit", "feature");
  const board = await s.json<{ entries: Array<{ agent: string; message: string }> }>(["board"]);
  assertEquals(board.entries.map((e) => [e.agent, e.message]), [
    ["base", "before the split"],
    ["on-feature", "from feature\n---\nsecond line"],
    ["on-main", "from main"],
  ]);
});

Deno.test("ticket events on the board: created, claimed, status changes and reclaims", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "old"]);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "old"]);
  ageHeartbeat(s.dir, "old", 45);
  await s.json(["stale", "--reclaim"]);
  const board = await s.json<{ entries: Array<{ tag: string; kind: string; ticket: string }> }>(
    ["board", "--ticket", "1"],
  );
  assertEquals(board.entries.map((e) => [e.tag, e.kind, e.ticket]), [
    ["created", "event", "T-0001"],
    ["claimed", "event", "T-0001"],
    ["status", "event", "T-0001"],
    ["reclaimed", "event", "T-0001"],
  ]);
});

Deno.test("stale --reclaim returns work an agent kept when it deregistered without releasing", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "kept"]);
  await s.json(["create", "-t", "fresh"]);
  await s.json(["claim", "1", "--agent", "leaver"]);
  await s.json(["deregister", "--agent", "leaver"]);
  await s.json(["claim", "2", "--agent", "quitter"]);
  await s.json(["deregister", "--agent", "quitter"]);
  // Left recently: its claim stands until the threshold passes.
  assertEquals((await s.json<{ stale: unknown[] }>(["stale"])).stale, []);
  ageHeartbeat(s.dir, "leaver", 45);
  const listed = await s.json<{ stale: Array<{ agent: string }> }>(["stale"]);
  assertEquals(listed.stale.map((x) => x.agent), ["leaver"]);
  const r = await s.json<{ reclaimed: Array<{ agent: string; tickets: string[] }> }>([
    "stale",
    "--reclaim",
  ]);
  assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets]), [["leaver", ["T-0001"]]]);
  const t = await s.json<{ ticket: { status: string; claimed_by: null } }>(["show", "1"]);
  assertEquals([t.ticket.status, t.ticket.claimed_by], ["backlog", null]);
  const all = await s.json<{ agents: Array<{ id: string; status: string }> }>(["agents", "--all"]);
  assertEquals(all.agents.find((a) => a.id === "leaver")?.status, "deregistered");
  assertEquals(
    (await s.json<{ ticket: { claimed_by: string } }>(["show", "2"])).ticket.claimed_by,
    "quitter",
  );
});
