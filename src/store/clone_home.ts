/**
 * Where a clone lives (docs/sync.md "Identities", design §7.4). With sync on, the clone id
 * (`<sync home>/clone-id`, oplog.ts) is stored with a fingerprint of the place it belongs to, in
 * `<sync home>/clone-fingerprint.json`:
 *
 * ```
 * {"clone":"3f9a0c12b7e4","dev":65024,"ino":260072,"machine_id":"3d1219c7…"}
 * ```
 *
 * `dev` and `ino` are the device and inode of the sync home directory (`<git common dir>/track`),
 * `machine_id` is `/etc/machine-id` (null when it cannot be read). A clone copied with its git
 * directory (a container image, a VM snapshot, `cp -a`) carries the file along but lives in
 * another directory (another inode) or on another machine: the first write of a sync store there
 * ({@linkcode settleCloneHome}, run by `Store.mutate` under the lock) finds the mismatch, mints a
 * new clone id, re-homes the agents of the old one that were never published (published ones stay
 * the original's: acting as them here exits 3), drops what belonged to the original
 * (its id blocks, its observations, its pending decisions) and says so once (stderr and a board
 * event `clone-copied`). Moving a clone within one file system keeps the inode: not a copy.
 * A missing fingerprint (a clone synced before this existed) is recorded as it is.
 */
import { badDataError, ioError, TrackError } from "../model/errors.ts";
import { boardEntryText } from "../model/board_entry.ts";
import { isoSeconds } from "../model/time.ts";
import { parseAgent, serializeAgent } from "../model/agent.ts";
import { join } from "../model/path.ts";
import { type SyncPaths, syncPaths } from "./sync_config.ts";
import { writeFileAtomic } from "./atomic.ts";
import { CLONE_ID, OPLOG_FILE, oplogLine, readCloneId, readOplog } from "./oplog.ts";
import { claimIdOf, withClaimGroup } from "../model/decision.ts";
import type { Tx } from "./store.ts";

/** Name of the fingerprint file in the sync home. */
export const FINGERPRINT_FILE = "clone-fingerprint.json";

/** Where a clone id was found to live. */
export interface CloneFingerprint {
  /** The clone id this fingerprint belongs to. */
  clone: string;
  /** Device and inode of the sync home directory (`<git common dir>/track`). */
  dev: number;
  ino: number;
  /** `/etc/machine-id`, or null when it cannot be read. */
  machine_id: string | null;
}

/** The fingerprint file of a clone's sync paths. */
export function fingerprintPath(paths: Pick<SyncPaths, "home">): string {
  return join(paths.home, FINGERPRINT_FILE);
}

/** The machine's id (`/etc/machine-id`), or null when it cannot be read. */
function machineId(): string | null {
  try {
    const id = Deno.readTextFileSync("/etc/machine-id").trim();
    return /^[0-9A-Za-z-]{1,64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Where the sync home is now: its device and inode, and this machine's id. */
export function whereNow(home: string): Omit<CloneFingerprint, "clone"> {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(home);
  } catch (e) {
    throw ioError("read", home, e);
  }
  return { dev: info.dev ?? 0, ino: info.ino ?? 0, machine_id: machineId() };
}

const HINT = (path: string) =>
  `move it aside (mv '${path}' '${path}.broken'); the next write records where this clone ` +
  "lives again";

/** The recorded fingerprint, or null when there is none. Exit 6 when it does not read. */
export function readFingerprint(path: string): CloneFingerprint | null {
  let text: string;
  try {
    const info = Deno.lstatSync(path);
    if (!info.isFile || info.size > 4096) {
      throw badDataError(path, "is not a clone fingerprint file (a small regular file)", {
        hint: HINT(path),
      });
    }
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e instanceof TrackError ? e : ioError("read", path, e);
  }
  let v: Partial<CloneFingerprint> | null = null;
  try {
    v = JSON.parse(text);
  } catch {
    // Reported below.
  }
  if (
    v === null || typeof v !== "object" || typeof v.clone !== "string" ||
    !CLONE_ID.test(v.clone) || !Number.isSafeInteger(v.dev) || !Number.isSafeInteger(v.ino) ||
    !(v.machine_id === null || typeof v.machine_id === "string")
  ) {
    throw badDataError(
      path,
      'expected {"clone":"<12 hex digits>","dev":N,"ino":N,"machine_id":"…" or null}',
      { hint: HINT(path) },
    );
  }
  return { clone: v.clone, dev: v.dev!, ino: v.ino!, machine_id: v.machine_id ?? null };
}

function writeFingerprint(path: string, fp: CloneFingerprint): void {
  writeFileAtomic(
    path,
    JSON.stringify({ clone: fp.clone, dev: fp.dev, ino: fp.ino, machine_id: fp.machine_id }) +
      "\n",
  );
}

/** A fresh random clone id replacing the one in `paths.cloneId` (durably). */
function mintCloneId(paths: Pick<SyncPaths, "cloneId">): string {
  const id = [...crypto.getRandomValues(new Uint8Array(6))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  writeFileAtomic(paths.cloneId, id + "\n");
  return id;
}

/** What {@linkcode settleCloneHome} did. */
export interface CloneMove {
  /** The id the fingerprint belonged to (the original's). */
  from: string;
  /** This clone's id now. */
  to: string;
  /** The clone was copied (not only given a new id by hand). */
  copied: boolean;
  /** Agents re-homed from `from` to `to`. */
  agents: string[];
  /** Tickets whose pending claims (the original's) were undone here. */
  withdrawn: string[];
}

/**
 * Under the store lock of a sync store, before a mutation decides anything: the clone id still
 * lives where it was minted, or the clone was copied and gets its own identity (see the module
 * doc). Returns this clone's id, and what moved (null when nothing did: the usual case, one stat
 * and two small reads).
 * The re-homing and the board event are writes of `tx`; the fingerprint is written after it
 * commits, so a mutation that fails leaves the next one to do this again (the new id stays).
 */
export async function settleCloneHome(
  tx: Tx,
  paths: Pick<SyncPaths, "home" | "cloneId" | "commonDir" | "private">,
  now: Date,
): Promise<{ id: string; moved: CloneMove | null }> {
  const file = fingerprintPath(paths);
  const recorded = readFingerprint(file);
  const here = whereNow(paths.home);
  let id = readCloneId(paths, { create: true })!;
  if (recorded === null) {
    tx.afterCommit(() => writeFingerprint(file, { clone: id, ...here }));
    return { id, moved: null };
  }
  const copied = recorded.dev !== here.dev || recorded.ino !== here.ino ||
    recorded.machine_id !== here.machine_id;
  if (!copied && recorded.clone === id) return { id, moved: null };
  // Copied: the id is the original's. (Already replaced: a mutation that did this failed after.)
  if (copied && recorded.clone === id) id = mintCloneId(paths);
  // Agents of the old id registered here and not published yet move with the copy (both clones
  // then publish one: the merge keeps the name for the first); published ones stay the original's.
  const agents = rehomeAgents(tx, recorded.clone, id, await publishedAgents(paths.commonDir));
  // Its id blocks are the original's: none is drawn from again (the next create reserves one).
  if (copied) (await import("./id_blocks.ts")).dropIdBlocks(syncPaths(paths.commonDir));
  // The lease observations (first-seen times of other clones' heartbeat tokens) were timed on the
  // original's clock: this clone observes anew (later reclaims, never earlier ones).
  if (copied) dropObservations(paths);
  // Its pending decisions are the original's, which publishes them (or withdraws them after an
  // exit 8): this copy neither replays them nor publishes their effect as plain changes.
  const withdrawn = copied ? withdrawPendingDecisions(tx, paths) : [];
  if (copied) {
    postEvent(
      tx,
      now,
      `This clone was copied (it lived elsewhere as clone ${recorded.clone}): it is clone ${id} ` +
        `now` + (agents.length > 0 ? `; agents ${agents.join(", ")} act from it` : ""),
    );
  }
  tx.afterCommit(() => writeFingerprint(file, { clone: id, ...here }));
  return { id, moved: { from: recorded.clone, to: id, copied, agents, withdrawn } };
}

/**
 * Name of the lease observations file in the engine's private directory (`OBSERVED_FILE` of
 * src/operations/leases.ts, which this tier may not import; tests/sync_identity_test.ts checks
 * they agree).
 */
export const OBSERVED_FILE = "observed.json";

function dropObservations(paths: Pick<SyncPaths, "private">): void {
  const path = join(paths.private, OBSERVED_FILE);
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw ioError("remove", path, e);
  }
}

/** The highest oplog seq the sync engine published (`<private>/state.json`), 0 when none. */
function publishedSeq(paths: Pick<SyncPaths, "private">): number {
  try {
    const v = JSON.parse(Deno.readTextFileSync(join(paths.private, ENGINE_STATE_FILE)));
    return Number.isSafeInteger(v?.published_seq) ? v.published_seq : 0;
  } catch {
    return 0;
  }
}

/**
 * The engine's record of a clone in its private directory (`engineStateFile` of
 * src/operations/sync.ts, which this tier may not import).
 */
export const ENGINE_STATE_FILE = "state.json";

/**
 * Undoes, in `tx`, the local effect of the decisions not published yet (newest first: a claim's
 * ticket gets back the claim group the claim was made on, when it still has that tenure) and
 * drops the `decision` of those oplog lines, so no sync of this copy replays them. Returns the
 * tickets given back.
 */
function withdrawPendingDecisions(tx: Tx, paths: Pick<SyncPaths, "private">): string[] {
  const dir = tx.store.dir;
  const all = readOplog(dir, 0);
  const published = publishedSeq(paths);
  const last = all.length === 0 ? 0 : all[all.length - 1].seq;
  const pending = new Set(
    (last < published ? all : all.filter((e) => e.seq > published))
      .filter((e) => e.decision !== undefined),
  );
  if (pending.size === 0) return [];
  const undone: string[] = [];
  for (const e of [...pending].reverse()) {
    const d = e.decision!;
    if (d.kind !== "claim" || d.ticket === null || d.claim_id === null) continue;
    const t = tx.tryReadTicket(d.ticket);
    if (t === null || claimIdOf(t) !== d.claim_id || t.claimed_by !== d.agent) continue;
    tx.writeTicket(withClaimGroup(
      t,
      d.prev ?? {
        status: "backlog",
        claimed_by: null,
        claimed_at: null,
        claim_epoch: t.claim_epoch,
        claim_id: null,
      },
    ));
    if (!undone.includes(d.ticket)) undone.push(d.ticket);
  }
  tx.writeFile(
    join(dir, OPLOG_FILE),
    all.map((e) => {
      if (!pending.has(e)) return oplogLine(e);
      const { decision: _, ...rest } = e;
      return oplogLine(rest);
    }).join(""),
  );
  return undone.sort();
}

/** The agents of the last state this clone synced (`refs/track/local`); none before a sync. */
async function publishedAgents(gitDir: string): Promise<Set<string>> {
  // Loaded only for a copied clone: every other write of a sync store comes here never.
  const [{ runGit }, { LOCAL_REF }] = await Promise.all([
    import("./git.ts"),
    import("./sync_repo.ts"),
  ]);
  const r = await runGit(
    ["ls-tree", "-z", "--name-only", "--full-tree", `${LOCAL_REF}^{commit}`, "agents/"],
    { gitDir },
  );
  if (r.code !== 0) return new Set();
  return new Set(
    new TextDecoder().decode(r.stdout).split("\0").filter((p) => p.endsWith(".json"))
      .map((p) => p.slice("agents/".length, -".json".length)),
  );
}

/**
 * Agents hosted by clone `from` and not in `published` are hosted by `to` (written in `tx`);
 * returns their names.
 */
function rehomeAgents(tx: Tx, from: string, to: string, published: Set<string>): string[] {
  const moved: string[] = [];
  let names: string[];
  try {
    names = tx.store.listDir(tx.store.agentsDir).filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name.slice(0, -5)).sort();
  } catch {
    return moved;
  }
  for (const name of names) {
    const path = join(tx.store.agentsDir, `${name}.json`);
    const text = tx.store.readText(path, tx.store.display(path));
    if (text === null) continue;
    let agent;
    try {
      agent = parseAgent(text, name);
    } catch {
      continue; // Never rewritten: doctor names it.
    }
    if (agent.host !== from || published.has(name)) continue;
    tx.writeFile(path, serializeAgent({ ...agent, host: to }));
    moved.push(name);
  }
  return moved;
}

let sequence = 0;

/** A `clone-copied` board event (the board's file layout: docs/format.md "Board"). */
function postEvent(tx: Tx, now: Date, message: string): void {
  const iso = now.toISOString();
  const stem = iso.slice(11, 23).replace(/[:.]/g, "") + "-" +
    String(sequence++ % 10000).padStart(4, "0") + "-" +
    crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  tx.writeFile(
    join(tx.store.boardDir, iso.slice(0, 10), `${stem}.md`),
    boardEntryText({
      at: isoSeconds(now),
      agent: "track",
      ticket: null,
      tag: "clone-copied",
      kind: "event",
      message,
    }),
  );
}
