/**
 * Suite 8, clock: a wall clock stepped an hour forward or ten minutes back takes no claim from
 * an agent that keeps heart-beating, because heartbeat age is measured on the boot clock
 * (src/agents/clock.ts); a holder that is genuinely gone is still reclaimed and fenced. Real
 * subprocesses; clocks moved with the TRACK_FAKE_NOW / TRACK_FAKE_UPTIME test hooks.
 */
import { assertEquals, assertStringIncludes } from "../assert.ts";
import { tempStore } from "../helpers.ts";
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
  const reclaim = (threshold: string, env: Record<string, string>) =>
    s.json<Reclaimed>(["stale", "--reclaim", "--threshold", threshold], { env });

  // An agent claims and keeps heart-beating on the real clock.
  await s.json(["claim", "1", "--agent", "ann"]);

  // 1. The wall clock jumps one hour forward; only the reclaimer has seen it so far.
  let r = await reclaim("30m", { TRACK_FAKE_NOW: `+${HOUR}` });
  assertEquals(r.reclaimed, [], "a forward jump is not elapsed time");
  assertEquals(await holder("1"), "ann");
  // ann heart-beats under the jumped clock, the reclaimer runs again: still hers.
  await s.json(["heartbeat", "--agent", "ann"], { env: { TRACK_FAKE_NOW: `+${HOUR}` } });
  r = await reclaim("30m", { TRACK_FAKE_NOW: `+${HOUR}` });
  assertEquals(r.reclaimed, []);
  // The clock is put right again (an hour back from ann's last heartbeat): still hers.
  r = await reclaim("30m", {});
  assertEquals(r.reclaimed, []);
  assertEquals(await holder("1"), "ann");
  figures.forward_1h_claims_taken = 0;

  // 2. ann's clock runs ten minutes slow: her heartbeats look 10 minutes old on the wall clock.
  await s.json(["heartbeat", "--agent", "ann"], { env: { TRACK_FAKE_NOW: "-600000" } });
  r = await reclaim("5m", {});
  assertEquals(r.reclaimed, [], "a clock set back is not a missed heartbeat");
  assertEquals(await holder("1"), "ann");
  figures.back_10m_claims_taken = 0;

  // 3. bob claims, then is really gone for an hour: both clocks agree.
  await s.json(["claim", "2", "--agent", "bob"]);
  r = await reclaim("30m", { TRACK_FAKE_NOW: `+${HOUR}`, TRACK_FAKE_UPTIME: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => [x.agent, x.tickets]), [["ann", ["T-0001"]], ["bob", [
    "T-0002",
  ]]]);
  assertEquals(await holder("2"), null);
  // bob comes back and writes to the ticket he lost: fenced (exit 3, says when and why).
  const late = await s.track(["log", "2", "--agent", "bob", "-m", "late write"]);
  assertEquals(late.code, 3, late.stderr);
  assertStringIncludes(late.stderr, "lost its claim");
  figures.stale_reclaimed = 2;
  figures.late_write_fenced = 1;

  // 4. A heartbeat without a boot-clock reading (another machine, no /proc): the wall decides.
  await s.json(["claim", "3", "--agent", "carl"], { env: { TRACK_FAKE_UPTIME: "none" } });
  r = await reclaim("30m", {});
  assertEquals(r.reclaimed, []);
  r = await reclaim("30m", { TRACK_FAKE_NOW: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => x.agent), ["carl"]);
  figures.wall_clock_fallback_reclaimed = 1;

  // 5. A heartbeat from an earlier boot (the machine rebooted): the wall decides too.
  await s.json(["claim", "4", "--agent", "dana"]);
  const agentFile = `${s.dir}/agents/dana.json`;
  const rec = JSON.parse(Deno.readTextFileSync(agentFile));
  rec.heartbeat_clock.boot = "00000000-0000-0000-0000-000000000000";
  Deno.writeTextFileSync(agentFile, JSON.stringify(rec, null, 2) + "\n");
  r = await reclaim("30m", { TRACK_FAKE_NOW: `+${HOUR}` });
  assertEquals(r.reclaimed.map((x) => x.agent), ["dana"]);
  figures.other_boot_reclaimed = 1;
  report("clock", figures);
});
