/**
 * Ticket numbers from id blocks (docs/sync.md "Ticket numbers"): real clones of one bare
 * repository (tests/sync_world.ts), the real CLI. Two clones creating offline from their blocks
 * never make the same number; blocks double up to `id_block`; an offline create with no block
 * left is exit 8; a hand-made ticket outside the clone's blocks is not published (exit 6);
 * `dropIdBlocks` makes the next create grab anew; `remote add --adopt` renumbers a store into a
 * block reserved on the remote, dependencies rewritten; a grab whose push outcome was unknown is
 * confirmed by ancestry; a ticket renumbered by an apply stays in the clone's block.
 */
import { assert, assertEquals } from "./assert.ts";
import { Clone, SyncWorld } from "./sync_world.ts";
import { syncPaths } from "../src/store/sync_config.ts";
import { dropIdBlocks, readIdBlocks } from "../src/store/id_blocks.ts";
import type { IdBlocks } from "../src/model/id_blocks.ts";
import { storeFor } from "../src/store/store.ts";
import { discoverStore } from "../src/store/discovery.ts";
import { syncSetupOf, syncStore } from "../src/operations/sync.ts";
import { mainEnv, testCommand } from "./helpers.ts";

const ID = /^T-\d{4,}$/;

/** Creates a ticket; returns its id (the create must exit 0). */
async function create(c: Clone, title: string, extra: string[] = []): Promise<string> {
  const r = await c.json<{ ticket: { id: string } }>(["create", "-t", title, ...extra]);
  assert(ID.test(r.ticket.id), r.ticket.id);
  return r.ticket.id;
}

function blocksOf(c: Clone): IdBlocks {
  return readIdBlocks(syncPaths(c.gitDir));
}

/** Ticket id → title of every ticket file in a clone's store. */
function titles(c: Clone): Map<string, string> {
  const out = new Map<string, string>();
  for (const folder of ["tickets", "archive"]) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(`${c.storeDir}/${folder}`)];
    } catch {
      continue;
    }
    for (const e of entries) {
      const text = Deno.readTextFileSync(`${c.storeDir}/${folder}/${e.name}`);
      out.set(e.name.replace(/\.md$/, ""), /^title: (.*)$/m.exec(text)![1]);
    }
  }
  return out;
}

async function remoteSequence(w: SyncWorld): Promise<string> {
  const r = await w.bareGit(["cat-file", "blob", "refs/track/state:sequence"]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("two clones create offline from their blocks, then sync: no number twice, none renumbered", async () => {
  await using w = await SyncWorld.create();
  const [a, b] = await w.syncedClones(["a", "b"]);
  // Each first create reserves a block of 5 through a sync; the other four come offline.
  const made = new Map<string, string>();
  for (const [c, tag] of [[a, "a"], [b, "b"]] as const) {
    for (let i = 0; i < 5; i++) {
      const title = `${tag} ${i}`;
      made.set(title, await create(c, title, i === 0 ? [] : ["--offline"]));
    }
  }
  const ids = [...made.values()];
  assertEquals(new Set(ids).size, 10, JSON.stringify([...made]));
  for (const c of [a, b, a]) assertEquals((await c.sync()).code, 0);
  for (const c of [a, b]) {
    const have = titles(c);
    assertEquals(have.size, 10);
    // Every ticket kept the number its create printed: nothing was renumbered.
    for (const [title, id] of made) assertEquals(have.get(id), title, `${c.name}: ${id}`);
  }
  assertEquals(titles(a), titles(b));
});

Deno.test("blocks start at 5 and double with use up to id_block; a sync refills when fewer than half remain", async () => {
  await using w = await SyncWorld.create();
  const [a] = await w.syncedClones(["a"]);
  const cfg = syncPaths(a.gitDir).config;
  Deno.writeTextFileSync(
    cfg,
    JSON.stringify({ ...JSON.parse(Deno.readTextFileSync(cfg)), id_block: 12 }),
  );
  const sizes = () => blocksOf(a).blocks.map((b) => b.end - b.start);
  const first = await create(a, "t0");
  assertEquals(sizes(), [5]);
  assertEquals(blocksOf(a).blocks[0].state, "confirmed");
  assertEquals(first, `T-${String(blocksOf(a).blocks[0].start).padStart(4, "0")}`);
  for (let i = 1; i < 3; i++) await create(a, `t${i}`, ["--offline"]);
  // 2 of 5 left (< 2.5): the next sync that publishes reserves the next block, twice as big.
  assertEquals((await a.sync()).code, 0);
  assertEquals(sizes(), [5, 10]);
  const seq = Number((await remoteSequence(w)).trim());
  assertEquals(seq, blocksOf(a).blocks[1].end);
  // 12 numbers left: all offline, then none.
  for (let i = 3; i < 15; i++) await create(a, `t${i}`, ["--offline"]);
  const none = await a.track(["create", "-t", "one too many", "--offline"]);
  assertEquals(none.code, 8, none.stderr);
  // Online, the create reserves the next block itself: capped at id_block.
  await create(a, "t15");
  assertEquals(sizes().slice(-1), [12]);
  assertEquals(blocksOf(a).grabs, 3);
  assertEquals(new Set(titles(a).keys()).size, 16);
});

Deno.test("an offline create with no block left is exit 8 'sync once', changes nothing; track sync then reserves one", async () => {
  await using w = await SyncWorld.create();
  const [a] = await w.syncedClones(["a"]);
  const before = titles(a);
  for (
    const [args, env] of [
      [["create", "-t", "x", "--offline", "--json"], {}],
      [["create", "-t", "x", "--json"], { TRACK_SYNC: "off" }],
    ] as const
  ) {
    const r = await a.track([...args], { env });
    assertEquals(r.code, 8, r.stderr);
    const err = JSON.parse(r.stderr).error;
    assertEquals(err.kind, "remote");
    assert(err.message.includes("no id block left: sync once (track sync)"), err.message);
  }
  assertEquals(titles(a), before);
  // The remote unreachable: the same, and nothing made.
  await Deno.rename(w.bare, `${w.bare}.away`);
  const away = await a.track(["create", "-t", "x"]);
  assertEquals(away.code, 8, away.stderr);
  assert(away.stderr.includes("no id block left: sync once (track sync)"), away.stderr);
  assertEquals(titles(a), before);
  await Deno.rename(`${w.bare}.away`, w.bare);
  // A plain track sync reserves the block that create asked for; then offline works.
  assertEquals((await a.sync()).code, 0);
  assertEquals(blocksOf(a).blocks.length, 1);
  await create(a, "offline now", ["--offline"]);
});

Deno.test("a new ticket whose number is in none of this clone's blocks is not published (exit 6 naming it)", async () => {
  await using w = await SyncWorld.create();
  const [a, b] = await w.syncedClones(["a", "b"]);
  const id = await create(a, "real");
  assertEquals((await a.sync()).code, 0);
  const tip = await w.remoteRef();
  // A ticket file made by hand, under a number no block of a holds.
  const text = Deno.readTextFileSync(`${a.storeDir}/tickets/${id}.md`)
    .replace(`id: ${id}`, "id: T-0900").replace("title: real", "title: by hand");
  Deno.writeTextFileSync(`${a.storeDir}/tickets/T-0900.md`, text);
  await a.ok(["log", id, "--agent", "alpha", "-m", "real work"]);
  const r = await a.sync(["--json"]);
  assertEquals(r.code, 6, r.stderr);
  const err = JSON.parse(r.stderr).error;
  assert(err.message.includes("tickets/T-0900.md"), err.message);
  assertEquals(await w.remoteRef(), tip); // Nothing published, not even the log line.
  // Moved out of the store: the rest is published, the stray never was.
  Deno.renameSync(`${a.storeDir}/tickets/T-0900.md`, `${w.root}/T-0900.md`);
  assertEquals((await a.sync()).code, 0);
  assertEquals((await b.sync()).code, 0);
  assert(!titles(b).has("T-0900"));
  assert(Deno.readTextFileSync(`${b.storeDir}/tickets/${id}.md`).includes("real work"));
});

Deno.test("dropIdBlocks (a copied clone): the next create reserves a new block; tickets already numbered still publish", async () => {
  await using w = await SyncWorld.create();
  const [a, b] = await w.syncedClones(["a", "b"]);
  const first = await create(a, "before the drop");
  const second = await create(a, "offline before the drop", ["--offline"]);
  const old = blocksOf(a).blocks[0];
  dropIdBlocks(syncPaths(a.gitDir));
  assertEquals(blocksOf(a).blocks.map((x) => x.state), ["retired"]);
  // Offline there is nothing to draw: the old block's free numbers are never used again.
  assertEquals((await a.track(["create", "-t", "x", "--offline"])).code, 8);
  const third = await create(a, "after the drop");
  const n = Number(third.slice(2));
  assert(n >= old.end, `${third} is inside the dropped block ${old.start}..${old.end - 1}`);
  // b's block is elsewhere too; the tickets numbered from the dropped block publish.
  const fromB = await create(b, "from b");
  for (const c of [a, b, a]) assertEquals((await c.sync()).code, 0);
  const all = titles(b);
  for (const id of [first, second, third, fromB]) assert(all.has(id), `${id} missing`);
  assertEquals(all.size, 4);
});

Deno.test("remote add --adopt renumbers this store's tickets into a reserved block, dependencies rewritten", async () => {
  await using w = await SyncWorld.create();
  const a = await w.clone("a");
  await create(a, "a one");
  await create(a, "a two");
  await a.ok(["remote", "add", "origin"]);
  const b = await w.clone("b");
  const one = await create(b, "b one");
  const two = await create(b, "b two", ["--depends-on", one]);
  const old = await create(b, "b old");
  await b.ok(["archive", old]);
  assertEquals([one, two, old], ["T-0001", "T-0002", "T-0003"]);
  // Without --adopt: refused as before, naming --adopt.
  const plain = await b.track(["remote", "add", "origin", "--json"]);
  assertEquals(plain.code, 3, plain.stderr);
  assert(JSON.parse(plain.stderr).error.hint.includes("--adopt"), plain.stderr);

  const r = await b.json<{ renumbered: Array<{ from: string; to: string }> }>([
    "remote",
    "add",
    "origin",
    "--adopt",
  ]);
  assertEquals(r.renumbered, [
    { from: "T-0001", to: "T-0003" },
    { from: "T-0002", to: "T-0004" },
    { from: "T-0003", to: "T-0005" },
  ]);
  const twoText = Deno.readTextFileSync(`${b.storeDir}/tickets/T-0004.md`);
  assert(/^depends_on:\n {2}- T-0003$/m.test(twoText), twoText);
  assert(twoText.includes("renumbered T-0002 to T-0004"), twoText);
  // The archived one stays archived, under its new number.
  assert(Deno.readTextFileSync(`${b.storeDir}/archive/T-0005.md`).includes("title: b old"));
  const board = await b.json<{ entries: Array<{ tag: string | null; message: string }> }>([
    "board",
  ]);
  assert(
    board.entries.some((e) => e.tag === "renumbered" && e.message.includes("T-0002 -> T-0004")),
    JSON.stringify(board.entries),
  );
  // a sees both stores, a's numbers unchanged; b's next create draws above the adopted block.
  assertEquals((await a.sync()).code, 0);
  const all = titles(a);
  assertEquals(
    [...all].sort(),
    [
      ["T-0001", "a one"],
      ["T-0002", "a two"],
      ["T-0003", "b one"],
      ["T-0004", "b two"],
      ["T-0005", "b old"],
    ],
  );
  const next = await create(b, "b three");
  assert(Number(next.slice(2)) >= 6, next);
  // A clone that turned sync off and on again: the tickets the remote holds keep their numbers,
  // only the one made while off is renumbered (nothing published twice).
  await a.ok(["remote", "remove"]);
  await create(a, "a while off");
  const again = await a.json<{ renumbered: Array<{ from: string; to: string }> }>([
    "remote",
    "add",
    "origin",
    "--adopt",
  ]);
  assertEquals(again.renumbered.length, 1, JSON.stringify(again.renumbered));
  assertEquals(titles(a).get(again.renumbered[0].to), "a while off");
  const seen = [...titles(a).values()];
  assertEquals(seen.length, new Set(seen).size, JSON.stringify(seen));
  // Printed in text too.
  const c = await w.clone("c");
  await create(c, "c one");
  const text = await c.ok(["remote", "add", "origin", "--adopt"]);
  assert(/T-0001 -> T-\d{4}/.test(text.stdout), text.stdout);
});

Deno.test("a grab whose push outcome was unknown is confirmed by the next sync through ancestry, never before", async () => {
  await using w = await SyncWorld.create();
  const [a] = await w.syncedClones(["a"]);
  // A git whose push lands on the remote but reports a failure (killed after sending).
  const bin = `${w.root}/lying-git`;
  Deno.mkdirSync(bin);
  const real = (await w.mustGit(["--exec-path"])).trim() + "/git";
  Deno.writeTextFileSync(
    `${bin}/git`,
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = push ] && { '${real}' "$@" >/dev/null 2>&1; echo "fatal: the remote end hung up unexpectedly" >&2; exit 128; }; done\nexec '${real}' "$@"\n`,
  );
  Deno.chmodSync(`${bin}/git`, 0o755);
  const lied = await a.track(["create", "-t", "x"], {
    env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
  });
  assertEquals(lied.code, 8, lied.stderr);
  // The remote has the grab, but this clone does not know it: pending, nothing drawn from it.
  const seq = await remoteSequence(w);
  const pending = blocksOf(a).blocks;
  assertEquals(pending.map((b) => b.state), ["pending"]);
  assertEquals(Number(seq), pending[0].end);
  assertEquals((await a.track(["create", "-t", "x", "--offline"])).code, 8);
  // The next sync finds the commit that carried it in the remote's history: confirmed.
  assertEquals((await a.sync()).code, 0);
  assertEquals(blocksOf(a).blocks, [{ ...pending[0], state: "confirmed" }]);
  assertEquals(await remoteSequence(w), seq); // No second block was needed.
  const id = await create(a, "from the settled block", ["--offline"]);
  assertEquals(Number(id.slice(2)), pending[0].start);
});

Deno.test("a ticket made here during an apply that brings its number is renumbered into this clone's block, and publishes", async () => {
  await using w = await SyncWorld.create();
  const [a, b] = await w.syncedClones(["a", "b"]);
  assertEquals(await create(a, "a first"), "T-0001"); // a's block: T-0001..T-0005
  assertEquals((await a.sync()).code, 0);
  assertEquals((await b.sync()).code, 0);
  // b is a store from before id blocks (it never reserved one): its tickets are written as such
  // a store's create wrote them, at numbers inside a's block and above it.
  const template = Deno.readTextFileSync(`${b.storeDir}/tickets/T-0001.md`);
  for (const n of [2, 3, 10]) {
    const id = `T-${String(n).padStart(4, "0")}`;
    Deno.writeTextFileSync(
      `${b.storeDir}/tickets/${id}.md`,
      template.replace("id: T-0001", `id: ${id}`).replace("title: a first", `title: b ${n}`),
    );
  }
  assertEquals((await b.sync()).code, 0);
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "to publish"]);
  // While a's sync applies b's tickets, a's agent creates a ticket: it draws T-0002 (free here
  // until the apply writes b's), which the apply then moves to a free number of a's block.
  const found = discoverStore(a.dir, mainEnv({ HOME: w.home }));
  const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
  let made = "";
  await syncStore(store, syncSetupOf(store)!, {
    now: () => new Date(),
    async onStep(step) {
      if (step === "pushed") made = await create(a, "made mid-apply", ["--offline"]);
    },
  });
  assertEquals(made, "T-0002");
  const mine = [...titles(a)].find(([, t]) => t === "made mid-apply")?.[0];
  assert(
    mine !== undefined,
    `the ticket made mid-apply is lost: ${JSON.stringify([...titles(a)])}`,
  );
  assertEquals(mine, "T-0004"); // The lowest number of a's block that nobody holds.
  assertEquals(titles(a).get("T-0002"), "b 2");
  // And it publishes (a number outside a's blocks would be refused: exit 6).
  assertEquals((await a.sync()).code, 0);
  assertEquals((await b.sync()).code, 0);
  assertEquals(titles(b).get("T-0004"), "made mid-apply");
});

Deno.test("two clones made from one copied directory create tickets: the copy drops the blocks, no number twice", async () => {
  await using w = await SyncWorld.create();
  const [a] = await w.syncedClones(["a"]);
  const made = new Map<string, string>();
  made.set("a0", await create(a, "a0"));
  made.set("a1", await create(a, "a1", ["--offline"]));
  const cp = await testCommand("cp", { args: ["-a", a.dir, `${w.root}/copy`] }).output();
  assert(cp.success);
  const copy = new Clone(w, "copy", `${w.root}/copy`);
  // The copy's blocks are the original's: offline it has none to draw from.
  const offline = await copy.track(["create", "-t", "x", "--offline"]);
  assertEquals(offline.code, 8, offline.stderr);
  assertEquals(blocksOf(copy).blocks.map((b) => b.state), ["retired"]);
  made.set("c0", await create(copy, "c0")); // Reserves its own block.
  made.set("c1", await create(copy, "c1", ["--offline"]));
  made.set("a2", await create(a, "a2", ["--offline"]));
  assertEquals(new Set(made.values()).size, made.size, JSON.stringify([...made]));
  for (const c of [a, copy, a]) assertEquals((await c.sync()).code, 0);
  const all = titles(a);
  assertEquals(all.size, made.size);
  for (const [title, id] of made) assertEquals(all.get(id), title, id);
  assertEquals(titles(copy), all);
});
