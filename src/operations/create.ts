/** Creating tickets: the id is allocated under the lock. */
import { usageError } from "../model/errors.ts";
import { checkText } from "../cli/input.ts";
import { checkNoControls } from "../model/control_chars.ts";
import { isoSeconds } from "../model/time.ts";
import { postEntry } from "./board.ts";
import { touchAgent } from "../store/agent_records.ts";
import { ensureDirInside } from "../store/no_follow.ts";
import type { Store } from "../store/store.ts";
import { checkDependenciesExist, checkNoCycle } from "./dependencies.ts";
import { MAX_BODY_BYTES, MAX_TITLE_BYTES, newTicketBody, type Ticket } from "../model/ticket.ts";
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
  /** Who created it (shown as created_by and on the board). */
  by: string;
  /** The agent running the command, if any: creating counts as its heartbeat. */
  agent?: string | null;
}

const encoder = new TextEncoder();

/** `text` without blank lines before or after it (the section adds its own). */
export function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\n)+/, "").replace(/\s+$/, "");
}

/**
 * Checks a description or Acceptance Criteria text (`what` names it): no NUL, CR or BOM, at most
 * 1 MB. The criteria may not hold our own section headings (`## Acceptance Criteria`,
 * `## Work Log`) as lines: the sections would no longer read back as written.
 */
export function checkSection(text: string, what: "body" | "acceptance criteria"): string {
  checkText(text, what);
  if (encoder.encode(text).length > MAX_BODY_BYTES) {
    throw usageError(`The ${what} is longer than ${MAX_BODY_BYTES} bytes`);
  }
  if (what !== "body") {
    const heading = /^## (Acceptance Criteria|Work Log)$/m.exec(text);
    if (heading !== null) {
      throw usageError(
        `The ${what} hold the line "${heading[0]}", a section heading of the ticket body; ` +
          `use another heading (### works)`,
      );
    }
  }
  return text;
}

/** Checks a title: one line without control or invisible format characters, at most 1 KB. */
export function checkTitle(title: string): string {
  checkText(title, "title");
  checkNoControls(title, "title");
  if (title.trim() === "") throw usageError("The title must not be empty");
  if (encoder.encode(title).length > MAX_TITLE_BYTES) {
    throw usageError(`The title is longer than ${MAX_TITLE_BYTES} bytes; put details in the body`);
  }
  return title;
}

/** Checks labels: no commas, no control characters, sorted and unique. */
export function checkLabels(labels: readonly string[]): string[] {
  for (const l of labels) {
    checkNoControls(l, "label");
    if (!/^[^\s,][^,\n]{0,63}$/.test(l)) {
      throw usageError(
        `Invalid label ${JSON.stringify(l.slice(0, 70))}: 1-64 characters, no commas or newlines`,
      );
    }
  }
  return [...new Set(labels)].sort();
}

/** Checks a branch name: no whitespace or control characters, at most 255 characters. */
export function checkBranch(branch: string): string {
  checkNoControls(branch, "branch");
  if (branch !== "" && !/^[^\s\p{Cc}]{1,255}$/u.test(branch)) {
    throw usageError(
      `Invalid branch ${
        JSON.stringify(branch.slice(0, 70))
      }: up to 255 characters, no spaces or control characters`,
    );
  }
  return branch;
}

/** Checks a free-text field (a session id, a path): one line, no control characters. */
export function checkLine(value: string, what: string): string {
  checkNoControls(value, what);
  if (!/^[^\p{Cc}]{0,4096}$/u.test(value)) {
    throw usageError(
      `Invalid ${what} ${JSON.stringify(value.slice(0, 70))}: one line, at most 4096 characters`,
    );
  }
  return value;
}

/** Creates a ticket in backlog and posts a board event. */
export async function createTicket(store: Store, input: CreateInput, now: Date): Promise<Ticket> {
  checkTitle(input.title);
  const labels = checkLabels(input.labels);
  checkSection(input.description, "body");
  const acceptance = trimBlankLines(input.acceptance ?? "");
  checkSection(acceptance, "acceptance criteria");
  return await store.mutate("create", (tx) => {
    ensureDirInside(store.dir, store.ticketsDir);
    const id = store.nextTicketId();
    const deps = [...new Set(input.dependsOn)];
    checkDependenciesExist(store, deps, id);
    checkNoCycle(store, id, deps);
    const at = isoSeconds(now);
    const ticket: Ticket = {
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
      extra: [],
      body: newTicketBody(input.description, acceptance),
    };
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
