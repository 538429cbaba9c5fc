/**
 * Settling a decision with the remote (docs/sync.md "Decisions"; design §7.1, §7.2). With sync
 * on, a claim is granted only once a push carrying it was accepted: the command syncs right
 * after deciding locally and exits 0 when the replay on the remote's state confirmed it, 3 when
 * another clone's decision was published first, 8 when the remote could not confirm it (the
 * claim is withdrawn here: do not start), 9 when it was not sent (`--offline`, `TRACK_SYNC=off`:
 * granted on this machine, confirmed or lost at the next sync). Without a remote nothing changes.
 */
import { conflictError, remoteError, TrackError } from "../model/errors.ts";
import { type ClaimGroup, claimIdOf, type Decision, withClaimGroup } from "../model/decision.ts";
import { releaseWhere } from "./reservations.ts";
import type { Ticket } from "../model/ticket.ts";
import type { Store } from "../store/store.ts";
import { unpublishedOplog } from "../store/oplog.ts";
import { readWithdrawn, writeWithdrawn } from "./replay.ts";
import { postEntry } from "./board.ts";
import { claimNext, type ClaimResult, claimTicket } from "./claims.ts";

/**
 * How a surface settles its decisions, from its environment: `TRACK_SYNC=off` makes them
 * provisional (as `--offline` does), `TRACK_SYNC_TIMEOUT` bounds the sync.
 */
export function decisionEnv(
  env: { get(name: string): string | undefined },
  offline: boolean,
): { offline: boolean; timeout: string | undefined } {
  return { offline: offline || syncSwitchedOff(env), timeout: env.get("TRACK_SYNC_TIMEOUT") };
}

/** Whether `TRACK_SYNC` switches the sync off for this command. */
export function syncSwitchedOff(env: { get(name: string): string | undefined }): boolean {
  const v = env.get("TRACK_SYNC");
  return v !== undefined && ["off", "0", "false", "no"].includes(v.toLowerCase());
}

/** The pending claim decision with tenure `claimId`, or null. */
async function pendingClaim(
  store: Store,
  claimId: string,
): Promise<{ prev: ClaimGroup | null } | null> {
  const { engineStateFile, readEngineState, syncSetupOf } = await import("./sync.ts");
  const setup = syncSetupOf(store);
  if (setup === null) return null;
  const published = readEngineState(engineStateFile(setup.paths)).published_seq;
  for (const e of unpublishedOplog(store.dir, published)) {
    if (e.decision?.kind === "claim" && e.decision.claim_id === claimId) {
      return { prev: e.decision.prev };
    }
  }
  return null;
}

/**
 * Undoes the claim `claimId` of `agent` on `id` (exit 8: "not granted, do not start"): the
 * ticket gets back the claim group the claim was made on, unless something changed it since;
 * the claim is listed as withdrawn, so no sync publishes it, and one whose push reached the
 * remote after all is released by the next sync (replay.ts).
 */
export async function withdrawClaim(
  store: Store,
  id: string,
  agent: string,
  claimId: string,
  why: string,
  now: Date,
): Promise<boolean> {
  const pending = await pendingClaim(store, claimId);
  return await store.mutate(`withdraw ${id}`, (tx) => {
    const list = readWithdrawn(store.dir);
    if (!list.some((w) => w.claim_id === claimId)) {
      writeWithdrawn(tx, [...list, { ticket: id, agent, claim_id: claimId }]);
    }
    const t = tx.tryReadTicket(id);
    if (t === null || claimIdOf(t) !== claimId || t.claimed_by !== agent) return false;
    const prev: ClaimGroup = pending?.prev ?? {
      status: "backlog",
      claimed_by: null,
      claimed_at: null,
      claim_epoch: t.claim_epoch,
      claim_id: null,
    };
    tx.writeTicket(withClaimGroup(t, prev));
    postEntry(tx, {
      at: now,
      agent,
      ticket: id,
      tag: "withdrawn",
      kind: "event",
      message: `Withdrew ${agent}'s claim of ${id} (${claimId}): ${why}`,
    });
    return true;
  });
}

/** How a claim stands after {@linkcode settleClaim}. */
export interface Settled {
  ticket: Ticket;
  /** True: published; false: provisional (exit 9); null: sync is off (exit 0 as always). */
  confirmed: boolean | null;
}

/**
 * Settles the claim `ticket` (just made by `agent`, tenure `claim_id`) with the remote: returns
 * it confirmed, or provisional when `offline`; throws exit 3 when it was lost to a published
 * decision (the store now shows the winner), exit 8 (or the sync's own error) after withdrawing
 * it when the remote did not confirm it.
 */
export async function settleClaim(
  store: Store,
  ticket: Ticket,
  agent: string,
  options: { now: () => Date; offline: boolean; timeout?: string },
): Promise<Settled> {
  const claimId = claimIdOf(ticket);
  if (!store.oplog || claimId === null) return { ticket, confirmed: null };
  const { engineStateFile, readEngineState, syncSetupOf, syncStore, syncTimeout } = await import(
    "./sync.ts"
  );
  const setup = syncSetupOf(store);
  if (setup === null) return { ticket, confirmed: null };
  const timeoutMs = syncTimeout(options.timeout);
  if (await pendingClaim(store, claimId) === null) {
    // Claimed earlier and published already ("already yours").
    return { ticket, confirmed: true };
  }
  if (options.offline) return { ticket, confirmed: false };
  let result;
  try {
    result = await syncStore(store, setup, {
      now: options.now,
      paced: false,
      maintenance: false,
      timeoutMs,
      // Another command's sync that held the lock first may have carried this claim already.
      settled: async () => await pendingClaim(store, claimId) === null,
    });
  } catch (e) {
    const why = e instanceof TrackError ? e.message : String(e);
    await withdrawClaim(
      store,
      ticket.id,
      agent,
      claimId,
      "the remote did not confirm it",
      options.now(),
    );
    // Not confirmed in time, whether the remote or this clone's other syncs (the sync lock)
    // took it: exit 8, "not granted" (design §7.2), never a bare lock timeout.
    if (e instanceof TrackError && (e.kind === "remote" || e.kind === "lockBusy")) {
      throw remoteError(
        `Claim of ${ticket.id} by ${agent} not granted: ${why}. It was withdrawn here: ` +
          `do not start work on ${ticket.id}`,
        `track sync (once the remote answers), then claim again; or work offline with --offline (provisional, exit 9)`,
        { ...(e.detail ?? {}), ticket: ticket.id, claim_id: claimId, withdrawn: true },
      );
    }
    throw e;
  }
  // Its outcome: from this step, or from the step of another command that carried it.
  const outcome = result.decisions.find((o) => o.claim_id === claimId) ??
    readEngineState(engineStateFile(setup.paths)).outcomes.find((o) => o.claim_id === claimId);
  const local = store.tryReadTicket(ticket.id);
  // Confirmed under this tenure, or adopted under the tenure the agent already held there.
  const held = local !== null && local.claimed_by === agent &&
    (claimIdOf(local) === claimId || outcome?.outcome === "confirmed");
  if (outcome?.outcome === "lost" || !held) {
    const winner = outcome?.winner ?? local?.claimed_by ?? null;
    throw conflictError(
      `Cannot claim "${ticket.id}": ${
        outcome?.reason ??
          (winner === null ? "another decision was published first" : `"${winner}" holds it`)
      }; not granted, do not start`,
      "track ready (lists unclaimed tickets)",
      { ticket: ticket.id, claim_id: claimId, winner, lost: true },
    );
  }
  if (await pendingClaim(store, claimId) !== null) {
    // Not carried by any accepted push (should not happen with an unpaced sync).
    await withdrawClaim(store, ticket.id, agent, claimId, "no push carried it", options.now());
    throw remoteError(
      `Claim of ${ticket.id} by ${agent} not granted: no push carried it. It was withdrawn ` +
        `here: do not start work on ${ticket.id}`,
      "track sync, then claim again",
      { ticket: ticket.id, claim_id: claimId, withdrawn: true },
    );
  }
  return { ticket: local!, confirmed: true };
}

/** {@linkcode claimTicket}, settled with the remote ({@linkcode settleClaim}). */
export async function claimSettled(
  store: Store,
  id: string,
  agent: string,
  options: { force: boolean; now: () => Date; offline: boolean; timeout?: string },
): Promise<ClaimResult & { confirmed: boolean | null }> {
  const r = await claimTicket(store, id, agent, { force: options.force, now: options.now() });
  const s = await settleClaim(store, r.ticket, agent, options);
  return { ...r, ticket: s.ticket, confirmed: s.confirmed };
}

/** How many times `next` picks again after its pick was lost to another clone's claim. */
export const NEXT_ROUNDS = 3;

/**
 * {@linkcode claimNext}, settled with the remote: a pick lost to another clone's published claim
 * is picked again on the merged state, up to {@linkcode NEXT_ROUNDS} times.
 */
export async function nextSettled(
  store: Store,
  agent: string,
  options: {
    label?: string;
    parent?: string;
    now: () => Date;
    offline: boolean;
    timeout?: string;
  },
): Promise<ClaimResult & { confirmed: boolean | null }> {
  for (let round = 1;; round++) {
    const r = await claimNext(store, agent, { ...options, now: options.now() });
    try {
      const s = await settleClaim(store, r.ticket, agent, options);
      return { ...r, ticket: s.ticket, confirmed: s.confirmed };
    } catch (e) {
      if (!(e instanceof TrackError) || e.detail?.lost !== true || round >= NEXT_ROUNDS) throw e;
    }
  }
}

/**
 * Settles this clone's pending `release` and `reserve` decisions naming any of `tickets` (a
 * reclaim, a release of a deregistered agent's tickets, a forced move, an exclusive
 * reservation) with the remote, as {@linkcode settleClaim} settles a claim: true when published,
 * false when provisional (`offline`), null when there is none (or sync is off); exit 3 when the
 * replay on the remote's state refused it (the store now shows the remote's side). Exit 8 when
 * the remote did not confirm it: an exclusive reservation is withdrawn here; a release stays
 * queued (undoing it would hand tickets back to an agent judged gone; its replay at the next sync
 * re-checks it).
 */
export async function settlePending(
  store: Store,
  tickets: readonly string[],
  options: { now: () => Date; offline: boolean; timeout?: string },
): Promise<boolean | null> {
  if (!store.oplog) return null;
  const { engineStateFile, readEngineState, syncSetupOf, syncStore, syncTimeout } = await import(
    "./sync.ts"
  );
  const setup = syncSetupOf(store);
  if (setup === null) return null;
  const published = readEngineState(engineStateFile(setup.paths)).published_seq;
  const names = (d: Decision) => [d.ticket, ...(d.moves ?? []).map((m) => m.ticket)];
  const mine = unpublishedOplog(store.dir, published).filter((e) =>
    (e.decision?.kind === "release" || e.decision?.kind === "reserve") &&
    names(e.decision).some((t) => t !== null && tickets.includes(t))
  );
  if (mine.length === 0) return null;
  if (options.offline) return false;
  const seqs = new Set(mine.map((m) => m.seq));
  let result;
  try {
    result = await syncStore(store, setup, {
      now: options.now,
      paced: false,
      maintenance: false,
      timeoutMs: syncTimeout(options.timeout),
      // Another command's sync that held the lock first may have carried these already.
      settled: () => {
        const at = readEngineState(engineStateFile(setup.paths)).published_seq;
        return !unpublishedOplog(store.dir, at).some((e) => seqs.has(e.seq));
      },
    });
  } catch (e) {
    if (!(e instanceof TrackError) || (e.kind !== "remote" && e.kind !== "lockBusy")) throw e;
    const reserves = mine.filter((m) => m.decision!.kind === "reserve");
    if (reserves.length > 0) {
      await store.mutate("files --remove", (tx) => {
        for (const r of reserves) {
          const d = r.decision!;
          releaseWhere(
            tx,
            (x) => x.agent === d.agent && x.ticket === d.ticket && (d.paths ?? []).includes(x.path),
          );
        }
      });
    }
    throw remoteError(
      `Not confirmed by the remote: ${e.message}. ` +
        (reserves.length > 0
          ? "The reservation was withdrawn here: do not edit those files"
          : "The change stays queued: the next sync publishes it or reports it lost"),
      "track sync (once the remote answers)",
      { ...(e.detail ?? {}), withdrawn: reserves.length > 0 },
    );
  }
  const lost = [...result.decisions, ...readEngineState(engineStateFile(setup.paths)).outcomes]
    .find((o) => seqs.has(o.seq) && o.outcome === "lost");
  if (lost !== undefined) {
    throw conflictError(
      `Not applied: ${lost.reason}; the remote's version stands`,
      lost.ticket === null ? "track list" : `track show ${lost.ticket}`,
      { ticket: lost.ticket, winner: lost.winner, lost: true, kind: lost.kind },
    );
  }
  return true;
}
