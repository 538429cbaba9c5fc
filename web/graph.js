// The dependency graph view: tickets as nodes grouped by epic, dependency edges, the ready
// frontier, each epic's critical path, and blocked chains (point at or select a ticket: what
// blocks it and what it blocks light up). Data: /api/graph (track graph --all --json). Layout: a
// layered (Sugiyama-style) drawing computed here (longest-path layers, barycentric ordering),
// drawn as SVG. Titles are SVG text nodes made by Preact: never markup. app.js loads this module
// only when the graph view opens.
import { useEffect, useMemo, useRef, useState } from "/vendor/hooks.mjs";
import { api, errorText } from "/api.js";
import { html, statusLabel } from "/pieces.js";

const NODE_W = 188;
const NODE_H = 44;
const COL_GAP = 52;
const ROW_GAP = 12;
const PAD = 14;
const HEAD = 30;
const GROUP_GAP = 20;
const SWEEPS = 4;
const TITLE_CHARS = 27;
/** Height of the slot a long edge takes in each layer it crosses. */
const LANE_H = 18;
/** Graphs with more nodes than this draw only those near the visible area. */
const CULL_ABOVE = 600;
const CULL_MARGIN = 600;

/** Ids of the tickets in layers: longest path from the group's sources (cycles broken). */
function layers(ids, preds, succs) {
  const layer = new Map();
  const waiting = new Map(ids.map((id) => [id, preds.get(id).length]));
  const queue = ids.filter((id) => waiting.get(id) === 0);
  let done = 0;
  const settle = (id) => {
    let l = 0;
    for (const p of preds.get(id)) if (layer.has(p)) l = Math.max(l, layer.get(p) + 1);
    layer.set(id, l);
    done++;
    for (const s of succs.get(id)) {
      const left = waiting.get(s) - 1;
      waiting.set(s, left);
      if (left === 0) queue.push(s);
    }
  };
  for (let q = 0; done < ids.length;) {
    if (q < queue.length) {
      const id = queue[q++];
      if (!layer.has(id)) settle(id);
      continue;
    }
    // Only cycles are left (hand edits): settle the first unsettled ticket to break one.
    const id = ids.find((x) => !layer.has(x));
    waiting.set(id, 0);
    settle(id);
  }
  const out = [];
  for (const id of ids) (out[layer.get(id)] ??= []).push(id);
  return out.filter(Boolean);
}

/** Reorders each layer by the mean position of its neighbours, sweeping down and up. */
function orderLayers(rows, preds, succs) {
  const pos = new Map();
  const index = () => rows.forEach((row) => row.forEach((id, i) => pos.set(id, i)));
  index();
  const sortBy = (row, near) => {
    const keyed = row.map((id, i) => {
      const ns = near.get(id).filter((n) => pos.has(n));
      const bary = ns.length === 0 ? i : ns.reduce((s, n) => s + pos.get(n), 0) / ns.length;
      return { id, bary, i };
    });
    keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
    keyed.forEach((k, i) => {
      row[i] = k.id;
      pos.set(k.id, i);
    });
  };
  for (let s = 0; s < SWEEPS; s++) {
    for (let l = 1; l < rows.length; l++) sortBy(rows[l], preds);
    for (let l = rows.length - 2; l >= 0; l--) sortBy(rows[l], succs);
  }
}

/**
 * Positions every node: one block per group (epic), laid out in layers left to right, blocks
 * packed in rows no wider than `maxWidth`. Tickets with no dependency inside their group sit in
 * a grid under the layered part.
 */
export function layoutGraph(graph, maxWidth) {
  const pos = new Map();
  const blocks = [];
  const colW = NODE_W + COL_GAP;
  const rowH = NODE_H + ROW_GAP;
  for (const g of graph.groups) {
    const member = new Set(g.ids);
    const preds = new Map(g.ids.map((id) => [id, []]));
    const succs = new Map(g.ids.map((id) => [id, []]));
    for (const e of graph.edges) {
      if (member.has(e.from) && member.has(e.to) && e.from !== e.to) {
        preds.get(e.to).push(e.from);
        succs.get(e.from).push(e.to);
      }
    }
    const linked = g.ids.filter((id) => preds.get(id).length + succs.get(id).length > 0);
    const loose = g.ids.filter((id) => preds.get(id).length + succs.get(id).length === 0);
    const rows = layers(linked, preds, succs);
    // An edge spanning several layers passes through one slot (a dummy) in each layer between,
    // so ordering keeps a lane free for it instead of drawing it across other tickets.
    const layerOf = new Map();
    rows.forEach((row, l) => row.forEach((id) => layerOf.set(id, l)));
    const lanes = []; // [edge key, dummy ids]
    for (const u of linked) {
      for (const v of [...succs.get(u)]) {
        const span = layerOf.get(v) - layerOf.get(u);
        if (span <= 1) continue;
        const chain = [];
        for (let l = layerOf.get(u) + 1; l < layerOf.get(v); l++) {
          const d = `\u0000${u}>${v}@${l}`; // never a ticket id
          rows[l].push(d);
          chain.push(d);
        }
        const path = [u, ...chain, v];
        succs.set(u, succs.get(u).map((x) => x === v ? chain[0] : x));
        preds.set(v, preds.get(v).map((x) => x === u ? chain[chain.length - 1] : x));
        chain.forEach((d, i) => {
          preds.set(d, [path[i]]);
          succs.set(d, [path[i + 2]]);
        });
        lanes.push([`${u}>${v}`, chain]);
      }
    }
    orderLayers(rows, preds, succs);
    const slot = (id) => id.startsWith("\u0000") ? LANE_H : rowH;
    const heights = rows.map((row) => row.reduce((sum, id) => sum + slot(id), 0));
    const tallest = Math.max(0, ...heights);
    const local = new Map();
    rows.forEach((row, l) => {
      let y = (tallest - heights[l]) / 2; // centre each layer
      for (const id of row) {
        local.set(id, { x: l * colW, y });
        y += slot(id);
      }
    });
    const layeredH = tallest;
    const fit = Math.max(1, Math.floor((maxWidth - 2 * PAD + COL_GAP) / colW));
    const cols = Math.max(1, Math.min(loose.length, Math.max(rows.length, Math.min(fit, 6))));
    loose.forEach((id, i) => {
      local.set(id, { x: (i % cols) * colW, y: layeredH + Math.floor(i / cols) * rowH });
    });
    const w = Math.max(rows.length, loose.length > 0 ? cols : 0) * colW - COL_GAP + 2 * PAD;
    const h = HEAD + layeredH + Math.ceil(loose.length / cols) * rowH - ROW_GAP + PAD;
    blocks.push({ g, w: Math.max(w, 220), h, local, lanes });
  }
  // Shelf packing: blocks left to right, a new row when the next would pass maxWidth.
  let x = 0;
  let y = 0;
  let shelf = 0;
  let width = 0;
  const groups = [];
  const routes = new Map();
  for (const b of blocks) {
    if (x > 0 && x + b.w > maxWidth) {
      x = 0;
      y += shelf + GROUP_GAP;
      shelf = 0;
    }
    for (const [id, p] of b.local) pos.set(id, { x: x + PAD + p.x, y: y + HEAD + p.y });
    for (const [key, chain] of b.lanes) {
      routes.set(
        key,
        chain.map((d) => ({
          x: x + PAD + b.local.get(d).x,
          y: y + HEAD + b.local.get(d).y + LANE_H / 2,
        })),
      );
      for (const d of chain) pos.delete(d);
    }
    groups.push({ ...b.g, x, y, w: b.w, h: b.h });
    x += b.w + GROUP_GAP;
    width = Math.max(width, x - GROUP_GAP);
    shelf = Math.max(shelf, b.h);
  }
  return { pos, routes, groups, width: Math.max(width, 1), height: Math.max(y + shelf, 1) };
}

/** What transitively blocks `id` (open tickets only, as `track blocked`) and what it blocks. */
export function chainsOf(id, graph, byId) {
  const preds = new Map();
  const succs = new Map();
  for (const e of graph.edges) {
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)).push(e.from);
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)).push(e.to);
  }
  const walk = (next, keep) => {
    const seen = new Set();
    const todo = [id];
    while (todo.length > 0) {
      for (const n of next.get(todo.pop()) ?? []) {
        if (n === id || seen.has(n) || !keep(n)) continue;
        seen.add(n);
        todo.push(n);
      }
    }
    return seen;
  };
  return {
    up: walk(preds, (n) => byId.get(n)?.status !== "done"),
    down: walk(succs, () => true),
  };
}

function short(text, n) {
  const chars = [...text];
  return chars.length <= n ? text : chars.slice(0, n - 1).join("") + "…";
}

function nodeClass(n, focus, chains) {
  let c = `gnode status-${n.status}`;
  if (n.ready) c += " ready";
  if (n.blocked) c += " blocked";
  if (n.critical) c += " critical";
  if (focus !== null) {
    if (n.id === focus) c += " focus";
    else if (chains.up.has(n.id)) c += " up";
    else if (chains.down.has(n.id)) c += " down";
    else c += " dim";
  }
  return c;
}

function Node({ n, p, cls }) {
  // No handlers here: the SVG delegates (thousands of nodes, one set of listeners).
  const tip = `${n.id} ${n.title}\n${statusLabel(n.status)}${
    n.claimed_by ? ` · @${n.claimed_by}` : ""
  }${n.ready ? " · ready" : ""}${
    n.waiting_on.length > 0 ? `\nwaits on ${n.waiting_on.join(", ")}` : ""
  }`;
  return html`
    <g class=${cls} data-id=${n.id} transform=${`translate(${p.x},${p.y})`} tabindex="0"
      role="button" aria-label=${`${n.id} ${n.title}`}>
      <title>${tip}</title>
      <rect width=${NODE_W} height=${NODE_H} rx="7" />
      <text x="10" y="17"
        class="gid">${n.id}<tspan class="gstatus" dx="6">${n.ready
          ? "ready"
          : n.status}${n.claimed_by ? ` · @${short(n.claimed_by, 12)}` : ""}</tspan></text>
      <text x="10" y="35" class="gtitle">${short(n.title, TITLE_CHARS)}</text>
    </g>
  `;
}

/** The id of the node an event happened in, or null. */
function nodeOf(e) {
  return e.target.closest?.(".gnode")?.dataset.id ?? null;
}

/** A curve from `a`'s right side to `b`'s left side, through the lane points `via`. */
function edgePath(a, b, via = []) {
  const pts = [{ x: a.x + NODE_W, y: a.y + NODE_H / 2 }];
  for (const p of via) pts.push({ x: p.x, y: p.y }, { x: p.x + NODE_W, y: p.y });
  pts.push({ x: b.x - 4, y: b.y + NODE_H / 2 });
  let d = `M${pts[0].x},${pts[0].y}`;
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i - 1];
    const q = pts[i];
    if (i % 2 === 0) {
      d += ` L${q.x},${q.y}`; // across a lane
      continue;
    }
    const dx = Math.max(24, Math.abs(q.x - p.x) / 2);
    d += ` C${p.x + dx},${p.y} ${q.x - dx},${q.y} ${q.x},${q.y}`;
  }
  return d;
}

/**
 * The graph view; `seq` changes with every snapshot, so the graph follows the store. `first`: the
 * /api/graph answer already asked for (app.js asks as the page loads on `?view=graph`).
 */
export function GraphView({ seq, selected, onOpen, first }) {
  const [graph, setGraph] = useState(null);
  const [error, setError] = useState(null);
  const [epic, setEpic] = useState("");
  const [showDone, setShowDone] = useState(true);
  const [hover, setHover] = useState(null);
  const [width] = useState(() => Math.max(600, (document.body.clientWidth || 1200) - 48));
  // Big graphs draw only what is near the visible part of the scroll area.
  const [port, setPort] = useState(null);
  const scrollRef = useRef(null);
  const frame = useRef(0);
  const measure = () => {
    const el = scrollRef.current;
    if (el) {
      setPort({ x: el.scrollLeft, y: el.scrollTop, w: el.clientWidth, h: el.clientHeight });
    }
  };
  const onScroll = () => {
    if (frame.current === 0) {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        measure();
      });
    }
  };
  useEffect(() => {
    addEventListener("resize", onScroll);
    return () => removeEventListener("resize", onScroll);
  }, []);

  const fetched = useRef(null);
  useEffect(() => {
    // The first snapshot (seq 0 -> 1) says nothing the graph fetched at start does not know.
    if (fetched.current === 0 && seq === 1) {
      fetched.current = seq;
      return;
    }
    const start = fetched.current === null && first ? first : api("/api/graph");
    fetched.current = seq;
    let gone = false;
    start.then((r) => {
      if (gone) return;
      if (r.ok) {
        setGraph(r.data);
        setError(null);
      } else setError(errorText(r.error));
    });
    return () => {
      gone = true;
    };
  }, [seq]);

  const view = useMemo(() => {
    if (!graph) return null;
    const keep = (n) =>
      (showDone || n.status !== "done") &&
      (epic === "" || n.parent === epic || n.id === epic);
    const nodes = graph.nodes.filter(keep);
    const ids = new Set(nodes.map((n) => n.id));
    const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
    const groups = graph.groups
      .map((g) => ({ ...g, ids: g.ids.filter((id) => ids.has(id)) }))
      .filter((g) => g.ids.length > 0);
    const shown = { ...graph, nodes, edges, groups };
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const critical = new Set();
    for (const g of groups) {
      for (let i = 1; i < g.critical_path.length; i++) {
        critical.add(`${g.critical_path[i - 1]}>${g.critical_path[i]}`);
      }
    }
    const group = new Map();
    for (const g of groups) for (const id of g.ids) group.set(id, g.parent);
    return { shown, byId, critical, group, layout: layoutGraph(shown, width) };
  }, [graph, epic, showDone, width]);

  const focus = hover ?? (view?.byId.has(selected) ? selected : null);
  const chains = useMemo(
    () => focus === null || !view ? null : chainsOf(focus, view.shown, view.byId),
    [focus, view],
  );

  if (error) return html`<p class="muted graph-error">${error}</p>`;
  if (!view) return html`<p class="muted loading">Loading the graph…</p>`;
  const { shown, layout, critical, group } = view;
  const epics = graph.groups.filter((g) => g.parent !== null);
  const lit = (e) =>
    chains !== null &&
    ((e.to === focus || chains.up.has(e.to)) && chains.up.has(e.from) ||
      (e.from === focus || chains.down.has(e.from)) && chains.down.has(e.to));
  // Culling: above CULL_ABOVE nodes, only what lies within CULL_MARGIN of the visible area.
  const cull = shown.nodes.length > CULL_ABOVE;
  const win = port ?? {
    x: 0,
    y: 0,
    w: document.documentElement.clientWidth,
    h: document.documentElement.clientHeight,
  };
  const near = (x1, y1, x2, y2) =>
    !cull || (x2 >= win.x - CULL_MARGIN && x1 <= win.x + win.w + CULL_MARGIN &&
      y2 >= win.y - CULL_MARGIN && y1 <= win.y + win.h + CULL_MARGIN);
  const nodeNear = (id) => {
    const p = layout.pos.get(id);
    return near(p.x, p.y, p.x + NODE_W, p.y + NODE_H);
  };
  const edgeNear = (e) => {
    const pts = [layout.pos.get(e.from), layout.pos.get(e.to)];
    for (const p of layout.routes.get(`${e.from}>${e.to}`) ?? []) pts.push(p);
    return near(
      Math.min(...pts.map((p) => p.x)),
      Math.min(...pts.map((p) => p.y)),
      Math.max(...pts.map((p) => p.x)) + NODE_W,
      Math.max(...pts.map((p) => p.y)) + NODE_H,
    );
  };
  const readyCount = shown.nodes.filter((n) => n.ready).length;
  const blockedCount = shown.nodes.filter((n) => n.blocked).length;

  return html`
    <section class="graph-view" aria-label="dependency graph">
      <div class="graph-bar">
        <select value=${epic} onChange=${(e) => setEpic(e.currentTarget.value)}
          aria-label="epic">
          <option value="">All epics</option>
          ${epics.map((g) =>
            html`<option key=${g.parent} value=${g.parent}>${g.parent} ${
              g.title ? short(g.title, 40) : ""
            }</option>`
          )}
        </select>
        <label class="graph-done"><input type="checkbox" checked=${showDone}
          onChange=${(e) => setShowDone(e.currentTarget.checked)} /> show done</label>
        <span class="graph-counts">${shown.nodes.length} tickets · ${shown.edges
          .length} dependencies
          · <b class="k-ready">${readyCount} ready</b> · <b class="k-blocked">${blockedCount} blocked</b></span>
        <span class="graph-legend">
          <span class="lg lg-ready">ready</span>
          <span class="lg lg-blocked">blocked</span>
          <span class="lg lg-critical">critical path</span>
          <span class="lg lg-up">blocks it</span>
          <span class="lg lg-down">waits on it</span>
        </span>
      </div>
      ${shown.cycles.length > 0
        ? html`<div class="toast warn">Dependency cycle: ${
          shown.cycles.map((c) => [...c, c[0]].join(" → ")).join("; ")
        } (hint: track doctor)</div>`
        : null}
      ${shown.nodes.length === 0
        ? html`<p class="muted graph-empty">No tickets to draw (hint: track create --title TEXT)</p>`
        : html`
          <div class="graph-scroll" ref=${scrollRef} onScroll=${onScroll}>
            <svg class=${`graph${focus !== null ? " focused" : ""}`} width=${layout.width}
              height=${layout.height} viewBox=${`0 0 ${layout.width} ${layout.height}`}
              data-nodes=${shown.nodes.length} data-edges=${shown.edges.length}
              onClick=${(e) => {
                const id = nodeOf(e);
                if (id !== null) onOpen(id);
              }}
              onKeyDown=${(e) => {
                const id = nodeOf(e);
                if (id !== null && e.key === "Enter") onOpen(id);
              }}
              onMouseOver=${(e) => setHover(nodeOf(e))} onMouseLeave=${() => setHover(null)}
              onFocusIn=${(e) => setHover(nodeOf(e))} onFocusOut=${() => setHover(null)}>
              <defs>
                ${["", "critical", "lit"].map((k) =>
                  html`
                    <marker id=${`garrow${k}`} key=${k} viewBox="0 0 8 8" refX="7" refY="4"
                      markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse"
                      orient="auto-start-reverse">
                      <path d="M0,0 L8,4 L0,8 z"
                        class=${`garrow ${k}`} />
                    </marker>
                  `
                )}
              </defs>
              ${layout.groups.filter((g) => near(g.x, g.y, g.x + g.w, g.y + g.h)).map((g) =>
                html`
                  <g class=${`ggroup${g.parent === null ? " none" : ""}`} key=${g.parent ?? ""}
                    data-parent=${g.parent ?? ""}>
                    <rect x=${g.x} y=${g.y} width=${g.w} height=${g.h} rx="10" />
                    <text x=${g.x + PAD} y=${g.y + 19}
                      class="ghead">${g.parent === null
                        ? "No epic"
                        : `${g.parent} ${
                          short(g.title ?? "", 40)
                        }`}<tspan class="gcrit" dx="8">${g.critical_path.length > 0
                        ? `critical path ${g.critical_path.length}`
                        : ""}</tspan></text>
                  </g>
                `
              )}
              <g class="gedges">
                ${shown.edges.filter(edgeNear).map((e) => {
                  const a = layout.pos.get(e.from);
                  const b = layout.pos.get(e.to);
                  const crit = critical.has(`${e.from}>${e.to}`);
                  const on = chains !== null && lit(e);
                  const cls = "gedge" + (e.done ? " done" : "") + (crit ? " critical" : "") +
                    (group.get(e.from) !== group.get(e.to) ? " cross" : "") +
                    (chains === null ? "" : on ? " lit" : " dim");
                  const arrow = on ? "lit" : crit && chains === null ? "critical" : "";
                  return html`
                    <path key=${`${e.from}>${e.to}`} class=${cls} d=${edgePath(
                      a,
                      b,
                      layout.routes.get(`${e.from}>${e.to}`),
                    )}
                      data-from=${e.from} data-to=${e.to} marker-end=${`url(#garrow${arrow})`} />
                  `;
                })}
              </g>
              <g class="gnodes">
                ${shown.nodes.filter((n) => nodeNear(n.id)).map((n) =>
                  html`
                    <${Node} key=${n.id} n=${n} p=${layout.pos.get(n.id)}
                      cls=${nodeClass(n, focus, chains) + (n.id === selected ? " selected" : "")}
                    />
                  `
                )}
              </g>
            </svg>
          </div>
        `}
    </section>
  `;
}
