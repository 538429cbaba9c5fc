/**
 * Suite 4, crash: a write-heavy real process is SIGKILLed at a random moment, again and again.
 * Every operation writes several files (a claim: ticket, agent record, board event; a release:
 * ticket and board event; a log: ticket and agent record). After every kill, once the next
 * writer has rolled forward any journal the victim left: every file parses, every ticket is
 * exactly its state before or after one of the operations (never a mix or a torn file), each
 * command is all or nothing across its files (a ticket's claim epoch equals the number of
 * `claimed` events on the board, and it is claimed exactly when its claims outnumber its
 * releases), and the lock is free (flock dies with its holder). At the end `track doctor --fix`
 * removes every leftover temp file and the store is healthy.
 * A share of the kills hit the real CLI anywhere from its start to its exit: kill points are
 * drawn from the measured duration of that command, and the suite requires that kills landed
 * mid-write (a journal or temp file found, or the store already changed), not only before or
 * after the process. Sizes: TRACK_SUITE_CRASH_RUNS (CI 200), TRACK_SUITE_CRASH_MAX_DELAY_MS
 * (kill window of the looping worker, 80).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { MAIN, mainEnv, snapshot, tempStore, testCommand } from "../helpers.ts";
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
  status: string;
  epoch: number;
  log: string[];
}

function states(store: Store): Map<string, State> {
  const { tickets, problems } = store.readAllTickets();
  assertEquals(problems.map((p) => p.error.message), [], "every ticket parses");
  return new Map(tickets.map((t) => [t.id, {
    status: t.status,
    epoch: t.claim_epoch,
    log: logEntriesOf(t.body).map((e) => e.message),
  }]));
}

/** Whether `after` is `before` with the first i operations of run `run` on `id` applied. */
function reachable(before: State, after: State, run: number, id: string): boolean {
  let status = before.status;
  let epoch = before.epoch;
  const log = [...before.log];
  const same = () =>
    status === after.status && epoch === after.epoch && log.join("\n") === after.log.join("\n");
  if (same()) return true;
  for (let i = 0; i < 100_000 && log.length <= after.log.length; i++) {
    const op = crashOp(run, i, TICKETS);
    if (op.ticket !== id) continue;
    if (op.args[0] === "log") log.push(op.args[op.args.length - 1]);
    else if (op.args[0] === "claim" && status === "backlog") {
      status = "claimed";
      epoch++;
    } else if (op.args[0] === "update") status = "backlog";
    else continue;
    if (same()) return true;
  }
  return false;
}

/**
 * The cross-file half of all-or-nothing: each claim wrote the ticket (epoch + 1) and a
 * `claimed` event; each release wrote the ticket (back to backlog) and a status event.
 */
function crossFile(store: Store, now: Map<string, State>): string[] {
  const wrong: string[] = [];
  const { entries, warnings } = readBoard(store, { last: 1_000_000 });
  assertEquals(warnings, [], "every board entry parses");
  for (const [id, t] of now) {
    const claims = entries.filter((e) => e.ticket === id && e.tag === "claimed").length;
    const releases = entries.filter((e) =>
      e.ticket === id && e.tag === "status" && e.message.endsWith("-> backlog")
    ).length;
    const held = t.status === "claimed" ? 1 : 0;
    if (claims !== t.epoch || claims - releases !== held) {
      wrong.push(
        `${id}: epoch ${t.epoch}, ${t.status}, ${claims} claimed and ${releases} released on the board`,
      );
    }
  }
  return wrong;
}

/** What a kill left before anyone recovered: a journal, temp files (earlier kills' too). */
function debris(dir: string): { journal: boolean; temps: number } {
  const files = [...snapshot(dir).keys()];
  return {
    journal: files.includes("journal"),
    temps: files.filter((f) => f.endsWith(".tmp")).length,
  };
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

/** `state` after `op` ran on its ticket. */
function applyOp(state: State, op: { args: string[] }): State {
  const next = { ...state, log: [...state.log] };
  if (op.args[0] === "log") next.log.push(op.args[op.args.length - 1]);
  else if (op.args[0] === "claim" && next.status === "backlog") {
    next.status = "claimed";
    next.epoch++;
  } else if (op.args[0] === "update") next.status = "backlog";
  return next;
}

function same(a: State, b: State): boolean {
  return a.status === b.status && a.epoch === b.epoch && a.log.join("\n") === b.log.join("\n");
}

function sameStates(a: Map<string, State>, b: Map<string, State>): boolean {
  return a.size === b.size && [...a].every(([id, x]) => b.has(id) && same(x, b.get(id)!));
}

async function cli(root: string, args: string[]): Promise<Deno.ChildProcess> {
  return await Promise.resolve(
    testCommand(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: root,
      env: { NO_COLOR: "1", TRACK_AGENT: "" },
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
}

Deno.test("suite crash: SIGKILL at random moments leaves every command all or nothing", async () => {
  const runs = size("TRACK_SUITE_CRASH_RUNS", 200);
  const maxDelay = size("TRACK_SUITE_CRASH_MAX_DELAY_MS", 80);
  assert(runs >= 5 && maxDelay > 0, "TRACK_SUITE_CRASH_RUNS must be at least 5, the delay above 0");
  const s0 = seed();
  const rand = rng(s0);
  await using s = await tempStore();
  for (let i = 0; i < TICKETS; i++) {
    assertEquals(
      await main(["create", "--title", `t${i}`], {
        io: new MemoryIo(),
        cwd: s.root,
        env: mainEnv(),
      }),
      0,
    );
  }
  const store = new Store(s.dir);
  // How long the real CLI runs here, start to exit: kill points are drawn from it.
  const durations: number[] = [];
  for (let k = 0; k < 2 * 3 * TICKETS && durations.length < 9; k += TICKETS + 1) {
    const t0 = performance.now();
    const status = await (await cli(s.root, crashOp(0, k, TICKETS).args)).status;
    assert(status.success, `timing run ${k} succeeded`);
    durations.push(performance.now() - t0);
  }
  const cliMs = Math.round(durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)]);
  let cliRuns = 0;
  let cliKilledLive = 0;
  let cliMidWrite = 0;
  let midWrite = 0;
  let journalsLeft = 0;
  let tempsLeft = 0;
  let partialBeforeRecovery = 0;
  let changed = 0;
  let lockHeldAfterKill = 0;
  const started = performance.now();
  for (let run = 1; run <= runs; run++) {
    const before = states(store);
    const tempsBefore = debris(s.dir).temps;
    const viaCli = run % 5 === 0;
    let child: Deno.ChildProcess;
    let cliOp: { ticket: string; args: string[] } | null = null;
    if (viaCli) {
      cliRuns++;
      // The real CLI, killed anywhere between its start and its exit.
      cliOp = crashOp(run, run % (3 * TICKETS), TICKETS);
      child = await cli(s.root, cliOp.args);
      await killAfter(child, rand(cliMs + 1));
      if ((await child.status).signal === "SIGKILL") cliKilledLive++;
    } else {
      child = testCommand(Deno.execPath(), {
        args: ["run", "-A", "--quiet", WORKER, s.root, String(run), String(TICKETS)],
        env: { NO_COLOR: "1", TRACK_AGENT: "" },
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
    // What the kill left, before anyone recovers.
    const left = debris(s.dir);
    const raw = states(store);
    const torn = crossFile(store, raw).length > 0;
    const newTemps = left.temps > tempsBefore;
    const mid = left.journal || newTemps || torn;
    if (left.journal) journalsLeft++;
    if (newTemps) tempsLeft++;
    if (torn) partialBeforeRecovery++;
    if (mid) midWrite++;
    if (mid && viaCli) cliMidWrite++;
    // The next writer rolls forward whatever the victim committed.
    await store.mutate("crash suite: next writer", () => {});
    assert(!debris(s.dir).journal, `run ${run}: the next writer completed the journal`);
    const after = states(store);
    if (!sameStates(before, after)) changed++;
    for (const [id, b] of before) {
      const a = after.get(id);
      assert(a !== undefined, `${id} still exists`);
      const ok = cliOp !== null
        ? same(a, b) || (cliOp.ticket === id && same(a, applyOp(b, cliOp)))
        : reachable(b, a, run, id);
      assert(
        ok,
        `run ${run}: ${id} is neither before nor after an operation: ${JSON.stringify(a)}`,
      );
    }
    assertEquals(crossFile(store, after), [], `run ${run}: a command kept only some of its files`);
    assertEquals(readAllAgents(store).problems.map((p) => p.error.message), []);
  }
  const seconds = (performance.now() - started) / 1000;

  const io = new MemoryIo();
  const code = await main(["doctor", "--fix", "--json"], { io, cwd: s.root, env: mainEnv() });
  const doctor = JSON.parse(io.stdout) as { findings: Array<{ kind: string; fixed: boolean }> };
  const removed = doctor.findings.filter((f) => f.kind === "temp-file" && f.fixed).length;
  const io2 = new MemoryIo();
  const code2 = await main(["doctor", "--json"], { io: io2, cwd: s.root, env: mainEnv() });
  report("crash", {
    kills: runs,
    via_cli: cliRuns,
    cli_ms_measured: cliMs,
    cli_killed_before_exit: cliKilledLive,
    cli_killed_mid_write: cliMidWrite,
    worker_kill_window_ms: maxDelay,
    killed_mid_write: midWrite,
    journal_left: journalsLeft,
    temp_files_left: tempsLeft,
    partial_before_roll_forward: partialBeforeRecovery,
    store_changed: changed,
    lock_held_after_kill: lockHeldAfterKill,
    temp_files_removed_by_doctor: removed,
    doctor_fix_exit: code,
    seconds: seconds.toFixed(1),
    seed: s0,
  });
  assertEquals(lockHeldAfterKill, 0, "lock held by a dead process");
  assert(cliKilledLive > 0, "no kill of the real CLI landed before it exited");
  assert(midWrite > 0, "no kill landed while a command was writing");
  assert(changed > 0, "no operation completed: the store never changed");
  assertEquals(code, 0, io.stdout + io.stderr);
  assertEquals(code2, 0, "healthy after doctor --fix: " + io2.stdout);
});
