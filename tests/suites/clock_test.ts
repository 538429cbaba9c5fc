/**
 * Suite 8, clock: a wall clock stepped an hour forward or ten minutes back takes no claim from
 * an agent that keeps heart-beating, because heartbeat age is measured on the boot clock
 * (src/store/clock.ts); a holder that is genuinely gone is still reclaimed and fenced. Real
 * subprocesses; clocks moved by tests/track_test_main.ts (runTrack's `clock` option), which
 * main.ts cannot do.
 */
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import { tempStore } from "../helpers.ts";
import type { FakeClock } from "../track_test_main.ts";
import { report } from "./pool.ts";

const HOUR = 3_600_000;

interface Shown {
  ticket: { claimed_by: string | null; status: string };
}
interface Reclaimed {
  reclaimed: Array<{ agent: string; tickets: string[] }>;
}

Deno.test("suite clock: wall clock jumps do not take claims; real staleness still does", async () => {
  await using s = await tempStore();
  for (const t of ["one", "two", "three", "four"]) await s.json(["create", "--title", t]);
  const figures: Record<string, string | number> = {};
  const holder = async (id: string) => (await s.json<Shown>(["show", id])).ticket.claimed_by;
  const reclaim = (threshold: string, clock: FakeClock) =>
    s.json<Reclaimed>(["stale", "--reclaim", "--threshold", threshold], { clock });

  // An agent claims and keeps heart-beating on the real clock.
  await s.json(["claim", "1", "--agent", "ann"]);

  // Figures are counted from what the commands did, never written as the expected constant.
  let taken = 0;
  const count = (x: Reclaimed) => {
    taken += x.reclaimed.reduce((n, a) => n + a.tickets.length, 0);
    return x;
  };
  // 1. The wall clock jumps one hour forward; only the reclaimer has seen it so far.
  let r = count(await reclaim("30m", { now: `+${HOUR}` }));
  assertEquals(r.reclaimed, [], "a forward jump is not elapsed time");
  assertEquals(await holder("1"), "ann");
  // ann heart-beats under the jumped clock, the reclaimer runs again: still hers.
  await s.json(["heartbeat", "--agent", "ann"], { clock: { now: `+${HOUR}` } });
  r = count(await reclaim("30m", { now: `+${HOUR}` }));
  assertEquals(r.reclaimed, []);
  // The clock is put right again (an hour back from ann's last heartbeat): still hers.
  r = count(await reclaim("30m", {}));
  assertEquals(r.reclaimed, []);
  assertEquals(await holder("1"), "ann");
  figures.forward_1h_claims_taken = taken;
  taken = 0;

  // 2. ann's clock runs ten minutes slow: her heartbeats look 10 minutes old on the wall clock.
  await s.json(["heartbeat", "--agent", "ann"], { clock: { now: "-600000" } });
  r = count(await reclaim("5m", {}));
  assertEquals(r.reclaimed, [], "a clock set back is not a missed heartbeat");
  assertEquals(await holder("1"), "ann");
  figures.back_10m_claims_taken = taken;

  // 3. bob claims, then is really gone for an hour: both clocks agree.
  await s.json(["claim", "2", "--agent", "bob"]);
  r = await reclaim("30m", { now: `+${HOUR}`, uptime: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets]), [["ann", ["T-0001"]], ["bob", [
    "T-0002",
  ]]]);
  assertEquals(await holder("2"), null);
  // bob comes back and writes to the ticket he lost: fenced (exit 3, says when and why).
  const late = await s.track(["log", "2", "--agent", "bob", "-m", "late write"]);
  assertEquals(late.code, 3, late.stderr);
  assertStringIncludes(late.stderr, "lost its claim");
  figures.stale_reclaimed = r.reclaimed.length;
  figures.late_write_fenced = late.code === 3 ? 1 : 0;

  // 4. A heartbeat without a boot-clock reading (another machine, no /proc): the wall decides.
  await s.json(["claim", "3", "--agent", "carl"], { clock: { uptime: "none" } });
  r = await reclaim("30m", {});
  assertEquals(r.reclaimed, []);
  r = await reclaim("30m", { now: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => x.agent), ["carl"]);
  figures.wall_clock_fallback_reclaimed = r.reclaimed.length;

  // 5. A heartbeat from an earlier boot (the machine rebooted): the wall decides too.
  await s.json(["claim", "4", "--agent", "dana"]);
  const agentFile = `${s.dir}/agents/dana.json`;
  const rec = JSON.parse(Deno.readTextFileSync(agentFile));
  rec.heartbeat_clock.boot = "00000000-0000-0000-0000-000000000000";
  Deno.writeTextFileSync(agentFile, JSON.stringify(rec, null, 2) + "\n");
  r = await reclaim("30m", { now: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => x.agent), ["dana"]);
  figures.other_boot_reclaimed = r.reclaimed.length;
  report("clock", figures);
});

Deno.test("suite clock: main.ts reads no clock from the environment", async () => {
  await using s = await tempStore();
  const hostile = { TRACK_FAKE_NOW: "2999-01-01T00:00:00Z", TRACK_FAKE_UPTIME: "+100000000000" };
  const created = await s.json<{ ticket: { created: string } }>(["create", "-t", "x"], {
    env: hostile,
  });
  const year = new Date().getUTCFullYear();
  assertEquals(Number(created.ticket.created.slice(0, 4)), year);
  await s.json(["claim", "1", "--agent", "ann"], { env: hostile });
  const rec = JSON.parse(s.read("agents/ann.json"));
  assertEquals(Number(rec.last_heartbeat.slice(0, 4)), year);
  const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]) * 1000;
  if (rec.heartbeat_clock !== null) assert(rec.heartbeat_clock.uptime_ms <= uptime + 1000);
  // `TRACK_FAKE_NOW=1` once read as the year 2001.
  const one = await s.json<{ ticket: { created: string } }>(["create", "-t", "y"], {
    env: { TRACK_FAKE_NOW: "1" },
  });
  assertEquals(Number(one.ticket.created.slice(0, 4)), year);
});

Deno.test("suite clock: a heartbeat dated in the future is stale, never fresh forever", async () => {
  const figures: Record<string, number> = {};
  // Three ways to be in the future: on the boot clock, on the wall clock without a boot clock,
  // and a record hand-edited (or written by an older track that had clock hooks).
  const cases: Array<[string, FakeClock | null]> = [
    ["boot", { uptime: "+100000000000" }],
    ["wall", { now: "2999-01-01T00:00:00Z", uptime: "none" }],
    ["edited", null],
  ];
  for (const [name, clock] of cases) {
    await using s = await tempStore();
    await s.json(["create", "-t", name]);
    await s.json(["claim", "1", "--agent", "eve"], clock ? { clock } : {});
    if (clock === null) {
      const path = `${s.dir}/agents/eve.json`;
      const rec = JSON.parse(Deno.readTextFileSync(path));
      rec.last_heartbeat = "2999-01-01T00:00:00Z";
      if (rec.heartbeat_clock) rec.heartbeat_clock.uptime_ms += 100_000_000_000;
      Deno.writeTextFileSync(path, JSON.stringify(rec, null, 2) + "\n");
    }
    // Listed by `stale` at any threshold, marked as in the future.
    const listed = await s.json<{ stale: Array<{ agent: string; future: boolean }> }>([
      "stale",
      "--threshold",
      "30m",
    ]);
    assertEquals(listed.stale.map((x) => [x.agent, x.future]), [["eve", true]], name);
    // doctor is not healthy and says why, with the next command.
    const doctor = await s.track(["doctor", "--json"]);
    assertEquals(doctor.code, 6, `${name}: ${doctor.stderr}`);
    const report = JSON.parse(doctor.stdout) as {
      healthy: boolean;
      findings: Array<{ kind: string; file: string; message: string }>;
    };
    assertEquals(report.healthy, false);
    const f = report.findings.filter((x) => x.kind === "future-heartbeat");
    assertEquals(f.map((x) => x.file), [".track/agents/eve.json"], name);
    assertStringIncludes(f[0].message, "track stale --reclaim");
    // Reclaimed with the threshold of the issue (1s) and with the default one.
    const r = await s.json<Reclaimed>(["stale", "--reclaim", "--threshold", "1s"]);
    assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets]), [["eve", ["T-0001"]]], name);
    figures[`${name}_future_reclaimed`] = r.reclaimed.length;
    // Once reclaimed, a new heartbeat on the real clock makes eve an ordinary agent again.
    await s.json(["heartbeat", "--agent", "eve"]);
    assertEquals((await s.track(["doctor"])).code, 0, name);
  }
  report("clock-future", figures);
});
