/** File reservations end to end: what a glob covers, through `files --check` and `next`. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";

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

Deno.test("files --add: an exclusive reservation needs the ticket's holder, else --shared or --force", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "held"]);
  await s.json(["create", "-t", "free"]);
  await s.json(["claim", "1", "--agent", "a"]);
  const before = snapshot(s.dir);
  const held = await s.track(["files", "--add", "src/x.ts", "--agent", "b", "--ticket", "1"]);
  assertEquals(held.code, 3);
  assertStringIncludes(held.stderr, `Cannot reserve files exclusively for "T-0001" as "b"`);
  assertStringIncludes(held.stderr, `it is held by "a"`);
  const free = await s.track([
    "files",
    "--add",
    "src/y.ts",
    "--agent",
    "b",
    "--ticket",
    "2",
    "--json",
  ]);
  assertEquals(free.code, 3);
  const err = JSON.parse(free.stderr).error;
  assertStringIncludes(err.message, "claimed by nobody");
  assertEquals(err.hint, "track claim T-0002 --agent b (then reserve)");
  assertEquals(err.detail, { ticket: "T-0002", status: "backlog", holder: null });
  assertEquals(snapshot(s.dir), before, "a refused reservation writes nothing");
  // Shared: anyone may; it keeps T-0002 in next and blocks nobody's edits.
  await s.json(["files", "--add", "src/y.ts", "--agent", "b", "--ticket", "2", "--shared"]);
  assertEquals((await s.track(["files", "--check", "src/y.ts", "--agent", "c"])).code, 0);
  const next = await s.json<{ ticket: { id: string } }>(["next", "--agent", "c"]);
  assertEquals(next.ticket.id, "T-0002");
  // Forced: deliberate, and doctor says so without calling the store unhealthy.
  await s.json(["files", "--add", "src/x.ts", "--agent", "b", "--ticket", "1", "--force"]);
  assertEquals((await s.track(["files", "--check", "src/x.ts", "--agent", "a"])).code, 3);
  const doc = await s.track(["doctor", "--json"]);
  assertEquals(doc.code, 0, doc.stdout);
  const f = JSON.parse(doc.stdout).findings;
  assertEquals(f.map((x: { kind: string; warning: boolean }) => [x.kind, x.warning]), [
    ["holder-mismatch", true],
  ]);
  // The holder itself needs neither.
  await s.json(["files", "--add", "src/z.ts", "--agent", "a", "--ticket", "1"]);
});

Deno.test("next with nothing ready says why: blocked (on what), reserved (by whom), or none", async () => {
  await using s = await tempStore();
  const none = await s.track(["next", "--agent", "me"]);
  assertEquals(none.code, 4);
  assertStringIncludes(none.stderr, "Nothing is ready to claim: no ticket is in backlog");
  await s.json(["create", "-t", "base"]);
  await s.json(["create", "-t", "waits", "--depends-on", "1"]);
  await s.json(["create", "-t", "touches src"]);
  await s.json(["claim", "1", "--agent", "a"]);
  // T-0003 carries src/app.ts from an earlier holder; "a" now reserves src/** for T-0001.
  await s.json(["claim", "3", "--agent", "old"]);
  await s.json(["files", "--add", "src/app.ts", "--agent", "old", "--ticket", "3"]);
  await s.json(["update", "3", "--status", "backlog", "--agent", "old"]);
  await s.json(["files", "--add", "src/**", "--agent", "a", "--ticket", "1"]);
  const r = await s.track(["next", "--agent", "me"]);
  assertEquals(r.code, 4);
  assertStringIncludes(r.stderr, "blocked by open dependencies: T-0002 waits on T-0001 (claimed)");
  assertStringIncludes(
    r.stderr,
    `files reserved by another agent: T-0003 ("src/**" by "a" for T-0001)`,
  );
  assertStringIncludes(r.stderr, "hint: track files --list");
  const j = await s.track(["next", "--agent", "me", "--json"]);
  assertEquals(j.code, 4);
  assertEquals(JSON.parse(j.stderr).error.detail, {
    label: null,
    parent: null,
    needs: [],
    backlog: 2,
    blocked: [{ id: "T-0002", waiting_on: [{ id: "T-0001", status: "claimed" }] }],
    reserved: [{ id: "T-0003", by: [{ agent: "a", ticket: "T-0001", path: "src/**" }] }],
  });
  const ui = await s.track(["next", "--agent", "me", "--label", "ui", "--json"]);
  assertEquals(ui.code, 4);
  assertStringIncludes(
    JSON.parse(ui.stderr).error.message,
    `Nothing is ready to claim with label "ui": no ticket is in backlog`,
  );
});

Deno.test("files --release: a directory's name releases dir/** even once it is gone, and a plain legacy dir", async () => {
  await using s = await tempStore();
  Deno.mkdirSync(`${s.root}/src/old`, { recursive: true });
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["files", "--add", "src/old", "src/keep.ts", "--agent", "a", "--ticket", "1"]);
  Deno.removeSync(`${s.root}/src/old`);
  const gone = await s.json<{ released: Array<{ path: string }> }>(
    ["files", "--release", "src/old", "--agent", "a"],
  );
  assertEquals(gone.released.map((r) => r.path), ["src/old/**"]);
  // Written before a directory meant dir/**: a plain name that is a directory now.
  Deno.mkdirSync(`${s.root}/lib`);
  const res = JSON.parse(s.read("reservations.json"));
  res.reservations.push({
    path: "lib",
    agent: "a",
    ticket: "T-0001",
    mode: "exclusive",
    at: "2026-01-01T00:00:00Z",
  });
  Deno.writeTextFileSync(`${s.dir}/reservations.json`, JSON.stringify(res, null, 2) + "\n");
  const legacy = await s.json<{ released: Array<{ path: string }> }>(
    ["files", "--release", "lib", "--agent", "a"],
  );
  assertEquals(legacy.released.map((r) => r.path), ["lib"]);
  const left = await s.json<{ reservations: Array<{ path: string }> }>(["files", "--list"]);
  assertEquals(left.reservations.map((r) => r.path), ["src/keep.ts"]);
});

Deno.test("files --add: a shared reservation of a non-holder locks nobody out; a holder's still does", async () => {
  await using s = await tempStore();
  for (const t of ["one", "two"]) await s.json(["create", "-t", t]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["claim", "2", "--agent", "c"]);
  // "b" holds nothing: its shared reservation of everything is advisory.
  await s.json(["files", "--add", "**", "--agent", "b", "--ticket", "1", "--shared"]);
  await s.json(["files", "--add", "src/x.ts", "--agent", "a", "--ticket", "1"]);
  // "c" holds T-0002 and declared it touches src/y.ts: an exclusive claim on it is a conflict.
  await s.json(["files", "--add", "src/y.ts", "--agent", "c", "--ticket", "2", "--shared"]);
  const y = await s.track(["files", "--add", "src/y.ts", "--agent", "a", "--ticket", "1"]);
  assertEquals(y.code, 3);
  assertStringIncludes(y.stderr, `reserved shared by "c" for T-0002`);
});
