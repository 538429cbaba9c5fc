/**
 * Suite 4, crash: a write-heavy real process is SIGKILLed at a random moment, again and again.
 * After every kill: every file parses, every ticket is exactly the state before or after one
 * of the operations (never a mix or a torn file), and the lock is free (flock dies with its
 * holder). At the end `track doctor --fix` removes every leftover temp file. A share of the
 * kills hit the real CLI (`track log`) anywhere from startup to exit.
 * Sizes: TRACK_SUITE_CRASH_RUNS (CI 200), TRACK_SUITE_CRASH_MAX_DELAY_MS (kill window, 80).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { MAIN, tempStore } from "../helpers.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { Store } from "../../src/store/store.ts";
import { probeLock } from "../../src/operations/doctor.ts";
import { readAllAgents } from "../../src/store/agent_records.ts";
import { readBoard } from "../../src/operations/board.ts";
import { logEntriesOf } from "../../src/model/ticket.ts";
import { crashOp } from "./crash_worker.ts";
import { report, rng, seed, size } from "./pool.ts";

const WORKER = fileURLToPath(new URL("./crash_worker.ts", import.meta.url));
const TICKETS = 5;

interface State {
  title: string;
  log: string[];
}

function states(store: Store): Map<string, State> {
  const { tickets, problems } = store.readAllTickets();
  assertEquals(problems.map((p) => p.error.message), [], "every ticket parses");
  return new Map(tickets.map((t) => [t.id, {
    title: t.title,
    log: logEntriesOf(t.body).map((e) => e.message),
  }]));
}

/** Whether `after` is `before` with the first i operations of run `run` on `id` applied. */
function reachable(before: State, after: State, run: number, id: string): boolean {
  let title = before.title;
  const log = [...before.log];
  const same = () => title === after.title && log.join("\n") === after.log.join("\n");
  if (same()) return true;
  for (let i = 0; i < 100_000 && log.length <= after.log.length; i++) {
    const op = crashOp(run, i, TICKETS);
    if (op.ticket !== id) continue;
    if (op.args[0] === "log") log.push(op.args[op.args.length - 1]);
    else if (op.args[0] === "update") title = op.args[op.args.length - 1];
    else continue;
    if (same()) return true;
  }
  return false;
}

async function killAfter(child: Deno.ChildProcess, ms: number): Promise<void> {
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  try {
    child.kill("SIGKILL");
  } catch {
    // Already exited on its own (a real CLI run can finish inside the window).
  }
  await child.status;
}

Deno.test("suite crash: SIGKILL at random moments never tears a file or keeps the lock", async () => {
  const runs = size("TRACK_SUITE_CRASH_RUNS", 200);
  const maxDelay = size("TRACK_SUITE_CRASH_MAX_DELAY_MS", 80);
  const s0 = seed();
  const rand = rng(s0);
  await using s = await tempStore();
  for (let i = 0; i < TICKETS; i++) {
    assertEquals(
      await main(["create", "--title", `t${i}`], { io: new MemoryIo(), cwd: s.root }),
      0,
    );
  }
  const store = new Store(s.dir);
  let cliRuns = 0;
  let lockHeldAfterKill = 0;
  const started = performance.now();
  for (let run = 1; run <= runs; run++) {
    const before = states(store);
    const viaCli = run % 5 === 0;
    let child: Deno.ChildProcess;
    if (viaCli) {
      cliRuns++;
      // The real CLI, killed anywhere between its start and its exit.
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, ...crashOp(run, 0, TICKETS).args],
        cwd: s.root,
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await killAfter(child, rand(maxDelay * 3));
    } else {
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", WORKER, s.root, String(run), String(TICKETS)],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = child.stdout.getReader();
      const { value } = await reader.read(); // "go": loaded, about to write.
      assert(value !== undefined, "worker started");
      await killAfter(child, rand(maxDelay));
      reader.releaseLock();
      await child.stdout.cancel();
    }
    if (probeLock(store).held) lockHeldAfterKill++;
    const after = states(store);
    for (const [id, b] of before) {
      const a = after.get(id);
      assert(a !== undefined, `${id} still exists`);
      assert(
        reachable(b, a, run, id),
        `run ${run}: ${id} is neither before nor after an operation: ${JSON.stringify(a)}`,
      );
    }
    assertEquals(readAllAgents(store).problems.map((p) => p.error.message), []);
    assertEquals(readBoard(store, { last: 1_000_000 }).warnings, []);
  }
  const seconds = (performance.now() - started) / 1000;
  assertEquals(lockHeldAfterKill, 0, "lock held by a dead process");

  const io = new MemoryIo();
  const code = await main(["doctor", "--fix", "--json"], { io, cwd: s.root });
  const doctor = JSON.parse(io.stdout) as { findings: Array<{ kind: string; fixed: boolean }> };
  const removed = doctor.findings.filter((f) => f.kind === "temp-file" && f.fixed).length;
  const io2 = new MemoryIo();
  const code2 = await main(["doctor", "--json"], { io: io2, cwd: s.root });
  report("crash", {
    kills: runs,
    via_cli: cliRuns,
    kill_window_ms: maxDelay,
    lock_held_after_kill: lockHeldAfterKill,
    torn_or_mixed_tickets: 0,
    temp_files_removed_by_doctor: removed,
    doctor_fix_exit: code,
    seconds: seconds.toFixed(1),
    runs_per_s: (runs / seconds).toFixed(1),
    seed: s0,
  });
  assertEquals(code, 0, io.stdout + io.stderr);
  assertEquals(code2, 0, "healthy after doctor --fix: " + io2.stdout);
});
