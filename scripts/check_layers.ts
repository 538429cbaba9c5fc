/**
 * The layer and cycle check (`deno task ok` and CI run it). It reads the module graph that
 * `deno info --json main.ts` reports (static and dynamic imports, runtime and type-only) and
 * enforces the tiers stated in AGENTS.md:
 *
 *   1. model       src/model/       pure types and rules, the shared vocabulary; no I/O
 *   2. store       src/store/       files, the lock, transactions, caches, discovery
 *   3. operations  src/operations/  one function per action, shared by every surface
 *   4. surfaces    src/cli/, src/commands/, src/dashboard/, src/integrations/, src/transfer/
 *
 * A module imports only its own tier or lower ones. Surfaces never import each other, except
 * that the CLI (src/cli/ and src/commands/) starts the others (`serve`, `mcp`, `hook`, `export`).
 * No runtime import cycle anywhere (type-only imports may close a loop: they vanish at run time).
 */

/** One edge of the module graph: `from` imports `to`. */
export interface Edge {
  from: string;
  to: string;
  /** Only a type import (`import type`): erased at run time. */
  typeOnly: boolean;
}

/** Tier of each folder under src/ (paths relative to the repository root). */
export const TIERS: Array<{ prefix: string; tier: number; name: string; surface?: string }> = [
  { prefix: "src/model/", tier: 1, name: "model" },
  { prefix: "src/store/", tier: 2, name: "store" },
  { prefix: "src/operations/", tier: 3, name: "operations" },
  { prefix: "src/cli/", tier: 4, name: "surfaces", surface: "cli" },
  { prefix: "src/commands/", tier: 4, name: "surfaces", surface: "cli" },
  { prefix: "src/dashboard/", tier: 4, name: "surfaces", surface: "dashboard" },
  { prefix: "src/integrations/", tier: 4, name: "surfaces", surface: "integrations" },
  { prefix: "src/transfer/", tier: 4, name: "surfaces", surface: "transfer" },
];

/** The tier entry a module belongs to, or null for modules outside src/ (main.ts, web/, npm). */
export function tierOf(path: string): (typeof TIERS)[number] | null {
  return TIERS.find((t) => path.startsWith(t.prefix)) ?? null;
}

/** Every rule an edge breaks, as messages naming both modules. */
export function layerViolations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = tierOf(e.from);
    const to = tierOf(e.to);
    if (e.from.startsWith("src/") && from === null) {
      out.push(`${e.from}: not in any tier folder (${TIERS.map((t) => t.prefix).join(", ")})`);
    }
    if (from === null || to === null) continue;
    if (to.tier > from.tier) {
      out.push(`${e.from} (${from.name}) imports ${e.to} (${to.name}): an upward import`);
    } else if (
      from.surface !== undefined && to.surface !== undefined && from.surface !== to.surface &&
      from.surface !== "cli"
    ) {
      out.push(
        `${e.from} (${from.surface}) imports ${e.to} (${to.surface}): a surface imports another`,
      );
    }
  }
  return [...new Set(out)].sort();
}

/** Runtime import cycles (type-only edges ignored), each as its module path in order. */
export function importCycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  // Tarjan's strongly connected components, iteratively (no recursion limit on big graphs).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of [...next.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; i: number }> = [{ node: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const succ = next.get(top.node) ?? [];
      if (top.i < succ.length) {
        const w = succ[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== top.node);
        const selfLoop = (next.get(top.node) ?? []).includes(top.node);
        if (scc.length > 1 || selfLoop) cycles.push(scc.sort());
      }
    }
  }
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

interface DenoInfo {
  modules: Array<{
    specifier: string;
    dependencies?: Array<{ code?: { specifier: string }; type?: { specifier: string } }>;
  }>;
}

/** The graph of local modules reachable from `entry`, as edges between root-relative paths. */
export async function moduleGraph(root: string, entry = "main.ts"): Promise<Edge[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
  const base = new URL(`file://${root.replace(/\/?$/, "/")}`).href;
  const rel = (spec: string) => (spec.startsWith(base) ? spec.slice(base.length) : null);
  const edges: Edge[] = [];
  for (const m of info.modules) {
    const from = rel(m.specifier);
    if (from === null) continue;
    for (const d of m.dependencies ?? []) {
      const code = d.code ? rel(d.code.specifier) : null;
      const type = d.type ? rel(d.type.specifier) : null;
      if (code !== null) edges.push({ from, to: code, typeOnly: false });
      else if (type !== null) edges.push({ from, to: type, typeOnly: true });
    }
  }
  return edges;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  const edges = await moduleGraph(root);
  const problems = [
    ...layerViolations(edges),
    ...importCycles(edges).map((c) => `import cycle: ${c.join(" <-> ")}`),
  ];
  const enc = new TextEncoder();
  if (problems.length > 0) {
    Deno.stderr.writeSync(enc.encode(
      problems.join("\n") +
        `\n${problems.length} layer problem(s); the tiers are in AGENTS.md ("Layers")\n`,
    ));
    Deno.exit(1);
  }
  const modules = new Set(edges.flatMap((e) => [e.from, e.to])).size;
  Deno.stdout.writeSync(enc.encode(`layers ok: ${modules} modules, ${edges.length} imports\n`));
}
