/**
 * `track graph`'s text forms of a {@linkcode GraphJson}: Graphviz DOT, Mermaid and a plain
 * outline. Titles are agents' text: every label is escaped for its language (quotes, brackets,
 * backslashes, line breaks and control characters can never end a string or start a statement).
 */
import type { GraphJson, GraphNodeJson } from "./dependency_graph.ts";

/** The output forms of `track graph`. */
export const GRAPH_FORMATS = ["text", "dot", "mermaid", "json"] as const;
/** One of {@linkcode GRAPH_FORMATS}. */
export type GraphFormat = typeof GRAPH_FORMATS[number];

// Every control character (line breaks and tabs too), DEL, C1 controls, and the invisible
// format and line/paragraph separators that could reorder or split a line.
// deno-lint-ignore no-control-regex
const UNSAFE = new RegExp(
  "[\\x00-\\x1F\\x7F-\\x9F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]",
  "g",
);

/** `text` on one line: every unsafe character as a visible `\uXXXX`. */
export function visibleLine(text: string): string {
  return text.replace(UNSAFE, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/**
 * A DOT quoted string (the quotes included) of `lines` joined by DOT's `\\n` line break. Inside one, only `\"` is an escape for the parser;
 * Graphviz then reads backslash escapes in labels (`\N`, `\n`, `\l`…), so every backslash is
 * doubled to stay a backslash.
 */
export function dotString(...lines: string[]): string {
  const esc = (t: string) => visibleLine(t).replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return '"' + lines.map(esc).join("\\n") + '"';
}

/**
 * A Mermaid quoted label (the quotes included). Mermaid has no backslash escape: it reads
 * `#name;` and `#123;` entity codes, so the quote, `#`, `&`, `<`, `>` and the backtick (which
 * starts a markdown string) are written as codes.
 */
export function mermaidString(text: string): string {
  const codes: Record<string, string> = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
  };
  return '"' + visibleLine(text).replace(/["#&<>`]/g, (c) => codes[c]) + '"';
}

function nodeLabel(n: GraphNodeJson): [string, string] {
  return [`${n.id} ${n.title}`, `${n.status}${n.claimed_by ? ` · ${n.claimed_by}` : ""}`];
}

function criticalEdges(g: GraphJson): Set<string> {
  const out = new Set<string>();
  for (const grp of g.groups) {
    for (let i = 1; i < grp.critical_path.length; i++) {
      out.add(`${grp.critical_path[i - 1]}>${grp.critical_path[i]}`);
    }
  }
  return out;
}

function groupName(parent: string | null, title: string | null): string {
  return parent === null ? "No epic" : title === null ? parent : `${parent} ${title}`;
}

/** Graphviz DOT: one cluster per epic, ready tickets filled, the critical path bold. */
export function toDot(g: GraphJson): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const critical = criticalEdges(g);
  const lines = [
    "digraph track {",
    "  rankdir=LR;",
    '  node [shape=box, style="rounded", fontname="Helvetica"];',
  ];
  const nodeLine = (n: GraphNodeJson, indent: string) => {
    const attrs = [`label=${dotString(...nodeLabel(n))}`];
    if (n.ready) attrs.push('style="rounded,filled"', 'fillcolor="#d1fae5"');
    else if (n.status === "done") attrs.push('style="rounded,filled"', 'fillcolor="#e5e7eb"');
    if (n.critical) attrs.push("penwidth=2");
    return `${indent}${dotString(n.id)} [${attrs.join(", ")}];`;
  };
  const grouped = g.groups.some((x) => x.parent !== null);
  for (const grp of g.groups) {
    if (!grouped || grp.parent === null) {
      for (const id of grp.ids) lines.push(nodeLine(byId.get(id)!, "  "));
      continue;
    }
    lines.push(`  subgraph ${dotString(`cluster_${grp.parent}`)} {`);
    lines.push(`    label=${dotString(groupName(grp.parent, grp.title))};`);
    for (const id of grp.ids) lines.push(nodeLine(byId.get(id)!, "    "));
    lines.push("  }");
  }
  for (const e of g.edges) {
    const attrs: string[] = [];
    if (e.done) attrs.push("style=dashed");
    if (critical.has(`${e.from}>${e.to}`)) attrs.push("penwidth=2", 'color="#dc2626"');
    lines.push(
      `  ${dotString(e.from)} -> ${dotString(e.to)}${
        attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""
      };`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}

/** Mermaid flowchart: one subgraph per epic, classes `ready`, `done`, `critical`. */
export function toMermaid(g: GraphJson): string {
  const key = new Map(
    g.nodes.map((n, i) => [n.id, /^T-\d+$/.test(n.id) ? n.id.replace("-", "") : `n${i}`]),
  );
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const critical = criticalEdges(g);
  const lines = ["flowchart LR"];
  const nodeLine = (n: GraphNodeJson, indent: string) =>
    `${indent}${key.get(n.id)}[${mermaidString(nodeLabel(n).join(" · "))}]`;
  const grouped = g.groups.some((x) => x.parent !== null);
  g.groups.forEach((grp, i) => {
    if (!grouped || grp.parent === null) {
      for (const id of grp.ids) lines.push(nodeLine(byId.get(id)!, "  "));
      return;
    }
    lines.push(`  subgraph epic${i}[${mermaidString(groupName(grp.parent, grp.title))}]`);
    for (const id of grp.ids) lines.push(nodeLine(byId.get(id)!, "    "));
    lines.push("  end");
  });
  const criticalLinks: number[] = [];
  g.edges.forEach((e, i) => {
    lines.push(`  ${key.get(e.from)} ${e.done ? "-.->" : "-->"} ${key.get(e.to)}`);
    if (critical.has(`${e.from}>${e.to}`)) criticalLinks.push(i);
  });
  lines.push("  classDef ready fill:#d1fae5,stroke:#059669");
  lines.push("  classDef done fill:#e5e7eb,stroke:#9ca3af,color:#6b7280");
  lines.push("  classDef critical stroke:#dc2626,stroke-width:3px");
  for (
    const [cls, pick] of [
      ["ready", (n: GraphNodeJson) => n.ready],
      ["done", (n: GraphNodeJson) => n.status === "done"],
      ["critical", (n: GraphNodeJson) => n.critical],
    ] as const
  ) {
    const ids = g.nodes.filter(pick).map((n) => key.get(n.id));
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${cls}`);
  }
  if (criticalLinks.length > 0) {
    lines.push(`  linkStyle ${criticalLinks.join(",")} stroke:#dc2626,stroke-width:3px`);
  }
  return lines.join("\n");
}

/** The plain outline: per epic, each ticket with its state and what it waits on. */
export function toOutline(g: GraphJson): string {
  const missing = new Set(g.missing.map((m) => `${m.ticket}>${m.depends_on}`));
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const grouped = g.groups.some((x) => x.parent !== null);
  const out: string[] = [];
  for (const grp of g.groups) {
    let indent = "";
    if (grouped) {
      out.push(visibleLine(groupName(grp.parent, grp.title)));
      indent = "  ";
    }
    if (grp.critical_path.length > 0) {
      out.push(
        `${indent}critical path (${grp.critical_path.length}): ${grp.critical_path.join(" → ")}`,
      );
    }
    for (const id of grp.ids) {
      const n = byId.get(id)!;
      const state = n.ready ? "ready" : n.status;
      const w = n.waiting_on.map((d) => missing.has(`${id}>${d}`) ? `${d} (missing)` : d);
      out.push(
        `${indent}${n.critical ? "*" : " "} ${n.id}  ${state.padEnd(11)} ${visibleLine(n.title)}` +
          (w.length > 0 ? `  ← ${w.join(", ")}` : ""),
      );
    }
  }
  for (const c of g.cycles) out.push(`cycle: ${[...c, c[0]].join(" → ")} (hint: track doctor)`);
  return out.join("\n");
}
