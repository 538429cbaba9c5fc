/** Basics after `create`: changing the description and criteria, reopening, archiving. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";

interface Shown {
  ticket: {
    description: string | null;
    acceptance: string | null;
    log: Array<{ message: string }>;
    updated: string;
  };
}

Deno.test("update --body and --acceptance replace their sections; the Work Log stays", async () => {
  await using s = await tempStore();
  await s.json([
    "create",
    "-t",
    "t",
    "--body",
    "first draft",
    "--acceptance",
    "- [ ] one",
    "--agent",
    "a",
  ]);
  assertEquals((await s.json<Shown>(["show", "1"])).ticket.acceptance, "- [ ] one");
  await s.json(["log", "1", "--agent", "a", "-m", "found it"]);
  await s.json(["update", "1", "--body", "second draft\n\n## Notes\nmore"]);
  let shown = await s.json<Shown>(["show", "1"]);
  assertEquals(shown.ticket.description, "second draft\n\n## Notes\nmore");
  assertEquals(shown.ticket.acceptance, "- [ ] one");
  assertEquals(shown.ticket.log.map((e) => e.message), ["found it"]);
  // From stdin with "-", as create reads it.
  await s.track(["update", "1", "--acceptance", "-"], { stdin: "- [ ] two\n- [ ] three\n" });
  await s.track(["update", "1", "--body", "-"], { stdin: "piped body" });
  shown = await s.json<Shown>(["show", "1"]);
  assertEquals(shown.ticket.description, "piped body");
  assertEquals(shown.ticket.acceptance, "- [ ] two\n- [ ] three");
  const text = s.read("tickets/T-0001.md");
  assertStringIncludes(
    text,
    "## Description\n\npiped body\n\n## Acceptance Criteria\n\n- [ ] two\n- [ ] three\n\n## Work Log\n",
  );
  // Empty clears the criteria; the same text again changes nothing.
  await s.json(["update", "1", "--acceptance", ""]);
  assertEquals((await s.json<Shown>(["show", "1"])).ticket.acceptance, "");
  const same = await s.json<{ changed: boolean }>(["update", "1", "--body", "piped body"]);
  assertEquals(same.changed, false);
  // Without "-", a pipe on stdin is never taken for a body by update.
  await s.track(["update", "1", "--priority", "high"], { stdin: "stray" });
  assertEquals((await s.json<Shown>(["show", "1"])).ticket.description, "piped body");
});

Deno.test("update --body / --acceptance refuse bad text and change nothing", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const before = snapshot(s.dir);
  for (
    const [args, stdin, says] of [
      [["--body", "a\rb"], undefined, "CR"],
      [["--acceptance", "x\n## Work Log\ny"], undefined, "section heading"],
      [["--body", "-", "--acceptance", "-"], "x", "Only one of"],
      [["--body", "-"], "x".repeat(1024 * 1024 + 1), "longer than"],
    ] as Array<[string[], string | undefined, string]>
  ) {
    const r = await s.track(["update", "1", ...args], { stdin });
    assertEquals(r.code, 2, `${args}: ${r.stderr}`);
    assertStringIncludes(r.stderr, says);
    assertEquals(snapshot(s.dir), before);
  }
});

Deno.test("a done ticket reopens with update --status backlog: unclaimed, on the board, no force", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["update", "1", "--status", "review", "--agent", "a"]);
  await s.json(["update", "1", "--status", "done", "--agent", "reviewer"]);
  // Anything but backlog from done is still refused, naming the way back.
  const skip = await s.track(["update", "1", "--status", "in-progress"]);
  assertEquals(skip.code, 3);
  assertStringIncludes(skip.stderr, "allowed next states are backlog");
  const r = await s.json<{ ticket: { status: string; claimed_by: null }; from: string }>([
    "update",
    "1",
    "--status",
    "backlog",
  ]);
  assertEquals([r.from, r.ticket.status, r.ticket.claimed_by], ["done", "backlog", null]);
  const board = await s.json<{ entries: Array<{ message: string }> }>(["board", "--last", "1"]);
  assertEquals(board.entries[0].message, "T-0001: done -> backlog (reopened)");
  // The former holder is not fenced: it may claim and work on it again.
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["log", "1", "--agent", "a", "-m", "again"]);
});

Deno.test("archive: out of every listing, still shown, id never reused, refused while depended on", async () => {
  await using s = await tempStore();
  for (const t of ["mistake", "base", "needs base", "last"]) await s.json(["create", "-t", t]);
  await s.json(["update", "3", "--depends-on", "2"]);
  await s.json(["files", "--add", "src/x.ts", "--agent", "a", "--ticket", "1", "--shared"]);

  // Refused while another ticket depends on it, naming it; nothing changes.
  const before = snapshot(s.dir);
  const dep = await s.track(["archive", "2", "--json"]);
  assertEquals(dep.code, 3, dep.stderr);
  const err = JSON.parse(dep.stderr).error;
  assertStringIncludes(err.message, `"T-0003" depends on it`);
  assertEquals(err.detail.dependents, ["T-0003"]);
  assertEquals(err.hint, "track update T-0003 --remove-dep T-0002");
  // Refused while someone works on it.
  await s.json(["claim", "4", "--agent", "a"]);
  const held = await s.track(["archive", "4"]);
  assertEquals(held.code, 3);
  assertStringIncludes(held.stderr, `"a" is working on it (claimed)`);
  assertEquals(snapshot(s.dir).get("tickets/T-0002.md"), before.get("tickets/T-0002.md"));

  const r = await s.json<{ archived: boolean; released: number; ticket: { id: string } }>([
    "archive",
    "1",
  ]);
  assertEquals([r.ticket.id, r.archived, r.released], ["T-0001", true, 1]);
  const list = await s.json<{ tickets: Array<{ id: string }> }>(["list", "--all"]);
  assertEquals(list.tickets.map((t) => t.id).includes("T-0001"), false);
  assertEquals(
    (await s.json<{ tickets: unknown[] }>(["ready"])).tickets.some((t) =>
      (t as { id: string }).id === "T-0001"
    ),
    false,
  );
  const archived = await s.json<{ tickets: Array<{ id: string }> }>(["list", "--archived"]);
  assertEquals(archived.tickets.map((t) => t.id), ["T-0001"]);
  // show still finds it, and says it is archived.
  const shown = await s.json<{ archived: boolean; ticket: { title: string } }>(["show", "1"]);
  assertEquals([shown.archived, shown.ticket.title], [true, "mistake"]);
  const text = await s.track(["show", "1"]);
  assertEquals(text.code, 0);
  assertStringIncludes(text.stdout, "title: mistake");
  assertStringIncludes(text.stderr, "archived");
  // Writes to it are refused (exit 4) with the way back; it is not a dependency target.
  for (
    const args of [
      ["update", "1", "--priority", "high"],
      ["claim", "1", "--agent", "b"],
      ["update", "4", "--depends-on", "1"],
    ]
  ) {
    const w = await s.track(args);
    assertEquals(w.code, 4, `${args}: ${w.stderr}`);
    assertStringIncludes(w.stderr, "archive");
  }
  // Its id is never given out again; the board recorded it.
  const next = await s.json<{ ticket: { id: string } }>(["create", "-t", "new"]);
  assertEquals(next.ticket.id, "T-0005");
  const board = await s.json<{ entries: Array<{ tag: string; message: string }> }>([
    "board",
    "--tag",
    "archived",
  ]);
  assertEquals(board.entries.map((e) => e.message), ["Archived T-0001 (backlog): mistake"]);
  // --restore brings it back as it was.
  await s.json(["archive", "1", "--restore"]);
  assertEquals(
    (await s.json<{ archived: boolean }>(["show", "1"])).archived,
    false,
  );
  assertEquals((await s.json<{ tickets: unknown[] }>(["list", "--archived"])).tickets, []);
  assertEquals((await s.track(["archive", "1", "--restore"])).code, 3);
  assertEquals((await s.track(["archive", "99"])).code, 4);
});

Deno.test("archive refuses when the archive already holds that ticket (both files exist): nothing changes", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "kept", "--agent", "a"]);
  await s.json(["archive", "1"]);
  // The same id active again beside its archived copy (a hand copy, or a merge of two clones).
  Deno.copyFileSync(`${s.dir}/archive/T-0001.md`, `${s.dir}/tickets/T-0001.md`);
  await s.json(["update", "1", "--title", "active copy"]);
  const before = snapshot(s.dir);
  const r = await s.track(["archive", "1", "--json"]);
  assertEquals(r.code, 3);
  assertStringIncludes(r.stderr, "archive/T-0001.md");
  assertEquals(snapshot(s.dir), before);
  assertStringIncludes(Deno.readTextFileSync(`${s.dir}/archive/T-0001.md`), "title: kept");
});
