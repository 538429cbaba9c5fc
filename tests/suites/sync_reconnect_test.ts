/**
 * Suite sync-reconnect: a clone comes back to a remote that changed thousands of its tickets
 * (half of them changed, half added, the two its agents work on changed too), and applies all
 * of it while those agents keep writing.
 * Local writers (real processes, released together, looping `track log` on the two hot tickets
 * and `track create` until the sync has exited; the default lock budget) must never exit 5 or
 * fail otherwise; some of their writes must land while the apply is part done (each writer
 * probes a sample of the incoming tickets after every write: a sync holding the store lock for
 * the whole apply instead of batches of at most 200 paths never lets that happen); every
 * incoming ticket is applied; every local write made during the apply is kept (a log line on a
 * hot ticket merged with the remote's change of it, a ticket created locally under a number
 * the remote also filled: renumbered, not overwritten) and published by the next sync.
 * Sizes: TRACK_SUITE_SYNC_RECONNECT (CI 1000 incoming tickets; the design's 5,000 is
 * TRACK_SUITE_SCALE=5). The remote: TRACK_SUITE_SYNC_REMOTE (path in CI; daemon or proxy).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { type Clone, Lines, suiteRemote, SyncWorld } from "../sync_world.ts";
import { report, size } from "./pool.ts";
import { assertSameState, converge, syncOk, ticketsOf } from "./sync_lib.ts";

const WRITER = fileURLToPath(new URL("./sync_writer.ts", import.meta.url));

const id = (n: number) => `T-${String(n).padStart(4, "0")}`;

interface WriterResult {
  runs: number;
  codes: Record<string, number>;
  failures: string[];
  midApply: number;
}

/** Local writers in `clone`, one process per plan list, released together; returns `stop()`. */
async function startWriters(
  clone: Clone,
  plans: string[][][],
  probe: { files: string[]; needle: string },
) {
  const children = plans.map((p) =>
    clone.world.spawn(
      [Deno.execPath(), "run", "-A", "--quiet", WRITER, JSON.stringify({ plans: p, probe })],
      { cwd: clone.dir, stdin: "" },
    )
  );
  const outs = children.map((c) => new Lines(c.stdout));
  await Promise.all(outs.map((o, i) => o.until(/^ready$/, `writer ${i}`)));
  const writers = children.map((c) => c.stdin.getWriter());
  await Promise.all(writers.map((w) => w.write(new Uint8Array([1]))));
  return async (): Promise<WriterResult[]> => {
    await Promise.all(writers.map((w) => w.write(new Uint8Array([1]))));
    return await Promise.all(children.map(async (c, i) => {
      const line = await outs[i].next();
      await outs[i].drain();
      await writers[i].close().catch(() => {});
      const status = await c.status;
      if (line === null) throw new Error(`writer ${i} exited ${status.code} without a result`);
      return JSON.parse(line) as WriterResult;
    }));
  };
}

Deno.test("suite sync-reconnect: applying thousands of changed tickets never makes a local write exit 5", async () => {
  const n = size("TRACK_SUITE_SYNC_RECONNECT", 1000, 50);
  const started = performance.now();
  await using world = await SyncWorld.create({ remote: suiteRemote() });
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "hot 1"]);
  await a.ok(["create", "-t", "hot 2"]);
  await syncOk(a);
  await syncOk(b);

  // The remote's side (b, writing ticket files by hand: fast): half of the n tickets exist on
  // both clones first; then b changes them and the hot tickets, and adds the other half.
  const half = n >> 1;
  const dir = `${b.storeDir}/tickets`;
  const template = Deno.readTextFileSync(`${dir}/${id(1)}.md`);
  const bulk = (i: number, priority: string) =>
    Deno.writeTextFileSync(
      `${dir}/${id(i)}.md`,
      template.replace(`id: ${id(1)}`, `id: ${id(i)}`).replace("title: hot 1", `title: bulk ${i}`)
        .replace("priority: medium", `priority: ${priority}`),
    );
  for (let i = 3; i < half + 3; i++) bulk(i, "medium");
  await syncOk(b);
  await syncOk(a);
  for (const k of [1, 2]) {
    const p = `${dir}/${id(k)}.md`;
    Deno.writeTextFileSync(
      p,
      Deno.readTextFileSync(p).replace("priority: medium", "priority: low"),
    );
  }
  for (let i = 3; i < n + 3; i++) bulk(i, "low");
  const t0 = performance.now();
  await syncOk(b);
  const publishMs = performance.now() - t0;

  // a reconnects while its agents write. The probe samples the changed tickets (the writers'
  // own new tickets take numbers the added ones also fill).
  const sample = Array.from({ length: 20 }, (_, k) => id(3 + Math.floor((k * half) / 20)));
  const probe = {
    files: sample.map((t) => `${a.storeDir}/tickets/${t}.md`),
    needle: "priority: low",
  };
  const stop = await startWriters(a, [
    [["log", id(1), "--agent", "w1", "-m", "w1 line {n}"]],
    [["log", id(2), "--agent", "w2", "-m", "w2 line {n}"], ["create", "-t", "local {n}"]],
  ], probe);
  const t1 = performance.now();
  const sync = await a.sync();
  const applyMs = performance.now() - t1;
  const results = await stop();
  assertEquals(sync.code, 0, `a's sync: ${sync.stderr}`);
  assertEquals(results.flatMap((r) => r.failures), [], "local writes failed during the apply");
  const writes = results.reduce((s, r) => s + r.runs, 0);
  const midApply = results.reduce((s, r) => s + r.midApply, 0);
  assert(midApply > 0, `no local write landed while the apply was part done (${writes} writes)`);

  // Every local write kept; then published and agreed on.
  await converge(world, [a, b]);
  assertSameState([a, b]);
  const tickets = ticketsOf(b);
  const applied = tickets.filter((t) => t.title.startsWith("bulk "));
  assertEquals(applied.length, n, "every incoming ticket");
  assertEquals(applied.filter((t) => t.priority !== "low").map((t) => t.id), [], "changes applied");
  const hot = (k: number) => tickets.find((t) => t.id === id(k))!;
  assertEquals([hot(1).priority, hot(2).priority], ["low", "low"]);
  for (let k = 0; k < results[0].runs; k++) {
    assert(hot(1).body.includes(`w1 line ${k}\n`), `w1 line ${k} lost`);
  }
  for (let k = 0; k < results[1].runs; k += 2) {
    assert(hot(2).body.includes(`w2 line ${k}\n`), `w2 line ${k} lost`);
  }
  const created = tickets.filter((t) => t.title.startsWith("local ")).map((t) => t.title);
  assertEquals(created.length, Math.floor(results[1].runs / 2), "every local ticket, once");
  assertEquals(new Set(created).size, created.length, "no local ticket twice");

  report("sync-reconnect", {
    incoming_tickets: n,
    changed: half,
    added: n - half,
    local_writes: writes,
    mid_apply_writes: midApply,
    exit5: 0,
    lost: 0,
    publish_ms: Math.round(publishMs),
    apply_ms: Math.round(applyMs),
    remote: world.remote,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
  });
});
