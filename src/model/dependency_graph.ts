/**
 * The dependency graph, pure: tickets as nodes, `depends_on` as edges (from the dependency to the
 * ticket that waits on it, the order work flows), the ready frontier (the rule of `track ready`),
 * what transitively blocks a ticket, cycles (stored data never holds one, a hand edit can) and the
 * critical path of each epic: the longest chain of open tickets, counted in tickets.
 * `track graph` and the dashboard's graph view both draw {@linkcode buildGraph}'s answer.
 */
import type { TicketSummary } from "./ticket.ts";
import { idNumber } from "./ids.ts";
import { readyTickets } from "./ready.ts";
import { parentOf as epicOf } from "./planning.ts";

/** One ticket in the graph. */
export interface GraphNodeJson {
  id: string;
  title: string;
  status: string;
  priority: string;
  labels: string[];
  claimed_by: string | null;
  /** The epic it belongs to (its `parent`), or null. */
  parent: string | null;
  /** On the ready frontier: backlog with every dependency done (`track ready`). */
  ready: boolean;
  /** Not done and waiting on at least one open (or missing) dependency. */
  blocked: boolean;
  /** Its open (or missing) dependencies, drawn or not (another epic's under `--parent`). */
  waiting_on: string[];
  /** On the critical path of its group (epic). */
  critical: boolean;
}

/** A dependency: `to` depends on `from` (`from` must be done first). */
export interface GraphEdgeJson {
  from: string;
  to: string;
  /** `from` is done: the dependency is satisfied. */
  done: boolean;
}

/**
 * The tickets of one epic (its children, and the epic itself when it has no epic above it), or
 * of none (`parent` null), with its critical path.
 */
export interface GraphGroupJson {
  parent: string | null;
  /** Title of the epic when it is in the store, else null. */
  title: string | null;
  ids: string[];
  /** The longest chain of open tickets inside the group, first to do first; by ticket count. */
  critical_path: string[];
}

/** `track graph --json` and the dashboard's `/api/graph` (docs/json.md). */
export interface GraphJson {
  nodes: GraphNodeJson[];
  edges: GraphEdgeJson[];
  groups: GraphGroupJson[];
  /** Dependencies naming a ticket the store does not have. */
  missing: Array<{ ticket: string; depends_on: string }>;
  /** Dependency cycles (hand edits), each as its ticket ids in order, smallest id first. */
  cycles: string[][];
}

/** What to draw. */
export interface GraphOptions {
  /** A ticket's epic, or null; by default its `parent` (src/model/planning.ts). */
  parentOf?: (t: TicketSummary) => string | null;
  /** Only this epic's children (and the epic itself). */
  parent?: string;
  /** Include done tickets (by default only open ones, and the done ones they wait on are not). */
  all?: boolean;
}

/** Ticket ids in number order (unparseable ids last, by text). */
export function byIdOrder(a: string, b: string): number {
  const na = idNumber(a) ?? Number.MAX_SAFE_INTEGER;
  const nb = idNumber(b) ?? Number.MAX_SAFE_INTEGER;
  return na - nb || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Strongly connected components with more than one ticket, or a ticket depending on itself:
 * the cycles. `deps` maps each id to the ids it depends on (only ids present as keys count).
 */
export function findCycles(deps: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan, iterative: a hand-made chain of thousands must not overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const ids = [...deps.keys()].sort(byIdOrder);
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; i: number }> = [{ id: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const succ = (deps.get(top.id) ?? []).filter((d) => deps.has(d));
      if (top.i < succ.length) {
        const w = succ[top.i++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.id, Math.min(low.get(top.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) === index.get(top.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.id);
        const selfLoop = comp.length === 1 && (deps.get(top.id) ?? []).includes(top.id);
        if (comp.length > 1 || selfLoop) out.push(rotateSmallestFirst(cycleOrder(comp, deps)));
      }
    }
  }
  return out.sort((a, b) => byIdOrder(a[0], b[0]));
}

/** The component's ids along one dependency cycle through it when there is a simple one. */
function cycleOrder(comp: string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  const inComp = new Set(comp);
  const start = [...comp].sort(byIdOrder)[0];
  // Follow the smallest in-component dependency until we come back or repeat.
  const path = [start];
  const seen = new Set(path);
  let cur = start;
  for (;;) {
    const nexts = (deps.get(cur) ?? []).filter((d) => inComp.has(d)).sort(byIdOrder);
    const back = nexts.find((d) => d === start);
    const fresh = nexts.find((d) => !seen.has(d));
    if (back !== undefined && (fresh === undefined || path.length === comp.length)) break;
    if (fresh === undefined) break;
    path.push(fresh);
    seen.add(fresh);
    cur = fresh;
  }
  return path;
}

function rotateSmallestFirst(ids: string[]): string[] {
  let k = 0;
  for (let i = 1; i < ids.length; i++) if (byIdOrder(ids[i], ids[k]) < 0) k = i;
  return [...ids.slice(k), ...ids.slice(0, k)];
}

/**
 * The longest chain among `ids` following `deps` (id -> its dependencies), counted in tickets,
 * first-to-do first. Edges inside a cycle are ignored, so it always ends. Ties go to the chain
 * whose tickets have the smaller ids.
 */
export function longestChain(
  ids: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
  cyclic: ReadonlySet<string> = new Set(),
): string[] {
  const member = new Set(ids);
  const depsIn = (id: string) =>
    (deps.get(id) ?? []).filter((d) => member.has(d) && !(cyclic.has(d) && cyclic.has(id)));
  // Kahn's order over the kept edges (dependency before dependent).
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of ids) {
    const ds = depsIn(id);
    waiting.set(id, ds.length);
    for (const d of ds) {
      const list = dependents.get(d);
      if (list) list.push(id);
      else dependents.set(d, [id]);
    }
  }
  const queue = ids.filter((id) => waiting.get(id) === 0).sort(byIdOrder);
  const length = new Map<string, number>();
  const prev = new Map<string, string | null>();
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q];
    let best: string | null = null;
    for (const d of depsIn(id).sort(byIdOrder)) {
      if (!length.has(d)) continue;
      if (best === null || length.get(d)! > length.get(best)!) best = d;
    }
    length.set(id, best === null ? 1 : length.get(best)! + 1);
    prev.set(id, best);
    for (const n of dependents.get(id) ?? []) {
      const left = waiting.get(n)! - 1;
      waiting.set(n, left);
      if (left === 0) queue.push(n);
    }
  }
  let end: string | null = null;
  for (const id of [...length.keys()].sort(byIdOrder)) {
    if (end === null || length.get(id)! > length.get(end)!) end = id;
  }
  const chain: string[] = [];
  for (let c = end; c !== null; c = prev.get(c) ?? null) chain.push(c);
  return chain.reverse();
}

/**
 * Every open ticket that `id` transitively waits on (through open tickets), nearest first.
 * `deps` maps id -> dependencies; `open` says whether a ticket is not done (missing counts open).
 */
export function blockersOf(
  id: string,
  deps: ReadonlyMap<string, readonly string[]>,
  open: (id: string) => boolean,
): string[] {
  const seen = new Set<string>([id]);
  const out: string[] = [];
  let frontier = [id];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const cur of frontier) {
      for (const d of [...(deps.get(cur) ?? [])].sort(byIdOrder)) {
        if (seen.has(d) || !open(d)) continue;
        seen.add(d);
        out.push(d);
        next.push(d);
      }
    }
    frontier = next;
  }
  return out;
}

/** Builds the graph of `tickets` (see {@linkcode GraphOptions}). */
export function buildGraph(tickets: readonly TicketSummary[], opts: GraphOptions = {}): GraphJson {
  const parentOf = opts.parentOf ?? epicOf;
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const isOpen = (id: string) => byId.get(id)?.status !== "done";
  const ready = new Set(readyTickets(tickets).map((t) => t.id));
  const shown = tickets.filter((t) =>
    (opts.all || t.status !== "done") &&
    (opts.parent === undefined || parentOf(t) === opts.parent || t.id === opts.parent)
  ).sort((a, b) => byIdOrder(a.id, b.id));
  const shownIds = new Set(shown.map((t) => t.id));
  const deps = new Map(shown.map((t) => [t.id, t.depends_on]));

  const edges: GraphEdgeJson[] = [];
  const missing: GraphJson["missing"] = [];
  for (const t of shown) {
    for (const d of [...new Set(t.depends_on)].sort(byIdOrder)) {
      if (shownIds.has(d)) edges.push({ from: d, to: t.id, done: !isOpen(d) });
      else if (!byId.has(d)) missing.push({ ticket: t.id, depends_on: d });
    }
  }

  const cycles = findCycles(deps);
  const cyclic = new Set(cycles.flat());

  // An epic with no epic above it heads its own group rather than sitting among the loose ones.
  const epics = new Set(shown.map(parentOf).filter((p) => p !== null));
  const groupOf = (t: TicketSummary) => parentOf(t) ?? (epics.has(t.id) ? t.id : null);
  const groupIds = new Map<string | null, string[]>();
  for (const t of shown) {
    const p = groupOf(t);
    const list = groupIds.get(p);
    if (list) list.push(t.id);
    else groupIds.set(p, [t.id]);
  }
  const critical = new Set<string>();
  const groups: GraphGroupJson[] = [...groupIds.entries()]
    .sort(([a], [b]) => a === null ? 1 : b === null ? -1 : byIdOrder(a, b))
    .map(([parent, ids]) => {
      const chain = longestChain(ids.filter(isOpen), deps, cyclic);
      const path = chain.length >= 2 ? chain : []; // one ticket alone is no path
      for (const id of path) critical.add(id);
      return {
        parent,
        title: parent === null ? null : byId.get(parent)?.title ?? null,
        ids,
        critical_path: path,
      };
    });

  const nodes = shown.map((t): GraphNodeJson => ({
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    labels: t.labels,
    claimed_by: t.claimed_by,
    parent: parentOf(t),
    ready: ready.has(t.id),
    blocked: t.status !== "done" && t.depends_on.some(isOpen),
    waiting_on: t.status === "done"
      ? []
      : [...new Set(t.depends_on)].filter(isOpen).sort(byIdOrder),
    critical: critical.has(t.id),
  }));
  return { nodes, edges, groups, missing, cycles };
}
