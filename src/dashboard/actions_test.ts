// deno-lint-ignore-file no-explicit-any -- JSON read back from the API and the CLI
// The dashboard's actions as `human` (issue 18): create, edit, log, assign, release. Each goes
// through the CLI's operation under the lock, keeps the write rules (Host, Origin + token, JSON
// only) and stores agent-written text as it is (XSS payloads stay data; the page renders text).
import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type TempStore, tempStore } from "../../tests/helpers.ts";
import { Store } from "../store/store.ts";
import { createTicket } from "../operations/create.ts";
import { BASE, PORT, TOKEN, write } from "./test_requests.ts";
import { createHandler } from "./handler.ts";

const XSS = `<img src=x onerror="globalThis.xssSentinel=1"></script><script>alert(1)</script>`;
const NOW = new Date("2026-05-01T12:00:00Z");

interface Fixture extends AsyncDisposable {
  ts: TempStore;
  handle(req: Request): Promise<Response>;
  /** Every file of tickets/, agents/ and board/, for "nothing changed". */
  state(): string;
}

async function fixture(): Promise<Fixture> {
  const ts = await tempStore();
  const store = new Store(ts.dir);
  await createTicket(store, {
    title: "First",
    priority: "high",
    labels: ["ui"],
    dependsOn: [],
    description: "Hello",
    by: "human",
  }, NOW);
  const handle = createHandler({ store, port: PORT, token: TOKEN, now: () => NOW });
  const state = () => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory) walk(p);
        else out.push(`${p}\n${Deno.readTextFileSync(p)}`);
      }
    };
    for (const d of ["tickets", "agents", "board"]) walk(`${ts.dir}/${d}`);
    return out.join("\n");
  };
  return {
    ts,
    handle,
    state,
    async [Symbol.asyncDispose]() {
      await ts[Symbol.asyncDispose]();
    },
  };
}

async function call(
  fx: Fixture,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fx.handle(write(path, body));
  return { status: res.status, json: await res.json() };
}

const ACTIONS: Array<[string, Record<string, unknown>]> = [
  ["/api/create", { title: "New" }],
  ["/api/edit", { id: "T-0001", title: "Renamed" }],
  ["/api/log", { id: "T-0001", message: "hi" }],
  ["/api/assign", { id: "T-0001", agent: "alice" }],
];

Deno.test("dashboard actions keep the write rules: Host, Origin, token, JSON, POST only", async () => {
  await using fx = await fixture();
  const r = await fx.ts.track(["register", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  const before = fx.state();
  const cases: Array<[Record<string, string | null>, number]> = [
    [{ host: "evil.example" }, 421],
    [{ host: `127.0.0.1:${PORT + 1}` }, 421],
    [{ origin: null }, 403],
    [{ origin: "http://evil.example" }, 403],
    [{ origin: "null" }, 403],
    [{ "x-track-token": null }, 403],
    [{ "x-track-token": "00".repeat(24) }, 403],
    [{ "content-type": "text/plain" }, 415],
    [{ "content-type": "application/x-www-form-urlencoded" }, 415],
  ];
  for (const [path, body] of ACTIONS) {
    for (const [headers, status] of cases) {
      const res = await fx.handle(write(path, body, headers));
      assertEquals(res.status, status, `${path} ${JSON.stringify(headers)}`);
      for (const [k] of res.headers) assert(!k.startsWith("access-control-"), k);
      assertStringIncludes(res.headers.get("content-security-policy") ?? "", "default-src 'self'");
      await res.body?.cancel();
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await fx.handle(
        new Request(BASE + path, { method, headers: { host: `127.0.0.1:${PORT}` } }),
      );
      assertEquals(res.status, 405, `${method} ${path}`);
      await res.body?.cancel();
    }
    for (const raw of ["{not json", "[]", '"x"']) {
      const res = await fx.handle(write(path, raw));
      assertEquals(res.status, 400, `${path} ${raw}`);
      await res.body?.cancel();
    }
  }
  assertEquals(fx.state(), before);
});

Deno.test("dashboard create: as human through createTicket; XSS stays data; bad input changes nothing", async () => {
  await using fx = await fixture();
  const before = fx.state();
  // Wrong types and values: 400 (or the CLI's 404 for a missing dependency), nothing written.
  const refused: Array<[Record<string, unknown>, number, string]> = [
    [{}, 400, '"title" must be text'],
    [{ title: "" }, 400, "title"],
    [{ title: "x\ny" }, 400, "title"],
    [{ title: "ok", priority: "urgent" }, 400, "priority"],
    [{ title: "ok", labels: "ui" }, 400, '"labels" must be a list'],
    [{ title: "ok", labels: [XSS] }, 400, "label"],
    [{ title: "ok", labels: [1] }, 400, '"labels" must be a list'],
    [{ title: "ok", depends_on: ["T-x"] }, 400, "T-x"],
    [{ title: "ok", depends_on: [XSS] }, 400, "ticket id"],
    [{ title: "ok", depends_on: ["T-0042"] }, 404, "T-0042"],
    [{ title: "ok", parent: XSS }, 400, "ticket id"],
    [{ title: "ok", parent: "T-0042" }, 404, "T-0042"],
    [{ title: "ok", description: 5 }, 400, '"description" must be text'],
    [{ title: "ok", description: "a\0b" }, 400, "NUL"],
  ];
  for (const [body, status, text] of refused) {
    const r = await call(fx, "/api/create", body);
    assertEquals(r.status, status, JSON.stringify(body));
    assertStringIncludes(r.json.error.message, text, JSON.stringify(body));
  }
  assertEquals(fx.state(), before);

  const r = await call(fx, "/api/create", {
    title: XSS,
    priority: "critical",
    labels: ["bug", "ui"],
    description: `${XSS}\n\n[x](javascript:alert(1))`,
    depends_on: ["T-0001"],
    parent: "T-0001",
  });
  assertEquals(r.status, 200, JSON.stringify(r.json));
  assertEquals(r.json.ticket.id, "T-0002");
  // The CLI reads the same ticket back: every field as sent, created by human.
  const shown = await fx.ts.json<{ ticket: Record<string, any> }>(["show", "T-0002"]);
  assertEquals(
    [
      shown.ticket.title,
      shown.ticket.priority,
      shown.ticket.labels,
      shown.ticket.depends_on,
      shown.ticket.parent,
      shown.ticket.created_by,
      shown.ticket.status,
    ],
    [XSS, "critical", ["bug", "ui"], ["T-0001"], "T-0001", "human", "backlog"],
  );
  assertStringIncludes(shown.ticket.description, XSS);
  const board = await fx.ts.json<{ entries: Array<{ agent: string; tag: string }> }>(
    ["board", "--last", "1"],
  );
  assertEquals([board.entries[0].agent, board.entries[0].tag], ["human", "created"]);
});

Deno.test("dashboard edit: title, description, priority, labels as human; refusals change nothing", async () => {
  await using fx = await fixture();
  const before = fx.state();
  const refused: Array<[Record<string, unknown>, number]> = [
    [{ title: "x" }, 400],
    [{ id: "T-0042", title: "x" }, 404],
    [{ id: XSS, title: "x" }, 400],
    [{ id: "T-0001", title: 3 }, 400],
    [{ id: "T-0001", title: "two\nlines" }, 400],
    [{ id: "T-0001", priority: "p0" }, 400],
    [{ id: "T-0001", add_labels: [XSS] }, 400],
    [{ id: "T-0001", add_labels: "ui" }, 400],
    [{ id: "T-0001", description: null }, 400],
    // The status is /api/move's: an edit never changes it.
    [{ id: "T-0001", status: "done", title: 7 }, 400],
  ];
  for (const [body, status] of refused) {
    const r = await call(fx, "/api/edit", body);
    assertEquals(r.status, status, JSON.stringify(body));
  }
  assertEquals(fx.state(), before);

  const r = await call(fx, "/api/edit", {
    id: "T-0001",
    title: XSS,
    description: XSS,
    priority: "low",
    add_labels: ["docs"],
    remove_labels: ["ui"],
    status: "done", // ignored: not an edit field
  });
  assertEquals(r.status, 200, JSON.stringify(r.json));
  assertEquals(r.json.changed, true);
  const shown = await fx.ts.json<{ ticket: Record<string, any> }>(["show", "T-0001"]);
  assertEquals(
    [shown.ticket.title, shown.ticket.priority, shown.ticket.labels, shown.ticket.status],
    [XSS, "low", ["docs"], "backlog"],
  );
  assertEquals(shown.ticket.description, XSS);
  // The same edit again changes nothing.
  const again = await call(fx, "/api/edit", { id: "T-0001", title: XSS, priority: "low" });
  assertEquals(again.json.changed, false);
});

Deno.test("dashboard log: an entry as human, no agent record for human; empty refused", async () => {
  await using fx = await fixture();
  let r = await fx.ts.track(["register", "--agent", "alice"]);
  r = await fx.ts.track(["claim", "T-0001", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  const before = fx.state();
  for (
    const [body, status] of [
      [{ id: "T-0001", message: "   " }, 400],
      [{ id: "T-0001" }, 400],
      [{ id: "T-0042", message: "x" }, 404],
      [{ id: "T-0001", message: 1 }, 400],
    ] as Array<[Record<string, unknown>, number]>
  ) {
    assertEquals((await call(fx, "/api/log", body)).status, status, JSON.stringify(body));
  }
  assertEquals(fx.state(), before);
  const ok = await call(fx, "/api/log", { id: "T-0001", message: XSS });
  assertEquals(ok.status, 200, JSON.stringify(ok.json));
  assertEquals([ok.json.entry.agent, ok.json.entry.message], ["human", XSS]);
  const shown = await fx.ts.json<{ ticket: { log: Array<{ agent: string; message: string }> } }>(
    ["show", "T-0001"],
  );
  assertEquals(shown.ticket.log.at(-1), { ...shown.ticket.log.at(-1)!, agent: "human" });
  // A person is no agent: no record, no heartbeat; alice still holds the ticket.
  assertEquals(Deno.readDirSync(`${fx.ts.dir}/agents`).toArray().map((e) => e.name), [
    "alice.json",
  ]);
  r = await fx.ts.track(["log", "T-0001", "--agent", "alice", "-m", "still mine"]);
  assertEquals(r.code, 0, r.stderr);
});

Deno.test("dashboard assign: a backlog ticket to a registered agent, told on the board; no heartbeat", async () => {
  await using fx = await fixture();
  let r = await fx.ts.track(["register", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  const heartbeat = JSON.parse(fx.ts.read("agents/alice.json")).last_heartbeat;
  const before = fx.state();
  for (
    const [body, status] of [
      [{ id: "T-0001", agent: "nobody" }, 404],
      [{ id: "T-0001", agent: XSS }, 400],
      [{ id: "T-0001", agent: "human" }, 400],
      [{ id: "T-0001", agent: "alice", force: "yes" }, 400],
      [{ id: "T-0042", agent: "alice" }, 404],
    ] as Array<[Record<string, unknown>, number]>
  ) {
    assertEquals((await call(fx, "/api/assign", body)).status, status, JSON.stringify(body));
  }
  assertEquals(fx.state(), before);
  const ok = await call(fx, "/api/assign", { id: "T-0001", agent: "alice" });
  assertEquals(ok.status, 200, JSON.stringify(ok.json));
  assertEquals([ok.json.ticket.status, ok.json.ticket.claimed_by], ["claimed", "alice"]);
  assertEquals(JSON.parse(fx.ts.read("agents/alice.json")).last_heartbeat, heartbeat);
  const inbox = await fx.ts.json<{ messages: Array<{ agent: string; message: string }> }>(
    ["inbox", "--agent", "alice"],
  );
  assertEquals(inbox.messages.map((m) => [m.agent, m.message]), [
    ["human", "Assigned T-0001 to alice"],
  ]);
  // alice works on it as if she had claimed it.
  r = await fx.ts.track(["update", "T-0001", "--status", "in-progress", "--agent", "alice"]);
  assertEquals(r.code, 0, r.stderr);
  // A dependency still open refuses the assignment, as it refuses a claim.
  r = await fx.ts.track(["create", "-t", "Waits", "--depends-on", "T-0001"]);
  const waits = await call(fx, "/api/assign", { id: "T-0002", agent: "alice" });
  assertEquals(waits.status, 409);
  assertStringIncludes(waits.json.error.message, "depends on open tickets T-0001");
});

Deno.test("dashboard assign of a held ticket: 409 needs_force; confirmed, it fences the holder as claim --force", async () => {
  await using fx = await fixture();
  for (
    const args of [
      ["register", "--agent", "alice"],
      ["register", "--agent", "bob"],
      ["claim", "T-0001", "--agent", "bob"],
      ["files", "--add", "src/**", "--agent", "bob", "--ticket", "T-0001"],
    ]
  ) {
    const r = await fx.ts.track(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const before = fx.state();
  const refused = await call(fx, "/api/assign", { id: "T-0001", agent: "alice" });
  assertEquals(refused.status, 409);
  assertEquals(
    [refused.json.error.detail.needs_force, refused.json.error.detail.holder],
    [true, "bob"],
  );
  assertEquals(fx.state(), before);

  const ok = await call(fx, "/api/assign", { id: "T-0001", agent: "alice", force: true });
  assertEquals(ok.status, 200, JSON.stringify(ok.json));
  assertEquals(ok.json.taken_from, "bob");
  const shown = await fx.ts.json<{ ticket: Record<string, any> }>(["show", "T-0001"]);
  assertEquals([shown.ticket.claimed_by, shown.ticket.claim_epoch], ["alice", 2]);
  // bob is fenced exactly as after `track claim --force`: his next write is refused.
  const late = await fx.ts.track(["log", "T-0001", "--agent", "bob", "-m", "late"]);
  assertEquals(late.code, 3, late.stderr);
  assertStringIncludes(late.stderr, "lost its claim");
  assertStringIncludes(late.stderr, 'assigned to "alice" by "human" after confirming');
  // His reservation on it is released; both agents are told.
  const files = await fx.ts.json<{ reservations: unknown[] }>(["files", "--list"]);
  assertEquals(files.reservations, []);
  for (const agent of ["alice", "bob"]) {
    const inbox = await fx.ts.json<{ messages: Array<{ agent: string; message: string }> }>(
      ["inbox", "--agent", agent],
    );
    assertEquals(inbox.messages.map((m) => [m.agent, m.message]), [
      ["human", 'Assigned T-0001 to alice (taken from "bob" after confirming)'],
    ], agent);
  }
});

Deno.test("dashboard release: a held ticket back to backlog only after confirming; the holder fenced and told", async () => {
  await using fx = await fixture();
  for (
    const args of [
      ["register", "--agent", "bob"],
      ["claim", "T-0001", "--agent", "bob"],
      ["update", "T-0001", "--status", "in-progress", "--agent", "bob"],
    ]
  ) {
    const r = await fx.ts.track(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const before = fx.state();
  const refused = await call(fx, "/api/move", { id: "T-0001", status: "backlog" });
  assertEquals(refused.status, 409);
  assertEquals(refused.json.error.detail.needs_force, true);
  assertEquals(fx.state(), before);
  const ok = await call(fx, "/api/move", { id: "T-0001", status: "backlog", force: true });
  assertEquals(ok.status, 200, JSON.stringify(ok.json));
  const shown = await fx.ts.json<{ ticket: Record<string, any> }>(["show", "T-0001"]);
  assertEquals([shown.ticket.status, shown.ticket.claimed_by], ["backlog", null]);
  const late = await fx.ts.track(["log", "T-0001", "--agent", "bob", "-m", "late"]);
  assertEquals(late.code, 3, late.stderr);
  const inbox = await fx.ts.json<{ messages: Array<{ message: string }> }>(
    ["inbox", "--agent", "bob"],
  );
  assertEquals(inbox.messages.map((m) => m.message), [
    'T-0001: in-progress -> backlog (taken from "bob" after confirming)',
  ]);
});
