import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import {
  formatFrontMatter,
  formatScalar,
  FrontMatterError,
  parseFrontMatter,
} from "./front_matter.ts";

Deno.test("parseFrontMatter() reads scalars, quoted strings, inline and block lists", () => {
  const doc = parseFrontMatter(
    "---\na: plain value\nb: \"double \\\"q\\\" \\n \\u00e9\"\nc: 'single ''q'''\nd: null\ne: ~\nf:\ng: [x, \"y, z\", 'w']\nh:\n  - one\n  - \"two: 2\"\n# comment\ni: 2026-01-01T00:00:00Z # trailing comment\n---\nbody\n---\n",
  );
  assertEquals(Object.fromEntries(doc.data), {
    a: "plain value",
    b: 'double "q" \n é',
    c: "single 'q'",
    d: null,
    e: null,
    f: [],
    g: ["x", "y, z", "w"],
    h: ["one", "two: 2"],
    i: "2026-01-01T00:00:00Z",
  });
  assertEquals(doc.body, "body\n---\n");
});

Deno.test("parseFrontMatter() refuses what the subset excludes, with line numbers", () => {
  const cases: Array<[string, number]> = [
    ["---\na: &x 1\n---\n", 2],
    ["---\na: *x\n---\n", 2],
    ["---\na: !!str x\n---\n", 2],
    ["---\na: |\n  x\n---\n", 2],
    ["---\na:\n  b: 1\n---\n", 3],
    ["---\na: {b: 1}\n---\n", 2],
    ["---\na: [[1]]\n---\n", 2],
    ["---\na: 1\na: 2\n---\n", 3],
    ["---\n__proto__: x\n---\n", 2],
    ['---\na: "open\n---\n', 2],
    ["---\na: b: c\n---\n", 2],
    ["---\na: 1\n", 2],
    ["no front matter\n", 1],
    ["---\n- item\n---\n", 2],
    ["---\n? complex\n---\n", 2],
  ];
  for (const [text, line] of cases) {
    const e = assertThrows(() => parseFrontMatter(text), text) as FrontMatterError;
    assertEquals(e instanceof FrontMatterError, true, text);
    assertEquals(e.line, line, `${JSON.stringify(text)}: ${e.message}`);
  }
});

Deno.test("parseFrontMatter() rejects a 10-level alias bomb at once", () => {
  let text = "---\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i <= 10; i++) {
    text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  }
  const e = assertThrows(() => parseFrontMatter(text + "---\n")) as FrontMatterError;
  // No clock: refused on the first anchor (line 2), so no expansion ever exists. The speed of
  // parsing is deno task bench's business; a wall-clock bound here failed on a loaded machine.
  assertEquals([e instanceof FrontMatterError, e.line], [true, 2]);
  assertStringIncludes(e.message, "anchors");
});

Deno.test("formatScalar() output reads back identically", () => {
  const values = [
    "plain",
    "with: colon",
    "#hash",
    "a #b",
    "[x]",
    "null",
    "yes",
    "123",
    "-1",
    " lead",
    "trail ",
    "quote\"s and 'single'",
    "new\nline",
    "tab\there",
    "back\\slash",
    "\u2028sep",
    "émoji 🚀",
    "---",
    "2026-01-01T00:00:00Z",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "@at",
    "`tick`",
    "{brace}",
    "| pipe",
    "> gt",
    "~",
    "",
  ];
  for (const v of values) {
    const text = formatFrontMatter([["k", v], ["l", [v === "" ? "x" : v]]]);
    const doc = parseFrontMatter(text);
    assertEquals(
      doc.data.get("k"),
      v,
      `${JSON.stringify(v)} -> ${formatScalar(v)}`,
    );
  }
});

/** A small seeded PRNG (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters YAML gives a meaning to, whitespace, escapes and non-ASCII. */
const HOSTILE = [..."a0 :#-'\"\\\n\t[]{},&*!|>%@`~?="].concat(["\u2028", "\u00e9", "\u{1F680}"]);

Deno.test("formatFrontMatter() scalars and list items read back: every 1-2 character string, 500 random ones", () => {
  const values: string[] = [];
  for (const a of HOSTILE) {
    values.push(a);
    for (const b of HOSTILE) values.push(a + b);
  }
  const rnd = prng(13);
  for (let i = 0; i < 500; i++) {
    const n = 1 + Math.floor(rnd() * 12);
    values.push(
      Array.from({ length: n }, () => HOSTILE[Math.floor(rnd() * HOSTILE.length)]).join(""),
    );
  }
  for (const v of values) {
    const text = formatFrontMatter([["k", v], ["l", [v, "x"]], ["n", null]]);
    const doc = parseFrontMatter(text);
    const shown = `${JSON.stringify(v)} -> ${JSON.stringify(text)}`;
    assertEquals(doc.data.get("k"), v, shown);
    assertEquals(doc.data.get("l"), [v, "x"], shown);
    assertEquals(doc.data.get("n"), null, shown);
    assertEquals(doc.body, "", shown);
  }
});
