/**
 * `track remote add --adopt` (docs/sync.md "Ticket numbers"): a store with tickets of its own
 * joins a remote that already holds a state. A block of numbers, one per ticket, is reserved on
 * the remote first (a state commit that changes only `sequence`, compare-and-swap), then every
 * ticket is renumbered into it once, in one transaction, with the references to it.
 */
import { TrackError } from "../model/errors.ts";
import { formatId, idNumber } from "../model/ids.ts";
import { grabFrom, type IdBlock, SEQUENCE_PATH, sequenceText } from "../model/id_blocks.ts";
import { join } from "../model/path.ts";
import { PARENT_KEY } from "../model/planning.ts";
import { storePathOf } from "../model/sync_wire.ts";
import { appendLogEntry, parseTicket, serializeTicket, type Ticket } from "../model/ticket.ts";
import { isoSeconds } from "../model/time.ts";
import { readAllAgents, writeAgent } from "../store/agent_records.ts";
import type { Store } from "../store/store.ts";
import type { SyncPaths } from "../store/sync_config.ts";
import {
  buildTree,
  commitTree,
  fetchState,
  lsTree,
  pushState,
  readBlobs,
  writeBlobs,
} from "../store/sync_repo.ts";
import { postEntry } from "./board.ts";
import { numbersOf, readSequence } from "./id_blocks.ts";
import { readReservations, writeReservations } from "./reservations.ts";

const encoder = new TextEncoder();

/** A block reserved for `remote add --adopt`, confirmed by its accepted push. */
export interface AdoptBlock {
  block: IdBlock;
  /** The remote's state after the grab (the commit that carried it). */
  state: string;
}

/**
 * Reserves `size` numbers on the remote for a store that joins with tickets of its own: a state
 * commit on the remote tip that changes only `sequence`, pushed with compare-and-swap, rebuilt on
 * the new tip after a lost race. Exit 8 when no push is accepted within the budget.
 */
export async function grabAdoptBlock(
  paths: SyncPaths,
  remote: string,
  ref: string,
  tip: string,
  size: number,
  options: { now: () => Date; timeoutMs: number; clone: string },
): Promise<AdoptBlock> {
  const gitDir = paths.commonDir;
  const deadline = Date.now() + options.timeoutMs;
  const scratch = paths.home;
  Deno.mkdirSync(scratch, { recursive: true });
  let on = tip;
  let last = "";
  for (let round = 0; Date.now() < deadline && round < 20; round++) {
    if (round > 0) {
      const fetched = await fetchState(gitDir, remote, ref, Math.max(1, deadline - Date.now()));
      if (fetched.kind !== "found") {
        last = fetched.kind === "missing" ? "its state ref is gone" : fetched.reason;
        break;
      }
      on = fetched.oid;
    }
    let max = 0;
    for (const n of numbersOf(storeTicketPaths(await lsTree(gitDir, on)))) max = Math.max(max, n);
    const grab = grabFrom(await readSequence(gitDir, on), max, size);
    const [oid] = await writeBlobs(gitDir, scratch, [encoder.encode(sequenceText(grab.next))]);
    const tree = await buildTree(
      gitDir,
      join(scratch, `adopt-index.${Deno.pid}`),
      on,
      new Map([[SEQUENCE_PATH, oid]]),
    );
    const commit = await commitTree(
      gitDir,
      tree,
      on,
      `track sync: id block ${formatId(grab.start)}..${formatId(grab.end - 1)} for clone ` +
        `${options.clone} (remote add --adopt)\n`,
      options.now(),
    );
    const pushed = await pushState(
      gitDir,
      remote,
      ref,
      commit,
      on,
      Math.max(1, deadline - Date.now()),
    );
    if (pushed.kind === "accepted") {
      return {
        block: { start: grab.start, end: grab.end, commit, on, state: "confirmed" },
        state: commit,
      };
    }
    last = pushed.reason;
    if (pushed.kind === "unknown") break;
  }
  throw new TrackError(
    "remote",
    `Cannot join "${remote}" with this store's tickets: reserving ${size} ticket numbers on ` +
      `it was not confirmed (${last || "out of time"}); nothing was changed here`,
    { hint: "track doctor; then retry: track remote add <remote> --adopt" },
  );
}

function storeTicketPaths(wire: ReadonlyMap<string, string>): string[] {
  return [...wire.keys()].flatMap((w) => storePathOf(w) ?? []);
}

/**
 * Renumbers every ticket of `store` (live and archived, in number order) into `start`, `start+1`,
 * …, in one transaction: each ticket's id and file, every `depends_on` and `parent` naming one,
 * reservations and agents' lost notes; a Work Log line on each and one `renumbered` board event
 * with the whole mapping. Returns the mapping.
 */
export async function renumberStore(
  store: Store,
  start: number,
  remote: string,
  now: Date,
  keep: ReadonlySet<string> = new Set(),
): Promise<Array<{ from: string; to: string }>> {
  return await store.mutate("remote add --adopt", (tx) => {
    const live = tx.store.readAllTickets();
    const archived = tx.store.readArchivedTickets();
    const problem = live.problems[0] ?? archived.problems[0];
    if (problem !== undefined) throw problem.error; // Exit 6 naming the file: nothing renumbered.
    const all: Array<{ t: Ticket; folder: "tickets" | "archive" }> = [
      ...live.tickets.map((t) => ({ t, folder: "tickets" as const })),
      ...archived.tickets.map((t) => ({ t, folder: "archive" as const })),
    ].sort((a, b) => idNumber(a.t.id)! - idNumber(b.t.id)!);
    const map = new Map<string, string>();
    all.filter(({ t }) => !keep.has(t.id)).forEach(({ t }, i) =>
      map.set(t.id, formatId(start + i))
    );
    const rename = (id: string) => map.get(id) ?? id;
    const at = isoSeconds(now);
    // Every old file goes first: a new number may be an old one of another ticket.
    for (const { t, folder } of all) {
      if (map.has(t.id)) tx.removeFile(join(tx.store.dir, folder, `${t.id}.md`));
    }
    for (const { t, folder } of all) {
      const to = rename(t.id);
      const extra = t.extra.map(([k, v]): [string, typeof v] =>
        k === PARENT_KEY && typeof v === "string" ? [k, rename(v)] : [k, v]
      );
      const depends_on = t.depends_on.map(rename);
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (to === t.id && same(depends_on, t.depends_on) && same(extra, t.extra)) continue;
      const moved: Ticket = {
        ...t,
        id: to,
        depends_on,
        extra,
        body: to === t.id ? t.body : appendLogEntry(t.body, {
          at,
          agent: "track",
          message: `renumbered ${t.id} to ${to}: this store joined the shared state of ${remote}`,
        }),
      };
      if (folder === "tickets") tx.writeTicket(moved);
      else tx.writeFile(join(tx.store.dir, "archive", `${to}.md`), serializeTicket(moved));
    }
    const reservations = readReservations(tx.store);
    if (reservations.some((r) => map.has(r.ticket))) {
      writeReservations(tx, reservations.map((r) => ({ ...r, ticket: rename(r.ticket) })));
    }
    for (const agent of readAllAgents(tx.store).agents) {
      if (!agent.lost.some((l) => map.has(l.ticket))) continue;
      writeAgent(tx, {
        ...agent,
        lost: agent.lost.map((l) => ({ ...l, ticket: rename(l.ticket) })),
      });
    }
    const pairs = [...map].map(([from, to]) => ({ from, to }));
    if (pairs.length === 0) return pairs;
    postEntry(tx, {
      at: now,
      agent: "track",
      ticket: null,
      tag: "renumbered",
      kind: "event",
      message: `This store joined the shared state of ${remote}: its tickets were renumbered ` +
        `into a block reserved there (${pairs.map((p) => `${p.from} -> ${p.to}`).join(", ")}). ` +
        "Text that names an old number (descriptions, work logs, commit messages) was not changed.",
    });
    return pairs;
  });
}

/**
 * The tickets of this store that the remote's state at `commit` already holds (the same number,
 * created at the same second by the same author under the same title: this store synced with it
 * before, e.g. until a `track remote remove`): they keep their numbers; `--adopt` renumbers only
 * the others.
 */
export async function ticketsOnRemote(
  gitDir: string,
  commit: string,
  tickets: readonly Ticket[],
): Promise<Set<string>> {
  const remote = new Map<string, string>();
  for (const [wire, oid] of await lsTree(gitDir, commit)) {
    const m = /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(storePathOf(wire) ?? "");
    if (m !== null) remote.set(m[1], oid);
  }
  const mine = tickets.filter((t) => remote.has(t.id));
  const blobs = await readBlobs(gitDir, mine.map((t) => remote.get(t.id)!));
  const out = new Set<string>();
  for (const t of mine) {
    try {
      const r = parseTicket(new TextDecoder().decode(blobs.get(remote.get(t.id)!)), t.id);
      if (r.created === t.created && r.created_by === t.created_by && r.title === t.title) {
        out.add(t.id);
      }
    } catch {
      // Not a ticket there: ours is renumbered.
    }
  }
  return out;
}
