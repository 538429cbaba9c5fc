import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { normalizePath, patternsOverlap } from "./paths.ts";

Deno.test("normalizePath() makes paths repository-relative", () => {
  const opts = { cwd: "/repo/src", root: "/repo" };
  assertEquals(normalizePath("./a/../b.ts", { cwd: "/repo", root: "/repo" }), "b.ts");
  assertEquals(normalizePath("auth/x.ts", opts), "src/auth/x.ts");
  assertEquals(normalizePath("/repo/src/auth/", opts), "src/auth");
  assertEquals(normalizePath("auth/**", opts), "src/auth/**");
  assertThrows(() => normalizePath("../../etc/passwd", opts));
  assertThrows(() => normalizePath("a{b,c}", opts));
  // Brackets in a path that exists are part of its name (Next.js routes: app/[slug]/page.tsx).
  const exists = (abs: string) => abs === "/repo/src/app/[slug]/page.tsx";
  assertEquals(
    normalizePath("app/[slug]/page.tsx", { ...opts, exists }),
    "src/app/[slug]/page.tsx",
  );
  assertThrows(() => normalizePath("app/[id]/page.tsx", { ...opts, exists }));
});

Deno.test("patternsOverlap() matches globs with paths and globs, both directions", () => {
  const cases: Array<[string, string, boolean]> = [
    ["src/auth/**", "src/auth/token.ts", true],
    ["src/auth/token.ts", "src/auth/**", true],
    ["src/auth/**", "src/api/x.ts", false],
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a/b.ts", false],
    ["src/*.ts", "src/**/b.ts", true],
    ["src/a*", "src/*b", true],
    ["src/a*.ts", "src/*.js", false],
    ["src", "src/deep/file.ts", true],
    ["src/a.ts", "src/a.tsx", false],
    ["**", "anything/at/all", true],
    ["docs/**/*.md", "src/**", false],
    ["a/?.ts", "a/bb.ts", false],
    ["a/?.ts", "a/b.ts", true],
  ];
  for (const [a, b, want] of cases) {
    assertEquals(patternsOverlap(a, b), want, `${a} vs ${b}`);
    assertEquals(patternsOverlap(b, a), want, `${b} vs ${a}`);
  }
  assert(patternsOverlap("x", "x"));
});
