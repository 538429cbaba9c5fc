import { assert, assertEquals } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { HOSTILE_TITLES, parseDot, parseMermaid } from "./graph_syntax.ts";

Deno.test("track graph: outline, dot, mermaid and --json of a small store", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "schema"]);
  await s.json(["create", "--title", "api", "--depends-on", "1"]);
  await s.json(["create", "--title", "ui", "--depends-on", "2"]);
  await s.json(["create", "--title", "docs"]);
  const g = await s.json<{
    schema: number;
    nodes: Array<{ id: string; ready: boolean; critical: boolean }>;
    edges: Array<{ from: string; to: string }>;
    groups: Array<{ critical_path: string[] }>;
  }>(["graph"]);
  assertEquals(g.schema, 1);
  assertEquals(g.nodes.filter((n) => n.ready).map((n) => n.id), ["T-0001", "T-0004"]);
  assertEquals(g.edges.map((e) => `${e.from}>${e.to}`), ["T-0001>T-0002", "T-0002>T-0003"]);
  assertEquals(g.groups[0].critical_path, ["T-0001", "T-0002", "T-0003"]);

  const text = await s.track(["graph"]);
  assertEquals(text.code, 0);
  assert(text.stdout.includes("critical path (3): T-0001 → T-0002 → T-0003"), text.stdout);
  assert(/T-0003 {2}backlog +ui {2}← T-0002/.test(text.stdout), text.stdout);

  const asJson = await s.track(["graph", "--format", "json"]);
  assertEquals(JSON.parse(asJson.stdout), g);

  const before = (await s.track(["list", "--json"])).stdout;
  const dot = await s.track(["graph", "--format", "dot"]);
  assertEquals(dot.code, 0);
  assertEquals(parseDot(dot.stdout).edges.length, 2);
  const mermaid = await s.track(["graph", "-f", "mermaid"]);
  assert(mermaid.stdout.startsWith("flowchart LR\n"));
  assert(mermaid.stdout.includes("T0001 --> T0002"));
  assertEquals((await s.track(["list", "--json"])).stdout, before, "a read writes nothing");
});

Deno.test("track graph --format dot: hostile titles made through the CLI parse back", async () => {
  await using s = await tempStore();
  // The CLI refuses control characters in titles; everything else an agent may write.
  const titles = HOSTILE_TITLES.filter((t) =>
    ![...t].some((c) => c < " " || c > "~" && c < "\u00a0" || c === "\u2028" || c === "\u202e")
  );
  for (const [i, title] of titles.entries()) {
    const deps = i > 0 ? ["--depends-on", String(i)] : [];
    await s.json(["create", "--title", title, ...deps]);
  }
  const r = await s.track(["graph", "--format", "dot"]);
  assertEquals(r.code, 0, r.stderr);
  const { labels, edges } = parseDot(r.stdout);
  assertEquals(labels.size, titles.length);
  assertEquals(edges.length, titles.length - 1);
  titles.forEach((title, i) => {
    const id = `T-${String(i + 1).padStart(4, "0")}`;
    assertEquals(labels.get(id), `${id} ${title}\nbacklog`);
  });
  const m = parseMermaid((await s.track(["graph", "--format", "mermaid"])).stdout);
  titles.forEach((title, i) => {
    const id = `T-${String(i + 1).padStart(4, "0")}`;
    assertEquals(m.get(id.replace("-", "")), `${id} ${title} · backlog`);
  });
});

Deno.test("track graph --parent of an unknown ticket exits 4 with a hint (JSON error too)", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "a"]);
  const r = await s.track(["graph", "--parent", "9"]);
  assertEquals(r.code, 4);
  assert(r.stderr.includes('"T-0009"') && r.stderr.includes("hint:"), r.stderr);
  const j = await s.track(["graph", "--parent", "9", "--json"]);
  assertEquals(j.code, 4);
  assertEquals(JSON.parse(j.stderr).error !== undefined, true);
});

Deno.test("track graph groups by epic (--parent) and --parent T draws only that epic", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "epic A"]);
  await s.json(["create", "--title", "a1", "--parent", "1"]);
  await s.json(["create", "--title", "a2", "--parent", "1", "--depends-on", "2"]);
  await s.json(["create", "--title", "loose"]);
  const g = await s.json<{ groups: Array<{ parent: string | null; ids: string[] }> }>([
    "graph",
  ]);
  assertEquals(g.groups.map((x) => [x.parent, x.ids]), [
    ["T-0001", ["T-0001", "T-0002", "T-0003"]],
    [null, ["T-0004"]],
  ]);
  const only = await s.json<{ nodes: Array<{ id: string }> }>(["graph", "--parent", "1"]);
  assertEquals(only.nodes.map((n) => n.id), ["T-0001", "T-0002", "T-0003"]);
  const dot = await s.track(["graph", "--format", "dot"]);
  assert(dot.stdout.includes('subgraph "cluster_T-0001"'), dot.stdout);
  const text = await s.track(["graph"]);
  assert(text.stdout.startsWith("T-0001 epic A\n"), text.stdout);
});

Deno.test("track graph: a cycle made by hand edits is reported, never loops, exits 0", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  await s.json(["create", "--title", "two", "--depends-on", "1"]);
  // The CLI refuses cycles; a hand edit (or a merge) can still make one.
  const path = `${s.dir}/tickets/T-0001.md`;
  const text = Deno.readTextFileSync(path);
  assert(/^depends_on: \[\]$/m.test(text), text);
  Deno.writeTextFileSync(path, text.replace(/^depends_on: \[\]$/m, "depends_on: [T-0002]"));
  const before = Deno.readTextFileSync(path);
  const g = await s.json<{ cycles: string[][]; nodes: Array<{ blocked: boolean }> }>(["graph"]);
  assertEquals(g.cycles, [["T-0001", "T-0002"]]);
  assertEquals(g.nodes.map((n) => n.blocked), [true, true]);
  const text2 = await s.track(["graph"]);
  assertEquals(text2.code, 0);
  assert(text2.stdout.includes("cycle: T-0001 → T-0002 → T-0001 (hint: track doctor)"));
  const dot = await s.track(["graph", "--format", "dot"]);
  assertEquals(dot.code, 0);
  assertEquals(parseDot(dot.stdout).edges.length, 2);
  assert(dot.stderr.includes("warning: dependency cycle T-0001 -> T-0002 -> T-0001"), dot.stderr);
  assertEquals(Deno.readTextFileSync(path), before, "a read never writes");
});
