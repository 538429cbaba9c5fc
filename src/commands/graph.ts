/** `track graph`: the dependency graph as an outline, DOT, Mermaid or JSON. */
import { bool, defineCommand, str } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson } from "../cli/output.ts";
import { notFoundError } from "../model/errors.ts";
import { parseId } from "../model/ids.ts";
import { buildGraph } from "../model/dependency_graph.ts";
import {
  GRAPH_FORMATS,
  type GraphFormat,
  toDot,
  toMermaid,
  toOutline,
} from "../model/graph_render.ts";

/** `track graph`. */
export default defineCommand({
  name: "graph",
  summary: "The dependency graph: ready frontier, blocked chains, critical path per epic",
  usage: "graph [--parent T] [--all] [--format text|dot|mermaid|json]",
  flags: [
    { name: "parent", type: "string", value: "T", description: "Only epic T and its children" },
    { name: "all", short: "a", type: "boolean", description: "Include done tickets" },
    {
      name: "format",
      short: "f",
      type: "string",
      value: "F",
      description: "text (default), dot (Graphviz), mermaid or json (same as --json)",
      choices: GRAPH_FORMATS,
    },
  ],
  parse: (args) => {
    const parent = str(args, "parent");
    return {
      parent: parent === undefined ? undefined : parseId(parent),
      all: bool(args, "all"),
      format: (str(args, "format") ?? "text") as GraphFormat,
    };
  },
  run(opts, ctx) {
    const { tickets, problems } = readSummaries(ctx.store());
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    if (opts.parent !== undefined && !tickets.some((t) => t.id === opts.parent)) {
      throw notFoundError(
        `Cannot draw the graph of epic "${opts.parent}": no such ticket`,
        "track list --all",
      );
    }
    const g = buildGraph(tickets, { parent: opts.parent, all: opts.all });
    if (ctx.json || opts.format === "json") {
      printJson(ctx, { ...g });
      return Promise.resolve(0);
    }
    if (opts.format === "dot") ctx.io.out(toDot(g));
    else if (opts.format === "mermaid") ctx.io.out(toMermaid(g));
    else if (g.nodes.length === 0) {
      ctx.io.err(
        opts.all
          ? "No tickets (hint: track create --title TEXT)"
          : "No open tickets (hint: track graph --all)",
      );
    } else ctx.io.out(toOutline(g));
    for (const c of g.cycles) {
      if (opts.format !== "text") {
        ctx.io.err(`warning: dependency cycle ${[...c, c[0]].join(" -> ")} (hint: track doctor)`);
      }
    }
    return Promise.resolve(0);
  },
});
