import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import {
  isRepoPattern,
  MAX_PATTERN_LENGTH,
  normalizePath,
  patternsOverlap,
} from "./reservation_paths.ts";

Deno.test("normalizePath() makes paths repository-relative", () => {
  const opts = { cwd: "/repo/src", root: "/repo" };
  assertEquals(normalizePath("./a/../b.ts", { cwd: "/repo", root: "/repo" }), "b.ts");
  assertEquals(normalizePath("auth/x.ts", opts), "src/auth/x.ts");
  assertEquals(normalizePath("auth/**", opts), "src/auth/**");
  assertThrows(() => normalizePath("../../etc/passwd", opts));
  assertThrows(() => normalizePath("/etc/passwd", opts));
  assertThrows(() => normalizePath("/repo/../etc", opts));
  assertThrows(() => normalizePath("**/../../x", { cwd: "/repo", root: "/repo" }));
  assertThrows(() => normalizePath("a{b,c}", opts));
  // Brackets in a path that exists are part of its name (Next.js routes: app/[slug]/page.tsx).
  const exists = (abs: string) => abs === "/repo/src/app/[slug]/page.tsx";
  assertEquals(
    normalizePath("app/[slug]/page.tsx", { ...opts, exists }),
    "src/app/[slug]/page.tsx",
  );
  assertThrows(() => normalizePath("app/[id]/page.tsx", { ...opts, exists }));
  // A file an editor is about to write is one name, brackets included.
  assertEquals(
    normalizePath("app/[id]/page.tsx", { ...opts, literal: true }),
    "src/app/[id]/page.tsx",
  );
});

Deno.test("normalizePath() writes a directory as dir/**: trailing slash, or one that exists", () => {
  const isDir = (abs: string) => abs === "/repo/src/lexer" || abs === "/repo/src";
  const opts = { cwd: "/repo/src", root: "/repo", isDir };
  assertEquals(normalizePath("/repo/src/auth/", opts), "src/auth/**");
  assertEquals(normalizePath("auth/.", opts), "src/auth/**");
  assertEquals(normalizePath("lexer", opts), "src/lexer/**");
  assertEquals(normalizePath("lexer/", opts), "src/lexer/**");
  assertEquals(normalizePath("lexer/**/", opts), "src/lexer/**");
  assertEquals(normalizePath("lexer/**/**/*.ts", opts), "src/lexer/**/*.ts");
  assertEquals(normalizePath("auth", opts), "src/auth", "a path that is not a directory is a file");
  assertEquals(normalizePath(".", opts), "src/**");
  assertEquals(normalizePath("/repo", opts), "**");
  assertEquals(normalizePath("*/", opts), "src/*/**");
  // A glob never asks the disk: `src/*` names files and directories alike.
  assertEquals(normalizePath("*", { ...opts, isDir: () => true }), "src/*");
});

Deno.test("normalizePath() refuses a pattern longer than PATH_MAX", () => {
  const long = "a/".repeat(MAX_PATTERN_LENGTH / 2) + "b";
  const e = assertThrows(() => normalizePath(long, { cwd: "/repo", root: "/repo" }));
  assertStringIncludes(e.message, "at most 4096");
});

Deno.test("patternsOverlap() is true exactly when some file could match both", () => {
  const cases: Array<[string, string, boolean]> = [
    // The report: a glob over one extension never covers other files.
    ["**/*.md", "src/app.ts", false],
    ["**/*.md", "docs/x.md", true],
    ["**/*.md", "README.md", true],
    ["src/**/*.md", "src/app.ts", false],
    ["**/*.md", "src/**", true],
    ["**/*.md", "**/*.ts", false],
    ["**/*.md", "**/*.m?", true],
    // A plain path is one file; a directory is `dir/**`, which also covers the name itself.
    ["src/**", "src", true],
    ["src", "src/deep/file.ts", false],
    ["src/**", "src/deep/file.ts", true],
    ["docs/**", "docs/x.md", true],
    ["docs/**", "docsx/a.md", false],
    ["src/a.ts", "src/a.tsx", false],
    ["src/a.ts", "src/a.ts", true],
    ["src/auth/**", "src/auth/token.ts", true],
    ["src/auth/**", "src/api/x.ts", false],
    // `*` and `?` stay inside one segment.
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a/b.ts", false],
    ["src/*.ts", "src/**/*.ts", true],
    ["src/*.ts", "src/**/b.ts", true],
    ["src/*", "src/a/b", false],
    ["*.md", "README.md", true],
    ["*.md", "docs/README.md", false],
    ["a/?.ts", "a/bb.ts", false],
    ["a/?.ts", "a/b.ts", true],
    ["a/??", "a/*x", true],
    ["a/?", "a/*x*", true],
    ["a/?", "a/x*y", false],
    // Two globs over one segment meet when some name fits both (src/ab).
    ["src/a*", "src/*b", true],
    ["src/a*.ts", "src/*.js", false],
    ["src/*a*", "src/*b*", true],
    ["src/a*b", "src/ab*", true],
    ["src/a*b*c", "src/*d*", true],
    ["src/x*", "src/y*", false],
    // `**` matches zero or more segments, wherever it stands.
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/b", "a/x/y/c", false],
    ["a/**/b/**/c", "a/b/c", true],
    ["a/**/b", "**/c", false],
    ["a/**", "**/b", true],
    ["**/a/**", "**/b/**", true],
    ["**", "anything/at/all", true],
    ["**", "x", true],
    ["**", "**", true],
    ["docs/**/*.md", "src/**", false],
    ["x/**/*.md", "x/*.md", true],
    // Not globs: brackets and braces are literal characters of a name.
    ["app/[slug]/page.tsx", "app/*/page.tsx", true],
    ["app/[slug]/page.tsx", "app/s/page.tsx", false],
    // Characters beyond the BMP count as one.
    ["a/?", "a/😀", true],
    // Not repository paths (hand-edited): they match no file of the repository.
    ["../../etc/passwd", "**", false],
    ["/etc/passwd", "etc/passwd", false],
    ["a//b", "**", false],
    ["./a", "a", false],
    ["", "**", false],
  ];
  for (const [a, b, want] of cases) {
    assertEquals(patternsOverlap(a, b), want, `${a} vs ${b}`);
    assertEquals(patternsOverlap(b, a), want, `${b} vs ${a}`);
  }
  assert(patternsOverlap("x", "x"));
});

Deno.test("patternsOverlap() stays polynomial on patterns built to backtrack", () => {
  // Naive backtracking over these is exponential in the number of `*`/`**`; the product
  // construction visits each pair of positions once.
  const stars = "a/" + "**/".repeat(300) + "b";
  const other = "a/" + "*/".repeat(300) + "c";
  assertEquals(patternsOverlap(stars, other), false);
  const seg = "*a".repeat(1500) + "b";
  assertEquals(patternsOverlap(seg, "*a".repeat(1500) + "c"), false);
  assertEquals(patternsOverlap(seg, "*a".repeat(1500) + "*"), true);
  const long = "x/".repeat(2000) + "y";
  assertEquals(patternsOverlap(long, "**/z"), false);
  assertEquals(patternsOverlap(long, "**/y"), true);
});

Deno.test("isRepoPattern() accepts exactly what normalizePath() writes", () => {
  for (const p of ["a", "a/**", "**", "a/*.ts", "app/[slug]/page.tsx"]) assert(isRepoPattern(p));
  for (const p of ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/", "a\0b"]) {
    assert(!isRepoPattern(p), p);
  }
});

const SEGMENT_RE = new Map<string, RegExp>();

/** Reference matcher: a file (segments) against a pattern, `**` being zero or more segments. */
function refMatch(p: string[], f: string[]): boolean {
  if (p.length === 0) return f.length === 0;
  if (p[0] === "**") return refMatch(p.slice(1), f) || (f.length > 0 && refMatch(p, f.slice(1)));
  if (f.length === 0) return false;
  let seg = SEGMENT_RE.get(p[0]);
  if (seg === undefined) {
    const body = [...p[0]].map((c) => c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c).join("");
    seg = new RegExp(`^${body}$`, "u");
    SEGMENT_RE.set(p[0], seg);
  }
  return seg.test(f[0]) && refMatch(p.slice(1), f.slice(1));
}

Deno.test("patternsOverlap() agrees with brute force over every small pattern pair", () => {
  const segs = ["a", "b", "*", "?", "a*", "*b", "**"];
  const patterns: string[] = [];
  let level: string[][] = [[]];
  for (let n = 1; n <= 3; n++) {
    level = level.flatMap((p) => segs.map((s) => [...p, s]));
    patterns.push(...level.map((p) => p.join("/")));
  }
  // Every file of up to four segments (two patterns of three segments, `**` among them, meet
  // within four) over names that can witness any overlap of these segments.
  const names = ["a", "b", "x", "ab"];
  const files: string[][] = [];
  let fl: string[][] = [[]];
  for (let n = 1; n <= 4; n++) {
    fl = fl.flatMap((f) => names.map((s) => [...f, s]));
    files.push(...fl);
  }
  const sets = patterns.map((p) => {
    const ps = p.split("/");
    const bits = new Uint8Array(files.length);
    files.forEach((f, i) => bits[i] = refMatch(ps, f) ? 1 : 0);
    return bits;
  });
  let checked = 0;
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i; j < patterns.length; j++) {
      const a = sets[i], b = sets[j];
      let witness = false;
      for (let k = 0; k < files.length && !witness; k++) witness = a[k] === 1 && b[k] === 1;
      assertEquals(
        patternsOverlap(patterns[i], patterns[j]),
        witness,
        `${patterns[i]} vs ${patterns[j]}`,
      );
      checked++;
    }
  }
  assertEquals(checked, (patterns.length * (patterns.length + 1)) / 2);
});
