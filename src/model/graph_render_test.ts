import { assert, assertEquals } from "../../tests/assert.ts";
import { HOSTILE_TITLES, parseDot, parseMermaid } from "../../tests/graph_syntax.ts";
import type { TicketSummary } from "./ticket.ts";
import { buildGraph } from "./dependency_graph.ts";
import { toDot, toMermaid, toOutline, visibleLine } from "./graph_render.ts";

function ticket(n: number, title: string, deps: number[] = [], parent?: number): TicketSummary {
  const id = (k: number) => `T-${String(k).padStart(4, "0")}`;
  return {
    id: id(n),
    title,
    status: "backlog",
    priority: "medium",
    created: "2026-01-01T00:00:00Z",
    created_by: null,
    claimed_by: null,
    claimed_at: null,
    labels: [],
    branch: null,
    files: [],
    depends_on: deps.map(id),
    updated: null,
    claim_epoch: 0,
    extra: parent === undefined ? [] : [["parent", id(parent)]],
  };
}

function hostileGraph() {
  const ts = HOSTILE_TITLES.map((title, i) => ticket(i + 2, title, i > 0 ? [i + 1] : [], 1));
  return buildGraph([ticket(1, 'epic "one" \\ {'), ...ts]);
}

// deno-lint-ignore no-control-regex
const CONTROL = new RegExp("[\\x00-\\x08\\x0b-\\x1f\\x7f]");

Deno.test("toDot(): hostile titles keep the syntax and come back as their visible text", () => {
  const g = hostileGraph();
  const dot = toDot(g);
  const { labels, edges } = parseDot(dot);
  for (const n of g.nodes) {
    assertEquals(labels.get(n.id), `${n.id} ${visibleLine(n.title)}\n${n.status}`);
  }
  assertEquals(edges, g.edges.map((e) => [e.from, e.to]));
  assert(dot.includes('subgraph "cluster_T-0001"'));
  assert(!CONTROL.test(dot), "no control characters in the output");
});

Deno.test("parseDot() (the test's checker) rejects a broken quote", () => {
  let failed = false;
  try {
    parseDot('digraph x { "a" [label="say "hi""]; }');
  } catch {
    failed = true;
  }
  assert(failed);
});

Deno.test("toMermaid(): hostile titles stay inside their labels and decode to the text", () => {
  const g = hostileGraph();
  const labels = parseMermaid(toMermaid(g));
  for (const n of g.nodes) {
    assertEquals(labels.get(n.id.replace("-", "")), `${n.id} ${visibleLine(n.title)} · backlog`);
  }
  assertEquals(labels.get("epic0"), `T-0001 ${'epic "one" \\ {'}`);
});

Deno.test("toOutline(): one line per ticket, controls escaped, critical path named", () => {
  const g = hostileGraph();
  const out = toOutline(g);
  assert(!CONTROL.test(out));
  assertEquals(out.split("\n").filter((l) => /T-\d{4} {2}/.test(l)).length, g.nodes.length);
  assert(out.includes("critical path (9): T-0002 → T-0003"));
  assert(out.includes("ready"));
});
