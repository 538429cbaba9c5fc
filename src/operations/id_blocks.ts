/**
 * Ticket numbers from id blocks (docs/sync.md "Ticket numbers"; src/model/id_blocks.ts): the sync
 * step's grab and publish check ({@linkcode planIdGrab}); `create` drawing from this clone's
 * confirmed blocks is in id_draw.ts, `remote add --adopt` in id_adopt.ts. Loaded only with sync
 * on.
 */
import { TrackError } from "../model/errors.ts";
import { formatId, idNumber } from "../model/ids.ts";
import {
  grabFrom,
  type IdBlock,
  lowestFree,
  nextBlockSize,
  parseSequence,
  prunePublished,
  publishable,
  runningLow,
  SEQUENCE_PATH,
  sequenceText,
} from "../model/id_blocks.ts";
import { join } from "../model/path.ts";
import { storePathOf } from "../model/sync_wire.ts";
import { gitText, runGit } from "../store/git.ts";
import {
  clearIdBlockWanted,
  hasIdBlocks,
  idBlockSize,
  idBlockWanted,
  readIdBlocks,
  writeIdBlocks,
} from "../store/id_blocks.ts";
import type { Store } from "../store/store.ts";
import type { SyncPaths } from "../store/sync_config.ts";
import { isAncestor, writeBlobs } from "../store/sync_repo.ts";

const encoder = new TextEncoder();
const TICKET_FILE = /^(?:tickets|archive)\/(T-\d+)\.md$/;

/** The ticket number of a store path (`tickets/T-0042.md`, `archive/…`), or null. */
function numberOf(storePath: string): number | null {
  const m = TICKET_FILE.exec(storePath);
  return m === null ? null : idNumber(m[1]);
}

export function numbersOf(...trees: Iterable<string>[]): Set<number> {
  const out = new Set<number>();
  for (const t of trees) {
    for (const p of t) {
      const n = numberOf(p);
      if (n !== null) out.add(n);
    }
  }
  return out;
}

/** The remote's sequence at `commit` (null: none, or not a number: recomputed from the tree). */
export async function readSequence(gitDir: string, commit: string): Promise<number | null> {
  const r = await runGit(["cat-file", "blob", `${commit}:${SEQUENCE_PATH}`], { gitDir });
  return r.code === 0 ? parseSequence(gitText(r)) : null;
}

/** Whether `commit` is in the history of `tip` (a commit gc removed: no). */
async function landed(gitDir: string, commit: string, tip: string): Promise<boolean> {
  try {
    return await isAncestor(gitDir, commit, tip);
  } catch {
    return false;
  }
}

/** What one attempt of a sync step knows when it is about to decide whether to publish. */
export interface GrabContext {
  store: Store;
  paths: SyncPaths;
  /** The remote tip this attempt builds on (null: the remote has no state yet). */
  tip: string | null;
  /** Blob ids by store path: the merge base, this clone's snapshot, the tip, the merge result. */
  base: ReadonlyMap<string, string>;
  ours: ReadonlyMap<string, string>;
  theirs: ReadonlyMap<string, string>;
  out: ReadonlyMap<string, string>;
  /** Tickets of ours the merge renumbered (the add/add safety net): published as they are. */
  renumbered: ReadonlyArray<{ from: string; to: string }>;
  /** Wire path → blob (null: removed) this attempt changes in the tip; a grab adds `sequence`. */
  changes: Map<string, string | null>;
  /** A create found no number: grab a block even if nothing else is published. */
  ask: boolean;
  /** The step publishes nothing (`--fetch-only`). */
  fetchOnly: boolean;
}

/** A block this attempt reserves: the sync step reports the commit that carries it. */
export interface IdGrab {
  start: number;
  end: number;
  /** The commit carrying the grab was made (before its push): recorded as pending. */
  carried(commit: string): void;
  /** The remote accepted that commit: the block is confirmed. */
  accepted(): void;
}

/**
 * The sync step's hook before it decides whether to publish (src/operations/sync.ts):
 *
 * 1. Settles blocks whose push this clone never saw answered: confirmed when the commit that
 *    carried them is an ancestor of the tip, forgotten when the tip moved on without it.
 * 2. Refuses (exit 6, naming the files) to publish a new ticket whose number lies in none of
 *    this clone's blocks (a hand-made ticket file), once the clone has blocks.
 * 3. Adds a grab to `changes` (the `sequence` bump rides in this attempt's commit) when a create
 *    asked for one, or when fewer than half of the last block remain and the step publishes
 *    anyway. Returns it, or null.
 */
export async function planIdGrab(ctx: GrabContext): Promise<IdGrab | null> {
  const { paths, tip } = ctx;
  const gitDir = paths.commonDir;
  let blocks = readIdBlocks(paths);
  if (blocks.blocks.some((b) => b.state === "pending")) {
    const kept: IdBlock[] = [];
    let grabs = blocks.grabs;
    for (const b of blocks.blocks) {
      if (b.state !== "pending") kept.push(b);
      else if (tip !== null && await landed(gitDir, b.commit, tip)) {
        kept.push({ ...b, state: "confirmed" });
        grabs++;
      } else if (tip === b.on) kept.push(b); // Its push may still land on this very tip.
    }
    blocks = { schema: 1, grabs, blocks: kept };
    writeIdBlocks(paths, blocks);
  }
  if (ctx.fetchOnly) return null;

  if (tip !== null && hasIdBlocks(paths)) {
    const moved = new Set(ctx.renumbered.map((r) => r.to));
    const known = (id: string) =>
      [ctx.theirs, ctx.base].some((t) => t.has(`tickets/${id}.md`) || t.has(`archive/${id}.md`));
    const stray: string[] = [];
    for (const [wire, oid] of ctx.changes) {
      const p = oid === null ? null : storePathOf(wire);
      const n = p === null ? null : numberOf(p);
      if (n === null) continue;
      const id = formatId(n);
      if (!known(id) && !moved.has(id) && !publishable(blocks, n)) stray.push(p!);
    }
    if (stray.length > 0) {
      const shown = stray.sort().map((p) => ctx.store.display(join(ctx.store.dir, p)));
      throw new TrackError(
        "badData",
        `Cannot publish ${shown.join(", ")}: a new ticket whose number lies in none of this ` +
          "clone's id blocks (a ticket file made by hand or copied in; track create draws " +
          "numbers that no other clone can use); nothing was published",
        {
          hint: "recreate it with track create (it gets a number of this clone's block), then " +
            `move ${shown[0]} out of the store; then run: track sync`,
          detail: { files: shown },
        },
      );
    }
  }

  const asked = ctx.ask || idBlockWanted(paths);
  if (!asked && !(blocks.grabs > 0 && ctx.changes.size > 0)) return null;
  const used = numbersOf(ctx.ours.keys(), ctx.out.keys());
  if (!runningLow(blocks, (n) => used.has(n))) return null;

  const size = nextBlockSize(blocks.grabs, idBlockSize(paths));
  const sequence = tip === null ? null : await readSequence(gitDir, tip);
  let max = 0;
  for (const n of numbersOf(ctx.theirs.keys(), ctx.out.keys())) max = Math.max(max, n);
  const grab = grabFrom(sequence, max, size);
  const [oid] = await writeBlobs(gitDir, paths.private, [
    encoder.encode(sequenceText(grab.next)),
  ]);
  ctx.changes.set(SEQUENCE_PATH, oid);
  // The numbers on the remote once this attempt's commit is accepted.
  const published = numbersOf(ctx.theirs.keys());
  for (const [wire, oid] of ctx.changes) {
    const p = oid === null ? null : storePathOf(wire);
    const n = p === null ? null : numberOf(p);
    if (n !== null) published.add(n);
  }
  let carrier: string | null = null;
  return {
    start: grab.start,
    end: grab.end,
    carried(commit) {
      carrier = commit;
      const now = readIdBlocks(paths);
      now.blocks.push({ start: grab.start, end: grab.end, commit, on: tip, state: "pending" });
      writeIdBlocks(paths, now);
    },
    accepted() {
      const now = readIdBlocks(paths);
      let grabs = now.grabs;
      const list = now.blocks.map((b) => {
        if (b.state !== "pending" || b.commit !== carrier) return b;
        grabs++;
        return { ...b, state: "confirmed" as const };
      });
      writeIdBlocks(
        paths,
        prunePublished({ schema: 1, grabs, blocks: list }, (n) => published.has(n)),
      );
      clearIdBlockWanted(paths);
    },
  };
}

/**
 * A number of this clone's confirmed blocks for a ticket created here that a sync's apply must
 * renumber (its number arrived with the remote's state): free in the store, in `target` (store
 * path → blob) and for `taken`. Null when the clone has no block or none is left (then the
 * caller numbers above everything, as a store from before blocks does).
 */
export function drawForRenumber(
  store: Store,
  target: ReadonlyMap<string, string>,
  taken: (id: string) => boolean,
): string | null {
  if (store.home === null || !hasIdBlocks(store.home.paths)) return null;
  const n = lowestFree(readIdBlocks(store.home.paths), (k) => {
    const id = formatId(k);
    if (taken(id) || target.has(`tickets/${id}.md`) || target.has(`archive/${id}.md`)) return true;
    for (const folder of ["tickets", "archive"]) {
      try {
        Deno.lstatSync(join(store.dir, folder, `${id}.md`));
        return true;
      } catch {
        // Free here.
      }
    }
    return false;
  });
  return n === null ? null : formatId(n);
}
