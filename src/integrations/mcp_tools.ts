/**
 * The MCP tools of `track mcp`: compact definitions (JSON Schema) and handlers that call the
 * same domain functions, under the same lock, as the CLI. A refused action is a tool error whose
 * text is the CLI's message and hint. No protocol code here, so the definitions can be measured
 * cheaply.
 */
import { epicChildren } from "../operations/epics.ts";
import { parentOf } from "../model/planning.ts";
import { SEARCH_FIELDS } from "../model/search.ts";
import { searchStore } from "../operations/search.ts";
import { projectRoot } from "../store/discovery.ts";
import { claimReview } from "../operations/claims.ts";
import { claimSettled, decisionEnv, nextSettled } from "../operations/decide.ts";
import { postMessage, readBoard, unknownAddressees } from "../operations/board.ts";
import { ackMessage, inboxMessagesJson, listInbox, markRead } from "../operations/inbox.ts";
import { TrackError, usageError } from "../model/errors.ts";
import { JSON_SCHEMA, ticketDetailJson, ticketJson } from "../model/json.ts";
import { checkText } from "../model/text.ts";
import { checkAgentName, HUMAN } from "../model/agent.ts";
import { checkPaths, reservationPath, reservePaths } from "../operations/reservations.ts";
import type { Store } from "../store/store.ts";
import { parseId } from "../model/ids.ts";
import { filterTickets, sortTickets } from "../model/queries.ts";
import { readyTickets } from "../model/ready.ts";
import { parsePriority, parseStatus, PRIORITIES, STATUSES } from "../model/transitions.ts";
import { logTicket, updateTicket } from "../operations/update.ts";

/** One tool as listed by tools/list. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: {
    type: "object";
    properties: Record<string, unknown>;
    required?: string[];
  };
}

const S = { type: "string" } as const;
const ID = { type: "string", description: "T-0001" } as const;
const AGENT = { type: "string", description: "default $TRACK_AGENT" } as const;
const PATHS = { type: "array", items: S } as const;
const OFFLINE = {
  type: "boolean",
  description: "grant without the sync remote (provisional)",
} as const;

/** What a claim's exits 8 and 9 mean with sync on (an error's `_meta.exit`). */
const SYNC_EXITS = "With sync, exit 8: not granted: do not start; the claim was withdrawn. " +
  "Exit 9: granted on this machine, not confirmed: at risk until the next sync.";

/** Every tool, in list order (at most 10; see bench/sections/integrations.ts for the size). */
export const TOOLS: readonly ToolDefinition[] = [
  {
    name: "ready",
    description: "Backlog tickets whose deps are done, best first",
    inputSchema: { type: "object", properties: { label: S, parent: ID } },
  },
  {
    name: "next",
    description: "Claim the best ready ticket atomically. " + SYNC_EXITS,
    inputSchema: {
      type: "object",
      properties: {
        agent: AGENT,
        label: S,
        parent: ID,
        review: { type: "boolean", description: "review a ticket in review (not yours)" },
        offline: OFFLINE,
      },
    },
  },
  {
    name: "claim",
    description: "Claim a backlog ticket. " + SYNC_EXITS,
    inputSchema: {
      type: "object",
      properties: { id: ID, agent: AGENT, offline: OFFLINE },
      required: ["id"],
    },
  },
  {
    name: "update",
    description: "Change status/priority/title (valid transitions only)",
    inputSchema: {
      type: "object",
      properties: {
        id: ID,
        status: { type: "string", enum: [...STATUSES] },
        priority: { type: "string", enum: [...PRIORITIES] },
        title: S,
        agent: AGENT,
      },
      required: ["id"],
    },
  },
  {
    name: "log",
    description: "Append to a ticket's Work Log",
    inputSchema: {
      type: "object",
      properties: { id: ID, message: S, agent: AGENT },
      required: ["id", "message"],
    },
  },
  {
    name: "tickets",
    description: "Show one ticket (id), list tickets (filters), or search (query)",
    inputSchema: {
      type: "object",
      properties: {
        id: ID,
        query: { type: "string", description: "words or id; ranked matches in tickets and board" },
        parent: ID,
        status: { type: "string", enum: [...STATUSES] },
        agent: S,
        label: S,
        all: { type: "boolean", description: "include done" },
      },
    },
  },
  {
    name: "board",
    description: "Post (message; to=agents, reply_to=msg id, ack=ask for ack) or read the board",
    inputSchema: {
      type: "object",
      properties: {
        message: S,
        to: { type: "array", items: S, description: "agent names or human" },
        reply_to: S,
        ack: { type: "boolean" },
        ticket: S,
        tag: { type: "string", description: "default note" },
        last: { type: "integer", description: "read: default 20" },
        agent: AGENT,
      },
    },
  },
  {
    name: "inbox",
    description: "Your unread messages (all: read too); ack=[msg ids] acknowledges; mark_read",
    inputSchema: {
      type: "object",
      properties: {
        all: { type: "boolean" },
        ack: { type: "array", items: S },
        mark_read: { type: "boolean" },
        agent: AGENT,
      },
    },
  },
  {
    name: "files_check",
    description: "Who holds these paths (others' reservations)",
    inputSchema: {
      type: "object",
      properties: { paths: PATHS, agent: AGENT },
      required: ["paths"],
    },
  },
  {
    name: "files_reserve",
    description:
      "Reserve paths/globs for a ticket (exclusive unless shared; exclusive needs its holder or force)",
    inputSchema: {
      type: "object",
      properties: {
        paths: PATHS,
        ticket: ID,
        shared: { type: "boolean" },
        force: { type: "boolean" },
        agent: AGENT,
      },
      required: ["paths", "ticket"],
    },
  },
];

/** What a tool call needs from the outside. */
export interface ToolContext {
  store(): Store;
  /** Agent from the server's `--agent` or TRACK_AGENT; null when unset. */
  defaultAgent: string | null;
  cwd: string;
  now(): Date;
  /**
   * After each tool call (the MCP server): `track mcp` starts the background sync there when
   * the call wrote to a sync store (docs/sync.md "Auto-sync").
   */
  afterCall?(): Promise<void>;
}

/** Result of a tool call, in MCP's shape. */
export interface ToolResult {
  content: Array<{ type: "text"; text: string }>;
  isError?: boolean;
  [k: string]: unknown;
}

type Args = Record<string, unknown>;

function optStr(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw usageError(`"${key}" must be a string`);
  return v;
}

function reqStr(args: Args, key: string): string {
  const v = optStr(args, key);
  if (v === undefined || v === "") throw usageError(`"${key}" is required`);
  return v;
}

function paths(args: Args): string[] {
  const v = args.paths;
  if (!Array.isArray(v) || v.length === 0 || v.some((p) => typeof p !== "string")) {
    throw usageError(`"paths" must be a non-empty list of strings`);
  }
  return v as string[];
}

function agentOf(args: Args, ctx: ToolContext, tool: string): string {
  const a = optStr(args, "agent") ?? ctx.defaultAgent;
  if (a === null || a === "") {
    throw usageError(
      `"${tool}" needs an agent: pass "agent" or start the server with TRACK_AGENT set`,
      "track register (prints a free agent name)",
    );
  }
  return checkAgentName(a);
}

function ok(payload: Record<string, unknown>): ToolResult {
  return { content: [{ type: "text", text: JSON.stringify({ schema: JSON_SCHEMA, ...payload }) }] };
}

/** The text of a refused call: the CLI's message and hint, without the "track: " prefix. */
export function errorText(e: TrackError): string {
  return `${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`;
}

async function dispatch(name: string, args: Args, ctx: ToolContext): Promise<ToolResult> {
  const store = ctx.store();
  const now = ctx.now();
  switch (name) {
    case "ready": {
      const label = optStr(args, "label");
      const parent = optStr(args, "parent");
      const epic = parent === undefined ? undefined : parseId(parent);
      const list = readyTickets(store.readAllTickets().tickets).filter((t) =>
        (label === undefined || t.labels.includes(label)) &&
        (epic === undefined || parentOf(t) === epic)
      );
      return ok({ tickets: list.map(ticketJson) });
    }
    case "next": {
      const agent = agentOf(args, ctx, name);
      const label = optStr(args, "label");
      const parent = optStr(args, "parent");
      if (args.review === true) {
        const rv = await claimReview(store, agent, {
          label,
          parent: parent === undefined ? undefined : parseId(parent),
          now,
        });
        return ok({ ticket: ticketJson(rv.ticket), already: rv.already });
      }
      const r = await nextSettled(store, agent, {
        label,
        parent: parent === undefined ? undefined : parseId(parent),
        now: () => ctx.now(),
        ...decisionEnv(Deno.env, args.offline === true),
      });
      return ok({
        ticket: ticketJson(r.ticket),
        already: r.already,
        handoff: r.handoff,
        ...(r.confirmed === null ? {} : { confirmed: r.confirmed }),
      });
    }
    case "claim": {
      const agent = agentOf(args, ctx, name);
      const r = await claimSettled(store, parseId(reqStr(args, "id")), agent, {
        force: false,
        now: () => ctx.now(),
        ...decisionEnv(Deno.env, args.offline === true),
      });
      return ok({
        ticket: ticketJson(r.ticket),
        already: r.already,
        taken_from: r.takenFrom,
        handoff: r.handoff,
        ...(r.confirmed === null ? {} : { confirmed: r.confirmed }),
      });
    }
    case "update": {
      const agent = agentOf(args, ctx, name);
      const statusArg = optStr(args, "status");
      const status = statusArg === undefined ? undefined : parseStatus(statusArg);
      const priorityArg = optStr(args, "priority");
      const priority = priorityArg === undefined ? undefined : parsePriority(priorityArg);
      const title = optStr(args, "title");
      if (status === undefined && priority === undefined && title === undefined) {
        throw usageError(`"update" needs status, priority or title`);
      }
      if (title !== undefined) checkText(title, "title");
      const r = await updateTicket(store, parseId(reqStr(args, "id")), {
        status,
        priority,
        title,
        agent,
        force: false,
      }, now);
      return ok({ ticket: ticketJson(r.ticket), from: r.from, changed: r.changed });
    }
    case "log": {
      const agent = agentOf(args, ctx, name);
      const message = checkText(reqStr(args, "message"), "message");
      const t = await logTicket(store, parseId(reqStr(args, "id")), { agent, message }, now);
      return ok({ ticket: ticketJson(t) });
    }
    case "tickets": {
      const id = optStr(args, "id");
      if (id !== undefined) {
        const ticket = ticketDetailJson(store.readTicket(parseId(id)));
        const { children, progress } = epicChildren(store, ticket.id);
        if (children.length === 0) return ok({ ticket });
        return ok({
          ticket,
          children: children.map((c) => ({ id: c.id, title: c.title, status: c.status })),
          progress,
        });
      }
      const status = optStr(args, "status");
      const query = optStr(args, "query");
      if (query !== undefined) {
        const r = searchStore(store, {
          query,
          fields: new Set(SEARCH_FIELDS),
          status: status === undefined ? undefined : parseStatus(status),
          label: optStr(args, "label"),
          limit: 20,
        });
        return ok({ query, results: r.hits, total: r.total });
      }
      const parent = optStr(args, "parent");
      const list = sortTickets(filterTickets(store.readAllTickets().tickets, {
        status: status === undefined ? undefined : parseStatus(status),
        agent: optStr(args, "agent"),
        label: optStr(args, "label"),
        parent: parent === undefined ? undefined : parseId(parent),
        all: args.all === true,
      }));
      return ok({ tickets: list.map(ticketJson) });
    }
    case "board": {
      if (args.message !== undefined) return await postTool(args, ctx, now);
      for (const k of ["to", "reply_to", "ack"]) {
        if (args[k] !== undefined) throw usageError(`"${k}" goes with a post ("message")`);
      }
      const last = args.last === undefined ? 20 : Number(args.last);
      if (!Number.isInteger(last) || last < 1) {
        throw usageError(`"last" must be a positive integer`);
      }
      const ticket = optStr(args, "ticket");
      const { entries } = readBoard(store, {
        last,
        ticket: ticket === undefined ? undefined : parseId(ticket),
        tag: optStr(args, "tag"),
      });
      return ok({ entries });
    }
    case "inbox": {
      const agent = agentOf(args, ctx, name);
      const ack = args.ack === undefined ? [] : args.ack;
      if (!Array.isArray(ack) || ack.some((id) => typeof id !== "string")) {
        throw usageError(`"ack" must be a list of message ids`);
      }
      const acked = [];
      for (const id of ack as string[]) {
        acked.push((await ackMessage(store, agent, id, now)).entry.id);
      }
      const { items, unread } = listInbox(store, agent, { all: args.all === true });
      const marked = args.mark_read === true ? await markRead(store, agent, items) : [];
      return ok({
        agent,
        unread,
        messages: inboxMessagesJson(items, marked),
        acked,
        marked_read: marked,
      });
    }
    case "files_check": {
      const me = optStr(args, "agent") ?? ctx.defaultAgent;
      const root = projectRoot(store.trackDir, ctx.cwd);
      const normalised = paths(args).map((p) => reservationPath(p, { cwd: ctx.cwd, root }));
      const results = checkPaths(store, normalised, me);
      return ok({ results });
    }
    case "files_reserve": {
      const agent = agentOf(args, ctx, name);
      const root = projectRoot(store.trackDir, ctx.cwd);
      const list = [...new Set(paths(args).map((p) => reservationPath(p, { cwd: ctx.cwd, root })))];
      const reserved = await reservePaths(store, {
        paths: list,
        agent,
        ticket: parseId(reqStr(args, "ticket")),
        shared: args.shared === true,
        force: args.force === true,
      }, now);
      return ok({ reserved });
    }
    default:
      throw usageError(`Unknown tool "${name}"`, `tools/list shows the ${TOOLS.length} tools`);
  }
}

/** The `board` tool's post: the CLI's `board -m` (same operation, same checks). */
async function postTool(args: Args, ctx: ToolContext, now: Date): Promise<ToolResult> {
  const store = ctx.store();
  const agent = agentOf(args, ctx, "board");
  const message = checkText(reqStr(args, "message"), "message");
  const ticketArg = optStr(args, "ticket");
  const toArg = args.to ?? [];
  if (!Array.isArray(toArg) || toArg.some((a) => typeof a !== "string")) {
    throw usageError(`"to" must be a list of agent names`);
  }
  const to = (toArg as string[]).map((a) => a === HUMAN ? a : checkAgentName(a));
  const entry = await postMessage(store, {
    agent,
    message,
    ticket: ticketArg === undefined ? null : parseId(ticketArg),
    tag: optStr(args, "tag") ?? "note",
    to,
    replyTo: optStr(args, "reply_to") ?? null,
    ack: args.ack === true,
  }, now);
  const unknown = unknownAddressees(store, entry.to);
  return ok({
    entry,
    ...(unknown.length > 0
      ? {
        warnings: unknown.map((a) =>
          `agent "${a}" is not registered; the message waits in its inbox`
        ),
      }
      : {}),
  });
}

/** Runs tool `name`; a TrackError becomes a tool error with the CLI's message. */
export async function callTool(name: string, args: Args, ctx: ToolContext): Promise<ToolResult> {
  try {
    return await dispatch(name, args ?? {}, ctx);
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    return {
      content: [{ type: "text", text: errorText(e) }],
      isError: true,
      _meta: { kind: e.kind, exit: e.exitCode },
    };
  }
}

/** Size of the tool definitions as tools/list sends them: characters and a token estimate. */
export function toolDefinitionSize(): { tools: number; chars: number; tokens: number } {
  const chars = JSON.stringify(TOOLS).length;
  return { tools: TOOLS.length, chars, tokens: Math.ceil(chars / 4) };
}
