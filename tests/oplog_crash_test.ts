/**
 * The sync oplog is part of each mutation's transaction: a kill -9 at any moment never leaves
 * an oplog line without the files it describes, nor those files without their line.
 * 1. strace SIGKILLs a real process at each of its writing system calls in the store in turn
 *    (a claim: journal, ticket, agent record, board post, oplog append, directory fsyncs,
 *    journal removal); after the next writer's recovery the store holds the claim and its
 *    oplog line, or neither. (Skipped, saying so, where strace is missing.)
 * 2. A process claiming, logging and releasing in a loop is SIGKILLed at random moments; after
 *    each kill, per ticket: oplog `claim` lines = the claim epoch, `log` lines = Work Log
 *    entries, and the last line says whether it is held.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { testCommand } from "./helpers.ts";
import { DEFAULT_CONFIG, Store } from "../src/store/store.ts";
import { createTicket } from "../src/operations/create.ts";
import { readOplog } from "../src/store/oplog.ts";
import { logEntriesOf } from "../src/model/ticket.ts";
import { syncPaths } from "../src/store/sync_config.ts";
import { report } from "./suites/pool.ts";
import { updateTicket } from "../src/operations/update.ts";

const WORKER = fileURLToPath(new URL("./oplog_worker.ts", import.meta.url));

function haveStrace(): boolean {
  try {
    return testCommand("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** A sync-store layout `<root>/.git/track/store` with `tickets` backlog tickets. */
async function makeStore(root: string, tickets: number): Promise<string> {
  const dir = syncPaths(`${root}/.git`).store;
  for (const sub of ["tickets", "agents", "board"]) {
    Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
  }
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n");
  const store = new Store(dir, { oplog: true });
  for (let i = 0; i < tickets; i++) {
    await createTicket(store, {
      title: `t${i}`,
      priority: "medium",
      labels: [],
      dependsOn: [],
      description: "",
      by: "human",
    }, new Date());
  }
  return dir;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Rolls forward whatever the victim left (the next writer does this first), then reads. */
async function recover(dir: string): Promise<Store> {
  const store = new Store(dir, { oplog: true });
  await store.mutate("recover", () => {});
  return store;
}

const SYSCALLS = "openat,write,fdatasync,fsync,rename,link,linkat,unlink,ftruncate,mkdir";

async function traced(dir: string, strace: string[], log: string): Promise<number> {
  const out = await testCommand("strace", {
    args: ["-y", "-o", log, ...strace, Deno.execPath(), "run", "-A", "--quiet", WORKER, dir, "one"],
    stdout: "null",
    stderr: "piped",
  }).output();
  return out.code;
}

Deno.test({
  name: "oplog crash: SIGKILL at each write of a claim leaves the claim and its line, or neither",
  ignore: !haveStrace(),
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "track-oplog-crash-" });
    try {
      const template = await makeStore(`${root}/template`, 1);
      const dir = syncPaths(`${root}/run/.git`).store;
      const log = `${root}/strace.log`;
      const fresh = async () => {
        Deno.removeSync(`${root}/run`, { recursive: true });
        Deno.mkdirSync(`${root}/run/.git/track`, { recursive: true });
        const cp = await testCommand("cp", { args: ["-a", template, dir] }).output();
        assert(cp.success, "copy the template store");
        Deno.copyFileSync(
          syncPaths(`${root}/template/.git`).cloneId,
          syncPaths(`${root}/run/.git`).cloneId,
        );
      };
      Deno.mkdirSync(`${root}/run`);
      // Twice: the first run may fill Deno's module cache, which shifts the counts.
      for (let i = 0; i < 2; i++) {
        await fresh();
        assertEquals(await traced(dir, ["-e", `trace=${SYSCALLS}`], log), 0, "clean run");
      }
      // Every writing call in the store but the lock's holder note and the derived caches.
      const points: Array<[string, number]> = [];
      const counts = new Map<string, number>();
      for (const line of Deno.readTextFileSync(log).split("\n")) {
        const name = /^([a-z0-9]+)\(/.exec(line)?.[1];
        if (name === undefined) continue;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        if (!line.includes(dir) || line.includes(`${dir}/lock`) || line.includes(`${dir}/cache`)) {
          continue;
        }
        if (name === "openat" && !line.includes("O_CREAT") && !line.includes("O_WRONLY")) continue;
        points.push([name, counts.get(name)!]);
      }
      assert(points.some(([n]) => n === "ftruncate"), "the clean run appended to the oplog");
      let claimed = 0;
      let unclaimed = 0;
      let journalLeft = 0;
      for (const [name, n] of points) {
        await fresh();
        const code = await traced(dir, [
          "-e",
          `trace=${name}`,
          "-e",
          `inject=${name}:signal=KILL:when=${n}`,
        ], log);
        const killedAt = Deno.readTextFileSync(log).split("\n").findLast((l) => l.includes(" = ?"));
        const what = `${name}#${n} (${killedAt?.slice(0, 120)})`;
        assertEquals(code, 137, `${what}: the victim was killed`);
        assert(killedAt?.includes(dir), `${what}: killed in the store`);
        if (exists(`${dir}/journal`)) journalLeft++;
        const store = await recover(dir);
        const t = store.readTicket("T-0001");
        const ops = readOplog(dir, 0).map((e) => `${e.seq} ${e.op} ${e.ticket} ${e.agent}`);
        if (t.status === "claimed") {
          claimed++;
          assertEquals(t.claim_epoch, 1, what);
          assert(exists(`${dir}/agents/victim.json`), `${what}: agent record`);
          assertEquals(ops, ["1 create T-0001 null", "2 claim T-0001 victim"], what);
        } else {
          unclaimed++;
          assertEquals(t.status, "backlog", what);
          assertEquals(ops, ["1 create T-0001 null"], what);
        }
      }
      report("oplog-crash", {
        kill_points: points.length,
        after_commit: claimed,
        before_commit: unclaimed,
        journal_left: journalLeft,
      });
      assert(claimed > 0 && unclaimed > 0 && journalLeft > 0, "kills landed on both sides");
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test("oplog crash: a looping writer SIGKILLed at random moments; lines match the files", async () => {
  const root = Deno.makeTempDirSync({ prefix: "track-oplog-loop-" });
  const TICKETS = 3;
  const RUNS = 8;
  try {
    const dir = await makeStore(root, TICKETS);
    let ops = 0;
    for (let run = 0; run < RUNS; run++) {
      const child = testCommand(Deno.execPath(), {
        args: ["run", "-A", "--quiet", WORKER, dir, "loop", String(TICKETS)],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.getReader();
      await reader.read(); // "go"
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
      const store = await recover(dir);
      const lines = readOplog(dir, 0);
      for (const t of store.readAllTickets().tickets) {
        const mine = lines.filter((e) => e.ticket === t.id);
        assertEquals(mine.filter((e) => e.op === "claim").length, t.claim_epoch, `${t.id} claims`);
        assertEquals(
          mine.filter((e) => e.op === "log").length,
          logEntriesOf(t.body).length,
          `${t.id} logs`,
        );
        const last = mine[mine.length - 1].op;
        assertEquals(t.status === "claimed", last === "claim" || last === "log", `${t.id} held`);
      }
      ops = lines.length;
      // The next run starts the cycle again from claims: release whatever is held.
      for (const t of store.readAllTickets().tickets) {
        if (t.status !== "backlog") {
          await updateTicket(
            store,
            t.id,
            { status: "backlog", agent: "victim", force: false },
            new Date(),
          );
        }
      }
    }
    report("oplog-crash-loop", { random_kills: RUNS, oplog_lines: ops });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
