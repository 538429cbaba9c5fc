/** Creating tickets: the id is allocated under the lock. */
import { checkLabels, checkSection, checkTitle, trimBlankLines } from "../model/text.ts";
import { isoSeconds } from "../model/time.ts";
import { postEntry } from "./board.ts";
import { touchAgent } from "../store/agent_records.ts";
import type { Store } from "../store/store.ts";
import { checkDependenciesExist, checkNoCycle } from "./dependencies.ts";
import { newTicketBody, type Ticket } from "../model/ticket.ts";
import { VERIFY_KEY } from "../model/verify.ts";
import { checkVerifyCommands } from "./verify.ts";
import { withBudget } from "./cost.ts";
import { checkParent } from "./epics.ts";
import { NEEDS_KEY, PARENT_KEY } from "../model/planning.ts";
import type { FrontValue } from "../model/front_matter.ts";
import type { Priority } from "../model/transitions.ts";

/** What a new ticket starts with. */
export interface CreateInput {
  title: string;
  priority: Priority;
  labels: string[];
  dependsOn: string[];
  description: string;
  /** Acceptance Criteria (default none); blank lines around it are dropped. */
  acceptance?: string;
  /** Verify commands (`track verify`; docs/agents.md "Verified done"). */
  verify?: string[];
  /** Budget as typed (`200k`, `$5`), or undefined for none. */
  budget?: string;
  /** The epic this ticket belongs to (`--parent`). */
  parent?: string;
  /** Capabilities an agent needs to be offered it (`--needs`). */
  needs?: string[];
  /** Who created it (shown as created_by and on the board). */
  by: string;
  /** The agent running the command, if any: creating counts as its heartbeat. */
  agent?: string | null;
  /**
   * With sync on: never reach the remote for an id block (`--offline`, `TRACK_SYNC=off`); with
   * none left the create is exit 8.
   */
  offline?: boolean;
  /** With sync on: `TRACK_SYNC_TIMEOUT` as set, for the sync that reserves an id block. */
  syncTimeout?: string;
}

/** Creates a ticket in backlog and posts a board event. */
export async function createTicket(store: Store, input: CreateInput, now: Date): Promise<Ticket> {
  checkTitle(input.title);
  const labels = checkLabels(input.labels);
  checkSection(input.description, "body");
  const acceptance = trimBlankLines(input.acceptance ?? "");
  checkSection(acceptance, "acceptance criteria");
  const verify = [...new Set(checkVerifyCommands(input.verify ?? []))];
  const needs = [...new Set(checkLabels(input.needs ?? []))].sort();
  // With sync on the number comes from this clone's id blocks (id_draw.ts), so that two
  // clones never make the same one; without a remote it is the highest + 1.
  const ids = store.synced ? await import("./id_draw.ts") : null;
  for (let attempt = 0;; attempt++) {
    const draw = ids?.drawTicketNumber ?? null;
    const ticket = await created(store, input, now, draw, { labels, acceptance, verify, needs });
    if (ticket !== null) return ticket;
    // No number left (or other creates of this clone took the last ones meanwhile): reserve a
    // block through a sync, outside the store lock, then try again.
    if (attempt >= 3) throw ids!.noNumberLeft();
    await ids!.ensureIdBlock(store, {
      now,
      offline: input.offline === true,
      syncTimeout: input.syncTimeout,
    });
  }
}

async function created(
  store: Store,
  input: CreateInput,
  now: Date,
  draw: ((store: Store) => string | null) | null,
  checked: { labels: string[]; acceptance: string; verify: string[]; needs: string[] },
): Promise<Ticket | null> {
  const { labels, acceptance, verify, needs } = checked;
  return await store.mutate("create", (tx) => {
    const id = draw === null ? tx.store.nextTicketId() : draw(tx.store);
    // None left: nothing written by the create (what the mutation itself settled, such as a
    // copied clone's new identity, stays), and a block is reserved before the next try.
    if (id === null) return null;
    const deps = [...new Set(input.dependsOn)];
    checkDependenciesExist(tx.store, deps, id);
    checkNoCycle(tx.store, id, deps);
    if (input.parent !== undefined) checkParent(tx, id, input.parent);
    const extra: Array<[string, FrontValue]> = [];
    if (needs.length > 0) extra.push([NEEDS_KEY, needs]);
    if (input.parent !== undefined) extra.push([PARENT_KEY, input.parent]);
    if (verify.length > 0) extra.push([VERIFY_KEY, verify]);
    const at = isoSeconds(now);
    const ticket: Ticket = withBudget({
      id,
      title: input.title,
      status: "backlog",
      priority: input.priority,
      created: at,
      created_by: input.by,
      claimed_by: null,
      claimed_at: null,
      labels,
      branch: null,
      files: [],
      depends_on: deps,
      updated: at,
      claim_epoch: 0,
      extra,
      body: newTicketBody(input.description, acceptance),
    }, input.budget);
    tx.writeTicket(ticket);
    postEntry(tx, {
      at: now,
      agent: input.by,
      ticket: id,
      tag: "created",
      kind: "event",
      message: `Created ${id} (${input.priority}): ${input.title}`,
    });
    if (input.agent) touchAgent(tx, input.agent, now);
    return ticket;
  });
}
