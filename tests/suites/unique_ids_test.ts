/**
 * Suite 3, unique ids: 20 real processes x 100 `create`, released together: 2,000 distinct ids,
 * 2,000 files, every title present once. Sizes: TRACK_SUITE_IDS_CREATES (per process).
 */
import { assertEquals } from "../assert.ts";
import { tempStore } from "../helpers.ts";
import { report, size, WorkerPool } from "./pool.ts";

Deno.test("suite unique-ids: concurrent creates never share an id", async () => {
  const procs = 20;
  const creates = size("TRACK_SUITE_IDS_CREATES", 100);
  await using s = await tempStore();
  await using pool = await WorkerPool.start(procs);
  const started = performance.now();
  const outs = await pool.round(Array.from({ length: procs }, (_, p) => ({
    cwd: s.root,
    runs: Array.from({ length: creates }, (_, k) => ["create", "--title", `p${p} k${k}`, "--json"]),
  })));
  const seconds = (performance.now() - started) / 1000;
  const ids = new Map<string, string>();
  let duplicates = 0;
  for (const rs of outs) {
    for (const r of rs!) {
      assertEquals(r.code, 0, r.stderr);
      const t = JSON.parse(r.stdout).ticket as { id: string; title: string };
      if (ids.has(t.id)) duplicates++;
      ids.set(t.id, t.title);
    }
  }
  const files = [...Deno.readDirSync(`${s.dir}/tickets`)].filter((e) => /^T-\d+\.md$/.test(e.name));
  const titles = new Set<string>();
  for (const f of files) {
    const m = /^title: (.*)$/m.exec(Deno.readTextFileSync(`${s.dir}/tickets/${f.name}`));
    titles.add(m![1]);
  }
  report("unique-ids", {
    processes: procs,
    creates: procs * creates,
    distinct_ids: ids.size,
    files: files.length,
    distinct_titles: titles.size,
    duplicates,
    seconds: seconds.toFixed(1),
    creates_per_s: ((procs * creates) / seconds).toFixed(0),
  });
  assertEquals(duplicates, 0);
  assertEquals(ids.size, procs * creates);
  assertEquals(files.length, procs * creates);
  assertEquals(titles.size, procs * creates);
});
