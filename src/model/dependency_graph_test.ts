import { assertEquals } from "../../tests/assert.ts";
import type { TicketSummary } from "./ticket.ts";
import type { Status } from "./transitions.ts";
import { blockersOf, buildGraph, findCycles, longestChain } from "./dependency_graph.ts";

function t(
  n: number,
  opts: { status?: Status; deps?: number[]; parent?: number } = {},
): TicketSummary {
  const id = `T-${String(n).padStart(4, "0")}`;
  return {
    id,
    title: `ticket ${n}`,
    status: opts.status ?? "backlog",
    priority: "medium",
    created: "2026-01-01T00:00:00Z",
    created_by: null,
    claimed_by: null,
    claimed_at: null,
    labels: [],
    branch: null,
    files: [],
    depends_on: (opts.deps ?? []).map((d) => `T-${String(d).padStart(4, "0")}`),
    updated: null,
    claim_epoch: 0,
    extra: opts.parent === undefined
      ? []
      : [["parent", `T-${String(opts.parent).padStart(4, "0")}`]],
  };
}

const id = (n: number) => `T-${String(n).padStart(4, "0")}`;
const parentOf = (x: TicketSummary) => {
  const v = x.extra.find(([k]) => k === "parent")?.[1];
  return typeof v === "string" ? v : null;
};

Deno.test("buildGraph(): edges run from the dependency to the ticket that waits on it", () => {
  const g = buildGraph([t(1), t(2, { deps: [1] }), t(3, { deps: [1, 2] })]);
  assertEquals(g.edges, [
    { from: id(1), to: id(2), done: false },
    { from: id(1), to: id(3), done: false },
    { from: id(2), to: id(3), done: false },
  ]);
  assertEquals(g.nodes.map((n) => [n.id, n.ready, n.blocked]), [
    [id(1), true, false],
    [id(2), false, true],
    [id(3), false, true],
  ]);
});

Deno.test("buildGraph(): the ready frontier is track ready's rule (done deps satisfied)", () => {
  const g = buildGraph([
    t(1, { status: "done" }),
    t(2, { deps: [1] }),
    t(3, { status: "in-progress" }),
    t(4, { deps: [3] }),
  ]);
  // Done tickets are left out by default; their edges too.
  assertEquals(g.nodes.map((n) => n.id), [id(2), id(3), id(4)]);
  assertEquals(g.nodes.filter((n) => n.ready).map((n) => n.id), [id(2)]);
  assertEquals(g.edges, [{ from: id(3), to: id(4), done: false }]);
  const all = buildGraph([t(1, { status: "done" }), t(2, { deps: [1] })], { all: true });
  assertEquals(all.edges, [{ from: id(1), to: id(2), done: true }]);
  assertEquals(all.nodes.map((n) => [n.id, n.ready, n.blocked]), [
    [id(1), false, false],
    [id(2), true, false],
  ]);
});

Deno.test("buildGraph(): a missing dependency is reported and blocks", () => {
  const g = buildGraph([t(2, { deps: [9] })]);
  assertEquals(g.missing, [{ ticket: id(2), depends_on: id(9) }]);
  assertEquals(g.edges, []);
  assertEquals(g.nodes[0].blocked, true);
  assertEquals(g.nodes[0].waiting_on, [id(9)]);
  assertEquals(g.nodes[0].ready, false);
});

Deno.test("buildGraph(): groups by epic, each with its critical path", () => {
  const g = buildGraph([
    t(1),
    t(2, { parent: 1 }),
    t(3, { parent: 1, deps: [2] }),
    t(4, { parent: 1, deps: [3] }),
    t(5, { parent: 1, deps: [2] }),
    t(6),
  ], { parentOf });
  assertEquals(g.groups.map((x) => [x.parent, x.title, x.ids, x.critical_path]), [
    [id(1), "ticket 1", [id(1), id(2), id(3), id(4), id(5)], [id(2), id(3), id(4)]],
    [null, null, [id(6)], []],
  ]);
  assertEquals(g.nodes.filter((n) => n.critical).map((n) => n.id), [id(2), id(3), id(4)]);
  const only = buildGraph(
    [t(1), t(2, { parent: 1, deps: [4] }), t(3), t(4, { parent: 3 })],
    { parentOf, parent: id(1) },
  );
  assertEquals(only.nodes.map((n) => n.id), [id(1), id(2)]);
  // The other epic's dependency is no node and no edge, but still named.
  assertEquals(only.edges, []);
  assertEquals(only.nodes[1].waiting_on, [id(4)]);
});

Deno.test("buildGraph(): the critical path counts open tickets only", () => {
  const g = buildGraph([
    t(1, { status: "done" }),
    t(2, { deps: [1] }),
    t(3, { deps: [2] }),
    t(4),
    t(5, { deps: [4] }),
    t(6, { deps: [5] }),
    t(7, { deps: [6] }),
  ], { all: true });
  assertEquals(g.groups[0].critical_path, [id(4), id(5), id(6), id(7)]);
});

Deno.test("findCycles(): reports hand-made cycles and self-loops, smallest id first", () => {
  const deps = new Map<string, string[]>([
    ["T-0001", ["T-0003"]],
    ["T-0002", ["T-0001"]],
    ["T-0003", ["T-0002"]],
    ["T-0004", ["T-0004"]],
    ["T-0005", ["T-0001"]],
  ]);
  assertEquals(findCycles(deps), [["T-0001", "T-0003", "T-0002"], ["T-0004"]]);
  assertEquals(findCycles(new Map([["T-0001", []], ["T-0002", ["T-0001"]]])), []);
});

Deno.test("buildGraph(): a cycle is reported and the critical path still ends", () => {
  const g = buildGraph([t(1, { deps: [2] }), t(2, { deps: [1] }), t(3, { deps: [2] })]);
  assertEquals(g.cycles, [[id(1), id(2)]]);
  assertEquals(g.groups[0].critical_path.length, 2);
  assertEquals(g.nodes.every((n) => n.blocked), true);
});

Deno.test("findCycles() and longestChain() survive a 20,000-long chain (no recursion)", () => {
  const deps = new Map<string, string[]>();
  for (let i = 1; i <= 20_000; i++) deps.set(id(i), i > 1 ? [id(i - 1)] : []);
  assertEquals(findCycles(deps), []);
  assertEquals(longestChain([...deps.keys()], deps).length, 20_000);
});

Deno.test("blockersOf(): what transitively blocks a ticket, through open tickets only", () => {
  const deps = new Map<string, string[]>([
    [id(4), [id(3), id(2)]],
    [id(3), [id(1)]],
    [id(2), []],
    [id(1), [id(0)]],
  ]);
  const open = (x: string) => x !== id(2);
  assertEquals(blockersOf(id(4), deps, open), [id(3), id(1), id(0)]);
  // A cycle terminates.
  assertEquals(blockersOf(id(1), new Map([[id(1), [id(2)]], [id(2), [id(1)]]]), () => true), [
    id(2),
  ]);
});
