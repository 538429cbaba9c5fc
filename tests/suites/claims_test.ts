/**
 * Suite 1, claims: 16 real processes make claim attempts (and release half of what they win)
 * over 50 tickets, all released together. Every successful claim has a unique (ticket, epoch);
 * every epoch was won exactly once; each ticket's final holder is the process told it won last.
 * Sizes: TRACK_SUITE_CLAIMS_ATTEMPTS (per process; 300), TRACK_SUITE_SCALE.
 */
import { assertEquals } from "../assert.ts";
import { tempStore } from "../helpers.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { report, rng, seed, size, WorkerPool } from "./pool.ts";

const PROCESSES = 16;
const TICKETS = 50;

interface TicketOut {
  ticket: { id: string; claimed_by: string | null; claim_epoch: number; status: string };
  from?: string;
  changed?: boolean;
  already?: boolean;
}

Deno.test("suite claims: no double claim, final holder is the last told winner", async () => {
  const attempts = size("TRACK_SUITE_CLAIMS_ATTEMPTS", 300);
  const s0 = seed();
  const rand = rng(s0);
  await using s = await tempStore();
  for (let i = 0; i < TICKETS; i++) {
    const code = await main(["create", "--title", `Ticket ${i}`], {
      io: new MemoryIo(),
      cwd: s.root,
    });
    assertEquals(code, 0);
  }
  const plans = Array.from({ length: PROCESSES }, (_, p) => {
    const runs: string[][] = [];
    for (let k = 0; k < attempts; k++) {
      const id = `T-${String(rand(TICKETS) + 1).padStart(4, "0")}`;
      runs.push(["claim", id, "--agent", `w${p}`, "--json"]);
      // Release right after (a no-op or a refusal unless we won), so tickets keep changing hands;
      // in the last tenth only half are released, so final holders are left to check.
      if (k < attempts * 0.9 || rand(2) === 0) {
        runs.push(["update", id, "--status", "backlog", "--agent", `w${p}`, "--json"]);
      }
    }
    return runs;
  });
  await using pool = await WorkerPool.start(PROCESSES);
  const started = performance.now();
  const results = await pool.round(plans.map((runs) => ({ cwd: s.root, runs })));
  const seconds = (performance.now() - started) / 1000;

  const wins = new Map<string, string>(); // "T-0001#3" -> worker
  let doubleClaims = 0;
  let claimsWon = 0;
  let conflicts = 0;
  const releases = new Set<string>(); // "T-0001#3"
  const events: Array<[string, number, string]> = [];
  for (const [p, outs] of results.entries()) {
    for (const [k, r] of outs!.entries()) {
      const args = plans[p][k];
      if (r.code !== 0) {
        assertEquals(r.code, 3, `unexpected exit for ${args.join(" ")}: ${r.stderr}`);
        conflicts++;
        continue;
      }
      const out = JSON.parse(r.stdout) as TicketOut;
      const key = `${out.ticket.id}#${out.ticket.claim_epoch}`;
      if (args[0] === "claim") {
        if (out.already) {
          // Re-claiming a ticket it holds changes nothing; it must really be the holder.
          assertEquals(wins.get(key), `w${p}`, `${key} "already" for a non-holder`);
          continue;
        }
        claimsWon++;
        if (wins.has(key)) doubleClaims++;
        wins.set(key, `w${p}`);
        events.push([out.ticket.id, out.ticket.claim_epoch, `w${p}`]);
      } else if (out.changed && out.from === "claimed") {
        assertEquals(wins.get(key), `w${p}`, `${key} released by a non-holder`);
        releases.add(key);
      }
    }
  }
  assertEquals(doubleClaims, 0, "double claims");
  let finalChecked = 0;
  for (let n = 1; n <= TICKETS; n++) {
    const id = `T-${String(n).padStart(4, "0")}`;
    const io = new MemoryIo();
    assertEquals(await main(["show", id, "--json"], { io, cwd: s.root }), 0);
    const t = (JSON.parse(io.stdout) as TicketOut).ticket;
    // Every epoch up to the final one was won by exactly one told winner.
    for (let e = 1; e <= t.claim_epoch; e++) {
      assertEquals(wins.has(`${id}#${e}`), true, `${id} epoch ${e} has no told winner`);
    }
    assertEquals(wins.has(`${id}#${t.claim_epoch + 1}`), false, `${id} won beyond its epoch`);
    const last = t.claim_epoch === 0 ? null : `${id}#${t.claim_epoch}`;
    const expected = last === null || releases.has(last) ? null : wins.get(last)!;
    assertEquals(t.claimed_by, expected, `${id} final holder`);
    finalChecked++;
  }
  report("claims", {
    processes: PROCESSES,
    tickets: TICKETS,
    attempts: PROCESSES * attempts,
    claims_won: claimsWon,
    releases: releases.size,
    conflicts,
    double_claims: doubleClaims,
    final_holders_checked: finalChecked,
    seconds: seconds.toFixed(1),
    ops_per_s: ((claimsWon + conflicts + releases.size) / seconds).toFixed(0),
    seed: s0,
  });
});
