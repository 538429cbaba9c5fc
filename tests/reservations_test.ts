/** File reservations end to end: what a glob covers, through `files --check` and `next`. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";

Deno.test("files --check: a **/*.md reservation holds Markdown files, not every file", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "docs"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["files", "--add", "**/*.md", "--agent", "a", "--ticket", "1"]);
  const code = await s.track(["files", "--check", "src/app.ts", "--agent", "b"]);
  assertEquals([code.code, code.stdout], [0, "src/app.ts: free\n"]);
  const md = await s.track(["files", "--check", "docs/x.md", "README.md", "--agent", "b"]);
  assertEquals(md.code, 3);
  assertStringIncludes(md.stdout, "docs/x.md: reserved by a for T-0001 (**/*.md)");
  assertStringIncludes(md.stdout, "README.md: reserved by a for T-0001 (**/*.md)");
  // Another agent may take the code next to those files.
  await s.json(["create", "-t", "app"]);
  await s.json(["claim", "2", "--agent", "b"]);
  await s.json(["files", "--add", "src/**/*.ts", "--agent", "b", "--ticket", "2"]);
});

Deno.test("files: a directory that exists, or a path ending in /, is reserved as dir/**", async () => {
  await using s = await tempStore();
  Deno.mkdirSync(`${s.root}/src/lexer`, { recursive: true });
  await s.json(["create", "-t", "lexer"]);
  await s.json(["claim", "1", "--agent", "a"]);
  const r = await s.json<{ reserved: Array<{ path: string }> }>(
    ["files", "--add", "src/lexer", "docs/", "notes.txt", "--agent", "a", "--ticket", "1"],
  );
  assertEquals(r.reserved.map((x) => x.path), ["src/lexer/**", "docs/**", "notes.txt"]);
  const busy = await s.track(
    ["files", "--check", "src/lexer/deep/scan.ts", "docs/a.md", "notes.txt", "--agent", "b"],
  );
  assertEquals(busy.code, 3);
  assertEquals(busy.stdout.trimEnd().split("\n"), [
    "src/lexer/deep/scan.ts: reserved by a for T-0001 (src/lexer/**)",
    "docs/a.md: reserved by a for T-0001 (docs/**)",
    "notes.txt: reserved by a for T-0001 (notes.txt)",
  ]);
  const free = await s.track(["files", "--check", "notes.txt/x", "src/lexerx.ts", "--agent", "b"]);
  assertEquals(free.code, 0, "a plain path is one file: nothing below it, nothing next to it");
  // Released by the name it was reserved under, directory or not.
  const rel = await s.json<{ released: unknown[] }>(
    ["files", "--release", "src/lexer", "--agent", "a"],
  );
  assertEquals(rel.released.length, 1);
});

Deno.test("next: a ticket's files are skipped only when a reservation can match them", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "docs", "--priority", "high"]);
  await s.json(["create", "-t", "app"]);
  // T-0002 carries src/app.ts from an earlier holder who put it back.
  await s.json(["claim", "2", "--agent", "old"]);
  await s.json(["files", "--add", "src/app.ts", "--agent", "old", "--ticket", "2"]);
  await s.json(["update", "2", "--status", "backlog", "--agent", "old"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["files", "--add", "**/*.md", "--agent", "a", "--ticket", "1"]);
  const next = await s.json<{ ticket: { id: string } }>(["next", "--agent", "b"]);
  assertEquals(next.ticket.id, "T-0002");
});
