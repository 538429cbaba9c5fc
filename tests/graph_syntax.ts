/** Checkers for `track graph` output: a DOT subset parser and hostile titles. */
import { assertEquals } from "./assert.ts";

/** Titles that try to end a string, open a statement or inject markup in DOT or Mermaid. */
export const HOSTILE_TITLES = [
  'quote " inside',
  "ends with backslash \\",
  'backslash quote \\" then "]; evil -> x; "',
  "label escapes \\N \\G \\n \\l",
  "brackets [x] {y} (z) <b>bold</b>",
  '<img src=x onerror="alert(1)">',
  "mermaid #quot; & `md` end\nsubgraph x",
  "tab\tnew\nline\rcr \x1b[31m red \x00 nul \u2028 sep \u202e rlo",
  "}\ndigraph x {",
];

export type Tok = { kind: "id" | "str" | "punct"; text: string };

/** A DOT tokenizer: fails on an unterminated string or a raw line break inside one. */
export function dotTokens(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (src.startsWith("->", i)) out.push({ kind: "punct", text: "->" }), i += 2;
    else if ("{}[];,=".includes(c)) out.push({ kind: "punct", text: c }), i++;
    else if (/[A-Za-z0-9_.]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_.]/.test(src[j])) j++;
      out.push({ kind: "id", text: src.slice(i, j) });
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (;;) {
        if (j >= src.length) throw new Error("unterminated string");
        if (src[j] === "\n" || src[j] === "\r") throw new Error("line break in a string");
        if (src[j] === "\\" && src[j + 1] === '"') text += '"', j += 2;
        else if (src[j] === '"') break;
        else text += src[j++];
      }
      out.push({ kind: "str", text });
      i = j + 1;
    } else throw new Error(`unexpected ${JSON.stringify(c)} at ${i}`);
  }
  return out;
}

/** Graphviz's label escapes: `\\` a backslash, `\n` a line; any other escape would be read. */
function graphvizLabel(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") out += s[i];
    else if (s[i + 1] === "\\") out += "\\", i++;
    else if (s[i + 1] === "n") out += "\n", i++;
    else if (s[i + 1] === '"') out += '"', i++; // left by the tokenizer's unescape
    else throw new Error(`label escape \\${s[i + 1]} would be interpreted`);
  }
  return out;
}

/**
 * Parses the DOT subset toDot writes (graph, subgraphs, attribute statements, nodes, edges):
 * throws on anything else. Returns node labels by node id and the edges.
 */
export function parseDot(src: string): { labels: Map<string, string>; edges: string[][] } {
  const t = dotTokens(src);
  let p = 0;
  const labels = new Map<string, string>();
  const edges: string[][] = [];
  const expect = (text: string) => {
    if (t[p]?.text !== text || t[p].kind === "str") {
      throw new Error(`expected ${text} at token ${p}, got ${JSON.stringify(t[p])}`);
    }
    p++;
  };
  const id = () => {
    if (t[p]?.kind !== "id" && t[p]?.kind !== "str") throw new Error(`expected an id at ${p}`);
    return t[p++];
  };
  const attrs = () => {
    const a = new Map<string, string>();
    expect("[");
    while (t[p]?.text !== "]" || t[p].kind === "str") {
      const k = id().text;
      expect("=");
      a.set(k, id().text);
      if (t[p]?.text === "," && t[p].kind === "punct") p++;
    }
    expect("]");
    return a;
  };
  const stmts = () => {
    while (!(t[p]?.text === "}" && t[p].kind === "punct")) {
      if (p >= t.length) throw new Error("unbalanced braces");
      if (t[p].kind === "id" && t[p].text === "subgraph") {
        p++;
        id();
        expect("{");
        stmts();
        expect("}");
        continue;
      }
      if (t[p].kind === "id" && (t[p].text === "node" || t[p].text === "edge")) {
        p++;
        attrs();
        expect(";");
        continue;
      }
      const a = id();
      if (t[p]?.text === "=" && t[p].kind === "punct") {
        p++;
        id();
      } else if (t[p]?.text === "->" && t[p].kind === "punct") {
        p++;
        const b = id();
        edges.push([a.text, b.text]);
        if (t[p]?.text === "[" && t[p].kind === "punct") attrs();
      } else {
        const at = attrs();
        labels.set(a.text, graphvizLabel(at.get("label") ?? ""));
      }
      expect(";");
    }
  };
  expect("digraph");
  id();
  expect("{");
  stmts();
  expect("}");
  if (p !== t.length) throw new Error("tokens after the graph");
  return { labels, edges };
}

/** Checks every line of toMermaid's output against the statement forms it writes. */
export function parseMermaid(src: string): Map<string, string> {
  const labels = new Map<string, string>();
  const lines = src.replace(/\n$/, "").split("\n");
  assertEquals(lines[0], "flowchart LR");
  const decode = (s: string) =>
    s.replace(
      /#(quot|amp|lt|gt|\d+);/g,
      (_, c) =>
        ({ quot: '"', amp: "&", lt: "<", gt: ">" } as Record<string, string>)[c] ??
          String.fromCharCode(Number(c)),
    );
  for (const line of lines.slice(1)) {
    let m;
    if ((m = /^\s+(\w+)\["([^"`<>]*)"\]$/.exec(line))) labels.set(m[1], decode(m[2]));
    else if ((m = /^ {2}subgraph (\w+)\["([^"`<>]*)"\]$/.exec(line))) {
      labels.set(m[1], decode(m[2]));
    } else if (/^ {2}end$/.test(line)) continue;
    else if (/^ {2}\w+ (-->|-\.->) \w+$/.test(line)) continue;
    else if (/^ {2}classDef \w+ [\w:#,.-]+$/.test(line)) continue;
    else if (/^ {2}class [\w,]+ \w+$/.test(line)) continue;
    else if (/^ {2}linkStyle [\d,]+ [\w:#,.-]+$/.test(line)) continue;
    else throw new Error(`unexpected mermaid line: ${JSON.stringify(line)}`);
  }
  return labels;
}
