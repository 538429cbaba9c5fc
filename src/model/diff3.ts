/**
 * Line diff (Myers) and a three-way line merge, pure. Used by the sync merge for ticket body
 * sections other than the Work Log. A conflict keeps the `theirs` text and hands back the
 * `ours` text of each conflicting region, so the caller can post it instead of writing markers.
 */

/** A changed range: lines `[aStart, aEnd)` of `a` became lines `[bStart, bEnd)` of `b`. */
export interface Hunk {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** Beyond this many edits the middle of a diff is taken as one changed block (bounded cost). */
const MAX_EDITS = 2000;

/** The changed ranges between two line arrays, in order (Myers' O(ND) diff). */
export function diffLines(a: readonly string[], b: readonly string[]): Hunk[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre && suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  ) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n === 0 && m === 0) return [];
  const pairs = n === 0 || m === 0 ? [] : middlePairs(a, b, pre, n, m);
  if (pairs === null) return [{ aStart: pre, aEnd: pre + n, bStart: pre, bEnd: pre + m }];
  const hunks: Hunk[] = [];
  let x = 0;
  let y = 0;
  for (const [px, py] of [...pairs, [n, m] as [number, number]]) {
    if (px > x || py > y) {
      hunks.push({ aStart: pre + x, aEnd: pre + px, bStart: pre + y, bEnd: pre + py });
    }
    x = px + 1;
    y = py + 1;
  }
  return hunks;
}

/** Matched index pairs of the middles (offsets from `pre`), ascending; null past MAX_EDITS. */
function middlePairs(
  a: readonly string[],
  b: readonly string[],
  pre: number,
  n: number,
  m: number,
): Array<[number, number]> | null {
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && d <= MAX_EDITS && !found; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])
        ? v[off + k + 1]
        : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[pre + x] === b[pre + y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    trace.push(v.slice(off - d, off + d + 1));
  }
  if (!found) return null;
  const pairs: Array<[number, number]> = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1];
    const at = (k: number) => prev[k + d - 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    // One edit from (prevX, prevY) to the start of the snake, then the snake's matched lines.
    const xMid = prevK === k + 1 ? prevX : prevX + 1;
    const yMid = xMid - k;
    while (x > xMid && y > yMid) pairs.push([--x, --y]);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) pairs.push([--x, --y]);
  return pairs.reverse();
}

/** Result of {@linkcode merge3Lines}. */
export interface Merge3Result {
  /** The merged lines; every conflicting region holds `theirs`' lines. */
  lines: string[];
  /** Each conflicting region: `ours`' lines that were not kept, and the line in `base`. */
  conflicts: Array<{ baseLine: number; ours: string[]; theirs: string[] }>;
}

/**
 * Three-way merge of line arrays. Changes of one side apply; changes of both sides to
 * overlapping or touching regions apply when identical and are otherwise a conflict, resolved
 * for `theirs`.
 */
export function merge3Lines(
  base: readonly string[],
  ours: readonly string[],
  theirs: readonly string[],
): Merge3Result {
  type Side = { hunk: Hunk; side: 0 | 1 };
  const all: Side[] = [
    ...diffLines(base, ours).map((hunk) => ({ hunk, side: 0 as const })),
    ...diffLines(base, theirs).map((hunk) => ({ hunk, side: 1 as const })),
  ].sort((p, q) => p.hunk.aStart - q.hunk.aStart || p.side - q.side);
  const sides = [ours, theirs];
  const lines: string[] = [];
  const conflicts: Merge3Result["conflicts"] = [];
  let pos = 0;
  let i = 0;
  while (i < all.length) {
    const region: Side[] = [all[i]];
    const start = all[i].hunk.aStart;
    let end = all[i].hunk.aEnd;
    i++;
    while (i < all.length && all[i].hunk.aStart <= end) {
      end = Math.max(end, all[i].hunk.aEnd);
      region.push(all[i++]);
    }
    lines.push(...base.slice(pos, start));
    pos = end;
    // Each side's text over [start, end): its hunks there, base lines around them.
    const textOf = (s: 0 | 1): string[] => {
      const hs = region.filter((r) => r.side === s).map((r) => r.hunk);
      if (hs.length === 0) return base.slice(start, end);
      const first = hs[0];
      const last = hs[hs.length - 1];
      return sides[s].slice(first.bStart - (first.aStart - start), last.bEnd + (end - last.aEnd));
    };
    const o = textOf(0);
    const t = textOf(1);
    const touched = new Set(region.map((r) => r.side));
    if (touched.size === 1) lines.push(...(touched.has(0) ? o : t));
    else {
      lines.push(...t);
      if (o.length !== t.length || o.some((l, j) => l !== t[j])) {
        conflicts.push({ baseLine: start, ours: o, theirs: t });
      }
    }
  }
  lines.push(...base.slice(pos));
  return { lines, conflicts };
}
