import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { EVENT_TAGS, serializeEntry } from "../operations/board.ts";
import { newTicketBody, parseTicket, serializeTicket, type Ticket } from "./ticket.ts";
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

const NOW = new Date("2026-11-29T18:00:00.123Z");
const T0 = "2026-11-25T10:00:00Z";

function ticket(id: string, over: Partial<Ticket> = {}): Ticket {
  return {
    id,
    title: `Ticket ${id}`,
    status: "backlog",
    priority: "medium",
    created: T0,
    created_by: "human",
    claimed_by: null,
    claimed_at: null,
    labels: [],
    branch: null,
    files: [],
    depends_on: [],
    updated: T0,
    claim_epoch: 0,
    extra: [],
    body: newTicketBody("Line one.\nLine two.\nLine three."),
    ...over,
  };
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

Deno.test("mergeStores() add/add of a ticket number: ours is renumbered, references follow", () => {
  const b = tree(ticket("T-0001"));
  const o = put(
    b,
    ticket("T-0002", { title: "ours two" }),
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
  const t = put(b, ticket("T-0002", { title: "theirs two" }), ticket("T-0005"));
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

Deno.test("mergeStores() events are board entries in board.ts's format, reserved tags", () => {
  const e = {
    at: T0,
    agent: "track",
    ticket: "T-0001",
    tag: "sync-conflict",
    kind: "event" as const,
    message: "a\n---\nb",
  };
  assertEquals(boardEntryText(e), serializeEntry(e));
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
  // An event name already taken on a side is skipped.
  const taken = put(t, [r1.events[0].path, "occupied\n"]);
  const r3 = merge(b, o, taken);
  assert(r3.events[0].path !== r1.events[0].path);
  assertEquals(text(r3, r1.events[0].path), "occupied\n");
});
