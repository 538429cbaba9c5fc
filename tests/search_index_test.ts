/**
 * The word index (src/store/word_index.ts) never changes what `track search` answers: after
 * writes, hand edits, and with the index deleted, corrupted or planted as a link, every search
 * gives exactly what a full scan gives (`TRACK_NO_CACHE=1`: every file read, no cache, no index).
 */
import { assert, assertEquals } from "./assert.ts";
import { snapshot, tempStore, whileLocked } from "./helpers.ts";
import { newTicketBody, serializeTicket } from "../src/model/ticket.ts";
import { formatId } from "../src/model/ids.ts";
import { CACHE_MIN_TICKETS } from "../src/store/ticket_cache.ts";

const FRUIT = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yuzu"];

function writeTickets(dir: string, n: number): void {
  const old = new Date(Date.now() - 60_000);
  for (let i = 1; i <= n; i++) {
    const id = formatId(i);
    const path = `${dir}/tickets/${id}.md`;
    Deno.writeTextFileSync(
      path,
      serializeTicket({
        id,
        title: `Task ${FRUIT[i % 8]}`,
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
        body: newTicketBody(`About ${FRUIT[(i * 3) % 8]}Juice and ${FRUIT[(i * 5) % 7]}, n${i}.`),
      }),
    );
    // Settled files, so the metadata cache trusts its entries on their stat.
    Deno.utimeSync(path, old, old);
  }
}

type Store = Awaited<ReturnType<typeof tempStore>>;

const QUERIES = [
  ["apple"],
  ["juice", "plum"],
  ["pearjuice"],
  ["n17."],
  ["task", "fig", "kiwi"],
  ["zucchini"],
  ["t-12"],
  ["7"],
  ["handmade"],
  ["appended"],
  ["racy"],
];

/** Every query's answer, as JSON text, with and without the cache and the index. */
async function answers(s: Store, env: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (const q of QUERIES) {
    const r = await s.track(["search", ...q, "--limit", "100000", "--json"], { env });
    assertEquals(r.code, 0, r.stderr);
    out.push(r.stdout);
  }
  return out;
}

/** Asserts every query answers exactly as a full scan does. */
async function sameAsFullScan(s: Store, what: string): Promise<void> {
  const full = await answers(s, { TRACK_NO_CACHE: "1" });
  const got = await answers(s);
  for (const [i, q] of QUERIES.entries()) assertEquals(got[i], full[i], `${what}: ${q.join(" ")}`);
}

function index(s: Store): { nums: number[]; hash: number[]; words: string[]; posts: string[] } {
  return JSON.parse(s.read("cache/words.json"));
}

Deno.test("search index: the same answers as a full scan after writes, hand edits and a broken index", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 40;
  writeTickets(s.dir, n);
  await s.json(["create", "-t", "trigger", "-b", "builds the metadata cache"]);
  assert(Deno.statSync(`${s.dir}/cache/tickets.json`).isFile, "the writer built the cache");

  // The first search reads every file and records the index for the next ones.
  await sameAsFullScan(s, "first search");
  assertEquals(index(s).nums.length, n + 1, "the reader recorded every ticket");

  // The next searches are served by it: a word removed from the index only (its hash kept)
  // is not found any more. (Proof that entries are trusted; then the index is rebuilt.)
  const planted = index(s);
  const k = planted.words.indexOf("pearjuice");
  assert(k >= 0);
  const saved = structuredClone(planted);
  planted.posts[k] = "";
  Deno.writeTextFileSync(`${s.dir}/cache/words.json`, JSON.stringify(planted));
  const served = await s.json<{ total: number }>(["search", "pearjuice"]);
  assertEquals(served.total, 0, "the search was answered from the index");
  Deno.writeTextFileSync(`${s.dir}/cache/words.json`, JSON.stringify(saved));
  await sameAsFullScan(s, "served by the index");

  // Right after writes: a body replaced, a log line appended, a ticket created.
  await s.json(["update", "12", "--body", "now about zucchini, no fruit"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["log", "30", "--agent", "ann", "-m", "appended words"]);
  await s.json(["create", "-t", "Handmade", "-b", "pearjuice too"]);
  assert(s.read("cache/words.log").includes("zucchini"), "the writer appended to the log");
  await sameAsFullScan(s, "after writes");

  // A hand edit of a ticket file (another size), and one that keeps size and mtime.
  const path = (i: number) => `${s.dir}/tickets/${formatId(i)}.md`;
  const edit = (i: number, from: RegExp, to: string, keepTimes: boolean) => {
    const st = Deno.statSync(path(i));
    const text = Deno.readTextFileSync(path(i));
    const changed = text.replace(from, to);
    assert(changed !== text, `edit of ${i}`);
    Deno.writeTextFileSync(path(i), changed);
    if (keepTimes) Deno.utimeSync(path(i), st.atime!, st.mtime!);
  };
  edit(41, /About \w+/, "About handmade zucchini", false);
  for (const i of [48, 56, 64]) edit(i, /About apple/, "About racyy", true);
  await sameAsFullScan(s, "after hand edits");

  // The index deleted, corrupted, or planted as links: never followed, never a wrong answer.
  const idx = `${s.dir}/cache/words.json`;
  const log = `${s.dir}/cache/words.log`;
  const good = Deno.readTextFileSync(idx);
  Deno.removeSync(idx);
  Deno.removeSync(log);
  await sameAsFullScan(s, "index deleted");
  Deno.writeTextFileSync(idx, "{not json");
  await sameAsFullScan(s, "index corrupted");
  const bad = index(s);
  bad.posts = bad.posts.map(() => "zzzz");
  Deno.writeTextFileSync(idx, JSON.stringify(bad));
  await sameAsFullScan(s, "index runs out of range");
  Deno.writeTextFileSync(log, '[12, 1, "zucchini"]\n[13, ');
  await sameAsFullScan(s, "a torn log");
  // A well-formed index of other words (every hash right) behind a link: it must not be read.
  const wrong = JSON.parse(good);
  wrong.posts = wrong.posts.map(() => "");
  Deno.writeTextFileSync(`${s.root}/planted.json`, JSON.stringify(wrong));
  Deno.removeSync(idx);
  Deno.removeSync(log);
  Deno.symlinkSync(`${s.root}/planted.json`, idx);
  await sameAsFullScan(s, "index planted as a link");
  assert(Deno.lstatSync(idx).isSymlink, "a reader never replaces a link");
  Deno.removeSync(idx);
  try {
    Deno.removeSync(log); // Whatever the last search recorded.
  } catch {
    // None.
  }
  Deno.symlinkSync("/dev/zero", log);
  await sameAsFullScan(s, "log planted as a link to /dev/zero");
});

Deno.test("search index: a search never writes while the lock is busy, and only cache/ when free", async () => {
  await using s = await tempStore();
  const n = CACHE_MIN_TICKETS + 5;
  writeTickets(s.dir, n);
  await s.json(["create", "-t", "trigger"]);
  const before = snapshot(s.dir);
  await whileLocked(s.dir, () => s.json(["search", "apple"]));
  assertEquals(snapshot(s.dir), before, "a search that could not lock wrote nothing");
  await s.json(["search", "apple"]);
  const after = snapshot(s.dir);
  assert(after.has("cache/words.json"), "a search with the lock free recorded the index");
  for (const [p, bytes] of before) {
    if (!p.startsWith("cache/")) assertEquals(after.get(p), bytes, p);
  }
  // Titles only (no body read): no index is needed or written.
  Deno.removeSync(`${s.dir}/cache/words.json`);
  Deno.removeSync(`${s.dir}/cache/words.log`);
  await s.json(["search", "apple", "--in", "title"]);
  assert(!snapshot(s.dir).has("cache/words.json"));
});
