// web/markdown.js is browser code; it takes `h` as a parameter, so it runs here with a plain
// node builder and we can look at exactly what the page would create.
import { assert, assertEquals } from "./assert.ts";
// @ts-types="./markdown_types.d.ts"
import { MAX_QUOTE_DEPTH, renderInline, renderMarkdown, safeHref } from "../web/markdown.js";

interface Node {
  tag: string;
  props: Record<string, string> | null;
  children: Array<Node | string>;
}

const h = (
  tag: string,
  props: Record<string, string> | null,
  ...children: Array<Node | string>
) => ({ tag, props, children });

function all(nodes: Array<Node | string>): Node[] {
  return nodes.flatMap((n) => (typeof n === "string" ? [] : [n, ...all(n.children)]));
}

function text(nodes: Array<Node | string>): string {
  return nodes.map((n) => (typeof n === "string" ? n : text(n.children))).join("");
}

Deno.test("markdown: HTML in the source stays text", () => {
  const out = renderMarkdown('<img src=x onerror="alert(1)">\n\n</script><script>x()</script>', h);
  assertEquals(all(out).map((n) => n.tag), ["p", "p"]);
  assertEquals(text(out), '<img src=x onerror="alert(1)"></script><script>x()</script>');
});

Deno.test("markdown: only http(s), mailto and anchors become links", () => {
  const src =
    "[ok](https://example.com/a_(b)) [js](javascript:alert(1)) [JS](JaVaScRiPt:x) [d](data:text/html,x) [v](vbscript:x) [m](mailto:a@b.c) [h](#top) [rel](/x)";
  const nodes = all(renderMarkdown(src, h));
  const links = nodes.filter((n) => n.tag === "a").map((n) => n.props!.href);
  assertEquals(links, ["https://example.com/a_(b)", "mailto:a@b.c", "#top"]);
  const unsafe = nodes.filter((n) => n.props?.class === "unsafe-link").map((n) => text(n.children));
  assertEquals(unsafe, ["js", "JS", "d", "v", "rel"]);
  for (const n of nodes) assert(!/^\s*javascript:/i.test(n.props?.href ?? ""));
  assertEquals(safeHref(" javascript:alert(1)"), null);
  assertEquals(safeHref('https://x.y/"onmouseover=1'), null);
});

Deno.test("markdown: headings, lists, code, quotes, emphasis", () => {
  const src = [
    "## Description",
    "",
    "Some **bold** and *em* and `a<b>`.",
    "",
    "- one",
    "- [x] done",
    "1. first",
    "",
    "```ts",
    "<b>not html</b>",
    "```",
    "> quoted",
    "---",
    "  # indented heading-like line",
  ].join("\n");
  const out = renderMarkdown(src, h);
  assertEquals(out.map((n: Node) => n.tag), [
    "h4",
    "p",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "hr",
    "p",
  ]);
  const tags = all(out).map((n) => n.tag);
  for (const t of ["strong", "em", "code", "li"]) assert(tags.includes(t), t);
  assertEquals(text([out[4]]), "<b>not html</b>");
  assertEquals(text(renderInline("see https://example.com/x.", h)), "see https://example.com/x.");
});

/** How many blockquotes sit inside each other at the deepest point. */
function quoteDepth(nodes: Array<Node | string>): number {
  let deepest = 0;
  for (const n of nodes) {
    if (typeof n === "string") continue;
    deepest = Math.max(deepest, (n.tag === "blockquote" ? 1 : 0) + quoteDepth(n.children));
  }
  return deepest;
}

Deno.test("markdown: 10,000 nested > render; beyond MAX_QUOTE_DEPTH they are text", () => {
  for (const src of [">".repeat(10_000) + " deep", "> ".repeat(10_000) + "deep"]) {
    const out = renderMarkdown(src, h);
    assertEquals(quoteDepth(out), MAX_QUOTE_DEPTH);
    const shown = text(out);
    assert(shown.endsWith("deep"), shown.slice(-20));
    // Every `>` below the limit is kept as text, none is lost.
    assertEquals(shown.split(">").length - 1, 10_000 - MAX_QUOTE_DEPTH);
  }
  // Lines at the deepest level stay one paragraph instead of one per `>` line.
  const deep = ">".repeat(MAX_QUOTE_DEPTH);
  const out = renderMarkdown(`${deep} > a\n${deep} > b`, h);
  let inner: Node = out[0] as Node;
  while (inner.children.length === 1 && (inner.children[0] as Node).tag === "blockquote") {
    inner = inner.children[0] as Node;
  }
  assertEquals(inner.children.map((n) => (n as Node).tag), ["p"]);
  assertEquals(text(inner.children), "> a\n> b");
  // Shallow quotes are unchanged.
  assertEquals(quoteDepth(renderMarkdown("> a\n> > b\n> > > c", h)), 3);
});

Deno.test("markdown: a link label cannot contain [, so a run of [ stays text", () => {
  const out = renderMarkdown("[".repeat(100_000) + "a](https://x.y)", h);
  const links = all(out).filter((n) => n.tag === "a").map((n) => text(n.children));
  assertEquals(links, ["a"]);
  assertEquals(text(out), "[".repeat(99_999) + "a");
});

Deno.test("markdown: an image is a link labelled with its alt text, never an <img>", () => {
  const src = "See ![the settings page](https://example.com/a.png) and ![](https://x.org/b.png)" +
    ' then ![js](javascript:alert(1)) ![x" onerror="y](data:image/png;base64,AA) ![r](/rel.png)';
  const nodes = all(renderMarkdown(src, h));
  assertEquals(nodes.filter((n) => n.tag === "img").length, 0);
  const links = nodes.filter((n) => n.tag === "a");
  assertEquals(links.map((n) => [n.props!.href, n.props!.class, text(n.children)]), [
    ["https://example.com/a.png", "md-image", "Image: the settings page"],
    ["https://x.org/b.png", "md-image", "Image: https://x.org/b.png"],
  ]);
  const unsafe = nodes.filter((n) => n.props?.class === "unsafe-link md-image");
  assertEquals(unsafe.map((n) => text(n.children)), [
    "Image: js",
    'Image: x" onerror="y',
    "Image: r",
  ]);
  // No stray "!" before an image.
  assert(!text(renderMarkdown(src, h)).includes("!"));
});
