/**
 * Suite 1, claims: 16 real processes make claim attempts (and release half of what they win)
 * over 50 tickets, all released together. Every successful claim has a unique (ticket, epoch);
 * every epoch was won exactly once; every epoch below a ticket's last one was released by its
 * own winner before the next epoch was won (so no claim ever took a ticket from a live holder:
 * a theft gets a fresh epoch and would otherwise look like an ordinary hand-over); each
 * ticket's final holder is the process told it won last; and the run saw real contention
 * (claims refused because another process held the ticket, tickets that changed hands).
 * Sizes: TRACK_SUITE_CLAIMS_ATTEMPTS (per process; 300), TRACK_SUITE_SCALE.
 */
import { assert, assertEquals } from "../assert.ts";
import { mainEnv, tempStore } from "../helpers.ts";
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
      env: mainEnv(),
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
  const wonAt = new Map<string, number>(); // "T-0001#3" -> when the winning claim ended
  let doubleClaims = 0;
  let claimsWon = 0;
  let conflicts = 0;
  let heldByOther = 0; // claims refused because another process held the ticket
  const releases = new Map<string, number>(); // "T-0001#3" -> when its release started
  for (const [p, outs] of results.entries()) {
    for (const [k, r] of outs!.entries()) {
      const args = plans[p][k];
      if (r.code !== 0) {
        assertEquals(r.code, 3, `unexpected exit for ${args.join(" ")}: ${r.stderr}`);
        conflicts++;
        const holder = (JSON.parse(r.stderr) as { error: { detail?: { holder?: unknown } } })
          .error.detail?.holder;
        if (args[0] === "claim" && typeof holder === "string" && holder !== `w${p}`) heldByOther++;
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
        wonAt.set(key, r.endMs);
      } else if (out.changed && out.from === "claimed") {
        assertEquals(wins.get(key), `w${p}`, `${key} released by a non-holder`);
        releases.set(key, r.startMs);
      }
    }
  }
  assertEquals(doubleClaims, 0, "double claims");
  let handOvers = 0;
  let finalChecked = 0;
  for (let n = 1; n <= TICKETS; n++) {
    const id = `T-${String(n).padStart(4, "0")}`;
    const io = new MemoryIo();
    assertEquals(await main(["show", id, "--json"], { io, cwd: s.root, env: mainEnv() }), 0);
    const t = (JSON.parse(io.stdout) as TicketOut).ticket;
    // Every epoch up to the final one was won by exactly one told winner.
    for (let e = 1; e <= t.claim_epoch; e++) {
      assertEquals(wins.has(`${id}#${e}`), true, `${id} epoch ${e} has no told winner`);
    }
    assertEquals(wins.has(`${id}#${t.claim_epoch + 1}`), false, `${id} won beyond its epoch`);
    // Each epoch below the last ended with its own winner's release, started before the next
    // epoch's claim ended (1 ms for the two processes' clocks). A claim that took a ticket from
    // a live holder leaves an epoch that was never released.
    for (let e = 1; e < t.claim_epoch; e++) {
      const released = releases.get(`${id}#${e}`);
      assert(
        released !== undefined,
        `${id} epoch ${e} (won by ${wins.get(`${id}#${e}`)}) was never released by its winner, ` +
          `yet epoch ${e + 1} was won by ${
            wins.get(`${id}#${e + 1}`)
          }: a claim took it from a live holder`,
      );
      const nextWon = wonAt.get(`${id}#${e + 1}`)!;
      assert(released < nextWon + 1, `${id} epoch ${e} released after epoch ${e + 1} was won`);
      if (wins.get(`${id}#${e}`) !== wins.get(`${id}#${e + 1}`)) handOvers++;
    }
    const last = t.claim_epoch === 0 ? null : `${id}#${t.claim_epoch}`;
    const expected = last === null || releases.has(last) ? null : wins.get(last)!;
    assertEquals(t.claimed_by, expected, `${id} final holder`);
    finalChecked++;
  }
  // The suite must have seen what it guards against: processes refused because another held the
  // ticket, and tickets that changed hands between processes.
  assert(heldByOther > 0, "no claim was ever refused for another holder: no contention");
  assert(handOvers > 0, "no ticket ever passed from one process to another");
  report("claims", {
    processes: PROCESSES,
    tickets: TICKETS,
    attempts: PROCESSES * attempts,
    claims_won: claimsWon,
    releases: releases.size,
    conflicts,
    held_by_other: heldByOther,
    hand_overs: handOvers,
    double_claims: doubleClaims,
    final_holders_checked: finalChecked,
    seconds: seconds.toFixed(1),
    ops_per_s: ((claimsWon + conflicts + releases.size) / seconds).toFixed(0),
    seed: s0,
  });
});

Deno.test("suite claims: a holder whose claim was taken never writes to that ticket again", async () => {
  // 8 processes take 8 tickets from each other with `claim --force` and log to what they were
  // told they won. A log accepted from an agent must have started before the next holder's claim
  // ended: once a claim is taken, the old holder's writes to that ticket are fenced (exit 3).
  const rounds = size("TRACK_SUITE_FENCING_ROUNDS", 40);
  const s0 = seed();
  const rand = rng(s0);
  const processes = 8;
  const tickets = 8;
  await using s = await tempStore();
  for (let i = 0; i < tickets; i++) {
    assertEquals(
      await main(["create", "--title", `F${i}`], {
        io: new MemoryIo(),
        cwd: s.root,
        env: mainEnv(),
      }),
      0,
    );
  }
  const plans = Array.from({ length: processes }, (_, p) => {
    const runs: string[][] = [];
    for (let k = 0; k < rounds; k++) {
      const id = `T-${String(rand(tickets) + 1).padStart(4, "0")}`;
      runs.push(["claim", id, "--force", "--agent", `f${p}`, "--json"]);
      for (let j = 0; j < 3; j++) {
        runs.push(["log", id, "--agent", `f${p}`, "-m", `f${p} round ${k} line ${j}`, "--json"]);
      }
    }
    return runs;
  });
  await using pool = await WorkerPool.start(processes);
  const started = performance.now();
  const results = await pool.round(plans.map((runs) => ({ cwd: s.root, runs })));
  const seconds = (performance.now() - started) / 1000;

  const claimEnded = new Map<string, number>(); // "T-0001#3" -> when that claim ended
  const holderOf = new Map<string, string>(); // "T-0001#3" -> winner
  const accepted: Array<{ key: string; agent: string; message: string; startMs: number }> = [];
  let fenced = 0;
  for (const [p, outs] of results.entries()) {
    let told: string | null = null; // this process's last won (ticket, epoch)
    for (const [k, r] of outs!.entries()) {
      const args = plans[p][k];
      if (args[0] === "claim") {
        assertEquals(r.code, 0, `forced claim failed: ${r.stderr}`);
        const out = JSON.parse(r.stdout) as TicketOut;
        told = `${out.ticket.id}#${out.ticket.claim_epoch}`;
        if (!out.already) {
          assertEquals(holderOf.has(told), false, `${told} won twice`);
          holderOf.set(told, `f${p}`);
          claimEnded.set(told, r.endMs);
        }
        continue;
      }
      if (r.code === 0) {
        accepted.push({ key: told!, agent: `f${p}`, message: args[5], startMs: r.startMs });
      } else {
        assertEquals(r.code, 3, `log exited ${r.code}: ${r.stderr}`);
        fenced++;
      }
    }
  }
  for (const a of accepted) {
    const [id, epoch] = a.key.split("#");
    const next = claimEnded.get(`${id}#${Number(epoch) + 1}`);
    assert(
      next === undefined || a.startMs < next + 1,
      `"${a.message}" by ${a.agent} was accepted on ${id} after ${
        holderOf.get(`${id}#${Number(epoch) + 1}`)
      } had taken it (epoch ${Number(epoch) + 1}): a fenced holder wrote`,
    );
  }
  // Every accepted line is in its ticket's log; no refused one is.
  let linesChecked = 0;
  for (let n = 1; n <= tickets; n++) {
    const id = `T-${String(n).padStart(4, "0")}`;
    const io = new MemoryIo();
    assertEquals(await main(["show", id, "--json"], { io, cwd: s.root, env: mainEnv() }), 0);
    const log = (JSON.parse(io.stdout) as { ticket: { log: Array<{ message: string }> } }).ticket
      .log.map((e) => e.message);
    const expected = accepted.filter((a) => a.key.startsWith(id + "#")).map((a) => a.message);
    assertEquals(log.filter((m) => m.startsWith("f")).sort(), expected.sort(), `${id} log`);
    linesChecked += log.length;
  }
  assert(fenced > 0, "no write was ever fenced: the suite saw no taken claim");
  report("claims-fencing", {
    processes,
    tickets,
    forced_claims: holderOf.size,
    logs_accepted: accepted.length,
    logs_fenced: fenced,
    log_lines_checked: linesChecked,
    seconds: seconds.toFixed(1),
    seed: s0,
  });
});
