import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/assert.ts";
import { type TempStore, tempStore } from "../../tests/helpers.ts";
import { Store } from "../store/store.ts";
import { createTicket } from "../operations/create.ts";
import { PRIORITIES, STATUSES } from "../model/transitions.ts";
import { ASSETS } from "./assets.ts";
import { BASE, get, PORT, TOKEN, write } from "./test_requests.ts";
import { type ChangeSource, createHandler, type HandlerDeps, suspiciousPath } from "./handler.ts";
import type { ChangeBatch } from "./watch.ts";

const STOP = "cd".repeat(24);

/** A change source the test fires by hand. */
class ManualFeed implements ChangeSource {
  fns = new Set<(batch: ChangeBatch) => void>();
  pokes = 0;
  seq = 0;
  subscribe(fn: (batch: ChangeBatch) => void) {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  poke() {
    this.pokes++;
  }
  fire(paths: string[], rescan = false) {
    const batch = { seq: ++this.seq, paths, rescan };
    for (const fn of this.fns) fn(batch);
  }
}

interface Fixture extends AsyncDisposable {
  ts: TempStore;
  store: Store;
  feed: ManualFeed;
  shutdowns: number;
  handle(req: Request): Promise<Response>;
}

async function fixture(extra: Partial<HandlerDeps> = {}): Promise<Fixture> {
  const ts = await tempStore();
  const store = new Store(ts.dir);
  const now = new Date("2026-05-01T12:00:00Z");
  await createTicket(store, {
    title: "First",
    priority: "high",
    labels: ["ui"],
    dependsOn: [],
    description: "Hello",
    by: "human",
  }, now);
  await createTicket(store, {
    title: "Second",
    priority: "low",
    labels: [],
    dependsOn: ["T-0001"],
    description: "",
    by: "human",
  }, now);
  const feed = new ManualFeed();
  const fx: Fixture = {
    ts,
    store,
    feed,
    shutdowns: 0,
    handle: createHandler({
      store,
      port: PORT,
      token: TOKEN,
      stopSecret: STOP,
      instance: "inst1",
      pid: 42,
      feed,
      now: () => now,
      onShutdown: () => fx.shutdowns++,
      ...extra,
    }),
    async [Symbol.asyncDispose]() {
      await ts[Symbol.asyncDispose]();
    },
  };
  return fx;
}

function assertNoCors(res: Response): void {
  for (const [k] of res.headers) {
    assert(!k.toLowerCase().startsWith("access-control-"), `unexpected CORS header ${k}`);
  }
}

async function errorOf(
  res: Response,
): Promise<
  { kind: string; message: string; hint: string; detail: Record<string, unknown> | null }
> {
  return (await res.json()).error;
}

Deno.test("handler serves the page with the token, CSP and no CORS headers", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/"));
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type")!, /^text\/html/);
  assertStringIncludes(res.headers.get("content-security-policy")!, "default-src 'self'");
  assertEquals(res.headers.get("x-content-type-options"), "nosniff");
  assertNoCors(res);
  const html = await res.text();
  assertStringIncludes(html, `<meta name="track-token" content="${TOKEN}"`);
  assert(!/<script>|<script [^>]*>[^<]/.test(html), "no inline script in the page");
});

Deno.test("handler accepts 127.0.0.1, localhost and [::1] with our port", async () => {
  await using fx = await fixture();
  for (
    const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`, `LOCALHOST:${PORT}`]
  ) {
    const res = await fx.handle(get("/api/ping", { host }));
    assertEquals(res.status, 200, host);
    assertEquals((await res.json()).instance, "inst1");
  }
});

Deno.test("handler answers 421 to any other Host (DNS rebinding)", async () => {
  await using fx = await fixture();
  for (
    const host of [
      "evil.example",
      `evil.example:${PORT}`,
      `127.0.0.1:${PORT + 1}`,
      "127.0.0.1",
      `localhost.evil.example:${PORT}`,
      `127.0.0.2:${PORT}`,
      `0.0.0.0:${PORT}`,
    ]
  ) {
    const res = await fx.handle(get("/", { host }));
    assertEquals(res.status, 421, host);
    assertNoCors(res);
    await res.body?.cancel();
  }
});

Deno.test("handler answers 400 to a missing or malformed Host", async () => {
  await using fx = await fixture();
  const missing = await fx.handle(new Request(BASE + "/"));
  assertEquals(missing.status, 400);
  assertStringIncludes((await errorOf(missing)).message, "Missing Host");
  for (const host of ["a b", "@evil", `127.0.0.1:${PORT}:1`, "[::1", "x".repeat(300), "h:123456"]) {
    const res = await fx.handle(get("/", { host }));
    assertEquals(res.status, 400, host);
    await res.body?.cancel();
  }
});

Deno.test("handler serves exactly the fixed static set, with the hooks import rewritten", async () => {
  await using fx = await fixture();
  for (const [path, asset] of ASSETS) {
    const res = await fx.handle(get(path));
    assertEquals(res.status, 200, path);
    assertEquals(res.headers.get("content-type"), asset.type);
    assertNoCors(res);
    await res.body?.cancel();
  }
  const hooks = await (await fx.handle(get("/vendor/hooks.mjs"))).text();
  assertStringIncludes(hooks, 'from"/vendor/preact.mjs"');
  assert(!/from\s*["']preact["']/.test(hooks));
  const app = await (await fx.handle(get("/app.js"))).text();
  assert(!app.includes(".innerHTML") && !app.includes("dangerouslySetInnerHTML"));
});

// `new Request` normalises `..` away; server_test.ts sends the same paths raw over a socket.
Deno.test("handler answers 404 to traversal, encoded dots, NUL and absolute paths", async () => {
  await using fx = await fixture();
  const raw = [
    "/../deno.json",
    "/%2e%2e/deno.json",
    "/%2E%2E%2Fdeno.json",
    "/..%2fdeno.json",
    "/app.js%00",
    "/app.js%00.png",
    "//etc/passwd",
    "/etc/passwd",
    "/web/app.js",
    "/src/dashboard/handler.ts",
    "/vendor/%2e%2e/x.js",
    "/%5c..%5cdeno.json",
    "/.track/config.json",
    "/file:///etc/passwd",
    "/vendor/",
    "/index.htm",
  ];
  for (const path of raw) {
    const res = await fx.handle(get(path));
    assertEquals(res.status, 404, path);
    await res.body?.cancel();
  }
  for (const path of ["/../x", "/%2e%2e/x", "/a\0b", "//x", "/a%00", "/%2F/x", "/a\\b"]) {
    assert(suspiciousPath(path), path);
  }
  for (const path of ["/", "/app.js", "/vendor/preact.mjs", "/api/tickets/T-0001"]) {
    assert(!suspiciousPath(path), path);
  }
});

Deno.test("handler snapshot lists tickets with open dependencies, agents and board", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/api/snapshot"));
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("cache-control"), "no-store");
  const snap = await res.json();
  assertEquals(snap.schema, 1);
  assertEquals(snap.tickets.map((t: { id: string }) => t.id), ["T-0001", "T-0002"]);
  assertEquals(snap.tickets[1].waiting_on, [{ id: "T-0001", status: "backlog" }]);
  assertEquals(snap.tickets[0].waiting_on, []);
  assertEquals(snap.agents, []);
  assertEquals(snap.reservations, []);
  assertEquals(snap.board.length, 2);
  assertEquals(snap.problems, []);
});

Deno.test("handler /api/graph is track graph --all --json: nodes, edges, ready frontier", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/api/graph"));
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("cache-control"), "no-store");
  const g = await res.json();
  assertEquals(g.schema, 1);
  assertEquals(g.nodes.map((n: { id: string; ready: boolean }) => [n.id, n.ready]), [
    ["T-0001", true],
    ["T-0002", false],
  ]);
  assertEquals(g.edges, [{ from: "T-0001", to: "T-0002", done: false }]);
  assertEquals(g.groups[0].critical_path, ["T-0001", "T-0002"]);
  assertEquals(g.problems, []);
  assertEquals((await fx.handle(write("/api/graph", {}))).status, 405);
});

Deno.test("handler snapshot carries the model's statuses and priorities, in order", async () => {
  await using fx = await fixture();
  const snap = await (await fx.handle(get("/api/snapshot"))).json();
  // The page draws its columns, sorts cards and offers the priority filter from these.
  assertEquals(snap.statuses, [...STATUSES]);
  assertEquals(snap.priorities, [...PRIORITIES]);
});

Deno.test("handler ticket detail: body, log, dependency states; 404 and 400 as JSON", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/api/tickets/T-0002"));
  assertEquals(res.status, 200);
  const { ticket } = await res.json();
  assertEquals(ticket.id, "T-0002");
  assertEquals(ticket.deps, [{ id: "T-0001", status: "backlog" }]);
  assertEquals(typeof ticket.body, "string");
  assertEquals(ticket.log, []);
  const missing = await fx.handle(get("/api/tickets/T-0099"));
  assertEquals(missing.status, 404);
  assertStringIncludes((await errorOf(missing)).message, "T-0099");
  const bad = await fx.handle(get("/api/tickets/nope"));
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  const unknown = await fx.handle(get("/api/nothing"));
  assertEquals(unknown.status, 404);
  await unknown.body?.cancel();
});

Deno.test("handler ticket detail: an odd id is 400 as JSON, a path that is no id 404, never 405", async () => {
  await using fx = await fixture();
  for (const path of ["T-x", "T%20x", "a.b", "T-0001x", "%zz", "x".repeat(30), "T-0001%0Ax"]) {
    const res = await fx.handle(get(`/api/tickets/${path}`));
    assertEquals(res.status, 400, path);
    const err = await errorOf(res);
    assertEquals(err.kind, "usage");
    assertStringIncludes(err.message, "Invalid ticket id");
  }
  for (const path of ["/api/tickets/", "/api/tickets/T-0001/x", "/api/tickets/T-0001/"]) {
    const res = await fx.handle(get(path));
    assertEquals(res.status, 404, path);
    assertEquals((await errorOf(res)).kind, "notFound");
  }
  // 405 stays for a real route asked with the wrong method.
  const post = await fx.handle(write("/api/tickets/T-0001", {}));
  assertEquals(post.status, 405);
  await post.body?.cancel();
});

Deno.test("handler refuses writes without our Origin, token or JSON content type", async () => {
  await using fx = await fixture();
  const before = fx.ts.read("tickets/T-0001.md");
  const cases: Array<[Record<string, string | null>, number]> = [
    [{ origin: null }, 403],
    [{ origin: "http://evil.example" }, 403],
    [{ origin: `http://127.0.0.1:${PORT + 1}` }, 403],
    [{ origin: "null" }, 403],
    [{ "x-track-token": null }, 403],
    [{ "x-track-token": "00".repeat(24) }, 403],
    [{ "x-track-token": TOKEN.slice(1) }, 403],
    [{ "content-type": "text/plain" }, 415],
    [{ "content-type": "application/x-www-form-urlencoded" }, 415],
    [{ "content-type": null }, 415],
  ];
  for (const [headers, status] of cases) {
    for (const path of ["/api/move", "/api/board"]) {
      const res = await fx.handle(
        write(path, { id: "T-0001", status: "claimed", message: "hi" }, headers),
      );
      assertEquals(res.status, status, `${path} ${JSON.stringify(headers)}`);
      assertNoCors(res);
      await res.body?.cancel();
    }
  }
  assertEquals(fx.ts.read("tickets/T-0001.md"), before);
  const bad = await fx.handle(write("/api/move", "{not json"));
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  const arr = await fx.handle(write("/api/move", "[]"));
  assertEquals(arr.status, 400);
  await arr.body?.cancel();
  const big = await fx.handle(write("/api/board", { message: "x".repeat(2 * 1024 * 1024) }));
  assertEquals(big.status, 413);
  await big.body?.cancel();
  for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
    const res = await fx.handle(
      new Request(BASE + "/api/move", {
        method,
        headers: { host: `127.0.0.1:${PORT}`, origin: "http://evil.example" },
      }),
    );
    assertEquals(res.status, 405, method);
    assertNoCors(res);
    await res.body?.cancel();
  }
});

Deno.test("handler move goes through updateTicket: legal move written, illegal refused with the CLI message", async () => {
  await using fx = await fixture();
  // backlog -> done is not a legal transition: same message as `track update --status done`.
  const refused = await fx.handle(write("/api/move", { id: "T-0001", status: "done" }));
  assertEquals(refused.status, 409);
  const err = await errorOf(refused);
  assertEquals(
    err.message,
    'Cannot move "T-0001" from backlog to done: allowed next states are claimed',
  );
  assertEquals(err.hint, "track update T-0001 --status claimed");
  const cli = await fx.ts.track(["update", "T-0001", "--status", "done"]);
  assertEquals(cli.code, 3);
  assertStringIncludes(cli.stderr, err.message);
  assertMatch(fx.ts.read("tickets/T-0001.md"), /^status: backlog$/m);

  // Claiming needs an agent; the dashboard acts as a person and never forces.
  const claim = await fx.handle(write("/api/move", { id: "T-0001", status: "claimed" }));
  assertEquals(claim.status, 400);
  assertStringIncludes((await errorOf(claim)).message, "needs an agent");

  await fx.ts.track(["claim", "T-0001", "--agent", "alice"]);
  // Another agent's ticket in its hands: moving it needs force, a person included.
  const held = await fx.handle(write("/api/move", { id: "t-1", status: "in-progress" }));
  assertEquals(held.status, 409);
  assertStringIncludes((await errorOf(held)).message, "needs --force");
  // Once alice hands it over for review, a person may send it back.
  await fx.ts.track(["update", "T-0001", "--status", "review", "--agent", "alice"]);
  const ok = await fx.handle(write("/api/move", { id: "t-1", status: "in-progress" }));
  assertEquals(ok.status, 200);
  assertEquals((await ok.json()).ticket, { id: "T-0001", status: "in-progress" });
  assertMatch(fx.ts.read("tickets/T-0001.md"), /^status: in-progress$/m);
  assertEquals(fx.feed.pokes, 1);

  const badStatus = await fx.handle(write("/api/move", { id: "T-0001", status: "gone" }));
  assertEquals(badStatus.status, 400);
  // The same words as the CLI and MCP (parseStatus, src/model/transitions.ts).
  assertEquals((await badStatus.json()).error, {
    kind: "usage",
    message: 'Invalid status "gone": expected one of backlog, claimed, in-progress, review, done',
    hint: null,
    detail: null,
  });
  const missing = await fx.handle(write("/api/move", { id: "T-0042", status: "review" }));
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("handler move of another agent's ticket: 409 needs_force, then force takes it and fences the holder", async () => {
  await using fx = await fixture();
  let r = await fx.ts.track(["register", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  r = await fx.ts.track(["claim", "T-0001", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  const before = fx.ts.read("tickets/T-0001.md");

  // Without force: refused with what the page needs to ask the person.
  const refused = await fx.handle(write("/api/move", { id: "T-0001", status: "in-progress" }));
  assertEquals(refused.status, 409);
  const err = await errorOf(refused);
  assertStringIncludes(err.message, '"alice" is working on it');
  assertEquals(
    [err.detail!.needs_force, err.detail!.holder, err.detail!.status],
    [true, "alice", "claimed"],
  );
  const bad = await fx.handle(write("/api/move", { id: "T-0001", status: "backlog", force: 1 }));
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  // Force takes the ticket, never an illegal step: claimed -> done stays refused.
  const illegal = await fx.handle(
    write("/api/move", { id: "T-0001", status: "done", force: true }),
  );
  assertEquals(illegal.status, 409);
  assertStringIncludes((await errorOf(illegal)).message, "allowed next states are");
  assertEquals(fx.ts.read("tickets/T-0001.md"), before);
  r = await fx.ts.track(["log", "T-0001", "--agent", "alice", "-m", "still mine"]);
  assertEquals(r.code, 0, r.stderr);

  const ok = await fx.handle(
    write("/api/move", { id: "T-0001", status: "in-progress", force: true }),
  );
  assertEquals(ok.status, 200);
  assertEquals((await ok.json()).ticket, { id: "T-0001", status: "in-progress" });
  const board = await fx.ts.json<{ entries: Array<{ message: string; agent: string }> }>([
    "board",
    "--ticket",
    "T-0001",
  ]);
  // (The handler's clock is fixed in May, so its event is not the newest entry.)
  const event = board.entries.find((e) => e.message.startsWith("T-0001: claimed -> in-progress"));
  assertEquals(event, {
    ...event!,
    agent: "human",
    message: 'T-0001: claimed -> in-progress (taken from "alice" after confirming)',
  });
  // alice is fenced exactly as after `update --force`: its next write is refused.
  r = await fx.ts.track(["log", "T-0001", "--agent", "alice", "-m", "late"]);
  assertEquals(r.code, 3);
  assertStringIncludes(r.stderr, "lost its claim");
  // alice is told without anyone writing to her: the event is addressed to her inbox.
  const inbox = await fx.ts.json<{ messages: Array<{ agent: string; tag: string; to: string[] }> }>(
    ["inbox", "--agent", "alice"],
  );
  assertEquals(inbox.messages.map((m) => [m.agent, m.tag, m.to]), [["human", "status", ["alice"]]]);
});

Deno.test("handler board post writes an entry as human through postMessage", async () => {
  await using fx = await fixture();
  const res = await fx.handle(
    write("/api/board", { message: "<b>hi</b>", ticket: "T-0002", tag: "question" }),
  );
  assertEquals(res.status, 200);
  const { entry } = await res.json();
  assertEquals(
    [entry.agent, entry.ticket, entry.tag, entry.kind, entry.message],
    ["human", "T-0002", "question", "post", "<b>hi</b>"],
  );
  const board = await fx.ts.json<{ entries: Array<{ message: string; agent: string }> }>([
    "board",
  ]);
  assertEquals(board.entries.at(-1), { ...entry });
  for (
    const [body, status] of [
      [{ message: "   " }, 400],
      [{ message: "x", tag: "Not A Tag" }, 400],
      [{ message: "x", ticket: 7 }, 400],
      [{ message: "x", ticket: "T-0099" }, 404],
      [{ message: "x", to: "alice" }, 400],
      [{ message: "x", to: [] }, 400],
      [{ message: "x", to: ["../etc"] }, 400],
      [{ message: "x", to: [7] }, 400],
    ] as Array<[unknown, number]>
  ) {
    const r = await fx.handle(write("/api/board", body));
    assertEquals(r.status, status, JSON.stringify(body));
    await r.body?.cancel();
  }
});

Deno.test("handler board post with `to` reaches the agent's inbox, as board --to", async () => {
  await using fx = await fixture();
  const res = await fx.handle(write("/api/board", { message: "Yes, go ahead", to: ["alice"] }));
  assertEquals(res.status, 200);
  const { entry } = await res.json();
  assertEquals([entry.agent, entry.to], ["human", ["alice"]]);
  const inbox = await fx.ts.json<{ messages: Array<{ id: string; message: string }> }>(
    ["inbox", "--agent", "alice"],
  );
  assert(inbox.messages.some((m) => m.id === entry.id && m.message === "Yes, go ahead"));
});

Deno.test("handler event stream: hello with token, snapshot, deltas from the feed, foreign Origin refused", async () => {
  await using fx = await fixture();
  const foreign = await fx.handle(get("/api/events", { origin: "http://evil.example" }));
  assertEquals(foreign.status, 403);
  await foreign.body?.cancel();
  const crossSite = await fx.handle(get("/api/events", { "sec-fetch-site": "cross-site" }));
  assertEquals(crossSite.status, 403);
  await crossSite.body?.cancel();

  const res = await fx.handle(
    get("/api/events", { origin: BASE, "sec-fetch-site": "same-origin" }),
  );
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assertNoCors(res);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const next = async (): Promise<string> => {
    // One whole event (they end with a blank line), whatever the chunking.
    while (!seen.includes("\n\n")) seen += (await reader.read()).value!;
    const at = seen.indexOf("\n\n") + 2;
    const event = seen.slice(0, at);
    seen = seen.slice(at);
    return event;
  };
  const hello = await next();
  assertStringIncludes(hello, "event: hello");
  assertStringIncludes(hello, TOKEN);
  const snapshot = await next();
  assert(snapshot.startsWith("event: snapshot\ndata: "), snapshot);
  const snap = JSON.parse(snapshot.slice("event: snapshot\ndata: ".length));
  assertEquals(snap.version, 0);
  assertEquals(snap.tickets.map((t: { id: string }) => t.id), ["T-0001", "T-0002"]);
  assertEquals(fx.feed.fns.size, 1);

  // A change the CLI made: the delta names the ticket and its dependent (its waiting_on).
  assertEquals((await fx.ts.track(["update", "T-0001", "--status", "done", "--force"])).code, 0);
  fx.feed.fire(["tickets/T-0001.md", "journal", "board/x"]);
  const delta = await next();
  assert(delta.startsWith("event: delta\ndata: "), delta);
  const d = JSON.parse(delta.slice("event: delta\ndata: ".length));
  assertEquals([d.from, d.version], [0, 1]);
  assertEquals(
    d.tickets.map((t: { id: string; status: string }) => `${t.id} ${t.status}`),
    ["T-0001 done", "T-0002 backlog"],
  );
  assertEquals(d.tickets[1].waiting_on, []);
  assertEquals([d.removed, d.agents, d.reservations, d.board], [[], [], null, []]);
  // A batch that changes nothing on the page sends nothing; the next delta follows version 1.
  fx.feed.fire(["tickets/T-0002.md"]);
  fx.feed.fire(["tickets/T-0003.md"]);
  assertEquals((await fx.ts.track(["create", "--title", "Third"])).code, 0);
  fx.feed.fire(["tickets/T-0003.md"]);
  const third = JSON.parse((await next()).slice("event: delta\ndata: ".length));
  assertEquals([third.from, third.version], [1, 2]);
  assertEquals(third.tickets.map((t: { id: string }) => t.id), ["T-0003"]);
  await reader.cancel();
  assertEquals(fx.feed.fns.size, 0);
});

Deno.test("handler event stream ends for a page that stops reading (bounded backlog)", async () => {
  await using fx = await fixture({ maxStreamBacklog: 64 * 1024 });
  const res = await fx.handle(get("/api/events", { origin: BASE }));
  assertEquals(res.status, 200);
  // Nobody reads: each change queues a delta until the backlog passes the bound.
  for (let i = 0; i < 200 && fx.feed.fns.size > 0; i++) {
    const title = `Title ${i} ${"x".repeat(500)}`;
    Deno.writeTextFileSync(
      `${fx.ts.dir}/tickets/T-0001.md`,
      fx.ts.read("tickets/T-0001.md").replace(/^title: .*$/m, `title: ${title}`),
    );
    fx.feed.fire(["tickets/T-0001.md"]);
  }
  assertEquals(fx.feed.fns.size, 0); // unsubscribed: the view stopped with its last page
  // What was queued is still delivered, then the stream ends and the page reconnects.
  const text = await res.text();
  assertStringIncludes(text, "event: snapshot");
  assertStringIncludes(text, "event: delta");
});

Deno.test("handler board pages: GET /api/board?before=ID gives the older entries", async () => {
  await using fx = await fixture();
  assertEquals((await fx.ts.track(["register", "--agent", "ann"])).code, 0);
  for (let i = 1; i <= 5; i++) {
    assertEquals((await fx.ts.track(["board", "--agent", "ann", "-m", `post ${i}`])).code, 0);
  }
  const page = async (q: string) => {
    const res = await fx.handle(get(`/api/board${q}`));
    assertNoCors(res);
    assertStringIncludes(res.headers.get("content-security-policy")!, "default-src 'self'");
    return { status: res.status, body: await res.json() };
  };
  const newest = await page("?last=2");
  assertEquals(newest.status, 200);
  const posts = (r: { body: { entries: Array<{ message: string }> } }) =>
    r.body.entries.map((e) => e.message).filter((m) => m.startsWith("post"));
  assertEquals(posts(newest), ["post 4", "post 5"]);
  const older = await page(`?last=2&before=${encodeURIComponent(newest.body.entries[0].id)}`);
  assertEquals(posts(older), ["post 2", "post 3"]);
  assertEquals((await page("?before=nope")).status, 400);
  assertEquals((await page("?last=0")).status, 400);
  assertEquals((await page("?last=9999")).status, 400);
  const foreign = await fx.handle(get("/api/board", { host: "evil.example:7777" }));
  assertEquals(foreign.status, 421);
  await foreign.body?.cancel();
});

Deno.test("handler shutdown needs the stop secret and no browser Origin", async () => {
  await using fx = await fixture();
  const shut = (headers: Record<string, string>) =>
    fx.handle(
      new Request(BASE + "/api/shutdown", {
        method: "POST",
        headers: { host: `127.0.0.1:${PORT}`, "content-type": "application/json", ...headers },
        body: "{}",
      }),
    );
  for (
    const headers of [{}, { "x-track-stop": TOKEN }, {
      "x-track-stop": STOP,
      origin: BASE,
    }] as Array<
      Record<string, string>
    >
  ) {
    const r = await shut(headers);
    assertEquals(r.status, 403, JSON.stringify(headers));
    await r.body?.cancel();
  }
  assertEquals(fx.shutdowns, 0);
  const ok = await shut({ "x-track-stop": STOP });
  assertEquals(ok.status, 200);
  await ok.body?.cancel();
  await Promise.resolve();
  assertEquals(fx.shutdowns, 1);
});

Deno.test("handler reports an unreadable ticket as a problem instead of failing", async () => {
  await using fx = await fixture();
  Deno.writeTextFileSync(`${fx.ts.dir}/tickets/T-0003.md`, "---\nid: T-0003\n---\n");
  const snap = await (await fx.handle(get("/api/snapshot"))).json();
  assertEquals(snap.tickets.length, 2);
  assertEquals(snap.problems.length, 1);
  assertStringIncludes(snap.problems[0], "T-0003.md");
  const detail = await fx.handle(get("/api/tickets/T-0003"));
  assertEquals(detail.status, 500);
  assertEquals((await errorOf(detail)).kind, "badData");
});

/** Resolves with `p`, or fails the test when it takes longer than a generous ceiling. */
async function within<T>(p: Promise<T>, what: string, ceilingMs = 30_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ceiling = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${ceilingMs} ms`)),
      ceilingMs,
    );
  });
  try {
    return await Promise.race([p, ceiling]);
  } finally {
    clearTimeout(timer);
  }
}

/** A body that sends `first` and then never another byte (and never ends). */
function stalledBody(first: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
  });
}

Deno.test("handler answers 408 to a write whose body stops arriving, and writes nothing", async () => {
  await using fx = await fixture({ bodyTimeoutMs: 50 });
  const before = fx.ts.read("tickets/T-0001.md");
  for (const path of ["/api/move", "/api/board"]) {
    const req = new Request(BASE + path, {
      method: "POST",
      headers: {
        host: `127.0.0.1:${PORT}`,
        origin: BASE,
        "content-type": "application/json",
        "content-length": "1000",
        "x-track-token": TOKEN,
      },
      body: stalledBody('{"id": "T-'),
    });
    const res = await within(fx.handle(req), path);
    assertEquals(res.status, 408, path);
    assertStringIncludes((await errorOf(res)).message, "did not arrive within 0.05 s");
  }
  assertEquals(fx.ts.read("tickets/T-0001.md"), before);
  assertEquals(fx.feed.pokes, 0);
});

Deno.test("handler stops reading a body without Content-Length at the size limit", async () => {
  await using fx = await fixture();
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.length;
      if (pulled > 32 * 1024 * 1024) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const res = await fx.handle(
    new Request(BASE + "/api/board", {
      method: "POST",
      headers: {
        host: `127.0.0.1:${PORT}`,
        origin: BASE,
        "content-type": "application/json",
        "x-track-token": TOKEN,
      },
      body: endless,
    }),
  );
  assertEquals(res.status, 413);
  await res.body?.cancel();
  assert(pulled < 4 * 1024 * 1024, `read ${pulled} bytes of a body refused at 1 MiB`);
});

Deno.test({
  name: "handler over a real socket: a half-sent body gets 408 within the body timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using fx = await fixture();
    const closing = new AbortController();
    let port = 0;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {}, signal: closing.signal },
      createHandler({
        store: fx.store,
        get port() {
          return port;
        },
        token: TOKEN,
        bodyTimeoutMs: 200,
      }),
    );
    try {
      port = server.addr.port;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const host = `127.0.0.1:${port}`;
      // Headers of a 1000-byte body, then 10 bytes of it, then silence.
      await conn.write(new TextEncoder().encode(
        `POST /api/board HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\n` +
          `Content-Type: application/json\r\nX-Track-Token: ${TOKEN}\r\n` +
          `Content-Length: 1000\r\n\r\n{"message"`,
      ));
      // Reads until the whole 408 response is in (Content-Length says when).
      const readAnswer = async () => {
        let text = "";
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) return text;
          text += new TextDecoder().decode(buf.subarray(0, n));
          const end = text.indexOf("\r\n\r\n");
          const length = /^content-length: (\d+)$/im.exec(text);
          if (end !== -1 && length && text.length >= end + 4 + Number(length[1])) return text;
        }
      };
      const text = await within(readAnswer(), "half-sent body");
      conn.close();
      assertStringIncludes(text.split("\r\n")[0], "408");
      assertStringIncludes(text, "did not arrive within 0.2 s");
      // The server still serves others.
      const ping = await fetch(`http://${host}/api/ping`);
      assertEquals(ping.status, 200);
      await ping.body?.cancel();
    } finally {
      closing.abort();
      await server.finished;
    }
  },
});

Deno.test("handler: /api/cost is track cost --by ticket (totals for the panel); the snapshot marks unverified done", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/api/cost"));
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.by, "ticket");
  assertEquals(body.rows.map((r: { key: string }) => r.key), ["T-0001", "T-0002"]);
  assertEquals(body.total.tokens.total, 0);
  assertEquals((await fx.handle(write("/api/cost", {}))).status, 405);
  await fx.ts.track(["update", "T-0001", "--verify", "true"]);
  await fx.ts.track(["claim", "T-0001", "--agent", "ann"]);
  await fx.ts.track(["update", "T-0001", "--status", "done", "--agent", "ann", "--force"]);
  const snap = await (await fx.handle(get("/api/snapshot"))).json();
  const t = snap.tickets.find((x: { id: string }) => x.id === "T-0001");
  assertEquals(t.verify, ["true"]);
  assertStringIncludes(t.unverified, "forced to done by ann");
});

Deno.test("handler: /api/search names every matching ticket for the filter box, past the hits it details", async () => {
  await using fx = await fixture();
  // 1,010 more tickets whose bodies hold the word: more than the 1,000 hits the answer details.
  const text = Deno.readTextFileSync(`${fx.ts.dir}/tickets/T-0002.md`);
  for (let i = 3; i <= 1012; i++) {
    const id = `T-${String(i).padStart(4, "0")}`;
    Deno.writeTextFileSync(
      `${fx.ts.dir}/tickets/${id}.md`,
      text.replace("id: T-0002", `id: ${id}`).replace(/depends_on:.*\n( {2}- .*\n)*/, "") +
        "\ncommonword\n",
    );
  }
  const res = await fx.handle(get("/api/search?in=body,log&q=commonword"));
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.total, 1010);
  assertEquals(body.results.length, 1000);
  // The page filters cards by these: every match, not only the detailed ones.
  assertEquals(body.ids.length, 1010);
  assert(body.ids.includes("T-1012"));
});

Deno.test("handler: /api/search is track search (bodies too); a bad field is 400, a POST 405", async () => {
  await using fx = await fixture();
  const res = await fx.handle(get("/api/search?in=body,log&q=hello"));
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.results.map((h: { id: string; field: string }) => [h.id, h.field]), [[
    "T-0001",
    "body",
  ]]);
  assertEquals((await fx.handle(get("/api/search?in=tags&q=x"))).status, 400);
  assertEquals((await fx.handle(write("/api/search", {}))).status, 405);
});
