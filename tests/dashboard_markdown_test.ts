// web/markdown.js is browser code; it takes `h` as a parameter, so it runs here with a plain
// node builder and we can look at exactly what the page would create.
import { assert, assertEquals } from "./assert.ts";
// @ts-types="./markdown_types.d.ts"
import { renderInline, renderMarkdown, safeHref } from "../web/markdown.js";

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
