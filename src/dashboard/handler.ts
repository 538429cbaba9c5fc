/**
 * The dashboard's request handler: `createHandler(deps)` gives `(Request) => Response`, so every
 * route and every security rule is testable without a socket.
 *
 * Security, in the order applied:
 * - Host must be 127.0.0.1, localhost or [::1] with our port (421 otherwise; 400 when missing
 *   or malformed), which defeats DNS rebinding.
 * - Paths with `..`, encoded dots, NUL, backslashes or `//` get 404; static files come only from
 *   the fixed set in assets.ts.
 * - Writes (move, board, create, edit, log, assign: every one as `human` through the CLI's
 *   operations) need POST, a JSON content type, an Origin equal to our own and the per-run token the
 *   page received; no CORS header is ever sent, so other sites can neither read nor write. Their
 *   body is read up to MAX_BODY_BYTES (413) within bodyTimeoutMs (408).
 * - The event stream refuses a foreign Origin or a cross-site fetch.
 * - Every response carries CSP `default-src 'self'` and nosniff.
 */
import { parseFields } from "../model/search.ts";
import { searchStore } from "../operations/search.ts";
import { TrackError } from "../model/errors.ts";
import { entryPath, postMessage, readBoard, TAG } from "../operations/board.ts";
import { agentNameProblem, HUMAN } from "../model/agent.ts";
import type { Store } from "../store/store.ts";
import { parseId } from "../model/ids.ts";
import { parsePriority, parseStatus } from "../model/transitions.ts";
import { logTicket, updateTicket } from "../operations/update.ts";
import { createTicket } from "../operations/create.ts";
import { assignTicket } from "../operations/claims.ts";
import { ticketJson } from "../model/json.ts";
import { logEntriesOf } from "../model/ticket.ts";
import { ASSETS, indexPage } from "./assets.ts";
import { API_SCHEMA, BOARD_LAST, buildSnapshot, graphSnapshot, ticketDetail } from "./snapshot.ts";
import { LiveView } from "./live.ts";
import type { ChangeBatch } from "./watch.ts";
import type { SyncPanel } from "./sync_panel.ts";

/** What the handler needs from the outside world. */
export interface HandlerDeps {
  store: Store;
  /** The port we listen on (part of every allowed Host). */
  port: number;
  /** Per-run token handed to the page; every write must carry it. */
  token: string;
  /** Secret for `track stop` (never given to the page); null disables /api/shutdown. */
  stopSecret?: string | null;
  /** Identifies this run in /api/ping, so `stop` can tell our server from another process. */
  instance?: string;
  /** Process id reported by /api/ping. */
  pid?: number;
  /** Change notifications for the event stream; absent means no live updates. */
  feed?: ChangeSource;
  /**
   * The sync panel (sync_panel.ts): `GET /api/sync`, the Sync button (`POST /api/sync`), and a
   * sync step after each write from the page; absent means `{"sync": null}` (sync off).
   */
  sync?: SyncPanel;
  now?: () => Date;
  /** Called after a valid shutdown request was answered. */
  onShutdown?: () => void;
  /** Aborted when the server stops: open event streams end so shutdown does not wait on them. */
  closing?: AbortSignal;
  /** Milliseconds between keep-alive comments on the event stream. */
  keepAliveMs?: number;
  /** Bytes queued for a page that does not read before its stream ends (tests lower it). */
  maxStreamBacklog?: number;
  /**
   * Milliseconds a client has to send a whole write's body ({@linkcode BODY_TIMEOUT_MS} by
   * default); a slower one gets 408.
   */
  bodyTimeoutMs?: number;
}

/** Source of change batches (watch.ts's ChangeFeed): which files changed. */
export interface ChangeSource {
  subscribe(fn: (batch: ChangeBatch) => void): () => void;
  /** Reports `paths` (relative to `.track/`) at once, without waiting for the watcher. */
  poke(paths?: readonly string[]): void;
}

/**
 * Bytes an event stream may have queued for a page that does not read them; past that the stream
 * ends, and the page reconnects and gets one snapshot instead of an ever-growing backlog.
 */
export const MAX_STREAM_BACKLOG = 32 * 1024 * 1024;
const STREAM_HWM = 64 * 1024;

/** Largest JSON body accepted by the write routes. */
export const MAX_BODY_BYTES = 1024 * 1024 + 16 * 1024;

/**
 * Time to receive a write's body. The page sends at most about 1 MiB over loopback, which takes
 * milliseconds; a client that declares a Content-Length and then stalls would otherwise hold its
 * connection (and a read) open for as long as it likes.
 */
export const BODY_TIMEOUT_MS = 10_000;

/** Header that carries the per-run token on writes. */
export const TOKEN_HEADER = "x-track-token";
/** Header that carries the stop secret. */
export const STOP_HEADER = "x-track-stop";

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

function respond(
  body: BodyInit | null,
  status: number,
  type: string | null,
  extra: Record<string, string> = {},
): Response {
  const headers = new Headers(SECURITY_HEADERS);
  if (type !== null) headers.set("content-type", type);
  headers.set("cache-control", "no-store");
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(body, { status, headers });
}

function json(payload: Record<string, unknown>, status = 200): Response {
  return respond(
    JSON.stringify({ schema: API_SCHEMA, ...payload }),
    status,
    "application/json; charset=utf-8",
  );
}

function fail(status: number, kind: string, message: string, hint: string | null = null) {
  return json({ error: { kind, message, hint } }, status);
}

const HTTP_STATUS: Record<TrackError["kind"], number> = {
  ok: 200,
  internal: 500,
  usage: 400,
  conflict: 409,
  notFound: 404,
  lockBusy: 503,
  badData: 500,
  io: 500,
  remote: 502,
  provisional: 202,
};

function trackFailure(e: TrackError): Response {
  const error = { kind: e.kind, message: e.message, hint: e.hint, detail: e.detail };
  return json({ error }, HTTP_STATUS[e.kind]);
}

const HOST_SYNTAX = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/** Checks the Host header: null when allowed, otherwise the response to send. */
export function checkHost(host: string | null, port: number): Response | null {
  if (host === null || host === "") return fail(400, "usage", "Missing Host header");
  if (!HOST_SYNTAX.test(host)) return fail(400, "usage", "Malformed Host header");
  const allowed = ["127.0.0.1", "localhost", "[::1]"].flatMap((h) =>
    port === 80 ? [`${h}:${port}`, h] : [`${h}:${port}`]
  );
  if (!allowed.includes(host.toLowerCase())) {
    return fail(
      421,
      "usage",
      `This server answers only to 127.0.0.1, localhost or [::1] on port ${port}`,
      `open http://127.0.0.1:${port}/`,
    );
  }
  return null;
}

/** Whether a raw request path tries to leave the fixed set (dot segments, NUL, absolute). */
export function suspiciousPath(rawPath: string): boolean {
  return /\.\.|%2e|%00|\0|%5c|\\|%2f|\/\//i.test(rawPath);
}

/** The path part of a request URL exactly as sent (before URL normalisation). */
function rawPathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url);
  return m ? (m[1] || "/") : url;
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Reads at most `limit` bytes of the body within `timeoutMs`: the bytes, or the response to send
 * (413 when longer, 408 when too slow). Read as a stream, so a chunked body without a
 * Content-Length is cut off at the limit too, never buffered whole.
 */
async function readBodyBytes(
  req: Request,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array | Response> {
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), timedOut]);
      if (r === "timeout") {
        return fail(
          408,
          "usage",
          `The request body did not arrive within ${timeoutMs / 1000} s`,
          "send the whole body at once",
        );
      }
      if (r.done) break;
      length += r.value.length;
      if (length > limit) return fail(413, "usage", "Request body is too large");
      chunks.push(r.value);
    }
  } finally {
    clearTimeout(timer);
    // Stops reading what is left (too slow or too big). Deno.serve gives a handler no way to
    // close the connection (denoland/deno#3515): a stalled client keeps its socket until it
    // goes away, but no read, handler or lock is held for it any more.
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(length);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return bytes;
}

async function readJsonBody(
  req: Request,
  timeoutMs: number,
): Promise<Record<string, unknown> | Response> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    return fail(415, "usage", "Writes need Content-Type: application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return fail(413, "usage", "Request body is too large");
  const bytes = await readBodyBytes(req, MAX_BODY_BYTES, timeoutMs);
  if (bytes instanceof Response) return bytes;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return fail(400, "usage", "Request body is not valid UTF-8 JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail(400, "usage", "Request body must be a JSON object");
  }
  return raw as Record<string, unknown>;
}

/** A list of at most 100 strings (absent: empty), or the problem as a message. */
function stringList(value: unknown, name: string): string[] | string {
  if (value === undefined || value === null) return [];
  if (
    !Array.isArray(value) || value.length > 100 || value.some((v) => typeof v !== "string")
  ) return `"${name}" must be a list of at most 100 strings`;
  return value as string[];
}

/** The ticket id part of `/api/tickets/<id>`, decoded; null when the path is not that route. */
function ticketSegment(path: string): string | null {
  const m = /^\/api\/tickets\/([^/]+)$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1]; // a malformed escape: parseId refuses it as it is
  }
}

/** Builds the request handler. Never throws: unexpected errors become a 500 without details. */
export function createHandler(deps: HandlerDeps): (req: Request) => Promise<Response> {
  const now = deps.now ?? (() => new Date());
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  const maxBacklog = deps.maxStreamBacklog ?? MAX_STREAM_BACKLOG;
  const bodyTimeoutMs = deps.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  // The snapshot in memory while a page is open, kept current from the watcher's batches.
  const live = deps.feed ? new LiveView(deps.store, deps.feed, { now }) : null;

  const checkWrite = (req: Request, host: string): Response | null => {
    const origin = req.headers.get("origin");
    if (origin === null || origin !== `http://${host}`) {
      return fail(403, "usage", "Writes must come from this dashboard's own page (Origin)");
    }
    const token = req.headers.get(TOKEN_HEADER) ?? "";
    if (!timingSafeEqual(token, deps.token)) {
      return fail(
        403,
        "usage",
        "Missing or wrong dashboard token",
        "reload the page (the server was restarted)",
      );
    }
    return null;
  };

  const events = (req: Request, host: string): Response => {
    const origin = req.headers.get("origin");
    if (origin !== null && origin !== `http://${host}`) {
      return fail(403, "usage", "The event stream is only for this dashboard's own page");
    }
    const site = req.headers.get("sec-fetch-site");
    if (site !== null && site !== "same-origin" && site !== "none") {
      return fail(403, "usage", "The event stream is only for this dashboard's own page");
    }
    const enc = new TextEncoder();
    let unsubscribe = () => {};
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    let end = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          // A page that stopped reading: end its stream rather than queue without bound.
          if (STREAM_HWM - (controller.desiredSize ?? 0) > maxBacklog) return end();
          try {
            controller.enqueue(enc.encode(text));
          } catch {
            // The page went away between the change and this write; cancel() cleans up.
          }
        };
        end = () => {
          clearInterval(keepAlive);
          unsubscribe();
          try {
            controller.close();
          } catch {
            // Already closed by the page going away.
          }
        };
        // The token travels here too, so a page that reconnects to a restarted server can write.
        const hello = JSON.stringify({ schema: API_SCHEMA, token: deps.token });
        send(`retry: 500\nevent: hello\ndata: ${hello}\n\n`);
        if (live) {
          // One full snapshot, then deltas: subscribing loads the view synchronously, so no
          // delta can fall between the two.
          unsubscribe = live.subscribe(send);
          send(`event: snapshot\ndata: ${live.snapshotText()}\n\n`);
        }
        keepAlive = setInterval(() => send(": keep-alive\n\n"), keepAliveMs);
        if (deps.closing?.aborted) end();
        else deps.closing?.addEventListener("abort", end, { once: true });
      },
      cancel() {
        clearInterval(keepAlive);
        unsubscribe();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HWM }));
    return respond(stream, 200, "text/event-stream; charset=utf-8");
  };

  const move = async (body: Record<string, unknown>): Promise<Response> => {
    const { id, status, force } = body;
    if (typeof id !== "string" || typeof status !== "string") {
      return fail(400, "usage", 'Expected {"id": "T-0001", "status": "review"}');
    }
    if (force !== undefined && typeof force !== "boolean") {
      return fail(400, "usage", '"force" must be true or false');
    }
    const to = parseStatus(status); // a usage error (400) naming the statuses
    // A person at the dashboard: agent null, same lock and rules as the CLI. Another agent's
    // ticket is refused with detail.needs_force; the page asks the person and sends force, which
    // takes the ticket (the holder is fenced) but never lifts the transition table.
    const r = await updateTicket(
      deps.store,
      parseId(id),
      { status: to, agent: null, force: false, takeOver: force === true },
      now(),
    );
    deps.feed?.poke([`tickets/${r.ticket.id}.md`]);
    return json({
      ticket: { id: r.ticket.id, status: r.ticket.status },
      from: r.from,
      changed: r.changed,
    });
  };

  const post = async (body: Record<string, unknown>): Promise<Response> => {
    const { message, ticket, tag, to } = body;
    if (typeof message !== "string" || message.trim() === "") {
      return fail(400, "usage", "The message is empty");
    }
    if (ticket !== undefined && ticket !== null && typeof ticket !== "string") {
      return fail(400, "usage", '"ticket" must be a ticket id or null');
    }
    if (tag !== undefined && (typeof tag !== "string" || !TAG.test(tag))) {
      return fail(400, "usage", "Invalid tag: use a short lowercase word like note or question");
    }
    // Addressed to agents (the "waiting for you" lane answers one), as `board --to`.
    if (
      to !== undefined &&
      (!Array.isArray(to) || to.length === 0 || to.length > 20 ||
        to.some((a) => typeof a !== "string" || (a !== HUMAN && agentNameProblem(a) !== null)))
    ) {
      return fail(400, "usage", '"to" must be a list of 1 to 20 agent names');
    }
    const ticketId = typeof ticket === "string" && ticket !== "" ? parseId(ticket) : null;
    // A person at the dashboard posts as human, through the CLI's and MCP's posting path.
    const entry = await postMessage(deps.store, {
      agent: HUMAN,
      message,
      ticket: ticketId,
      tag: (tag as string | undefined) ?? "note",
      to: (to as string[] | undefined) ?? [],
    }, now());
    deps.feed?.poke([`board/${entry.id}.md`]);
    return json({ entry });
  };

  /** Older board entries, for the board panel's "older" button: `?before=ID&last=N`. */
  const boardPage = (params: URLSearchParams): Response => {
    const before = params.get("before");
    const last = Number(params.get("last") ?? BOARD_LAST);
    if (before !== null && entryPath(deps.store, before) === null) {
      return fail(400, "usage", `Invalid board entry id ${JSON.stringify(before)}`);
    }
    if (!Number.isInteger(last) || last < 1 || last > 500) {
      return fail(400, "usage", '"last" must be a whole number from 1 to 500');
    }
    const { entries } = readBoard(deps.store, { last, before: before ?? undefined });
    return json({ entries });
  };

  // Acting as the person at the page (`human`): the CLI's operations, rules and lock. A field of
  // the wrong type is 400 before anything is read; the operation checks the values themselves
  // (title, labels, sections, ids) with the CLI's messages.

  const create = async (body: Record<string, unknown>): Promise<Response> => {
    const { title, priority, description, parent } = body;
    if (typeof title !== "string") return fail(400, "usage", '"title" must be text');
    const labels = stringList(body.labels, "labels");
    const dependsOn = stringList(body.depends_on, "depends_on");
    if (typeof labels === "string") return fail(400, "usage", labels);
    if (typeof dependsOn === "string") return fail(400, "usage", dependsOn);
    if (description !== undefined && typeof description !== "string") {
      return fail(400, "usage", '"description" must be text');
    }
    if (parent !== undefined && parent !== null && typeof parent !== "string") {
      return fail(400, "usage", '"parent" must be a ticket id or null');
    }
    const t = await createTicket(deps.store, {
      title,
      priority: priority === undefined ? "medium" : parsePriority(priority),
      labels,
      dependsOn: dependsOn.map((d) => parseId(d)),
      description: description ?? "",
      parent: typeof parent === "string" && parent !== "" ? parseId(parent) : undefined,
      by: HUMAN,
    }, now());
    deps.feed?.poke([`tickets/${t.id}.md`]);
    return json({ ticket: ticketJson(t) });
  };

  const edit = async (body: Record<string, unknown>): Promise<Response> => {
    const { id, title, description, priority } = body;
    if (typeof id !== "string") return fail(400, "usage", 'Expected {"id": "T-0001", ...}');
    if (title !== undefined && typeof title !== "string") {
      return fail(400, "usage", '"title" must be text');
    }
    if (description !== undefined && typeof description !== "string") {
      return fail(400, "usage", '"description" must be text');
    }
    const add = stringList(body.add_labels, "add_labels");
    const remove = stringList(body.remove_labels, "remove_labels");
    if (typeof add === "string") return fail(400, "usage", add);
    if (typeof remove === "string") return fail(400, "usage", remove);
    // As `track update` by a person: fields only, never the status (that is /api/move).
    const r = await updateTicket(deps.store, parseId(id), {
      title,
      description,
      priority: priority === undefined ? undefined : parsePriority(priority),
      addLabels: add,
      removeLabels: remove,
      agent: null,
      force: false,
    }, now());
    deps.feed?.poke([`tickets/${r.ticket.id}.md`]);
    return json({ ticket: ticketJson(r.ticket), changed: r.changed });
  };

  const log = async (body: Record<string, unknown>): Promise<Response> => {
    const { id, message } = body;
    if (typeof id !== "string" || typeof message !== "string") {
      return fail(400, "usage", 'Expected {"id": "T-0001", "message": "..."}');
    }
    const t = await logTicket(deps.store, parseId(id), { agent: HUMAN, message }, now());
    deps.feed?.poke([`tickets/${t.id}.md`]);
    return json({ ticket: ticketJson(t), entry: logEntriesOf(t.body).at(-1) ?? null });
  };

  const assign = async (body: Record<string, unknown>): Promise<Response> => {
    const { id, agent, force } = body;
    if (typeof id !== "string" || typeof agent !== "string") {
      return fail(400, "usage", 'Expected {"id": "T-0001", "agent": "NAME"}');
    }
    if (force !== undefined && typeof force !== "boolean") {
      return fail(400, "usage", '"force" must be true or false');
    }
    const problem = agentNameProblem(agent);
    if (problem !== null) return fail(400, "usage", problem);
    // A held ticket is refused with detail.needs_force; after the person confirms, force takes
    // it as `track claim --force` does (the holder fenced and told on the board).
    const r = await assignTicket(deps.store, parseId(id), agent, {
      by: HUMAN,
      force: force === true,
      now: now(),
    });
    deps.feed?.poke([`tickets/${r.ticket.id}.md`, `agents/${agent}.json`]);
    return json({ ticket: ticketJson(r.ticket), taken_from: r.takenFrom, already: r.already });
  };

  /** The Sync button: a sync step in the server's background; the answer never waits for it. */
  const syncNow = (): Promise<Response> => {
    if (deps.sync === undefined || !deps.sync.sync()) {
      return Promise.resolve(fail(
        409,
        "conflict",
        "Sync is off: this store has no remote",
        "track remote add <remote>",
      ));
    }
    return Promise.resolve(json({ started: true, sync: deps.sync.status() }));
  };

  const writes: Record<string, (body: Record<string, unknown>) => Promise<Response>> = {
    "/api/move": move,
    "/api/board": post,
    "/api/create": create,
    "/api/edit": edit,
    "/api/log": log,
    "/api/assign": assign,
    "/api/sync": syncNow,
  };

  const route = async (req: Request): Promise<Response> => {
    const host = req.headers.get("host");
    const bad = checkHost(host, deps.port);
    if (bad) return bad;
    const rawPath = rawPathOf(req.url);
    if (suspiciousPath(rawPath)) return fail(404, "notFound", "Not found");
    const path = new URL(req.url).pathname;
    const method = req.method;
    const ticketId = ticketSegment(path);

    if (path.startsWith("/api/")) {
      if (method === "GET" || method === "HEAD") {
        if (path === "/api/ping") {
          return json({
            app: "track-dashboard",
            pid: deps.pid ?? null,
            instance: deps.instance ?? null,
          });
        }
        if (path === "/api/snapshot") return json({ ...buildSnapshot(deps.store, now()) });
        if (path === "/api/graph") return json({ ...graphSnapshot(deps.store) });
        if (path === "/api/sync") {
          // Small local files only: never the network (the poll runs off the request path).
          return json({ schema: API_SCHEMA, sync: deps.sync?.status() ?? null });
        }
        if (path === "/api/board") return boardPage(new URL(req.url).searchParams);
        if (path === "/api/cost") {
          // track cost --by ticket --json: reads the recorded transcripts, writes nothing.
          const { costReport } = await import("../operations/cost.ts");
          const { PRICES_AS_OF } = await import("../model/prices.ts");
          const r = await costReport(deps.store, { by: "ticket", now: now() });
          return json({ ...r, prices_as_of: PRICES_AS_OF });
        }
        if (path === "/api/search") {
          // track search --json: the filter box finds words in bodies and Work Logs too.
          const params = new URL(req.url).searchParams;
          const fields = parseFields((params.get("in") ?? "").split(",").filter((f) => f !== ""));
          if (typeof fields === "string") return fail(400, "usage", fields);
          const r = searchStore(deps.store, {
            query: params.get("q") ?? "",
            fields,
            limit: Number.MAX_SAFE_INTEGER,
          });
          // The filter box shows every matching ticket (`ids`); the first 1,000 hits in detail.
          return json({
            query: params.get("q") ?? "",
            results: r.hits.slice(0, 1000),
            total: r.total,
            ids: r.hits.flatMap((h) => h.kind === "ticket" ? [h.id] : []),
          });
        }
        // Any one segment is an id: a malformed one is 400 (as the CLI's exit 2), an unknown
        // one 404; never 405, which would say that another method could work.
        if (ticketId !== null) return json(ticketDetail(deps.store, parseId(ticketId)));
        if (path === "/api/events") return events(req, host!);
      }
      if (method === "POST") {
        if (path === "/api/shutdown" && deps.stopSecret) {
          const given = req.headers.get(STOP_HEADER) ?? "";
          if (req.headers.get("origin") !== null || !timingSafeEqual(given, deps.stopSecret)) {
            return fail(403, "usage", "Only `track stop` may stop this server");
          }
          queueMicrotask(() => deps.onShutdown?.());
          return json({ stopping: true, pid: deps.pid ?? null });
        }
        const write = Object.hasOwn(writes, path) ? writes[path] : undefined;
        if (write !== undefined) {
          const denied = checkWrite(req, host!);
          if (denied) return denied;
          const body = await readJsonBody(req, bodyTimeoutMs);
          if (body instanceof Response) return body;
          const res = await write(body);
          // A write from the page syncs like a CLI write (TRACK_SYNC auto), off this request.
          if (res.ok && path !== "/api/sync") deps.sync?.afterWrite();
          return res;
        }
      }
      const known = [
        "/api/ping",
        "/api/snapshot",
        "/api/graph",
        "/api/cost",
        "/api/search",
        "/api/events",
        ...Object.keys(writes),
      ];
      if (known.includes(path) || ticketId !== null) {
        return fail(405, "usage", `Method ${method} is not allowed on ${path}`);
      }
      return fail(404, "notFound", "Not found");
    }

    if (method !== "GET" && method !== "HEAD") {
      return fail(405, "usage", `Method ${method} is not allowed`);
    }
    const asset = path === "/" || path === "/index.html" ? indexPage(deps.token) : ASSETS.get(path);
    if (!asset) return fail(404, "notFound", "Not found");
    return respond(method === "HEAD" ? null : asset.body, 200, asset.type);
  };

  return async (req: Request): Promise<Response> => {
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof TrackError) return trackFailure(e);
      return fail(500, "internal", "Internal error");
    }
  };
}
