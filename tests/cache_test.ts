/** The derived ticket cache never changes what listings show. */
import { assert, assertEquals } from "./assert.ts";
import { MAIN, race, snapshot, tempStore, testCommand, whileLocked } from "./helpers.ts";
import { newTicketBody, serializeTicket } from "../src/model/ticket.ts";
import { formatId } from "../src/model/ids.ts";
import { CACHE_MIN_TICKETS, textHash } from "../src/store/ticket_cache.ts";

function writeTickets(dir: string, n: number): void {
  for (let i = 1; i <= n; i++) {
    const id = formatId(i);
    Deno.writeTextFileSync(
      `${dir}/tickets/${id}.md`,
      serializeTicket({
        id,
        title: `Ticket ${String(i).padStart(5, "0")}`,
        status: "backlog",
        priority: "medium",
        created: "2026-01-01T00:00:00Z",
        created_by: "gen",
        claimed_by: null,
        claimed_at: null,
        labels: [],
        branch: null,
        files: [],
        depends_on: [],
        updated: null,
        claim_epoch: 0,
        extra: [],
        body: newTicketBody("x"),
      }),
    );
  }
}

/** The store's files outside the derived cache. */
function data(dir: string): Map<string, string> {
  return new Map([...snapshot(dir)].filter(([p]) => !p.startsWith("cache/")));
}

Deno.test("cache: a reader that parsed many files records them only when the lock is free", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  const old = new Date(Date.now() - 60_000);
  for (let i = 1; i <= n; i++) Deno.utimeSync(`${s.dir}/tickets/${formatId(i)}.md`, old, old);
  const before = snapshot(s.dir);
  // The lock is busy: the reader answers at once and writes nothing, not even the cache.
  const listed = await whileLocked(s.dir, () => s.json<{ tickets: unknown[] }>(["list"]));
  assertEquals(listed.tickets.length, n);
  assertEquals(snapshot(s.dir), before, "a reader that could not lock wrote nothing");
  // The lock is free: the reader records what it parsed in cache/, and touches nothing else.
  await s.json(["list"]);
  assert(Deno.statSync(`${s.dir}/cache/tickets.json`).isFile, "the reader built the cache");
  assertEquals(data(s.dir), new Map([...before].filter(([p]) => !p.startsWith("cache/"))));
  // The next reader is served by it: a title changed only in the cache shows (proof the entry
  // was trusted, not re-read), because the files' mtimes are settled.
  const cache = JSON.parse(s.read("cache/tickets.json"));
  assertEquals(cache.nums.length, n);
  cache.meta[0][0] = "served from the reader's cache";
  Deno.writeTextFileSync(`${s.dir}/cache/tickets.json`, JSON.stringify(cache));
  const again = await s.json<{ tickets: Array<{ title: string }> }>(["list"]);
  assertEquals(again.tickets[0].title, "served from the reader's cache");
  // The benchmark's switches turn the layers off without changing an answer: without the cache
  // the planted title is not served; without native listing the cache still is.
  const off = await s.json<{ tickets: Array<{ title: string }> }>(["list"], {
    env: { TRACK_NO_CACHE: "1" },
  });
  assertEquals(off.tickets[0].title, "Ticket 00001");
  assertEquals(off.tickets.length, n);
  const deno = await s.json<{ tickets: Array<{ title: string }> }>(["list"], {
    env: { TRACK_NATIVE_FS: "0" },
  });
  assertEquals(deno.tickets, again.tickets);
});

Deno.test("cache: built by writers, ignored when stale or broken", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  // Old mtimes, so entries are trusted (not "racy").
  const old = new Date(Date.now() - 60_000);
  for (let i = 1; i <= n; i++) Deno.utimeSync(`${s.dir}/tickets/${formatId(i)}.md`, old, old);
  await s.json(["create", "-t", "trigger"]);
  assert(Deno.statSync(`${s.dir}/cache/tickets.json`).isFile, "the writer built the cache");
  const titles = async () =>
    (await s.json<{ tickets: Array<{ id: string; title: string }> }>(["list"])).tickets.map((t) =>
      `${t.id}:${t.title}`
    );
  const full = await titles();
  assertEquals(full.length, n + 1);
  // A hand edit that keeps the size and even the mtime is still seen (ctime changes).
  const path = `${s.dir}/tickets/${formatId(7)}.md`;
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("Ticket 00007", "Ticket 0000X"));
  Deno.utimeSync(path, old, old);
  const edited = await titles();
  assertEquals(edited.find((t) => t.startsWith("T-0007")), "T-0007:Ticket 0000X");
  // Later writes append to the log instead of rewriting the snapshot; a torn line is ignored.
  await s.json(["update", "8", "--title", "Renamed eight"]);
  const log = Deno.readTextFileSync(`${s.dir}/cache/tickets.log`);
  assert(log.includes("Renamed eight"), "the write was appended to the cache log");
  Deno.writeTextFileSync(`${s.dir}/cache/tickets.log`, log + '["T-0009", 1, 2');
  const renamed = await titles();
  assertEquals(renamed.find((t) => t.startsWith("T-0008")), "T-0008:Renamed eight");
  assertEquals(renamed.length, n + 1);
  // A broken cache is ignored.
  Deno.writeTextFileSync(`${s.dir}/cache/tickets.json`, "{not json");
  assertEquals((await titles()).length, n + 1);
  // A deleted ticket disappears even though the cache still lists it.
  await s.json(["create", "-t", "rebuild"]);
  Deno.removeSync(`${s.dir}/tickets/${formatId(3)}.md`);
  const after = await titles();
  assertEquals(after.length, n + 1);
  assert(!after.some((t) => t.startsWith("T-0003:")));
});

Deno.test("cache: settled entries are served from it, checked against the file's stat", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  // Entries recorded less than two seconds after their file changed are never trusted (the
  // "racy git" rule), so let the files settle before a writer records them.
  await new Promise((r) => setTimeout(r, 2100));
  await s.json(["create", "-t", "trigger"]);
  const cacheFile = `${s.dir}/cache/tickets.json`;
  const built = JSON.parse(Deno.readTextFileSync(cacheFile));
  assertEquals(built.v, 3);
  assertEquals(built.nums.length, n + 1);
  const title = async (id: string) =>
    (await s.json<{ tickets: Array<{ id: string; title: string }> }>(["list"])).tickets
      .find((t) => t.id === id)?.title;
  const rewrite = (edit: (c: { nums: number[]; meta: unknown[][] }) => void) => {
    const c = JSON.parse(JSON.stringify(built));
    edit(c);
    Deno.writeTextFileSync(cacheFile, JSON.stringify(c));
  };
  const at = built.nums.indexOf(7);
  // Proof that the cache is what list reads: a title changed only in the cache shows.
  rewrite((c) => c.meta[at][0] = "From the cache");
  assertEquals(await title("T-0007"), "From the cache");
  // A row this version does not write is not trusted: the file is read.
  rewrite((c) => c.meta[at][1] = "bogus");
  assertEquals(await title("T-0007"), "Ticket 00007");
  rewrite((c) => c.meta[at] = c.meta[at].slice(1));
  assertEquals(await title("T-0007"), "Ticket 00007");
  // An older layout is ignored as a whole.
  rewrite((c) => Object.assign(c, { v: 2 }));
  assertEquals((await s.json<{ tickets: unknown[] }>(["list"])).tickets.length, n + 1);
  // Out-of-order numbers cost speed, never correctness.
  rewrite((c) => {
    c.nums.reverse();
    c.meta.reverse();
  });
  assertEquals((await s.json<{ tickets: unknown[] }>(["list"])).tickets.length, n + 1);
  rewrite(() => {});
  // An in-place edit of a settled ticket that keeps its size and mtime changes its ctime.
  const path = `${s.dir}/tickets/${formatId(9)}.md`;
  const { mtime } = Deno.statSync(path);
  const f = Deno.openSync(path, { write: true });
  f.writeSync(new TextEncoder().encode(
    Deno.readTextFileSync(path).replace("Ticket 00009", "Ticket 0000Y"),
  ));
  f.close();
  Deno.utimeSync(path, mtime!, mtime!);
  assertEquals(await title("T-0009"), "Ticket 0000Y");
  assertEquals(await title("T-0010"), "Ticket 00010");
  // Without FFI permission the listing and lstat go through Deno's API: same answer, no prompt.
  const full = await s.track(["list", "--json"]);
  const limited = await testCommand(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--quiet",
      MAIN,
      "list",
      "--json",
    ],
    cwd: s.root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(limited.stderr), "");
  assertEquals(new TextDecoder().decode(limited.stdout), full.stdout);
});

Deno.test("cache: a ticket written moments ago is checked by its text, not trusted on its stat", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  await new Promise((r) => setTimeout(r, 2100));
  await s.json(["create", "-t", "trigger"]);
  await s.json(["update", "8", "--title", "Ticket eight"]);
  const logFile = `${s.dir}/cache/tickets.log`;
  const lines = Deno.readTextFileSync(logFile).trim().split("\n").map((l) => JSON.parse(l));
  const line = lines.findLast((l) => l[0] === 8);
  assert(line, "the update appended a line for T-0008");
  const title = async () =>
    (await s.json<{ tickets: Array<{ id: string; title: string }> }>(["list"])).tickets
      .find((t) => t.id === "T-0008")?.title;
  // Recorded within two seconds of the write, so only its text hash can vouch for it: a title
  // changed only in the log line shows, proving the line was used.
  const stat = 1, meta = 7; // [num, ino, size, mtime, ctime, seen, hash, ...meta]
  const write = (l: unknown[]) => Deno.writeTextFileSync(logFile, JSON.stringify(l) + "\n");
  write([...line.slice(0, meta), "From the log", ...line.slice(meta + 1)]);
  assertEquals(await title(), "From the log");
  // An edit in the same clock tick: same size, and (as the tick would leave it) the same stat
  // recorded. The hash no longer matches, so the file is read.
  const path = `${s.dir}/tickets/T-0008.md`;
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("Ticket eight", "Ticket EIGHT"));
  const st = Deno.lstatSync(path);
  const now = [st.ino, st.size, st.mtime!.getTime(), Math.floor(st.ctime!.getTime() / 1000) * 1000];
  write([8, ...now, line[stat + 4], line[stat + 5], ...line.slice(meta)]);
  assertEquals(await title(), "Ticket EIGHT");
  // No hash: never trusted while racy.
  write([8, ...now, line[stat + 4], -1, "From the log", ...line.slice(meta + 1)]);
  assertEquals(await title(), "Ticket EIGHT");
  // The hash of the text now on disk vouches for the line again.
  const hash = textHash(Deno.readTextFileSync(path));
  write([8, ...now, line[stat + 4], hash, "From the log", ...line.slice(meta + 1)]);
  assertEquals(await title(), "From the log");
});

Deno.test("cache: readers racing writers on a big store see every ticket once, never a torn one", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 50;
  writeTickets(s.dir, n);
  await new Promise((r) => setTimeout(r, 2100));
  await s.json(["create", "-t", "trigger"]); // builds the snapshot
  const writes = (w: number) =>
    Array.from({ length: 15 }, (_, k) => {
      const id = 1 + ((w * 37 + k * 11) % n);
      return ["update", String(id), "--title", `Written by ${w} round ${k}`];
    });
  const reads = Array.from({ length: 15 }, () => ["list", "--all", "--json"]);
  const results = await race([writes(0), writes(1), reads, reads], { cwd: s.root });
  for (const r of results.slice(0, 2).flat()) assertEquals(r.code, 0, r.stderr);
  for (const r of results.slice(2).flat()) {
    assertEquals([r.code, r.stderr], [0, ""]);
    const tickets = JSON.parse(r.stdout).tickets as Array<{ id: string; title: string }>;
    assertEquals(new Set(tickets.map((t) => t.id)).size, n + 1);
    for (const t of tickets) {
      assert(/^(Ticket \d{5}|trigger|Written by [01] round \d+)$/.test(t.title), t.title);
    }
  }
  // Afterwards every ticket shows one of the titles written to it, or its own if none was.
  const written = new Map<string, Set<string>>();
  for (const [, id, , title] of [...writes(0), ...writes(1)]) {
    const key = formatId(Number(id));
    written.set(key, (written.get(key) ?? new Set()).add(title));
  }
  const final = (await s.json<{ tickets: Array<{ id: string; title: string }> }>(["list"]))
    .tickets;
  for (const t of final) {
    const titles = written.get(t.id);
    if (titles) assert(titles.has(t.title), `${t.id}: ${t.title}`);
    else if (t.title !== "trigger") {
      assertEquals(t.title, `Ticket ${t.id.slice(2).padStart(5, "0")}`);
    }
  }
});

Deno.test("cache: entries checked by text are recorded again once their files are quiet", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  // The writer records every file moments after it was written: racy entries, kept with a hash.
  await s.json(["create", "-t", "trigger"]);
  const racy = (row: number[]) => Math.max(row[2], row[3]) >= row[4] - 2000;
  const rows = () => {
    const c = JSON.parse(s.read("cache/tickets.json"));
    const byNum = new Map<number, number[]>();
    for (let j = 0; j < c.nums.length; j++) byNum.set(c.nums[j], c.stat.slice(j * 6, j * 6 + 6));
    for (const line of s.read("cache/tickets.log").split("\n")) {
      if (line !== "") byNum.set(JSON.parse(line)[0], JSON.parse(line).slice(1, 7));
    }
    return byNum;
  };
  assert([...rows().values()].filter(racy).length >= n, "the writer's entries are racy");
  // Quiet for longer than the racy window: the next reader checks them by text and records them
  // again, settled, so the reader after it trusts their stat alone.
  await new Promise((r) => setTimeout(r, 2100));
  const before = await s.json<{ tickets: unknown[] }>(["list"]);
  assertEquals([...rows().values()].filter(racy).length, 0, "entries recorded again, settled");
  assertEquals(await s.json<{ tickets: unknown[] }>(["list"]), before);
});
