import { assertEquals } from "../../tests/assert.ts";
import posix from "node:path/posix";
import { basename, dirname, isAbsolute, join, normalize, relative, resolve } from "./path.ts";

Deno.test("path helpers agree with POSIX semantics", () => {
  assertEquals(normalize("./a/../b.ts"), "b.ts");
  assertEquals(normalize("/a//b/./c/.."), "/a/b");
  assertEquals(normalize("../x"), "../x");
  assertEquals(normalize("/.."), "/");
  assertEquals(normalize(""), ".");
  assertEquals(join("/repo", ".track", "tickets"), "/repo/.track/tickets");
  assertEquals(resolve("/repo/src", "../a"), "/repo/a");
  assertEquals(resolve("/repo", "/abs"), "/abs");
  assertEquals(dirname("/repo/.track"), "/repo");
  assertEquals(dirname("/x"), "/");
  assertEquals(basename("/repo/.track/"), ".track");
  assertEquals(relative("/repo", "/repo/src/a.ts"), "src/a.ts");
  assertEquals(relative("/repo/src", "/repo/docs"), "../docs");
  assertEquals(relative("/repo", "/repo"), "");
});

/** node:path's normalize without the trailing slash it keeps (ours never keeps one). */
function nodeNormalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

const CASES = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a",
  "a",
  "a/",
  "a/b",
  "a/b/",
  "./a",
  "a/./b",
  "a/../b",
  "a/b/../../..",
  "../../a",
  "/..",
  "/../a",
  "/a/b/../c/./d",
  "a//b",
  "/a/b/",
  ".track/tickets/T-0001.md",
  "a/..",
  "a/b/..",
  "..a/b",
  "a/.../b",
  "a/.b/c",
  " a/b ",
  "é/ü/😀",
  "a\\b",
  "/a/b/c/..",
  "a:b/c",
  "-n/--x",
  "a\nb/c",
];

/** Every path of up to four segments over a small alphabet, relative and absolute. */
function generated(): string[] {
  const segs = ["a", "b", ".", "..", ""];
  let level = [""];
  const out: string[] = [];
  for (let n = 1; n <= 4; n++) {
    level = level.flatMap((p) => segs.map((s) => (n === 1 ? s : `${p}/${s}`)));
    for (const p of level) out.push(p, "/" + p);
  }
  return out;
}

Deno.test("normalize, dirname, basename, isAbsolute match node:path on the normalised path", () => {
  for (const p of [...CASES, ...generated()]) {
    const n = nodeNormalize(p);
    assertEquals(normalize(p), n, `normalize(${JSON.stringify(p)})`);
    assertEquals(dirname(p), posix.dirname(n), `dirname(${JSON.stringify(p)})`);
    assertEquals(basename(p), posix.basename(n), `basename(${JSON.stringify(p)})`);
    assertEquals(isAbsolute(p), posix.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`);
  }
});

Deno.test("join, resolve and relative match node:path exactly", () => {
  const bases = ["/", "/repo", "/repo/", "/repo/src", "/repo/src/a.ts", "/other", "/repo2", "//r"];
  for (const a of [...bases, "/a/b/../x", "/a/./b"]) {
    for (const b of [...bases, "/a/b/../x", "/repo/src/../docs"]) {
      assertEquals(relative(a, b), posix.relative(a, b), `relative(${a}, ${b})`);
    }
    for (const p of CASES) {
      assertEquals(resolve(a, p), posix.resolve(a, p), `resolve(${a}, ${JSON.stringify(p)})`);
    }
  }
  const joins = [
    ["a", "b"],
    ["/a", "b"],
    ["a", "/b"],
    ["", ""],
    ["", "a"],
    ["a", ""],
    ["a/", "/b"],
    [".track", "tickets", "T-0001.md"],
    ["/repo", "..", "x"],
    ["a", "..", ".."],
    ["/", "/"],
  ];
  for (const parts of joins) {
    assertEquals(join(...parts), nodeNormalize(posix.join(...parts)), JSON.stringify(parts));
  }
});
