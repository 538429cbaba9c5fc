/**
 * What the sync suites (tests/suites/sync_*_test.ts) share: reading a clone's synced state,
 * syncing clones until they agree, and the checks "identical state", "no conflict marker",
 * "the state ref is a complete commit".
 */
import { assert, assertEquals } from "../assert.ts";
import type { Clone, Outcome, SyncWorld } from "../sync_world.ts";
import { parseTicket, type Ticket } from "../../src/model/ticket.ts";

/** Store paths that sync (docs/sync.md): tickets, archive, board, agents, reservations. */
const SYNCED = /^(tickets\/|archive\/|board\/|agents\/|reservations\.json$)/;

/** Every synced file of a clone's store: store-relative path -> text. */
export function syncedFiles(clone: Clone): Map<string, string> {
  const root = clone.storeDir;
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (SYNCED.test(p) && !e.name.startsWith(".")) {
        out.set(p, Deno.readTextFileSync(`${root}/${p}`));
      }
    }
  };
  walk("");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The tickets of a clone (tickets/ and archive/), parsed; a file that does not parse throws. */
export function ticketsOf(clone: Clone): Ticket[] {
  const out: Ticket[] = [];
  for (const [path, text] of syncedFiles(clone)) {
    const m = /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(path);
    if (m) out.push(parseTicket(text, m[1]));
  }
  return out;
}

/** Every board file of a clone, concatenated (for "is this text on the board"). */
export function boardOf(clone: Clone): string {
  return [...syncedFiles(clone)].filter(([p]) => p.startsWith("board/")).map(([, t]) => t)
    .join("\n");
}

/** Lines that look like a line merge's conflict markers, with their file. */
export function conflictMarkers(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    for (const line of text.split("\n")) {
      if (/^(<{7}|={7}|>{7}|\|{7})( |$)/.test(line)) out.push(`${path}: ${line}`);
    }
  }
  return out;
}

/** `track sync` in `clone`, failing the test unless it exits 0. */
export async function syncOk(clone: Clone, env?: Record<string, string>): Promise<Outcome> {
  const r = await clone.sync([], { env });
  assertEquals(r.code, 0, `${clone.name}: track sync exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

/**
 * Syncs every clone in `order` round after round until one whole round leaves the remote's
 * state ref where it was (every clone has fetched the last push); returns the rounds it took.
 * Fails if any sync exits non-zero or if `maxRounds` pass without agreement.
 */
export async function converge(world: SyncWorld, order: Clone[], maxRounds = 4): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    const before = await world.remoteRef();
    for (const c of order) await syncOk(c);
    if (round > 1 && (await world.remoteRef()) === before) return round;
  }
  throw new Error(`clones ${order.map((c) => c.name)} did not agree in ${maxRounds} rounds`);
}

/** Every clone holds the same synced files (byte for byte) as the first. */
export function assertSameState(clones: Clone[]): void {
  const first = syncedFiles(clones[0]);
  for (const c of clones.slice(1)) {
    const other = syncedFiles(c);
    const diff: string[] = [];
    for (const p of new Set([...first.keys(), ...other.keys()])) {
      if (first.get(p) !== other.get(p)) diff.push(p);
    }
    assertEquals(diff, [], `${clones[0].name} and ${c.name} differ`);
  }
}

/**
 * The remote's state ref names a complete commit: every object it reaches is present
 * (`git rev-list --objects` reads them all) and its tree has meta.json (the wire layout).
 */
export async function assertCompleteState(world: SyncWorld, ref = "refs/track/state") {
  const oid = await world.remoteRef(ref);
  assert(oid !== null, `the remote has no ${ref}`);
  const objects = await world.bareGit(["rev-list", "--objects", "--missing=error", oid!]);
  assertEquals(objects.code, 0, `state ${oid} is not complete: ${objects.stderr}`);
  const meta = await world.bareGit(["cat-file", "-e", `${oid}:meta.json`]);
  assertEquals(meta.code, 0, `state ${oid} has no meta.json`);
  return oid!;
}
