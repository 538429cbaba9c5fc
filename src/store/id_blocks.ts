/**
 * This clone's id blocks on disk (src/model/id_blocks.ts; docs/sync.md "Ticket numbers"), in the
 * sync engine's private directory: `id-blocks.json` (written atomically by the sync step, under
 * the clone's sync lock, and by `remote add --adopt`), and `id-block-wanted` (made by a `create`
 * that found no number: the next `track sync` grabs a block even when it has nothing else to
 * publish). `id_block` in sync.json caps the block size.
 */
import { badDataError } from "../model/errors.ts";
import {
  DEFAULT_ID_BLOCK,
  emptyIdBlocks,
  type IdBlocks,
  parseIdBlocks,
  retireAll,
  serializeIdBlocks,
} from "../model/id_blocks.ts";
import { join } from "../model/path.ts";
import { writeFileAtomic } from "./atomic.ts";
import type { SyncPaths } from "./sync_config.ts";

/** The blocks file of a clone. */
export function idBlocksFile(paths: Pick<SyncPaths, "private">): string {
  return join(paths.private, "id-blocks.json");
}

function wantedFile(paths: Pick<SyncPaths, "private">): string {
  return join(paths.private, "id-block-wanted");
}

/**
 * This clone's blocks (none when the file is missing). A file that does not parse is exit 6
 * naming it: it is never rewritten, and no number is drawn from a guess.
 */
export function readIdBlocks(paths: Pick<SyncPaths, "private">): IdBlocks {
  const path = idBlocksFile(paths);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyIdBlocks();
    throw e;
  }
  const blocks = parseIdBlocks(text);
  if (blocks === null) {
    throw badDataError(path, "not this clone's id blocks", {
      hint:
        `move it aside (mv '${path}' '${path}.broken'); the next track create grabs a new block`,
    });
  }
  return blocks;
}

/** Whether this clone has a blocks file (it grabbed a block since sync was turned on). */
export function hasIdBlocks(paths: Pick<SyncPaths, "private">): boolean {
  try {
    Deno.lstatSync(idBlocksFile(paths));
    return true;
  } catch {
    return false;
  }
}

/** Writes this clone's blocks atomically (durably: a confirmed block is never forgotten). */
export function writeIdBlocks(paths: Pick<SyncPaths, "private">, blocks: IdBlocks): void {
  Deno.mkdirSync(paths.private, { recursive: true });
  const path = idBlocksFile(paths);
  writeFileAtomic(path, serializeIdBlocks(blocks), path);
}

/**
 * Forgets this clone's blocks (a copied clone: its copy of the blocks is the original's too):
 * none is drawn from again and the next `create` grabs a new block through a sync. The old
 * blocks are kept as `retired`, so that tickets this store already numbered from them (made
 * before the copy) may still be published; their unused numbers become gaps. A blocks file that
 * does not parse is moved aside to `id-blocks.json.broken`.
 */
export function dropIdBlocks(paths: Pick<SyncPaths, "private">): void {
  const path = idBlocksFile(paths);
  let blocks: IdBlocks | null = null;
  try {
    blocks = readIdBlocks(paths);
  } catch {
    Deno.renameSync(path, `${path}.broken`);
  }
  if (blocks !== null && blocks.blocks.length + blocks.grabs > 0) {
    writeIdBlocks(paths, retireAll(blocks));
  }
  clearIdBlockWanted(paths);
}

/** Notes that a create found no number (the next sync grabs a block). */
export function markIdBlockWanted(paths: Pick<SyncPaths, "private">): void {
  try {
    Deno.mkdirSync(paths.private, { recursive: true });
    Deno.writeTextFileSync(wantedFile(paths), "");
  } catch {
    // Only a hint for the next sync: a create that asks again grabs one itself.
  }
}

/** Whether a create asked for a block since the last grab. */
export function idBlockWanted(paths: Pick<SyncPaths, "private">): boolean {
  try {
    Deno.lstatSync(wantedFile(paths));
    return true;
  } catch {
    return false;
  }
}

/** Clears the note of {@linkcode markIdBlockWanted} (a block was grabbed). */
export function clearIdBlockWanted(paths: Pick<SyncPaths, "private">): void {
  try {
    Deno.removeSync(wantedFile(paths));
  } catch {
    // Already gone.
  }
}

/**
 * The largest block this clone grabs: `id_block` in sync.json (a whole number from 1 to
 * 100000), else {@linkcode DEFAULT_ID_BLOCK}. A value of another shape is exit 6 naming the file.
 */
export function idBlockSize(paths: Pick<SyncPaths, "config">): number {
  let raw: unknown;
  try {
    raw = (JSON.parse(Deno.readTextFileSync(paths.config)) as Record<string, unknown>).id_block;
  } catch {
    return DEFAULT_ID_BLOCK; // readSyncConfig reports a sync.json that does not read.
  }
  if (raw === undefined || raw === null) return DEFAULT_ID_BLOCK;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > 100_000) {
    throw badDataError(paths.config, `"id_block" must be a whole number from 1 to 100000`, {
      hint: `fix it by hand (default ${DEFAULT_ID_BLOCK}), then retry`,
    });
  }
  return raw;
}
