/**
 * A derived, git-ignored index of the words in ticket bodies, so `track search` on thousands of
 * tickets reads only the files that can match instead of every one. Like the metadata cache
 * (ticket_cache.ts) it is a snapshot (`.track/cache/words.json`) plus an append-only log of later
 * writes (`words.log`), written only under the store lock: by writers for the tickets they wrote,
 * and by a search that had to read many files itself, only if it gets the lock without waiting.
 *
 * An entry is never trusted on its own: it names the {@linkcode textHash} of the text it was
 * made from, and a reader uses it only when the metadata cache's verified read of the store
 * (`readSummaries`, which checks every file's stat and, for recent files, its text) says the
 * ticket's current text has that hash. A ticket edited by hand, written by a command whose
 * refresh failed, or missing from the index is read from its file, so a stale, missing or broken
 * index costs speed, never a different answer.
 *
 * A word is a maximal run of non-whitespace of the lowercased body (what follows the front
 * matter). Query terms hold no whitespace, so a term occurs in a body exactly when it occurs in
 * one of its words: the index answers substring queries by scanning its vocabulary.
 *
 * ```
 * {"v":1,
 *  "nums":[1,2,…],                ticket numbers, ascending
 *  "hash":[h1,h2,…],              text hash of each ticket's file when indexed
 *  "words":["a","b",…],           every word once
 *  "posts":["1.2,5",…]}           per word, the rows (indices into nums) holding it
 * ```
 *
 * A word's rows are runs of consecutive rows, written `gap` or `gap.count` (base 36, count 1
 * when left out; gap from the end of the previous run), comma-separated: one short string per
 * word, decoded only for the words a query term occurs in. (As arrays of numbers, a store of
 * long bodies made a snapshot whose parsing cost more than the files it spared.)
 *
 * A log line is `[num, hash, ...words]`; the last line for a ticket wins.
 */
import { join } from "../model/path.ts";
import type { Store, Tx } from "./store.ts";
import { writeFileAtomic } from "./atomic.ts";
import { ensureDirInside, openInside, removeInside } from "./no_follow.ts";
import { type LockHandle, tryAcquireLockSync } from "./lock.ts";
import { readCacheFile, textHash } from "./ticket_cache.ts";

const VERSION = 2;

/** Path of the index snapshot. */
export function wordIndexPath(store: Store): string {
  return join(store.dir, "cache", "words.json");
}

/** Path of the index log. */
export function wordLogPath(store: Store): string {
  return join(store.dir, "cache", "words.log");
}

/** The body of a ticket file's text (what follows the front matter), or null without one. */
export function bodyOfText(text: string): string | null {
  const end = text.indexOf("\n---\n", 3);
  return end === -1 ? null : text.slice(end + 5);
}

const SPACE = /\s+/;

/** The distinct words of a ticket file's body, lowercased, sorted. */
export function bodyWords(text: string): string[] {
  const body = bodyOfText(text);
  if (body === null) return [];
  const words = new Set(body.toLowerCase().split(SPACE));
  words.delete("");
  return [...words].sort();
}

/** An index row: ticket number, text hash, words. */
export type WordRow = [num: number, hash: number, ...words: string[]];

/** A ticket's index row made from the text of its file. */
export function wordRow(num: number, text: string): WordRow {
  return [num, textHash(text), ...bodyWords(text)];
}

/** The snapshot and the log, as read (shapes checked where they are used). */
export interface WordIndex {
  nums: unknown[];
  hash: unknown[];
  words: unknown[];
  posts: unknown[];
  /** Log lines by ticket number (the last line for a ticket wins). */
  log: Map<number, unknown[]>;
}

/** The index, or null when there is none usable (missing, a link, another version, torn). */
export function loadWordIndex(store: Store): WordIndex | null {
  const text = readCacheFile(wordIndexPath(store));
  let index: WordIndex;
  if (text === null) {
    index = { nums: [], hash: [], words: [], posts: [], log: new Map() };
  } else {
    try {
      const c = JSON.parse(text);
      if (
        c?.v !== VERSION || !Array.isArray(c.nums) || !Array.isArray(c.hash) ||
        c.hash.length !== c.nums.length || !Array.isArray(c.words) || !Array.isArray(c.posts) ||
        c.posts.length !== c.words.length
      ) {
        return null;
      }
      index = { nums: c.nums, hash: c.hash, words: c.words, posts: c.posts, log: new Map() };
    } catch {
      return null; // A hand-edited index is simply ignored.
    }
  }
  const log = readCacheFile(wordLogPath(store));
  if (text === null && log === null) return null;
  for (const line of (log ?? "").split("\n")) {
    if (line === "") continue;
    try {
      const row = JSON.parse(line);
      if (Array.isArray(row) && row.length >= 2 && typeof row[0] === "number") {
        index.log.set(row[0], row);
      }
    } catch {
      // A line torn by a crash: that ticket is read from its file.
    }
  }
  return index;
}

/** Whether `h` is a hash {@linkcode textHash} can return (never the "unknown" -1). */
function isHash(h: unknown): h is number {
  return typeof h === "number" && h >= 0;
}

/**
 * Which query terms occur in the body of each indexed ticket. Terms must hold no whitespace
 * (they are a lowercased query split on it).
 */
export class WordMatcher {
  #index: WordIndex;
  #terms: readonly string[];
  /** Per term, a mark per snapshot row holding it; null when the snapshot is malformed. */
  #marks: Uint8Array[] | null;

  constructor(index: WordIndex, terms: readonly string[]) {
    this.#index = index;
    this.#terms = terms;
    this.#marks = markRows(index, terms);
  }

  /**
   * Per term, whether the body of ticket `num` holds it, when the index has an entry made from
   * a text whose hash is `hash` (the ticket's current text, as verified by the metadata cache);
   * null when it has none, and the file must be read.
   */
  termsIn(num: number, hash: number): boolean[] | null {
    if (!isHash(hash)) return null;
    const logged = this.#index.log.get(num);
    if (logged !== undefined) {
      if (logged[1] !== hash) return null;
      const words = logged.slice(2);
      if (!words.every((w) => typeof w === "string")) return null;
      return this.#terms.map((t) => (words as string[]).some((w) => w.includes(t)));
    }
    const marks = this.#marks;
    if (marks === null) return null;
    const row = findRow(this.#index.nums, num);
    if (row < 0 || this.#index.hash[row] !== hash) return null;
    return marks.map((m) => m[row] === 1);
  }
}

/** Index of `num` in the ascending `nums`, or -1. */
function findRow(nums: readonly unknown[], num: number): number {
  let lo = 0, hi = nums.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = nums[mid];
    if (typeof v !== "number") return -1;
    if (v === num) return mid;
    if (v < num) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The runs `[start, count, …]` a posting string encodes, or null when it is malformed. */
export function decodePosts(posts: unknown, rows: number): number[] | null {
  if (typeof posts !== "string") return null;
  const out: number[] = [];
  let end = 0;
  for (const token of posts === "" ? [] : posts.split(",")) {
    const dot = token.indexOf(".");
    const gap = parseBase36(dot === -1 ? token : token.slice(0, dot));
    const count = dot === -1 ? 1 : parseBase36(token.slice(dot + 1));
    if (gap < 0 || count < 1 || end + gap + count > rows) return null;
    out.push(end + gap, count);
    end += gap + count;
  }
  return out;
}

/** A base-36 whole number, or -1 unless `s` is exactly one. */
function parseBase36(s: string): number {
  return /^[0-9a-z]{1,10}$/.test(s) ? parseInt(s, 36) : -1;
}

/** The posting string of ascending rows. */
export function encodePosts(rows: readonly number[]): string {
  const tokens: string[] = [];
  let end = 0;
  for (let i = 0; i < rows.length;) {
    let count = 1;
    while (i + count < rows.length && rows[i + count] === rows[i] + count) count++;
    const gap = (rows[i] - end).toString(36);
    tokens.push(count === 1 ? gap : `${gap}.${count.toString(36)}`);
    end = rows[i] + count;
    i += count;
  }
  return tokens.join(",");
}

/**
 * Per term, the snapshot rows whose words hold it; null when a word or posting is malformed. A
 * term found in so many words that decoding their postings would cost more than it spares (a
 * one-letter term) marks every row: those files are read, as without an index.
 */
function markRows(index: WordIndex, terms: readonly string[]): Uint8Array[] | null {
  const rows = index.nums.length;
  const marks = terms.map(() => new Uint8Array(rows));
  const budget = terms.map(() => Math.max(4096, rows * 4));
  const { words, posts } = index;
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    if (typeof w !== "string") return null;
    let runs: number[] | null | undefined;
    for (let i = 0; i < terms.length; i++) {
      if (budget[i] < 0 || !w.includes(terms[i])) continue;
      const p = posts[k];
      budget[i] -= typeof p === "string" ? p.length : 0;
      if (budget[i] < 0) {
        marks[i].fill(1); // Too common to be worth it: every row may hold it.
        continue;
      }
      if (runs === undefined) runs = decodePosts(p, rows);
      if (runs === null) return null;
      const m = marks[i];
      for (let r = 0; r < runs.length; r += 2) m.fill(1, runs[r], runs[r] + runs[r + 1]);
    }
  }
  return marks;
}

/** Every row of the index (snapshot, then log), by ticket number; the last one wins. */
function allRows(index: WordIndex | null): Map<number, WordRow> {
  const byNum = new Map<number, WordRow>();
  if (index === null) return byNum;
  const words: string[][] = index.nums.map(() => []);
  let ok = index.words.length === index.posts.length;
  for (let k = 0; ok && k < index.words.length; k++) {
    const w = index.words[k];
    const runs = decodePosts(index.posts[k], words.length);
    if (typeof w !== "string" || runs === null) {
      ok = false; // Malformed: the snapshot is dropped, never carried forward.
      break;
    }
    for (let r = 0; r < runs.length; r += 2) {
      for (let j = runs[r]; j < runs[r] + runs[r + 1]; j++) words[j].push(w);
    }
  }
  if (ok) {
    index.nums.forEach((n, j) => {
      const h = index.hash[j];
      if (typeof n === "number" && isHash(h)) byNum.set(n, [n, h, ...words[j]]);
    });
  }
  for (const [n, row] of index.log) {
    if (isHash(row[1]) && row.slice(2).every((w) => typeof w === "string")) {
      byNum.set(n, row as WordRow);
    }
  }
  return byNum;
}

/** Writes a snapshot of `rows` (only tickets in `listed`, ascending) and empties the log. */
function writeSnapshot(store: Store, rows: Map<number, WordRow>, listed: readonly number[]): void {
  const nums: number[] = [], hash: number[] = [];
  const byWord = new Map<string, number[]>();
  for (const n of listed) {
    const row = rows.get(n);
    if (row === undefined) continue;
    const j = nums.length;
    nums.push(n);
    hash.push(row[1]);
    for (let i = 2; i < row.length; i++) {
      const w = row[i] as string;
      const at = byWord.get(w);
      if (at === undefined) byWord.set(w, [j]);
      else if (at[at.length - 1] !== j) at.push(j);
    }
  }
  const words = [...byWord.keys()].sort();
  const posts = words.map((w) => encodePosts(byWord.get(w)!));
  const out = { v: VERSION, nums, hash, words, posts };
  ensureDirInside(store.dir, join(store.dir, "cache"));
  const inside = store.dir;
  const path = wordIndexPath(store);
  writeFileAtomic(path, JSON.stringify(out), store.display(path), { durable: false, inside });
  const log = wordLogPath(store);
  writeFileAtomic(log, "", store.display(log), { durable: false, inside });
}

/** Appends lines to the log, only to the file itself, never through a link (no_follow.ts). */
function appendLog(store: Store, rows: readonly WordRow[]): void {
  const lines = rows.map((r) => JSON.stringify(r) + "\n").join("");
  ensureDirInside(store.dir, join(store.dir, "cache"));
  const f = openInside(store.dir, wordLogPath(store), { append: true, create: true })!;
  try {
    const bytes = new TextEncoder().encode(lines);
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
  } finally {
    f.close();
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.lstatSync(path).size;
  } catch {
    return -1;
  }
}

/** Removes the index: readers then read every file. */
function dropWordIndex(store: Store): void {
  for (const p of [wordIndexPath(store), wordLogPath(store)]) {
    try {
      removeInside(store.dir, p);
    } catch {
      // Nothing to remove, or we cannot: readers verify every entry by its hash anyway.
    }
  }
}

/** Adds `rows` to the index: appended to the log, folded into a new snapshot when it grew. */
function record(store: Store, rows: readonly WordRow[], listed: () => readonly number[]): void {
  const snapshot = sizeOf(wordIndexPath(store));
  const log = sizeOf(wordLogPath(store));
  const adding = rows.reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
  if (snapshot < 0 || Math.max(log, 0) + adding > Math.max(64 * 1024, snapshot / 8)) {
    const all = allRows(loadWordIndex(store));
    for (const r of rows) all.set(r[0], r);
    writeSnapshot(store, all, listed());
  } else {
    appendLog(store, rows);
  }
}

/**
 * Brings the index up to date after a mutation wrote tickets (`tx.writtenTickets`, inside the
 * lock): a log line per ticket, and a new snapshot when the log has grown past an eighth of it.
 * A store without an index gets none here (the first search that reads many files makes it).
 * Never fails the mutation: on any error the index is dropped.
 */
export function refreshWordIndex(tx: Tx): void {
  const store = tx.store;
  try {
    if (sizeOf(wordIndexPath(store)) < 0 && sizeOf(wordLogPath(store)) < 0) return;
    const rows: WordRow[] = [];
    for (const { ticket, text } of tx.writtenTickets.values()) {
      rows.push(wordRow(Number(ticket.id.slice(2)), text));
    }
    record(store, rows, () => store.listTicketFiles().numbers);
  } catch {
    dropWordIndex(store);
  }
}

/**
 * Records rows a search made from the files it read (each row from the very text it searched),
 * the way the metadata cache's readers do (ticket_cache.ts `refreshFromReader`): only if the
 * store lock is free right now, only in `.track/cache/`, silently skipped on any failure.
 * `listed` is every ticket number the search saw.
 */
export function recordFromReader(
  store: Store,
  rows: readonly WordRow[],
  listed: readonly number[],
): void {
  let lock: LockHandle | null = null;
  try {
    lock = tryAcquireLockSync(store.lockPath, "search index refresh by a reader");
    if (lock === null) return; // A writer is at work.
    record(store, rows, () => listed);
  } catch {
    // Best effort, and never this reader's error: readers verify every entry.
  } finally {
    lock?.release();
  }
}
