import { assert, assertEquals } from "../../tests/assert.ts";
import { unitStore } from "../../tests/unit_store.ts";
import { textHash } from "./ticket_cache.ts";
import {
  bodyWords,
  decodePosts,
  encodePosts,
  loadWordIndex,
  recordFromReader,
  type WordIndex,
  WordMatcher,
  wordRow,
} from "./word_index.ts";

const FILE = "---\nid: T-0001\ntitle: Front Matter Words\n---\n\nAbout\tthe Token.\u00a0Cookie\n" +
  "the TOKEN again\n";

Deno.test("bodyWords() holds the body's lowercased runs of non-whitespace, once each, sorted", () => {
  assertEquals(bodyWords(FILE), ["about", "again", "cookie", "the", "token", "token."]);
  // Without a closed front matter there is no body.
  assertEquals(bodyWords("---\nid: T-0001\n"), []);
  const row = wordRow(1, FILE);
  assertEquals(row.slice(0, 2), [1, textHash(FILE)]);
});

function index(over: Partial<WordIndex> = {}): WordIndex {
  return {
    nums: [1, 2, 5],
    hash: [11, 22, 55],
    words: ["alpha", "beta", "token."],
    posts: ["0.2", "1", "0,1"],
    log: new Map(),
    ...over,
  };
}

Deno.test("WordMatcher.termsIn() answers substrings per term, only for the text hash it was made from", () => {
  const m = new WordMatcher(index(), ["ken", "bet", "alp"]);
  assertEquals(m.termsIn(1, 11), [true, false, true]);
  assertEquals(m.termsIn(2, 22), [false, true, true]);
  assertEquals(m.termsIn(5, 55), [true, false, false]);
  // Another text (hash), an unknown ticket, or the "unknown" hash: no answer, read the file.
  assertEquals(m.termsIn(1, 12), null);
  assertEquals(m.termsIn(3, 11), null);
  assertEquals(m.termsIn(1, -1), null);
  // The log's line for a ticket replaces its snapshot row.
  const logged = new WordMatcher(
    index({ log: new Map([[1, [1, 99, "beta"]]]) }),
    ["ken", "bet"],
  );
  assertEquals(logged.termsIn(1, 11), null);
  assertEquals(logged.termsIn(1, 99), [false, true]);
});

Deno.test("WordMatcher ignores a snapshot with a malformed word or run", () => {
  for (
    const bad of [
      { posts: ["0.2", "1", "0.9"] },
      { posts: ["0.2", "1", "0,,1"] },
      { posts: ["0.2", "1", "0.0"] },
      { posts: ["0.2", "1", "-1"] },
      { posts: ["0.2", "1", "Z"] },
      { posts: ["0.2", "1", [0, 1]] },
      { words: ["alpha", "beta", 7] },
    ]
  ) {
    const m = new WordMatcher(index(bad as Partial<WordIndex>), ["ken", "alp"]);
    assertEquals(m.termsIn(1, 11), null, JSON.stringify(bad));
  }
});

Deno.test("encodePosts() and decodePosts() round-trip ascending rows as runs", () => {
  for (const rows of [[], [0], [0, 1, 2, 3, 7, 8], [5, 40, 41, 1000, 1001, 1002]]) {
    const s = encodePosts(rows);
    const runs = decodePosts(s, 2000)!;
    const back: number[] = [];
    for (let r = 0; r < runs.length; r += 2) {
      for (let j = runs[r]; j < runs[r] + runs[r + 1]; j++) back.push(j);
    }
    assertEquals(back, rows, s);
  }
  assertEquals(encodePosts([0, 1, 2, 3, 7, 8]), "0.4,3.2");
  assertEquals(decodePosts("0.4,3.2", 8), null, "rows past the end");
});

Deno.test("recordFromReader() writes a snapshot that loadWordIndex() reads back", () => {
  using u = unitStore();
  const rows = [wordRow(2, FILE), wordRow(7, FILE.replace("Cookie", "Biscuit"))];
  recordFromReader(u.store, rows, [2, 7]);
  const back = loadWordIndex(u.store);
  assert(back !== null);
  assertEquals(back.nums, [2, 7]);
  const m = new WordMatcher(back, ["cook", "bisc"]);
  assertEquals(m.termsIn(2, rows[0][1]), [true, false]);
  assertEquals(m.termsIn(7, rows[1][1]), [false, true]);
  // Later rows are appended to the log, which wins over the snapshot.
  const edited = wordRow(2, FILE.replace("Cookie", "Biscuit"));
  recordFromReader(u.store, [edited], [2, 7]);
  const again = loadWordIndex(u.store)!;
  assertEquals(again.nums, [2, 7]);
  assertEquals(new WordMatcher(again, ["bisc"]).termsIn(2, edited[1]), [true]);
  assertEquals(new WordMatcher(again, ["bisc"]).termsIn(2, rows[0][1]), null);
});
