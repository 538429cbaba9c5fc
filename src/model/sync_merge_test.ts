import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { EVENT_TAGS } from "../operations/board.ts";
import {
  appendLogEntry,
  newTicketBody,
  parseTicket,
  serializeTicket,
  type Ticket,
} from "./ticket.ts";
import type { FrontValue } from "./front_matter.ts";
import { report, rng, seed as suiteSeed, size } from "../../tests/suites/pool.ts";
import { type Agent, parseAgent, serializeAgent } from "./agent.ts";
import {
  boardEntryText,
  type FileValue,
  type MergeOptions,
  type MergeResult,
  mergeStores,
  sameFile,
  type StoreTree,
} from "./sync_merge.ts";
import { diffLines, merge3Lines } from "./diff3.ts";
import { SAMPLE_TIME, sampleTicket } from "../../tests/ticket_fixture.ts";

const NOW = new Date("2026-11-29T18:00:00.123Z");
const T0 = SAMPLE_TIME;

function ticket(id: string, over: Partial<Ticket> = {}): Ticket {
  return sampleTicket(id, { body: newTicketBody("Line one.\nLine two.\nLine three."), ...over });
}

function agent(id: string, over: Partial<Agent> = {}): Agent {
  return {
    id,
    status: "active",
    registered_at: T0,
    last_heartbeat: T0,
    capabilities: [],
    session_id: null,
    worktree: null,
    lost: [],
    heartbeat_clock: null,
    process: null,
    busy: [],
    waiting: null,
    extra: {},
    ...over,
  };
}

type Tree = Map<string, FileValue>;
const tp = (id: string) => `tickets/${id}.md`;

function tree(...items: Array<Ticket | Agent | [string, string]>): Tree {
  return put(new Map(), ...items);
}

function put(t: StoreTree, ...items: Array<Ticket | Agent | [string, string]>): Tree {
  const out = new Map(t);
  for (const x of items) {
    if (Array.isArray(x)) out.set(x[0], x[1]);
    else if ("title" in x) out.set(tp(x.id), serializeTicket(x));
    else out.set(`agents/${x.id}.json`, serializeAgent(x));
  }
  return out;
}

function merge(b: StoreTree, o: StoreTree, t: StoreTree, opts: Partial<MergeOptions> = {}) {
  return mergeStores({ base: b, ours: o, theirs: t }, { now: NOW, ...opts });
}

function text(r: MergeResult, path: string): string {
  const v = r.tree.get(path);
  assert(v !== undefined, `${path} missing from the result`);
  return typeof v === "string" ? v : new TextDecoder().decode(v);
}

function readTicket(r: MergeResult, id: string): Ticket {
  return parseTicket(text(r, tp(id)), id);
}

function sameTree(a: StoreTree, b: StoreTree): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!sameFile(v, b.get(k))) return false;
  return true;
}

/** The first difference between two trees, for failure messages. */
function treeDiff(a: StoreTree, b: StoreTree): string {
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (!sameFile(a.get(k), b.get(k))) {
      const show = (v: FileValue | undefined) =>
        v === undefined ? "(absent)" : typeof v === "string" ? v : new TextDecoder().decode(v);
      return `${k}:\n--- result\n${show(a.get(k))}\n--- expected\n${show(b.get(k))}`;
    }
  }
  return "(same)";
}

function eventsText(r: MergeResult): string {
  return r.events.map((e) => `[${e.tag}] ${e.ticket} ${e.message}`).join("\n");
}

const claimed = (by: string, epoch: number, at = "2026-11-26T10:00:00Z"): Partial<Ticket> => ({
  status: "claimed",
  claimed_by: by,
  claimed_at: at,
  claim_epoch: epoch,
});

// ---------------------------------------------------------------------------------------------
// diff3

Deno.test("diffLines() hunks turn a into b, on random line arrays", () => {
  let s = 7;
  const r = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  for (let c = 0; c < 300; c++) {
    const a = Array.from({ length: r(12) }, () => "abcd"[r(4)]);
    const b = Array.from({ length: r(12) }, () => "abcd"[r(4)]);
    const hunks = diffLines(a, b);
    const out: string[] = [];
    let pos = 0;
    for (const h of hunks) {
      assertEquals(a.slice(pos, h.aStart), b.slice(out.length, out.length + h.aStart - pos));
      out.push(...a.slice(pos, h.aStart), ...b.slice(h.bStart, h.bEnd));
      pos = h.aEnd;
    }
    out.push(...a.slice(pos));
    assertEquals(out, b, JSON.stringify({ a, b, hunks }));
  }
});

Deno.test("merge3Lines() applies both sides' separate edits, keeps theirs on a conflict", () => {
  const base = ["a", "b", "c", "d", "e"];
  const ok = merge3Lines(base, ["A", "b", "c", "d", "e"], ["a", "b", "c", "d", "E"]);
  assertEquals(ok, { lines: ["A", "b", "c", "d", "E"], conflicts: [] });
  const bad = merge3Lines(base, ["a", "B1", "c", "d", "e"], ["a", "B2", "c", "d", "e"]);
  assertEquals(bad.lines, ["a", "B2", "c", "d", "e"]);
  assertEquals(bad.conflicts, [{ baseLine: 1, ours: ["B1"], theirs: ["B2"] }]);
  const same = merge3Lines(base, ["a", "X", "c", "d", "e"], ["a", "X", "c", "d", "e"]);
  assertEquals(same.conflicts, []);
});

// ---------------------------------------------------------------------------------------------
// Files taken whole

Deno.test("mergeStores() returns theirs when ours is base or theirs, with no events", () => {
  const b = tree(ticket("T-0001"), ["board/2026-11-25/100000000-0000-a.md", "x\n"]);
  const t = put(b, ticket("T-0001", claimed("agent-b", 1)), ticket("T-0002"));
  for (const o of [b, t]) {
    const r = merge(b, o, t);
    assert(sameTree(r.tree, t));
    assertEquals(r.events, []);
    assertEquals(r.report.losses, []);
    // The very values of theirs, not re-serialised copies.
    assert(r.tree.get(tp("T-0001")) === t.get(tp("T-0001")));
  }
});

Deno.test("mergeStores() takes each side's change to a file the other did not change", () => {
  const b = tree(ticket("T-0001"), ticket("T-0002"), ticket("T-0003"));
  const o = put(b, ticket("T-0001", { title: "ours" }), ticket("T-0004"));
  o.delete(tp("T-0003"));
  const t = put(b, ticket("T-0002", { title: "theirs" }), ticket("T-0005"));
  const r = merge(b, o, t);
  assertEquals(readTicket(r, "T-0001").title, "ours");
  assertEquals(readTicket(r, "T-0002").title, "theirs");
  assertEquals(r.tree.has(tp("T-0003")), false);
  assert(r.tree.has(tp("T-0004")) && r.tree.has(tp("T-0005")));
  assertEquals(r.events, []);
});

// ---------------------------------------------------------------------------------------------
// Tickets

Deno.test("mergeStores() claim group is one register: theirs wins, ours' claim is named", () => {
  const b = tree(ticket("T-0001"));
  const o = tree(ticket("T-0001", { ...claimed("agent-a", 1), priority: "high" }));
  const t = tree(ticket("T-0001", claimed("agent-b", 1, "2026-11-26T11:00:00Z")));
  const r = merge(b, o, t);
  const m = readTicket(r, "T-0001");
  assertEquals([m.status, m.claimed_by, m.claimed_at, m.claim_epoch], [
    "claimed",
    "agent-b",
    "2026-11-26T11:00:00Z",
    1,
  ]);
  assertEquals(m.priority, "high"); // Not part of the register: ours' change applies.
  assertEquals(r.events.length, 1);
  assertEquals(r.events[0].tag, "sync-conflict");
  assertEquals(r.events[0].ticket, "T-0001");
  assertStringIncludes(r.events[0].message, "claimed_by agent-a");
  const loss = r.report.losses.find((l) => l.kind === "claim")!;
  assertEquals([loss.agent, loss.noted], ["agent-a", r.events[0].path]);
});

Deno.test("mergeStores() claim group changed on one side only is taken from that side", () => {
  const b = tree(ticket("T-0001", claimed("agent-a", 1)));
  const o = tree(ticket("T-0001", { ...claimed("agent-a", 1), status: "in-progress" }));
  const t = tree(ticket("T-0001", { ...claimed("agent-a", 1), title: "renamed" }));
  const m = readTicket(merge(b, o, t), "T-0001");
  assertEquals([m.status, m.title], ["in-progress", "renamed"]);
  // A claim_id (part 2 of sync) moves with the group.
  const withId = (id: string, by: string) =>
    ticket("T-0002", { ...claimed(by, 2), extra: [["claim_id", id]] });
  const b2 = tree(ticket("T-0002", { ...claimed("agent-a", 1), extra: [["claim_id", "c1-1"]] }));
  const r2 = merge(b2, tree(withId("c2-7", "agent-c")), tree(withId("c1-9", "agent-b")));
  const m2 = readTicket(r2, "T-0002");
  assertEquals([m2.claimed_by, m2.extra], ["agent-b", [["claim_id", "c1-9"]]]);
  assertStringIncludes(eventsText(r2), "claim_id c2-7");
  // Same holder and tenure, statuses apart: a status loss, not a lost claim.
  const o3 = tree(ticket("T-0001", { ...claimed("agent-a", 1), status: "review" }));
  const t3 = tree(ticket("T-0001", { ...claimed("agent-a", 1), status: "backlog" }));
  const r3 = merge(b, o3, t3);
  assertEquals(readTicket(r3, "T-0001").status, "backlog");
  assertEquals(r3.report.losses.map((l) => [l.kind, l.field]), [["field", "status"]]);
});

Deno.test("mergeStores() scalars merge per field; both changed: theirs, ours in a Work Log line", () => {
  const b = tree(ticket("T-0001"));
  const o = tree(ticket("T-0001", { title: "Ours", branch: "feat/x", extra: [["size", "s"]] }));
  const t = tree(ticket("T-0001", { title: "Theirs", priority: "low", extra: [["size", "l"]] }));
  const r = merge(b, o, t);
  const m = readTicket(r, "T-0001");
  assertEquals([m.title, m.priority, m.branch, m.extra], ["Theirs", "low", "feat/x", [[
    "size",
    "l",
  ]]]);
  assertStringIncludes(m.body, `[track] sync kept title "Theirs" (published), dropped "Ours"`);
  assertStringIncludes(m.body, `sync kept size "l" (published), dropped "s"`);
  const fields = r.report.losses.map((l) => [l.field, l.noted]);
  assertEquals(fields, [["title", tp("T-0001")], ["size", tp("T-0001")]]);
});

Deno.test("mergeStores() parent, needs and submitted_by merge per field as registers", () => {
  type E = Array<[string, FrontValue]>;
  // [base, ours, theirs, merged]: one side's change is taken; both changed: theirs.
  const cases: Array<[E, E, E, E]> = [
    [[], [["parent", "T-0009"]], [], [["parent", "T-0009"]]],
    [[["parent", "T-0009"]], [["parent", "T-0009"]], [], []],
    [[["parent", "T-0008"]], [["parent", "T-0009"]], [["parent", "T-0007"]], [[
      "parent",
      "T-0007",
    ]]],
    [[], [["needs", ["frontend", "review"]]], [["submitted_by", "ann"]], [
      ["needs", ["frontend", "review"]],
      ["submitted_by", "ann"],
    ]],
  ];
  for (const [be, oe, te, want] of cases) {
    const r = merge(
      tree(ticket("T-0001", { extra: be })),
      tree(ticket("T-0001", { extra: oe })),
      tree(ticket("T-0001", { extra: te })),
    );
    assertEquals(readTicket(r, "T-0001").extra, want);
  }
});

Deno.test("mergeStores() labels, files and depends_on merge as 3-way sets", () => {
  const b = tree(
    ticket("T-0001", { labels: ["a", "b"], files: ["x.ts"], depends_on: ["T-0002", "T-0003"] }),
    ticket("T-0002"),
    ticket("T-0003"),
    ticket("T-0004"),
    ticket("T-0005"),
  );
  const o = put(
    b,
    ticket("T-0001", {
      labels: ["b", "c"],
      files: ["x.ts", "y.ts"],
      depends_on: ["T-0002", "T-0004"],
    }),
  );
  const t = put(
    b,
    ticket("T-0001", {
      labels: ["a", "b", "d"],
      files: [],
      depends_on: ["T-0005", "T-0003", "T-0002"],
    }),
  );
  const m = readTicket(merge(b, o, t), "T-0001");
  assertEquals(m.labels, ["b", "c", "d"]);
  assertEquals(m.files, ["y.ts"]);
  assertEquals(m.depends_on, ["T-0005", "T-0002", "T-0004"]);
});

Deno.test("mergeStores() updated is the later of the two", () => {
  const b = tree(ticket("T-0001"));
  const o = tree(ticket("T-0001", { title: "o", updated: "2026-11-27T00:00:00Z" }));
  const t = tree(ticket("T-0001", { priority: "low", updated: "2026-11-26T00:00:00Z" }));
  assertEquals(readTicket(merge(b, o, t), "T-0001").updated, "2026-11-27T00:00:00Z");
  assertEquals(readTicket(merge(b, t, o), "T-0001").updated, "2026-11-27T00:00:00Z");
});

const entry = (at: string, who: string, msg: string) => `- ${at} [${who}] ${msg}\n`;

Deno.test("mergeStores() Work Log is a union: theirs in order, then ours' new entries", () => {
  const base = newTicketBody("d") + "\n" + entry("2026-11-26T09:00:00Z", "agent-a", "first");
  const b = tree(ticket("T-0001", { body: base }));
  const o = tree(ticket("T-0001", {
    body: base + entry("2026-11-26T12:00:00Z", "agent-a", "ours 1\n  second line") +
      entry("2026-11-26T08:00:00Z", "agent-c", "ours 2 (skewed clock)"),
  }));
  const t = tree(ticket("T-0001", {
    body: base + entry("2026-11-26T10:00:00Z", "agent-b", "theirs"),
  }));
  const r = merge(b, o, t);
  const log = readTicket(r, "T-0001").body.split("## Work Log\n")[1];
  assertEquals(
    log,
    "\n" + entry("2026-11-26T09:00:00Z", "agent-a", "first") +
      entry("2026-11-26T10:00:00Z", "agent-b", "theirs") +
      entry("2026-11-26T12:00:00Z", "agent-a", "ours 1\n  second line") +
      entry("2026-11-26T08:00:00Z", "agent-c", "ours 2 (skewed clock)"),
  );
  assertEquals(r.events, []);
  // An entry both sides added is not doubled; ours' second identical entry is kept.
  const same = entry("2026-11-26T10:00:00Z", "agent-b", "same");
  const b2 = tree(ticket("T-0002", { body: newTicketBody("d") }));
  const o2 = tree(ticket("T-0002", { title: "x", body: newTicketBody("d") + "\n" + same + same }));
  const t2 = tree(ticket("T-0002", { body: newTicketBody("d") + "\n" + same }));
  const log2 = readTicket(merge(b2, o2, t2), "T-0002").body.split("## Work Log\n")[1];
  assertEquals(log2, "\n" + same + same);
});

Deno.test("mergeStores() body sections merge by line; a conflict keeps theirs, posts ours", () => {
  const body = (d: string) => newTicketBody(d);
  const b = tree(ticket("T-0001", { body: body("one\ntwo\nthree\nfour\nfive") }));
  const o = tree(ticket("T-0001", { body: body("ONE\ntwo\nthree\nfour\nfive") }));
  const t = tree(ticket("T-0001", { body: body("one\ntwo\nthree\nfour\nFIVE") }));
  const r = merge(b, o, t);
  assertEquals(readTicket(r, "T-0001").body, body("ONE\ntwo\nthree\nfour\nFIVE"));
  assertEquals(r.events, []);
  const o2 = tree(ticket("T-0001", { body: body("one\ntwo\nOURS\nfour\nfive") }));
  const t2 = tree(ticket("T-0001", { body: body("one\ntwo\nTHEIRS\nfour\nfive") }));
  const r2 = merge(b, o2, t2);
  assertEquals(readTicket(r2, "T-0001").body, body("one\ntwo\nTHEIRS\nfour\nfive"));
  assertEquals(r2.events.map((e) => e.tag), ["sync-conflict"]);
  assertStringIncludes(r2.events[0].message, "    OURS");
  assertEquals(r2.report.losses.map((l) => [l.kind, l.dropped]), [["section", "OURS"]]);
});

Deno.test("mergeStores() delete vs modify keeps the modified file, either way round", () => {
  const b = tree(ticket("T-0001"));
  const changed = tree(ticket("T-0001", { title: "changed" }));
  const r1 = merge(b, new Map(), changed);
  assertEquals(readTicket(r1, "T-0001").title, "changed");
  assertEquals(r1.report.losses.map((l) => l.kind), ["deletion"]);
  const r2 = merge(b, changed, new Map());
  assertEquals(readTicket(r2, "T-0001").title, "changed");
  assertEquals(r2.report.revived, [tp("T-0001")]);
  assertEquals(r2.events.length, 1);
});

Deno.test("mergeStores() a ticket that does not parse on one side: the other side's, bytes posted", () => {
  const b = tree(ticket("T-0001"));
  const broken = tree([tp("T-0001"), "---\nid: T-0001\ntitle: [unclosed\n---\nhand edit\n"]);
  const good = tree(ticket("T-0001", { title: "good" }));
  const r1 = merge(b, broken, good);
  assertEquals(readTicket(r1, "T-0001").title, "good");
  assertStringIncludes(r1.events[0].message, "hand edit");
  assertEquals(r1.report.losses[0].kind, "file");
  const r2 = merge(b, good, broken);
  assertEquals(readTicket(r2, "T-0001").title, "good");
  assertStringIncludes(r2.events[0].message, "hand edit");
  assertEquals(r2.report.losses[0].side, "theirs");
  // Ours broken, theirs unchanged (or deleted): never published, the bytes go to the board.
  const r4 = merge(b, broken, b);
  assert(r4.tree.get(tp("T-0001")) === b.get(tp("T-0001")));
  assertStringIncludes(eventsText(r4), "Sync did not publish this clone's tickets/T-0001.md");
  assertStringIncludes(eventsText(r4), "hand edit");
  const r5 = merge(b, broken, new Map());
  assertEquals([r5.tree.has(tp("T-0001")), r5.report.revived], [false, []]);
  assertStringIncludes(eventsText(r5), "hand edit");
  // Bytes that are not text travel as base64.
  const bin = new Map<string, FileValue>([[tp("T-0001"), new Uint8Array([0xff, 0x00, 0x41])]]);
  assertStringIncludes(eventsText(merge(b, bin, good)), "(base64 of 3 bytes) /wBB");
  // An unparseable base: every field both sides differ on is theirs, sets are unions.
  const r3 = merge(
    broken,
    tree(ticket("T-0001", { title: "o", labels: ["x"] })),
    tree(ticket("T-0001", { title: "t", labels: ["y"] })),
  );
  assertEquals([readTicket(r3, "T-0001").title, readTicket(r3, "T-0001").labels], ["t", [
    "x",
    "y",
  ]]);
});

Deno.test("mergeStores() an unparseable published agent or reservations file gives way to ours", () => {
  const good = serializeAgent(agent("agent-a", { worktree: "/w" }));
  const b = tree(agent("agent-a"), ["reservations.json", reservations()]);
  const o = tree(["agents/agent-a.json", good], [
    "reservations.json",
    reservations(["a.ts", "agent-a", "T-0001", "exclusive"]),
  ]);
  const t = tree(["agents/agent-a.json", "{ broken"], ["reservations.json", "{ broken too"]);
  const r = merge(b, o, t);
  assertEquals(text(r, "agents/agent-a.json"), good);
  assertStringIncludes(text(r, "reservations.json"), `"a.ts"`);
  assertEquals(r.report.losses.map((l) => [l.side, l.dropped]), [["theirs", "{ broken"], [
    "theirs",
    "{ broken too",
  ]]);
});

Deno.test("mergeStores() add/add of a ticket number: ours is renumbered, references follow", () => {
  const b = tree(ticket("T-0001"));
  const o = put(
    b,
    ticket("T-0002", { title: "ours two", created: "2026-11-27T00:00:00Z" }),
    ticket("T-0003", { title: "ours three", depends_on: ["T-0002"] }),
    ticket("T-0001", { depends_on: ["T-0002"] }),
    [
      "reservations.json",
      JSON.stringify({
        schema: 1,
        reservations: [{
          path: "a.ts",
          agent: "agent-a",
          ticket: "T-0002",
          mode: "exclusive",
          at: T0,
        }],
      }),
    ],
  );
  const t = put(
    b,
    ticket("T-0002", { title: "theirs two", created: "2026-11-26T10:00:00Z" }),
    ticket("T-0005"),
  );
  const r = merge(b, o, t);
  assertEquals(r.report.renumbered, [{ from: "T-0002", to: "T-0006" }]);
  assertEquals(readTicket(r, "T-0002").title, "theirs two");
  const moved = readTicket(r, "T-0006");
  assertEquals(moved.title, "ours two");
  assertStringIncludes(moved.body, "sync renumbered T-0002 to T-0006");
  assertEquals(readTicket(r, "T-0003").depends_on, ["T-0006"]);
  assertEquals(readTicket(r, "T-0001").depends_on, ["T-0006"]);
  assertStringIncludes(text(r, "reservations.json"), `"ticket": "T-0006"`);
  assertEquals(r.events.map((e) => [e.tag, e.ticket]), [["renumbered", "T-0006"]]);
  // A caller-given allocator (part 2: this clone's id block).
  const r2 = merge(b, o, t, {
    allocateId: (_id, taken) => (taken("T-0050") ? "T-0051" : "T-0050"),
  });
  assertEquals(r2.report.renumbered, [{ from: "T-0002", to: "T-0050" }]);
});

Deno.test("mergeStores() add/add of one ticket (ours published, then changed) is not renumbered", () => {
  // Our push was accepted but its confirmation lost: base lacks T-0002, theirs holds it changed.
  const b = tree(ticket("T-0001"));
  const mine = ticket("T-0002", { title: "ours", created: "2026-11-26T10:00:00Z" });
  const o = put(b, mine);
  const later = { ...mine, body: mine.body + "\n" + entry("2026-11-26T11:00:00Z", "agent-b", "x") };
  const t = put(b, later);
  const r = merge(b, o, t);
  assertEquals([r.report.renumbered, r.events], [[], []]);
  assert(sameTree(r.tree, t));
});

Deno.test("mergeStores() our renumbered ticket already published, its old number reused here: kept once", () => {
  // Found by tests/suites/sync_kill_test.ts: our X clashed with their Y at T-0002 and was
  // published as T-0003, but the sync was killed before it applied that; meanwhile Z was created
  // here as T-0003. X must take T-0003 again (not a third number: a duplicate), Z a new one.
  const b = tree(ticket("T-0001"));
  const x = ticket("T-0002", { title: "X", created: "2026-11-26T10:00:00Z", created_by: "a" });
  const y = ticket("T-0002", { title: "Y", created: "2026-11-26T10:00:01Z", created_by: "b" });
  const z = ticket("T-0003", { title: "Z", created: "2026-11-26T10:00:02Z", created_by: "a" });
  const o = put(b, x, z);
  const t = put(b, y, { ...x, id: "T-0003" });
  const r = merge(b, o, t);
  const titles = [...r.tree].filter(([p]) => p.startsWith("tickets/")).map(([p, v]) =>
    parseTicket(typeof v === "string" ? v : new TextDecoder().decode(v), p.slice(8, 14)).title
  ).sort();
  assertEquals(titles, ["Ticket T-0001", "X", "Y", "Z"]);
  assertEquals(readTicket(r, "T-0003").title, "X");
  assertEquals(readTicket(r, "T-0004").title, "Z");
  assertEquals(r.report.renumbered, [{ from: "T-0002", to: "T-0003" }, {
    from: "T-0003",
    to: "T-0004",
  }]);
});

Deno.test("mergeStores() archive: archived on one side and changed on the other stays active", () => {
  const ap = (id: string) => `archive/${id}.md`;
  const b = tree(ticket("T-0001"));
  const archived: Tree = new Map([[ap("T-0001"), serializeTicket(ticket("T-0001"))]]);
  const changed = tree(ticket("T-0001", { title: "changed" }));
  // Archived here, untouched there: archived.
  const r0 = merge(b, archived, b);
  assertEquals([[...r0.tree.keys()], r0.events], [[ap("T-0001")], []]);
  const cases: Array<[Tree, Tree, string]> = [
    [archived, changed, "this clone"],
    [changed, archived, "the remote"],
  ];
  for (const [o, t, where] of cases) {
    const r = merge(b, o, t);
    assertEquals([...r.tree.keys()].filter((k) => !k.startsWith("board/")), [tp("T-0001")]);
    assertEquals(readTicket(r, "T-0001").title, "changed");
    assertStringIncludes(eventsText(r), `T-0001 was archived on ${where}`);
    const again = merge(b, o, r.tree, { now: new Date("2026-11-30T00:00:00Z") });
    assert(sameTree(again.tree, r.tree) && again.events.length === 0, "not stable");
  }
  // Our new T-0002 clashes with one theirs created and archived: ours is renumbered.
  const o2 = put(b, ticket("T-0002", { title: "ours", created: "2026-11-27T00:00:00Z" }));
  const t2 = put(b, [ap("T-0002"), serializeTicket(ticket("T-0002", { title: "theirs" }))]);
  const r2 = merge(b, o2, t2);
  assertEquals(r2.report.renumbered, [{ from: "T-0002", to: "T-0003" }]);
  assertEquals(readTicket(r2, "T-0003").title, "ours");
  assert(r2.tree.has(ap("T-0002")) && !r2.tree.has(tp("T-0002")));
});

Deno.test("mergeStores() a depends_on edge that closes a cycle is dropped and posted", () => {
  const b = tree(ticket("T-0001"), ticket("T-0002"), ticket("T-0003"));
  const o = put(b, ticket("T-0001", { depends_on: ["T-0002"] }));
  const t = put(
    b,
    ticket("T-0002", { depends_on: ["T-0003"] }),
    ticket("T-0003", { depends_on: ["T-0001"] }),
  );
  const r = merge(b, o, t);
  assertEquals(readTicket(r, "T-0001").depends_on, []);
  assertEquals(r.events.map((e) => e.tag), ["cycle-dropped"]);
  assertStringIncludes(r.events[0].message, "T-0001 -> T-0002 -> T-0003 -> T-0001");
  assertEquals(r.report.losses.map((l) => [l.kind, l.ticket, l.dropped]), [[
    "dependency",
    "T-0001",
    "T-0002",
  ]]);
});

Deno.test("mergeStores() a holder's Work Log entries under a tenure theirs replaced are fenced", () => {
  const base = newTicketBody("d");
  const b = tree(ticket("T-0001", { ...claimed("agent-a", 1), body: base }));
  const o = tree(ticket("T-0001", {
    ...claimed("agent-a", 1),
    body: base + "\n" + entry("2026-11-26T12:00:00Z", "agent-a", "late work") +
      entry("2026-11-26T12:01:00Z", "agent-c", "a comment"),
  }));
  const t = tree(ticket("T-0001", claimed("agent-b", 2)));
  const r = merge(b, o, t);
  const m = readTicket(r, "T-0001");
  assertEquals(m.claimed_by, "agent-b");
  assert(!m.body.includes("late work"));
  assertStringIncludes(m.body, "a comment");
  assertEquals(r.events.map((e) => e.tag), ["fenced"]);
  assertStringIncludes(r.events[0].message, "late work");
  // The same entries under a tenure theirs kept (only the status moved) apply.
  const t2 = tree(ticket("T-0001", { ...claimed("agent-a", 1), status: "in-progress" }));
  const m2 = readTicket(merge(b, o, t2), "T-0001");
  assertStringIncludes(m2.body, "late work");
});

Deno.test("mergeStores() fenced (from the journal): none of ours' diff applies but others' log entries", () => {
  const base = newTicketBody("d");
  const held = {
    ...claimed("agent-a", 1),
    extra: [["claim_id", "c1-1"]] as Array<[string, FrontValue]>,
  };
  const b = tree(ticket("T-0001", { ...held, body: base }), ticket("T-0002"));
  const o = tree(
    ticket("T-0001", {
      ...held,
      title: "late title",
      labels: ["late"],
      body: base + "\n" + entry("2026-11-26T12:00:00Z", "agent-a", "late work") +
        entry("2026-11-26T12:01:00Z", "agent-c", "a comment"),
    }),
    ticket("T-0002", { title: "not fenced" }),
  );
  const t = tree(
    ticket("T-0001", { ...claimed("agent-b", 2), extra: [["claim_id", "c2-1"]], body: base }),
    ticket("T-0002"),
  );
  const r = merge(b, o, t, { fenced: new Map([["T-0001", "agent-a"]]) });
  const m = readTicket(r, "T-0001");
  assertEquals([m.title, m.labels, m.claimed_by], ["Ticket T-0001", [], "agent-b"]);
  assertStringIncludes(m.body, "a comment");
  assert(!m.body.includes("late work"));
  assertEquals(readTicket(r, "T-0002").title, "not fenced");
  assertEquals(r.events.map((e) => [e.tag, e.ticket]), [["fenced", "T-0001"]]);
  assertStringIncludes(r.events[0].message, "late title");
  assertStringIncludes(r.events[0].message, "late work");
  assertEquals(r.report.losses.map((l) => [l.kind, l.agent]), [["file", "agent-a"]]);
  // Without the journal's word only the holder's log entries are held back.
  assertEquals(readTicket(merge(b, o, t), "T-0001").title, "late title");
});

// ---------------------------------------------------------------------------------------------
// Board, agents, reservations, other files

const post = (who: string, msg: string) =>
  boardEntryText({ at: T0, agent: who, ticket: null, tag: "note", kind: "post", message: msg });

Deno.test("mergeStores() board posts are a union; a taken name re-posts ours under a new one", () => {
  const p = (n: string) => `board/2026-11-25/10000000${n}-0000-abc.md`;
  const b = tree([p("0"), post("a", "base")]);
  const o = put(b, [p("1"), post("a", "ours")], [p("2"), post("a", "same name, ours")]);
  const t = put(b, [p("3"), post("b", "theirs")], [p("2"), post("b", "same name, theirs")]);
  const r = merge(b, o, t);
  assertEquals(text(r, p("2")), post("b", "same name, theirs"));
  assertEquals(r.report.reposted.length, 1);
  const moved = r.report.reposted[0].to;
  assertEquals(text(r, moved), post("a", "same name, ours"));
  assert(/^board\/2026-11-25\/\d{9}-\d{4}-[a-z0-9]+\.md$/.test(moved), moved);
  assertEquals([...r.tree.keys()].filter((k) => k.startsWith("board/")).length, 5);
});

Deno.test("mergeStores() events use reserved tags (their text: board_entry_test.ts)", () => {
  for (
    const tag of ["sync-conflict", "fenced", "renumbered", "cycle-dropped", "reservation-dropped"]
  ) {
    assert(EVENT_TAGS.has(tag), tag);
  }
});

Deno.test("mergeStores() agents: heartbeat from the side that moved it, lost notes as a 3-way set", () => {
  const note = (ticket: string, epoch: number) => ({ ticket, epoch, at: T0, reason: "r" });
  const b = tree(agent("agent-a", { lost: [note("T-0001", 1), note("T-0002", 1)] }));
  const o = tree(agent("agent-a", {
    last_heartbeat: "2026-11-27T00:00:00Z",
    lost: [note("T-0001", 1), note("T-0003", 2)],
  }));
  const t = tree(agent("agent-a", {
    capabilities: ["ui"],
    lost: [note("T-0001", 1), note("T-0002", 1), note("T-0004", 1)],
  }));
  const r = merge(b, o, t);
  const m = parseAgent(text(r, "agents/agent-a.json"), "agent-a");
  assertEquals(m.last_heartbeat, "2026-11-27T00:00:00Z");
  assertEquals(m.capabilities, ["ui"]);
  assertEquals(m.lost.map((l) => l.ticket), ["T-0001", "T-0004", "T-0003"]);
  // Both moved it: the higher heartbeat_seq wins; without one, theirs.
  const hb = (at: string, seq?: number) =>
    tree(
      agent("agent-a", {
        last_heartbeat: at,
        extra: seq === undefined ? {} : { heartbeat_seq: seq },
      }),
    );
  const seqOf = (r: MergeResult) => parseAgent(text(r, "agents/agent-a.json"), "agent-a");
  assertEquals(
    seqOf(merge(b, hb("2026-11-27T00:00:00Z", 9), hb("2026-11-28T00:00:00Z", 8))).last_heartbeat,
    "2026-11-27T00:00:00Z",
  );
  assertEquals(
    seqOf(merge(b, hb("2026-11-27T00:00:00Z"), hb("2026-11-26T00:00:00Z"))).last_heartbeat,
    "2026-11-26T00:00:00Z",
  );
  // The same name registered on both sides: theirs keeps it, ours is posted.
  const r2 = merge(new Map(), tree(agent("agent-z", { worktree: "/o" })), tree(agent("agent-z")));
  assertEquals(parseAgent(text(r2, "agents/agent-z.json"), "agent-z").worktree, null);
  assertStringIncludes(eventsText(r2), `"/o"`);
});

Deno.test("mergeStores() agents: host moved on one side moves; moved on both keeps theirs; add/add keeps theirs", () => {
  const [A, B, C] = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"];
  const hostOf = (r: MergeResult) => parseAgent(text(r, "agents/builder.json"), "builder").host;
  const b = tree(agent("builder", { host: A }));
  // register --force on ours moved it; theirs heart-beat: the move stands, with their heartbeat.
  const r = merge(
    b,
    tree(agent("builder", { host: B })),
    tree(agent("builder", {
      host: A,
      last_heartbeat: "2026-11-27T00:00:00Z",
    })),
  );
  assertEquals(hostOf(r), B);
  assertEquals(
    parseAgent(text(r, "agents/builder.json"), "builder").last_heartbeat,
    "2026-11-27T00:00:00Z",
  );
  // Moved on both sides: theirs, and the dropped one is on the board.
  const both = merge(b, tree(agent("builder", { host: B })), tree(agent("builder", { host: C })));
  assertEquals(hostOf(both), C);
  assertStringIncludes(eventsText(both), "host");
  // A record without a host (before sync) adopted on one side.
  assertEquals(
    hostOf(
      merge(tree(agent("builder")), tree(agent("builder", { host: B })), tree(agent("builder"))),
    ),
    B,
  );
  // Registered on two hosts before either published: theirs keeps the name.
  assertEquals(
    hostOf(
      merge(new Map(), tree(agent("builder", { host: B })), tree(agent("builder", { host: C }))),
    ),
    C,
  );
});

function reservations(...list: Array<[string, string, string, "exclusive" | "shared"]>): string {
  return JSON.stringify(
    {
      schema: 1,
      reservations: list.map(([path, agent, ticket, mode]) => ({
        path,
        agent,
        ticket,
        mode,
        at: T0,
      })),
    },
    null,
    2,
  ) + "\n";
}

Deno.test("mergeStores() reservations: 3-way set; ours overlapping one published since base is dropped", () => {
  const b = tree(["reservations.json", reservations(["old.ts", "agent-a", "T-0001", "exclusive"])]);
  const o = tree([
    "reservations.json",
    reservations(
      ["src/**", "agent-a", "T-0001", "exclusive"],
      ["docs/a.md", "agent-a", "T-0001", "exclusive"],
      ["old.ts", "agent-a", "T-0001", "exclusive"],
    ),
  ]);
  const t = tree([
    "reservations.json",
    reservations(["src/x.ts", "agent-b", "T-0002", "exclusive"]),
  ]);
  const r = merge(b, o, t);
  const got = JSON.parse(text(r, "reservations.json")).reservations.map((x: { path: string }) =>
    x.path
  );
  assertEquals(got, ["docs/a.md", "src/x.ts"]);
  assertEquals(r.events.map((e) => e.tag), ["reservation-dropped"]);
  assertStringIncludes(r.events[0].message, `"src/**"`);
  assertEquals(r.report.losses.map((l) => [l.kind, l.field]), [["reservation", "src/**"]]);
});

Deno.test("mergeStores() other files changed on both sides: theirs, ours posted", () => {
  const b = tree(["notes.txt", "base\n"]);
  const r = merge(b, tree(["notes.txt", "ours\n"]), tree(["notes.txt", "theirs\n"]));
  assertEquals(text(r, "notes.txt"), "theirs\n");
  assertStringIncludes(r.events[0].message, "    ours");
});

Deno.test("mergeStores() output is deterministic, and every event's name is new", () => {
  const b = tree(ticket("T-0001"));
  const o = tree(ticket("T-0001", { ...claimed("agent-a", 1), body: newTicketBody("X") }));
  const t = tree(ticket("T-0001", { ...claimed("agent-b", 1), body: newTicketBody("Y") }));
  const r1 = merge(b, o, t);
  const r2 = merge(b, o, t);
  assertEquals([...r1.tree], [...r2.tree]);
  assertEquals(r1.events.length, 1);
  // Whatever order the maps were filled in (here: two renumbered tickets, two events).
  const mk = (id: string, side: string) =>
    ticket(id, { title: side + id, created: side === "o" ? T0 : "2026-11-26T00:00:00Z" });
  const o2 = tree(mk("T-0002", "o"), mk("T-0003", "o"));
  const o2r = new Map([...o2].reverse());
  const t2 = tree(mk("T-0002", "t"), mk("T-0003", "t"));
  const x = merge(new Map(), o2, t2);
  assertEquals(x.events.length, 2);
  assertEquals([...merge(new Map(), o2r, t2).tree], [...x.tree]);
  // An event name already taken on a side is skipped.
  const taken = put(o, [r1.events[0].path, "occupied\n"]);
  const r3 = merge(b, taken, t);
  assert(r3.events[0].path !== r1.events[0].path);
  assertEquals(text(r3, r1.events[0].path), "occupied\n");
});

Deno.test("mergeStores() merging ours again into its own published result changes nothing", () => {
  // A push accepted but its confirmation lost: the next sync merges the same ours into a
  // theirs that already holds that merge. Nothing is posted, logged or renumbered twice.
  const entryB = entry("2026-11-26T10:00:00Z", "agent-b", "theirs");
  const b = tree(ticket("T-0001"), ticket("T-0002"), ["notes.txt", "base\n"]);
  const o = put(
    b,
    ticket("T-0001", { ...claimed("agent-a", 1), title: "ours", depends_on: ["T-0002"] }),
    ticket("T-0003", { title: "ours three" }),
    ["board/2026-11-26/120000000-0000-k.md", post("agent-a", "ours")],
    ["notes.txt", "ours\n"],
  );
  const t = put(
    b,
    ticket("T-0001", {
      ...claimed("agent-b", 1),
      title: "theirs",
      body: newTicketBody("Line one.\nLine two.\nLine three.") + "\n" + entryB,
    }),
    ticket("T-0002", { depends_on: ["T-0001"] }),
    ticket("T-0003", { title: "theirs three", created: "2026-11-26T00:00:00Z" }),
    ["board/2026-11-26/120000000-0000-k.md", post("agent-b", "theirs")],
    ["notes.txt", "theirs\n"],
  );
  const first = merge(b, o, t);
  assertEquals(
    first.events.map((e) => e.tag).sort(),
    ["cycle-dropped", "renumbered", "sync-conflict", "sync-conflict"],
  );
  const again = merge(b, o, first.tree, { now: new Date("2026-11-30T09:00:00Z") });
  assertEquals(again.events, []);
  assert(sameTree(again.tree, first.tree), treeDiff(again.tree, first.tree));
  assertEquals(again.report.renumbered, first.report.renumbered);
});

// ---------------------------------------------------------------------------------------------
// Properties over random operation pairs on random stores. Sizes: TRACK_SUITE_SYNC_MERGE_CASES
// (300), TRACK_SUITE_SCALE; TRACK_SUITE_SEED replays a run.

interface Model {
  tickets: Map<string, Ticket>;
  agents: Map<string, Agent>;
  res: Array<
    { path: string; agent: string; ticket: string; mode: "exclusive" | "shared"; at: string }
  >;
  posts: Map<string, string>;
  /** Highest ticket number ever used on this side (a deleted number is not reused). */
  top: number;
  /** Ticket files hand-broken on this side (path -> bytes that do not parse). */
  broken: Map<string, string>;
}

function cloneModel(m: Model): Model {
  return {
    tickets: new Map([...m.tickets].map(([k, t]) => [k, structuredClone(t)])),
    agents: new Map([...m.agents].map(([k, a]) => [k, structuredClone(a)])),
    res: m.res.map((r) => ({ ...r })),
    posts: new Map(m.posts),
    top: m.top,
    broken: new Map(m.broken),
  };
}

function toTree(m: Model, order: (n: number) => number = () => 0): Tree {
  const entries: Array<[string, FileValue]> = [];
  for (const t of m.tickets.values()) entries.push([tp(t.id), serializeTicket(t)]);
  for (const a of m.agents.values()) entries.push([`agents/${a.id}.json`, serializeAgent(a)]);
  if (m.res.length > 0) {
    const sorted = [...m.res].sort((x, y) =>
      JSON.stringify([x.path, x.agent, x.ticket]) < JSON.stringify([y.path, y.agent, y.ticket])
        ? -1
        : 1
    );
    entries.push([
      "reservations.json",
      JSON.stringify({ schema: 1, reservations: sorted }, null, 2) + "\n",
    ]);
  }
  for (const [p, v] of m.posts) entries.push([p, v]);
  for (const [p, v] of m.broken) {
    const i = entries.findIndex(([q]) => q === p);
    if (i !== -1) entries[i] = [p, v];
  }
  // Insertion order must not matter: shuffle it when asked.
  for (let i = entries.length - 1; i > 0; i--) {
    const j = order(i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return new Map(entries);
}

const AGENTS = ["agent-a", "agent-b", "agent-c"];
const PATHS = ["src/a.ts", "src/**", "docs/x.md", "lib/*.ts", "lib/b.ts", "web/app.js"];

class Gen {
  #tok = 0;
  /** `day` of the month for this generator's timestamps: later sides use later days. */
  constructor(readonly r: (n: number) => number, readonly side: string, readonly day = 27) {}
  tok(): string {
    return `${this.side}${this.#tok++}x${this.r(1e6)}`;
  }
  time(): string {
    const p = (n: number) => String(n).padStart(2, "0");
    return `2026-11-${p(this.day)}T${p(this.r(24))}:${p(this.r(60))}:${p(this.r(60))}Z`;
  }
  pickOf<T>(xs: readonly T[]): T {
    return xs[this.r(xs.length)];
  }
}

function reaches(m: Model, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c === to) return true;
    if (seen.has(c)) continue;
    seen.add(c);
    stack.push(...(m.tickets.get(c)?.depends_on ?? []));
  }
  return false;
}

function maxId(m: Model): number {
  return Math.max(0, ...[...m.tickets.keys()].map((id) => Number(id.slice(2))));
}

function randomStore(g: Gen): Model {
  const m: Model = {
    tickets: new Map(),
    agents: new Map(),
    res: [],
    posts: new Map(),
    top: 0,
    broken: new Map(),
  };
  for (const a of AGENTS) m.agents.set(a, agent(a));
  const n = 2 + g.r(5);
  for (let i = 1; i <= n; i++) {
    const id = `T-${String(i).padStart(4, "0")}`;
    const deps = i > 1 && g.r(2) === 0 ? [`T-${String(1 + g.r(i - 1)).padStart(4, "0")}`] : [];
    m.tickets.set(
      id,
      ticket(id, { title: g.tok(), depends_on: deps, labels: g.r(2) ? ["l1"] : [] }),
    );
  }
  m.top = n;
  for (let i = 0; i < 2; i++) applyOp(m, g, 6); // a few log entries
  applyOp(m, g, 7); // a claim
  applyOp(m, g, 12); // a post
  return m;
}

/** Applies one random operation (or `kind`) to `m`. */
function applyOp(m: Model, g: Gen, kind = g.r(19)): void {
  const ids = [...m.tickets.keys()].sort();
  if (ids.length === 0 && kind !== 11 && kind !== 12) return;
  // Most operations hit the first two tickets, so the two sides meet often.
  const id = g.r(3) ? ids[g.r(Math.min(2, ids.length))] : g.pickOf(ids);
  const t = m.tickets.get(id)!;
  const who = g.pickOf(AGENTS);
  const touch = () => (t.updated = g.time());
  switch (kind) {
    case 0:
      t.title = g.tok();
      return void touch();
    case 1:
      t.priority = g.pickOf(["critical", "high", "medium", "low"] as const);
      return void touch();
    case 2:
      t.labels = [...new Set([...t.labels, `l${g.r(4)}`])].sort();
      return void touch();
    case 3:
      if (t.labels.length > 0) t.labels = t.labels.filter((l) => l !== g.pickOf(t.labels));
      return void touch();
    case 4: {
      const d = g.pickOf(ids);
      if (d !== id && !t.depends_on.includes(d) && !reaches(m, d, id)) t.depends_on.push(d);
      return void touch();
    }
    case 5:
      if (t.depends_on.length > 0) {
        const d = g.pickOf(t.depends_on);
        t.depends_on = t.depends_on.filter((x) => x !== d);
      }
      return void touch();
    case 6: {
      const msg = g.r(4) === 0 ? `${g.tok()}\nmore ${g.tok()}` : g.tok();
      t.body = appendEntry(t.body, g.time(), t.claimed_by ?? who, msg);
      return void touch();
    }
    case 7:
      if (t.status === "backlog") {
        Object.assign(t, claimed(who, t.claim_epoch + 1, g.time()));
        if (g.r(2) === 0) t.extra = [["claim_id", g.tok()]];
      }
      return void touch();
    case 8: {
      const next = { claimed: "in-progress", "in-progress": "review", review: "done" } as const;
      if (t.status !== "backlog" && t.status !== "done") t.status = next[t.status];
      return void touch();
    }
    case 9:
      if (t.claimed_by !== null) {
        t.claimed_by = null;
        t.status = "backlog";
      }
      return void touch();
    case 10: {
      const split = t.body.lastIndexOf("## Work Log\n");
      const pre = t.body.slice(0, split).split("\n");
      const at = 3 + g.r(Math.max(1, pre.length - 6));
      if (g.r(3) === 0) pre.splice(at, 0, g.tok());
      else pre[at] = g.tok();
      t.body = pre.join("\n") + t.body.slice(split);
      return void touch();
    }
    case 11: {
      m.top = Math.max(m.top, maxId(m)) + 1;
      const nid = `T-${String(m.top).padStart(4, "0")}`;
      const deps = ids.length > 0 && g.r(2) ? [g.pickOf(ids)] : [];
      const at = g.time();
      const body = newTicketBody(`Line one.\n${g.tok()}\nLine three.`);
      m.tickets.set(
        nid,
        ticket(nid, { title: g.tok(), depends_on: deps, created: at, updated: at, body }),
      );
      return;
    }
    case 12: {
      // A small pool of names: both sides sometimes post under the same name.
      const name = `board/2026-11-26/1200000${g.r(3)}0-0000-k.md`;
      if (!m.posts.has(name)) m.posts.set(name, post(who, g.tok()));
      return;
    }
    case 13: {
      const a = m.agents.get(who)!;
      a.last_heartbeat = g.time();
      return;
    }
    case 14: {
      const e = {
        path: g.pickOf(PATHS),
        agent: who,
        ticket: id,
        mode: g.r(3) ? "exclusive" : "shared",
        at: g.time(),
      } as const;
      const k = JSON.stringify([e.path, e.agent, e.ticket]);
      if (!m.res.some((x) => JSON.stringify([x.path, x.agent, x.ticket]) === k)) {
        m.res.push({ ...e });
      }
      return;
    }
    case 15:
      if (m.res.length > 0) m.res.splice(g.r(m.res.length), 1);
      return;
    case 16: {
      const a = m.agents.get(who)!;
      // As recordLostClaim: one note per ticket, the newest.
      a.lost = a.lost.filter((l) => l.ticket !== id);
      a.lost.push({ ticket: id, epoch: 1 + g.r(3), at: g.time(), reason: g.tok() });
      return;
    }
    case 17:
      // Deleting is rare; never a ticket others depend on (track refuses nothing, but keep it simple).
      if (g.r(4) === 0) m.tickets.delete(id);
      return;
    default:
      t.extra = [
        ...t.extra.filter(([k]) => k !== "size"),
        ["size", g.tok()] as [string, FrontValue],
      ]
        .sort((x, y) => (x[0] < y[0] ? -1 : 1));
      return void touch();
  }
}

function appendEntry(body: string, at: string, who: string, msg: string): string {
  return appendLogEntry(body, { at, agent: who, message: msg });
}

function blocksOf(body: string): string[] {
  const i = body.lastIndexOf("## Work Log\n");
  if (i === -1) return [];
  return body.slice(i).split(/\n(?=- \d{4}-)/).slice(1).map((b) => b.replace(/\n+$/, ""));
}

const group = (t: Ticket) =>
  JSON.stringify([
    t.status,
    t.claimed_by,
    t.claimed_at,
    t.claim_epoch,
    t.extra.find(([k]) => k === "claim_id")?.[1] ?? null,
  ]);

interface Figures {
  cases: number;
  events: number;
  losses: number;
  renumbered: number;
  reposted: number;
  conflicts: number;
  fenced: number;
  broken: number;
}

/** Checks every property of one merge; returns a failure description or null. */
function checkMerge(
  bm: Model,
  om: Model,
  tm: Model,
  fig: Figures,
  r: (n: number) => number,
  opts: Partial<MergeOptions> = {},
): string | null {
  const b = toTree(bm);
  const o = toTree(om);
  const t = toTree(tm);
  const res = merge(b, o, t, opts);
  fig.cases++;
  fig.events += res.events.length;
  fig.losses += res.report.losses.length;
  fig.renumbered += res.report.renumbered.length;
  fig.reposted += res.report.reposted.length;
  if (res.events.length > 0) fig.conflicts++;
  const allEvents = res.events.map((e) => e.message).join("\n");

  // Determinism: same inputs, in any insertion order, give the same bytes.
  const again = merge(toTree(bm, r), toTree(om, r), toTree(tm, r), opts);
  if (JSON.stringify([...again.tree]) !== JSON.stringify([...res.tree])) return "not deterministic";

  // Every output ticket parses, but for a broken file theirs published and kept.
  const out = new Map<string, Ticket>();
  for (const [p, v] of res.tree) {
    const m = /^tickets\/(T-\d+)\.md$/.exec(p);
    if (!m) continue;
    try {
      out.set(m[1], parseTicket(typeof v === "string" ? v : new TextDecoder().decode(v), m[1]));
    } catch (e) {
      if (v !== tm.broken.get(p)) return `${p} does not parse: ${(e as Error).message}`;
    }
  }
  // A broken file of ours is never published; its bytes are on the board.
  for (const [p, v] of om.broken) {
    if (res.tree.get(p) === v && tm.broken.get(p) !== v) return `${p}: ours' broken file published`;
    const token = v.split("[")[1].split("\n")[0];
    if (res.tree.get(p) !== v && !allEvents.includes(token)) return `${p}: ours' broken bytes lost`;
  }
  // No dependency cycle.
  for (const id of out.keys()) {
    const seen = new Set<string>();
    const stack = [...out.get(id)!.depends_on];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (c === id) return `cycle through ${id}`;
      if (seen.has(c)) continue;
      seen.add(c);
      stack.push(...(out.get(c)?.depends_on ?? []));
    }
  }
  // Posts are a union: every post of either side is in the result, byte for byte.
  const outPosts = new Set(
    [...res.tree].filter(([p]) => p.startsWith("board/")).map(([, v]) => String(v)),
  );
  for (const side of [om, tm]) {
    for (const [p, v] of side.posts) if (!outPosts.has(v)) return `post ${p} lost`;
  }
  const moved = new Map(res.report.renumbered.map((x) => [x.from, x.to]));
  for (const [id, tt] of tm.tickets) {
    if (tm.broken.has(tp(id))) continue; // Its structure is not what theirs published.
    const m = out.get(id);
    if (m === undefined) {
      if (
        bm.tickets.has(id) && !om.tickets.has(id) &&
        serializeTicket(bm.tickets.get(id)!) === serializeTicket(tt)
      ) continue;
      return `theirs' ${id} is gone`;
    }
    // Their log entries are all kept, in their order.
    const mine = blocksOf(m.body);
    const theirs = blocksOf(tt.body);
    let k = 0;
    for (const blk of mine) if (k < theirs.length && blk === theirs[k]) k++;
    if (k !== theirs.length) return `${id}: theirs' log entries not all kept in order`;
  }
  for (const [id0, ot] of om.tickets) {
    if (om.broken.has(tp(id0))) continue; // Checked above.
    const bt = bm.tickets.get(id0);
    const tt = tm.broken.has(tp(id0)) ? undefined : tm.tickets.get(id0);
    const id = bt === undefined && moved.has(id0) ? moved.get(id0)! : id0;
    const m = out.get(id);
    if (opts.fenced?.has(id0) && bt !== undefined && serializeTicket(bt) !== serializeTicket(ot)) {
      // Fenced: ours' whole file is on the board, and the claim group is theirs'.
      const posted = res.events.find((e) => e.tag === "fenced" && e.ticket === id0);
      const lines = serializeTicket(ot).split("\n").filter((l) => l !== "");
      // (A dependency on a renumbered ticket of ours shows its new number.)
      const missing = lines.filter((l) => !posted?.message.includes("    " + l));
      if (!posted || missing.some((l) => !(/^ {2}- T-\d+$/.test(l) && moved.has(l.slice(4))))) {
        return `${id0}: fenced, but ours' file is not on the board`;
      }
      if (tt !== undefined && m !== undefined && group(m) !== group(tt)) {
        return `${id0}: fenced, claim group not theirs'`;
      }
      continue;
    }
    if (m === undefined) {
      if (bt !== undefined && tt === undefined && serializeTicket(bt) === serializeTicket(ot)) {
        continue;
      }
      return `ours' ${id0} is gone`;
    }
    if (
      bt === undefined && tt !== undefined && id === id0 &&
      serializeTicket(ot) !== serializeTicket(tt)
    ) {
      return `ours' new ${id0} clashes with theirs but was not renumbered`;
    }
    const named = (what: string) => allEvents.includes(what) || m.body.includes(what);
    // The claim register changes linearly: theirs' group, or ours' when only ours moved it.
    if (tt !== undefined && bt !== undefined && id === id0) {
      const ok = group(m) === group(tt) || (group(m) === group(ot) && group(tt) === group(bt));
      if (!ok) return `${id}: claim group is neither theirs' nor ours-only`;
      if (
        group(ot) !== group(bt) && group(m) !== group(ot) &&
        !allEvents.includes(`claimed_by ${ot.claimed_by ?? "nobody"}`)
      ) {
        return `${id}: ours' claim dropped without an event`;
      }
    }
    const base = bt ?? (bt === undefined && tt === undefined ? null : null);
    // Scalars: ours' change is in the result or named.
    for (const key of ["title", "priority"] as const) {
      if (base !== null && ot[key] === base[key]) continue;
      if (m[key] !== ot[key] && !named(JSON.stringify(ot[key])) && !named(ot[key])) {
        return `${id}: ${key} of ours dropped silently`;
      }
    }
    const size = ot.extra.find(([k2]) => k2 === "size")?.[1];
    if (
      size !== undefined &&
      JSON.stringify(base?.extra.find(([k2]) => k2 === "size")?.[1]) !== JSON.stringify(size)
    ) {
      if (m.extra.find(([k2]) => k2 === "size")?.[1] !== size && !named(JSON.stringify(size))) {
        return `${id}: size of ours dropped silently`;
      }
    }
    // Sets: ours' additions are in, or (dependencies) named as closing a cycle.
    for (const l of ot.labels) {
      if (!base?.labels.includes(l) && !m.labels.includes(l)) return `${id}: label ${l} lost`;
    }
    for (const d0 of ot.depends_on) {
      if (base?.depends_on.includes(d0)) continue;
      const d = moved.get(d0) ?? d0;
      if (
        !m.depends_on.includes(d) && !m.depends_on.includes(d0) &&
        !allEvents.includes(`${id} depends on ${d}`)
      ) {
        return `${id}: dependency ${d} lost without an event`;
      }
    }
    // Ours' new log entries and description lines are in the result or on the board.
    const baseBlocks = new Set(blocksOf(base?.body ?? ""));
    for (const blk of blocksOf(ot.body)) {
      if (baseBlocks.has(blk)) continue;
      const msg = blk.split("] ")[1] ?? blk;
      if (!named(msg.split("\n")[0])) return `${id}: log entry ${JSON.stringify(blk)} lost`;
    }
    const basePre = new Set((base?.body ?? "").split("\n"));
    for (const line of ot.body.slice(0, ot.body.lastIndexOf("## Work Log\n")).split("\n")) {
      if (line !== "" && !basePre.has(line) && !named(line)) {
        return `${id}: description line ${line} lost`;
      }
    }
  }
  // Ours' deletions are applied or named.
  for (const id of bm.tickets.keys()) {
    if (!om.tickets.has(id) && out.has(id) && !allEvents.includes(`deleted tickets/${id}.md`)) {
      const tt = tm.tickets.get(id);
      if (tt === undefined || serializeTicket(tt) === serializeTicket(bm.tickets.get(id)!)) {
        return `${id}: deletion undone silently`;
      }
      return `${id}: ours' deletion dropped without an event`;
    }
  }
  // Reservations ours added: kept or named; lost notes ours added: kept.
  const rOut = res.tree.has("reservations.json")
    ? JSON.parse(text(res, "reservations.json")).reservations as Model["res"]
    : [];
  const key = (x: Model["res"][number]) => JSON.stringify([x.path, x.agent, x.ticket]);
  const baseRes = new Set(bm.res.map(key));
  for (const e of om.res) {
    if (baseRes.has(key(e))) continue;
    const tk = moved.get(e.ticket) ?? e.ticket;
    if (
      !rOut.some((x) =>
        x.path === e.path && x.agent === e.agent && (x.ticket === tk || x.ticket === e.ticket)
      ) && !allEvents.includes(`"${e.path}" (${e.mode}, ${e.ticket})`) &&
      !allEvents.includes(`"${e.path}" (${e.mode}, ${tk})`)
    ) {
      return `reservation ${key(e)} lost without an event: ${allEvents}\n${
        JSON.stringify({ b: bm.res, o: om.res, t: tm.res, out: rOut, moved: [...moved] })
      }`;
    }
  }
  for (const [name, oa] of om.agents) {
    const ma = parseAgent(text(res, `agents/${name}.json`), name);
    const baseLost = new Set(bm.agents.get(name)?.lost.map((l) => JSON.stringify(l)) ?? []);
    for (const l of oa.lost) {
      if (baseLost.has(JSON.stringify(l))) continue;
      // Notes are keyed by (ticket, epoch): the same lost claim noted on both sides is one.
      const tk = moved.get(l.ticket) ?? l.ticket;
      if (!ma.lost.some((x) => (x.ticket === tk || x.ticket === l.ticket) && x.epoch === l.epoch)) {
        return `lost note ${l.reason} of ${name} dropped`;
      }
    }
  }
  // Every loss the report lists is recorded where it says.
  for (const l of res.report.losses) {
    const at = res.tree.get(l.noted);
    if (at === undefined) return `loss noted at missing ${l.noted}`;
  }
  // Stable: merging the same ours into its own published result (a confirmation lost after
  // the push was accepted) changes nothing and posts nothing, at any later time.
  const later = new Date(NOW.getTime() + 3_600_000 + r(1000));
  const re = merge(b, o, res.tree, { ...opts, now: later });
  if (re.events.length > 0 || !sameTree(re.tree, res.tree)) {
    return `re-merge is not stable: ${re.events.map((e) => e.message).join("\n")}\n${
      treeDiff(re.tree, res.tree)
    }`;
  }
  return null;
}

Deno.test("suite sync-merge: random operation pairs on random stores keep every merge property", () => {
  const seed0 = suiteSeed();
  const cases = size("TRACK_SUITE_SYNC_MERGE_CASES", 300, 1);
  const fig: Figures = {
    cases: 0,
    events: 0,
    losses: 0,
    renumbered: 0,
    reposted: 0,
    conflicts: 0,
    fenced: 0,
    broken: 0,
  };
  let idem = 0;
  for (let c = 0; c < cases; c++) {
    const seed = (seed0 + c) >>> 0;
    const r = rng(seed);
    const bm = randomStore(new Gen(r, "b", 26));
    const om = cloneModel(bm);
    const tm = cloneModel(bm);
    const go = new Gen(r, "o");
    const gt = new Gen(r, "t");
    for (let i = 0, n = 1 + r(12); i < n; i++) applyOp(om, go);
    for (let i = 0, n = r(12); i < n; i++) applyOp(tm, gt);
    // Now and then both sides post under one new name (names carry the millisecond and a
    // random part, so this is rare in life, but the union must survive it).
    if (r(4) === 0) {
      const name = `board/2026-11-27/130000000-0000-c${r(1000)}.md`;
      om.posts.set(name, post("agent-a", go.tok()));
      tm.posts.set(name, post("agent-b", gt.tok()));
    }
    // Now and then a hand edit breaks a ticket file on one side.
    for (const [side, g] of [[om, go], [tm, gt]] as const) {
      const ids = [...side.tickets.keys()];
      if (ids.length > 0 && r(12) === 0) {
        const id = g.pickOf(ids);
        side.broken.set(tp(id), `---\nid: ${id}\ntitle: [${g.tok()}\n---\nhand edit\n`);
        fig.broken++;
      }
    }
    // A quarter of the cases: the journal fences one changed ticket of ours (§7.1).
    const changed = [...om.tickets].filter(([id, x]) => {
      const y = bm.tickets.get(id);
      return y !== undefined && serializeTicket(x) !== serializeTicket(y);
    });
    const fenced = new Map<string, string>();
    if (changed.length > 0 && r(4) === 0) {
      const [id, x] = changed[r(changed.length)];
      fenced.set(id, x.claimed_by ?? "agent-a");
      fig.fenced++;
    }
    const fail = checkMerge(bm, om, tm, fig, r, { fenced });
    assert(
      fail === null,
      `${fail} (seed ${seed}: TRACK_SUITE_SEED=${seed} TRACK_SUITE_SYNC_MERGE_CASES=1)`,
    );
    // Idempotence: when theirs already holds ours, the result is theirs, with no events.
    const b = toTree(bm);
    const o = toTree(om);
    for (const [bb, oo, tt] of [[b, b, o], [b, o, o]] as const) {
      const res = merge(bb, oo, tt);
      assert(
        sameTree(res.tree, tt) && res.events.length === 0,
        `not idempotent (seed ${seed}): ${treeDiff(res.tree, tt)}`,
      );
    }
    // Theirs = ours plus later appends (log entries, posts, new tickets): the result is theirs.
    const later = cloneModel(om);
    const gl = new Gen(r, "l", 28);
    for (let i = 0, n = 1 + r(4); i < n; i++) applyOp(later, gl, gl.pickOf([6, 11, 12]));
    const res = merge(b, o, toTree(later));
    assert(
      sameTree(res.tree, toTree(later)) && res.events.length === 0,
      `merge(b, o, t ⊇ o) != t (seed ${seed}): ${treeDiff(res.tree, toTree(later))}`,
    );
    idem += 3;
  }
  report("sync-merge", { seed: seed0, ...fig, idempotence_checks: idem, stable_remerges: cases });
  // The suite must have seen what it guards against.
  if (cases >= 100) {
    assert(fig.conflicts > 0 && fig.renumbered > 0 && fig.reposted > 0, JSON.stringify(fig));
  }
});
