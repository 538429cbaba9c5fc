/**
 * Suite 6, the lock: deleted or replaced while held, or opened twice in one process, there is
 * never a second holder. A lock attempt with a zero wait budget shows whether the lock is free
 * right now without any timing: it either gets the lock at once or is refused (exit 5).
 * Also: 8 processes logging to one ticket while the lock file is deleted and replaced in a loop
 * lose no entry (two holders would lose some).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { mainEnv, tempStore, testCommand } from "../helpers.ts";
import { acquireLock } from "../../src/store/lock.ts";
import { TrackError } from "../../src/model/errors.ts";
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";
import { report, size, WorkerPool } from "./pool.ts";

const HOLDER = fileURLToPath(new URL("./lock_holder.ts", import.meta.url));

async function tryNow(path: string): Promise<"got" | "busy"> {
  try {
    const l = await acquireLock(path, { timeoutMs: 0, command: "probe" });
    l.release();
    return "got";
  } catch (e) {
    if (e instanceof TrackError && e.kind === "lockBusy") return "busy";
    throw e;
  }
}

async function holder(path: string) {
  const child = testCommand(Deno.execPath(), {
    args: ["run", "-A", "--quiet", HOLDER, path],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  assertEquals(value, "held\n");
  const writer = child.stdin.getWriter();
  return {
    async release() {
      await writer.write(new Uint8Array([1]));
      await writer.close();
      await reader.cancel();
      assert((await child.status).success);
    },
  };
}

Deno.test("suite lock: deleted while held by another process, no second holder", async () => {
  await using s = await tempStore();
  const path = `${s.dir}/lock`;
  const h = await holder(path);
  assertEquals(await tryNow(path), "busy");
  Deno.removeSync(path);
  assertEquals(await tryNow(path), "busy", "a fresh lock file must not make a second holder");
  await h.release();
  assertEquals(await tryNow(path), "got");
});

Deno.test("suite lock: replaced while held by another process, no second holder", async () => {
  await using s = await tempStore();
  const path = `${s.dir}/lock`;
  const h = await holder(path);
  Deno.writeTextFileSync(`${s.dir}/lock.new`, "");
  Deno.renameSync(`${s.dir}/lock.new`, path);
  assertEquals(await tryNow(path), "busy", "a replaced lock file must not make a second holder");
  await h.release();
  assertEquals(await tryNow(path), "got");
});

Deno.test("suite lock: opened twice in one process, the second waits for the first", async () => {
  await using s = await tempStore();
  const path = `${s.dir}/lock`;
  const first = await acquireLock(path, { timeoutMs: 0, command: "first" });
  assertEquals(await tryNow(path), "busy");
  // A waiter in the same process gets it once the first lets go.
  const second = acquireLock(path, { timeoutMs: 10_000, command: "second" });
  first.release();
  (await second).release();
  assertEquals(await tryNow(path), "got");
});

Deno.test("suite lock: lock file deleted and replaced in a loop during writes loses nothing", async () => {
  const procs = 8;
  const each = size("TRACK_SUITE_LOCK_WRITES", 30);
  await using s = await tempStore();
  const created = await main(["create", "--title", "shared"], {
    io: new MemoryIo(),
    cwd: s.root,
    env: mainEnv(),
  });
  assertEquals(created, 0);
  await using pool = await WorkerPool.start(procs);
  let vandalism = 0;
  let done = false;
  const vandal = (async () => {
    while (!done) {
      try {
        if (vandalism % 2 === 0) Deno.removeSync(`${s.dir}/lock`);
        else {
          Deno.writeTextFileSync(`${s.dir}/lock.x`, "");
          Deno.renameSync(`${s.dir}/lock.x`, `${s.dir}/lock`);
        }
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      vandalism++;
      await new Promise((r) => setTimeout(r, 0)); // Yield so the pool's answers are read.
    }
  })();
  const outs = await pool.round(Array.from({ length: procs }, (_, p) => ({
    cwd: s.root,
    runs: Array.from(
      { length: each },
      (_, k) => ["log", "1", "--agent", `w${p}`, "-m", `w${p} ${k}`],
    ),
  })));
  done = true;
  await vandal;
  for (const rs of outs) for (const r of rs!) assertEquals(r.code, 0, r.stderr);
  const io = new MemoryIo();
  assertEquals(await main(["show", "1", "--json"], { io, cwd: s.root, env: mainEnv() }), 0);
  const log = JSON.parse(io.stdout).ticket.log as Array<{ message: string }>;
  const lost = procs * each - new Set(log.map((e) => e.message)).size;
  report("lock", {
    writers: procs,
    writes: procs * each,
    lock_file_deleted_or_replaced: vandalism,
    lost_entries: lost,
  });
  assertEquals(lost, 0);
  assertEquals(log.length, procs * each);
});
