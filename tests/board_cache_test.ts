/** The board tail cache never changes what `board` shows. */
import { assertEquals } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { Store } from "../src/store/store.ts";
import { postEntry } from "../src/operations/board.ts";
import { TAIL_CAP } from "../src/store/board_tail_cache.ts";

Deno.test("board tail cache: partial tails fall back to the directory; foreign files are seen", async () => {
  await using s = await tempStore();
  const store = new Store(s.dir);
  const n = TAIL_CAP + 50;
  await store.mutate("test", (tx) => {
    for (let i = 0; i < n; i++) {
      postEntry(tx, {
        at: new Date(),
        agent: "a",
        ticket: null,
        tag: i === 3 ? "rare" : "note",
        kind: "post",
        message: `m${i}`,
      });
    }
  });
  type Entries = { entries: Array<{ message: string; id: string }> };
  const last = await s.json<Entries>(["board", "--last", "3"]);
  assertEquals(last.entries.map((e) => e.message), [`m${n - 3}`, `m${n - 2}`, `m${n - 1}`]);
  // The only "rare" entry is older than anything the tail keeps.
  const rare = await s.json<Entries>(["board", "--tag", "rare"]);
  assertEquals(rare.entries.map((e) => e.message), ["m3"]);
  const all = await s.json<Entries>(["board", "--last", String(n + 10)]);
  assertEquals(all.entries.length, n);
  // A file arriving from elsewhere (a git pull) changes the directory and is seen at once.
  const day = last.entries[2].id.slice(0, 10);
  Deno.writeTextFileSync(
    `${s.dir}/board/${day}/235959999-9999-zzz.md`,
    "---\nat: 2026-01-01T00:00:00Z\nagent: far\nticket: null\ntag: note\nkind: post\n---\nfrom a merge\n",
  );
  const after = await s.json<Entries>(["board", "--last", "1"]);
  assertEquals(after.entries.map((e) => e.message), ["from a merge"]);
  // A broken cache is ignored.
  Deno.writeTextFileSync(`${s.dir}/cache/board-tail.json`, "[");
  assertEquals(
    (await s.json<Entries>(["board", "--last", "1"])).entries[0].message,
    "from a merge",
  );
});
