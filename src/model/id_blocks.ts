/**
 * Ticket numbers that never collide across clones (docs/sync.md "Ticket numbers"; design sync.md
 * §2.2, §7.4). Pure: no I/O.
 *
 * The state ref holds a wire-only file `sequence`: the next number no clone has reserved. A clone
 * reserves a block `[start, end)` by bumping it in one of its sync commits (the compare-and-swap
 * push makes two clones' grabs exclusive), and uses a number only once the push that carried the
 * grab was accepted (the commit is an ancestor of the remote's state): a block is confirmed by
 * commit identity, never by comparing values. Blocks start at {@linkcode FIRST_BLOCK} numbers
 * and double with each grab up to `id_block` (sync.json, default {@linkcode DEFAULT_ID_BLOCK}).
 */

/** Size of a clone's first block. */
export const FIRST_BLOCK = 5;

/** Largest block by default (`id_block` in sync.json overrides). */
export const DEFAULT_ID_BLOCK = 50;

/** Wire path of the sequence file in a state tree (never in a store). */
export const SEQUENCE_PATH = "sequence";

/** One reserved block of numbers: `[start, end)`, carried by `commit`. */
export interface IdBlock {
  start: number;
  end: number;
  /** The state commit whose push carried the grab. */
  commit: string;
  /** The remote tip that commit was built on (its only parent; null: the first state). */
  on: string | null;
  /**
   * `pending`: pushed, not known to be accepted (never drawn from); `confirmed`: the commit is an
   * ancestor of the remote's state; `retired`: dropped (a copied clone): never drawn from again,
   * but tickets of this store that already hold one of its numbers may still be published.
   */
  state: "pending" | "confirmed" | "retired";
}

/** This clone's blocks (`<git common dir>/track/sync/id-blocks.json`). */
export interface IdBlocks {
  schema: 1;
  /** Confirmed grabs so far (the next block is {@linkcode nextBlockSize}). */
  grabs: number;
  blocks: IdBlock[];
}

/** No block yet. */
export function emptyIdBlocks(): IdBlocks {
  return { schema: 1, grabs: 0, blocks: [] };
}

/** The size of the next block: 5, 10, 20, … up to `max`. */
export function nextBlockSize(grabs: number, max: number): number {
  const size = FIRST_BLOCK * 2 ** Math.min(grabs, 30);
  return Math.max(1, Math.min(size, max));
}

/** The text of the sequence file for next free number `n`. */
export function sequenceText(n: number): string {
  return `${String(n).padStart(4, "0")}\n`;
}

/** The number a sequence file holds, or null when it is not one (then it is recomputed). */
export function parseSequence(text: string | null): number | null {
  if (text === null) return null;
  const m = /^(\d{1,9})\n?$/.exec(text);
  return m === null ? null : Number(m[1]);
}

/**
 * The block a grab reserves: from the remote's sequence (null: none, or not readable), but never
 * below a number the published tree already uses (`maxUsed`: states from before blocks,
 * renumbered tickets), and the sequence that follows it.
 */
export function grabFrom(
  sequence: number | null,
  maxUsed: number,
  size: number,
): { start: number; end: number; next: number } {
  const start = Math.max(sequence ?? 1, maxUsed + 1, 1);
  return { start, end: start + size, next: start + size };
}

/** Whether a new ticket numbered `n` may be published: `n` lies in a confirmed or retired block. */
export function publishable(blocks: IdBlocks, n: number): boolean {
  return blocks.blocks.some((b) => b.state !== "pending" && n >= b.start && n < b.end);
}

function confirmedBlocks(blocks: IdBlocks): IdBlock[] {
  return blocks.blocks.filter((b) => b.state === "confirmed").sort((a, b) => a.start - b.start);
}

/** The lowest number of a confirmed block that `used` does not hold, or null. */
export function lowestFree(blocks: IdBlocks, used: (n: number) => boolean): number | null {
  for (const b of confirmedBlocks(blocks)) {
    for (let n = b.start; n < b.end; n++) if (!used(n)) return n;
  }
  return null;
}

/** How many numbers of confirmed blocks `used` does not hold. */
export function freeCount(blocks: IdBlocks, used: (n: number) => boolean): number {
  let free = 0;
  for (const b of confirmedBlocks(blocks)) {
    for (let n = b.start; n < b.end; n++) if (!used(n)) free++;
  }
  return free;
}

/**
 * Whether fewer than half of the clone's last confirmed block remain free (no block at all:
 * fewer than one). A sync grabs then, when it publishes anyway or a create asked for a block.
 */
export function runningLow(blocks: IdBlocks, used: (n: number) => boolean): boolean {
  const last = confirmedBlocks(blocks).at(-1);
  const half = last === undefined ? 1 : (last.end - last.start) / 2;
  return freeCount(blocks, used) < half;
}

/**
 * The blocks left once every number of a confirmed or retired block is `published` (on the
 * remote): nothing of it is left to draw or to publish.
 */
export function prunePublished(blocks: IdBlocks, published: (n: number) => boolean): IdBlocks {
  return {
    ...blocks,
    blocks: blocks.blocks.filter((b) => {
      if (b.state === "pending") return true;
      for (let n = b.start; n < b.end; n++) if (!published(n)) return true;
      return false;
    }),
  };
}

/** Every block retired (a copied clone): none is drawn from again; the next create grabs anew. */
export function retireAll(blocks: IdBlocks): IdBlocks {
  return {
    schema: 1,
    grabs: 0,
    blocks: blocks.blocks.filter((b) => b.state !== "pending").map((b) => ({
      ...b,
      state: "retired" as const,
    })),
  };
}

/** The JSON of an {@linkcode IdBlocks} (fixed key order). */
export function serializeIdBlocks(blocks: IdBlocks): string {
  return JSON.stringify(
    {
      schema: 1,
      grabs: blocks.grabs,
      blocks: blocks.blocks.map((b) => ({
        start: b.start,
        end: b.end,
        commit: b.commit,
        on: b.on,
        state: b.state,
      })),
    },
    null,
    2,
  ) + "\n";
}

/** Parses an {@linkcode IdBlocks} file's text; null when it is not one. */
export function parseIdBlocks(text: string): IdBlocks | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const r = v as Record<string, unknown> | null;
  if (
    r === null || typeof r !== "object" || r.schema !== 1 || !Number.isInteger(r.grabs) ||
    (r.grabs as number) < 0 || !Array.isArray(r.blocks)
  ) return null;
  const blocks: IdBlock[] = [];
  for (const x of r.blocks as unknown[]) {
    const b = x as Record<string, unknown> | null;
    if (
      b === null || typeof b !== "object" || !Number.isInteger(b.start) ||
      !Number.isInteger(b.end) || (b.start as number) < 1 ||
      (b.end as number) <= (b.start as number) || typeof b.commit !== "string" ||
      !(b.on === null || typeof b.on === "string") ||
      !(b.state === "pending" || b.state === "confirmed" || b.state === "retired")
    ) return null;
    blocks.push({
      start: b.start as number,
      end: b.end as number,
      commit: b.commit,
      on: b.on as string | null,
      state: b.state,
    });
  }
  return { schema: 1, grabs: r.grabs as number, blocks };
}
