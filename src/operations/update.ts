/** Updating tickets: status transitions, fields, dependencies, and the Work Log. */
import { conflictError, usageError } from "../model/errors.ts";
import { isoSeconds } from "../model/time.ts";
import { HUMAN } from "../model/agent.ts";
import { postEntry } from "./board.ts";
import { assertMayMove, claimLocked, heldByOther } from "./claims.ts";
import { releaseDecision } from "../model/decision.ts";
import { assertNotFenced, recordLostClaim } from "./fencing.ts";
import { touchAgent } from "../store/agent_records.ts";
import { releaseWhere } from "./reservations.ts";
import type { Store } from "../store/store.ts";
import {
  checkBranch,
  checkLabels,
  checkSection,
  checkTitle,
  trimBlankLines,
} from "../model/text.ts";
import { checkDependenciesExist, checkNoCycle } from "./dependencies.ts";
import { withBudget } from "./cost.ts";
import { assertChildrenDone, checkParent } from "./epics.ts";
import { NEEDS_KEY, PARENT_KEY, parentOf, REVIEWER_KEY, SUBMITTED_KEY } from "../model/planning.ts";
import { withExtra } from "../model/verify.ts";
import { assertMayFinish, checkVerifyCommands, withVerifyChanges } from "./verify.ts";
import { appendLogEntry, type Ticket, withAcceptance, withDescription } from "../model/ticket.ts";
import { canTransition, type Priority, type Status, TRANSITIONS } from "../model/transitions.ts";

/** Requested changes; absent fields stay as they are. */
export interface UpdateInput {
  status?: Status;
  priority?: Priority;
  title?: string;
  addLabels?: string[];
  removeLabels?: string[];
  /** New branch; empty string clears it. */
  branch?: string;
  addDeps?: string[];
  removeDeps?: string[];
  /** New description, verbatim (the `## Description` section). */
  description?: string;
  /** New Acceptance Criteria; empty clears them. */
  acceptance?: string;
  /** Verify commands to add (run by `track verify`; docs/agents.md "Verified done"). */
  addVerify?: string[];
  /** Verify commands to remove, exactly as given. */
  removeVerify?: string[];
  /** New budget (`200k` tokens, `$5`; `none` removes it): `track cost`, docs/agents.md. */
  budget?: string;
  /** New parent (epic); null removes it (`--parent none`). */
  parent?: string | null;
  /** New capabilities needed (replaces them); empty removes them (`--needs none`). */
  needs?: string[];
  /** Acting agent, or null for a person at the terminal or dashboard. */
  agent: string | null;
  force: boolean;
  /**
   * Lifts only the rule that another agent's ticket needs force: the holder is fenced as with
   * force, but the transition table still applies. The dashboard's move once the person has
   * confirmed taking the ticket.
   */
  takeOver?: boolean;
}

/** Result of an update. */
export interface UpdateResult {
  ticket: Ticket;
  /** Status before the update. */
  from: Status;
  changed: boolean;
}

function refuseTransition(t: Ticket, to: Status): never {
  const allowed = TRANSITIONS[t.status];
  const next = allowed.length === 0 ? "none" : allowed.join(", ");
  throw conflictError(
    `Cannot move "${t.id}" from ${t.status} to ${to}: allowed next states are ${next}`,
    allowed.length === 0 ? `track show ${t.id}` : `track update ${t.id} --status ${allowed[0]}`,
    { ticket: t.id, from: t.status, to, allowed },
  );
}

/**
 * Claimers of tickets not done yet that depend on `id` (they wait on it). Wider than held
 * (src/model/holding.ts): the author of a ticket in review hears of it too.
 */
function waitingHolders(store: Store, id: string): string[] {
  return store.readAllTickets().tickets.filter((d) =>
    d.depends_on.includes(id) && d.claimed_by !== null && d.status !== "done" &&
    d.status !== "backlog"
  ).map((d) => d.claimed_by!);
}

/** Applies `input` to ticket `id` under the lock. */
export async function updateTicket(
  store: Store,
  id: string,
  input: UpdateInput,
  now: Date,
): Promise<UpdateResult> {
  if (input.title !== undefined) checkTitle(input.title);
  const addLabels = checkLabels(input.addLabels ?? []);
  if (input.branch !== undefined) checkBranch(input.branch);
  if (input.description !== undefined) checkSection(input.description, "body");
  const acceptance = input.acceptance === undefined ? undefined : trimBlankLines(input.acceptance);
  if (acceptance !== undefined) checkSection(acceptance, "acceptance criteria");
  const addVerify = checkVerifyCommands(input.addVerify ?? []);
  const removeVerify = input.removeVerify ?? [];
  const needs = input.needs === undefined ? undefined : checkLabels(input.needs);
  return await store.mutate(`update ${id}`, async (tx) => {
    let t = tx.readTicket(id);
    // What is on disk now; a claim below writes the ticket itself and moves this forward.
    let onDisk = t;
    let claimed = false;
    let verifyApplied = false;
    const from = t.status;
    const agent = input.agent;
    if (agent !== null) assertNotFenced(tx, agent, t, "update");
    // Dependencies are checked before anything is written (a claim or a board event below
    // writes at once), so a refused --depends-on changes nothing.
    const addDeps = (input.addDeps ?? []).filter((d) => !t.depends_on.includes(d));
    checkDependenciesExist(tx.store, addDeps, t.id);
    checkNoCycle(tx.store, t.id, addDeps);
    if (typeof input.parent === "string" && input.parent !== parentOf(t)) {
      checkParent(tx, t.id, input.parent);
    }
    const to = input.status;
    if (to !== undefined && to !== t.status) {
      // The same rule for everyone, a person included: another agent's work needs --force.
      assertMayMove(t, to, agent, input.force || input.takeOver === true);
      // The seed's agent protocol goes straight from claim to review: for the claimer itself
      // that is two legal steps (claimed -> in-progress -> review), both recorded on the board.
      const passThrough = !input.force && t.status === "claimed" && to === "review" &&
        agent !== null && t.claimed_by === agent;
      if (!input.force && !passThrough && !canTransition(t.status, to)) refuseTransition(t, to);
      // Verified done: the same rule for every surface, decided before anything is written
      // (verify commands changed in this update count).
      if (to !== "claimed") {
        t = withVerifyChanges(t, addVerify, removeVerify);
        verifyApplied = true;
        t = await assertMayFinish(tx.store, t, to, { force: input.force, actor: agent, now });
      }
      // An epic is done when its children are (--force closes it anyway).
      if (to === "done" && !input.force) assertChildrenDone(tx, t);
      if (to === "claimed") {
        if (agent === null) {
          throw usageError(
            `Moving "${t.id}" to claimed needs an agent`,
            `track claim ${t.id} --agent NAME`,
          );
        }
        t = claimLocked(tx, t, agent, { force: input.force, now }).ticket;
        onDisk = t;
        claimed = true;
      } else {
        const holder = t.claimed_by;
        // Taken out of another agent's hands (forced, or sent back to the pool from review):
        // the holder's late writes are fenced, as after a reclaim.
        const taken = heldByOther(t, agent) ??
          (to === "backlog" && from !== "done" && holder !== agent ? holder : null);
        t = { ...t, status: to };
        // Who submitted it for review: `next` never offers it back to them for review.
        if (to === "review") t = withExtra(t, SUBMITTED_KEY, agent ?? "human");
        // A review ends when the ticket leaves review (or is submitted again).
        t = withExtra(t, REVIEWER_KEY, null);
        if (to === "backlog") {
          t.claimed_by = null;
          t.claimed_at = null;
        }
        const how = input.force ? " with --force" : input.takeOver ? " after confirming" : "";
        if (taken !== null) {
          // With sync on, a decision: it stands only where the remote still has that claim.
          tx.decide(releaseDecision(agent ?? "human", onDisk));
          recordLostClaim(tx, taken, onDisk, `moved to ${to} by "${agent ?? "human"}"${how}`, now);
        }
        if (to === "backlog" || to === "done") {
          releaseWhere(tx, (r) => r.ticket === t.id);
        }
        const steps = passThrough ? [from, "in-progress", to] : [from, to];
        const reopened = from === "done" && to === "backlog" ? " (reopened)" : "";
        postEntry(tx, {
          at: now,
          agent: agent ?? "human",
          ticket: t.id,
          tag: "status",
          kind: "event",
          message: `${t.id}: ${steps.join(" -> ")}${reopened}` +
            (taken === null ? "" : ` (taken from "${taken}"${how})`),
          // Told: the agent it was taken from, and, when it is done, the holders of the tickets
          // that wait on it.
          to: [
            ...(taken === null ? [] : [taken]),
            ...(to === "done" ? waitingHolders(tx.store, t.id) : []),
          ],
        });
      }
    }
    if (!verifyApplied) t = withVerifyChanges(t, addVerify, removeVerify);
    t = withBudget(t, input.budget);
    if (input.parent !== undefined) t = withExtra(t, PARENT_KEY, input.parent);
    if (needs !== undefined) t = withExtra(t, NEEDS_KEY, needs);
    if (input.priority !== undefined) t = { ...t, priority: input.priority };
    if (input.title !== undefined) t = { ...t, title: input.title };
    if (addLabels.length > 0 || (input.removeLabels ?? []).length > 0) {
      const drop = new Set(input.removeLabels ?? []);
      t = {
        ...t,
        labels: [...new Set([...t.labels, ...addLabels])].filter((l) => !drop.has(l)).sort(),
      };
    }
    if (input.branch !== undefined) t = { ...t, branch: input.branch === "" ? null : input.branch };
    if (input.description !== undefined) {
      t = { ...t, body: withDescription(t.body, input.description) };
    }
    if (acceptance !== undefined) t = { ...t, body: withAcceptance(t.body, acceptance) };
    if (addDeps.length > 0 || (input.removeDeps ?? []).length > 0) {
      const drop = new Set(input.removeDeps ?? []);
      t = { ...t, depends_on: [...t.depends_on, ...addDeps].filter((d) => !drop.has(d)) };
    }
    const differs =
      JSON.stringify({ ...t, updated: null }) !== JSON.stringify({ ...onDisk, updated: null });
    if (differs) {
      t = { ...t, updated: isoSeconds(now) };
      tx.writeTicket(t);
    }
    if (agent !== null && !claimed) touchAgent(tx, agent, now);
    return { ticket: t, from, changed: differs || claimed };
  });
}

/** Appends a Work Log entry to ticket `id` as `agent`. */
export async function logTicket(
  store: Store,
  id: string,
  input: { agent: string; message: string },
  now: Date,
): Promise<Ticket> {
  const message = input.message.replace(/\s+$/, "");
  if (message === "") {
    throw usageError("The log message is empty", `track log ${id} -m "what you did"`);
  }
  if (new TextEncoder().encode(message).length > 1024 * 1024) {
    throw usageError("The log message is longer than 1 MB");
  }
  // A person (`human`: the dashboard) has no agent record: nothing to fence, no heartbeat.
  const person = input.agent === HUMAN;
  return await store.mutate(`log ${id}`, (tx) => {
    const t = tx.readTicket(id);
    if (!person) assertNotFenced(tx, input.agent, t, "log to");
    const at = isoSeconds(now);
    const next: Ticket = {
      ...t,
      updated: at,
      body: appendLogEntry(t.body, { at, agent: input.agent, message }),
    };
    tx.writeTicket(next);
    if (!person) touchAgent(tx, input.agent, now);
    return next;
  });
}
