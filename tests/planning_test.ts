/** Epics and routing end to end: --parent, epic progress, done gate, --parent filters, --needs. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";

type Tickets = { tickets: Array<{ id: string; parent: string | null; needs: string[] }> };

Deno.test("epics: --parent, progress in show, --parent filters on list, ready and next", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "epic"]);
  await s.json(["create", "-t", "child a", "--parent", "1"]);
  await s.json(["create", "-t", "child b", "--parent", "T-0001", "-p", "high"]);
  await s.json(["create", "-t", "loose"]);
  assertStringIncludes(s.read("tickets/T-0002.md"), "\nparent: T-0001\n");
  assert(!s.read("tickets/T-0004.md").includes("parent"));

  const list = await s.json<Tickets>(["list", "--parent", "1"]);
  assertEquals(list.tickets.map((t) => [t.id, t.parent]), [["T-0003", "T-0001"], [
    "T-0002",
    "T-0001",
  ]]);
  const ready = await s.json<Tickets>(["ready", "--parent", "T-0001"]);
  assertEquals(ready.tickets.map((t) => t.id), ["T-0003", "T-0002"]);

  await s.json(["register", "--agent", "ann"]);
  const next = await s.json<{ ticket: { id: string } }>([
    "next",
    "--agent",
    "ann",
    "--parent",
    "1",
  ]);
  assertEquals(next.ticket.id, "T-0003");
  await s.json(["update", "3", "--status", "in-progress", "--agent", "ann"]);

  const show = await s.json<{
    children: Array<{ id: string; status: string }>;
    progress: { done: number; total: number; by_status: Record<string, number> };
  }>(["show", "1"]);
  assertEquals(show.children.map((c) => [c.id, c.status]), [["T-0003", "in-progress"], [
    "T-0002",
    "backlog",
  ]]);
  assertEquals(show.progress.done, 0);
  assertEquals(show.progress.total, 2);
  assertEquals(show.progress.by_status.backlog, 1);
  assertEquals(show.progress.by_status["in-progress"], 1);
  const text = await s.track(["show", "1"]);
  assertStringIncludes(text.stdout, "Children: 0/2 done (1 backlog, 1 in-progress)");
  assertStringIncludes(text.stdout, "child b");

  // Draining the rest of the epic: next --parent offers nothing outside it.
  await s.json(["next", "--agent", "ann", "--parent", "1"]);
  const none = await s.track(["next", "--agent", "ann", "--parent", "1"]);
  assertEquals(none.code, 4);
  assertStringIncludes(none.stderr, "under T-0001");
});

Deno.test("epics: an epic cannot be done while a child is open (--force overrides)", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "epic"]);
  await s.json(["create", "-t", "child", "--parent", "1"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["claim", "1", "--agent", "ann"]);
  await s.json(["update", "1", "--status", "in-progress", "--agent", "ann"]);
  await s.json(["update", "1", "--status", "review", "--agent", "ann"]);
  const before = s.read("tickets/T-0001.md");
  const refused = await s.track(["update", "1", "--status", "done", "--agent", "ann"]);
  assertEquals(refused.code, 3);
  assertStringIncludes(refused.stderr, "T-0002 (backlog)");
  assertEquals(s.read("tickets/T-0001.md"), before);
  const forced = await s.json<{ ticket: { status: string } }>(
    ["update", "1", "--status", "done", "--agent", "ann", "--force"],
  );
  assertEquals(forced.ticket.status, "done");
});

Deno.test("epics: parent cycles and missing parents are refused; none clears it", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "a"]);
  await s.json(["create", "-t", "b", "--parent", "1"]);
  await s.json(["create", "-t", "c", "--parent", "2"]);
  const before = s.read("tickets/T-0001.md");
  const cycle = await s.track(["update", "1", "--parent", "3"]);
  assertEquals(cycle.code, 3);
  assertStringIncludes(cycle.stderr, "T-0001 -> T-0003 -> T-0002 -> T-0001");
  const self = await s.track(["update", "1", "--parent", "1"]);
  assertEquals(self.code, 3);
  assertEquals(s.read("tickets/T-0001.md"), before);
  const missing = await s.track(["create", "-t", "x", "--parent", "99"]);
  assertEquals(missing.code, 4);
  assertEquals((await s.track(["show", "4"])).code, 4);
  const cleared = await s.json<{ ticket: { parent: string | null } }>(
    ["update", "3", "--parent", "none"],
  );
  assertEquals(cleared.ticket.parent, null);
  assert(!s.read("tickets/T-0003.md").includes("parent"));
});

Deno.test("routing: next offers only tickets whose needs the agent has; ready --agent", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "ui", "-p", "critical", "--needs", "frontend"]);
  await s.json(["create", "-t", "plain", "-p", "low"]);
  await s.json(["register", "--agent", "back", "--capabilities", "backend"]);
  await s.json(["register", "--agent", "front", "--capabilities", "frontend,review"]);
  const backReady = await s.json<Tickets>(["ready", "--agent", "back"]);
  assertEquals(backReady.tickets.map((t) => t.id), ["T-0002"]);
  const frontReady = await s.json<Tickets>(["ready", "--agent", "front"]);
  assertEquals(frontReady.tickets.map((t) => t.id), ["T-0001", "T-0002"]);
  assertEquals(frontReady.tickets[0].needs, ["frontend"]);

  // The critical ticket needs frontend: "back" is offered the low one.
  const back = await s.json<{ ticket: { id: string } }>(["next", "--agent", "back"]);
  assertEquals(back.ticket.id, "T-0002");
  const lacking = await s.track(["next", "--agent", "back"]);
  assertEquals(lacking.code, 4);
  assertStringIncludes(lacking.stderr, "needs capabilities you lack: T-0001 needs frontend");
  const front = await s.json<{ ticket: { id: string } }>(["next", "--agent", "front"]);
  assertEquals(front.ticket.id, "T-0001");

  // --needs none removes them.
  await s.json(["create", "-t", "later", "--needs", "gpu"]);
  await s.json(["update", "3", "--needs", "none"]);
  const after = await s.json<{ ticket: { id: string } }>(["next", "--agent", "back"]);
  assertEquals(after.ticket.id, "T-0003");
});

Deno.test("routing: moving to review records who submitted it", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "work"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["next", "--agent", "ann"]);
  const r = await s.json<{ ticket: { submitted_by: string | null } }>(
    ["update", "1", "--status", "review", "--agent", "ann"],
  );
  assertEquals(r.ticket.submitted_by, "ann");
  assertStringIncludes(s.read("tickets/T-0001.md"), "\nsubmitted_by: ann\n");
});

Deno.test("routing: prime lists only what the agent could take, and counts the rest", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "gpu work", "--needs", "gpu"]);
  await s.json(["create", "-t", "plain work"]);
  await s.json(["register", "--agent", "ann"]);
  const { prime: p } = await s.json<
    { prime: { ready: Array<{ id: string }>; ready_total: number; ready_needing: number } }
  >(["prime", "--agent", "ann"]);
  assertEquals([p.ready.map((r) => r.id), p.ready_total, p.ready_needing], [["T-0002"], 1, 1]);
  const text = await s.track(["prime", "--agent", "ann"]);
  assertStringIncludes(text.stdout, "Ready (1): (1 more need capabilities you lack: track ready)");
});

Deno.test("review routing: next --review never offers a ticket to the agent that submitted it", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "work"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["register", "--agent", "bob"]);
  await s.json(["register", "--agent", "cat"]);
  await s.json(["next", "--agent", "ann"]);
  await s.json(["update", "1", "--status", "review", "--agent", "ann"]);
  const own = await s.track(["next", "--review", "--agent", "ann"]);
  assertEquals(own.code, 4);
  assertStringIncludes(own.stderr, "submitted by you: T-0001");
  const bob = await s.json<{ ticket: { id: string; reviewer: string } }>(
    ["next", "--review", "--agent", "bob"],
  );
  assertEquals([bob.ticket.id, bob.ticket.reviewer], ["T-0001", "bob"]);
  // One reviewer per ticket; asking again gives bob the same one.
  const cat = await s.track(["next", "--review", "--agent", "cat"]);
  assertEquals(cat.code, 4);
  assertStringIncludes(cat.stderr, 'already being reviewed: T-0001 by "bob"');
  const again = await s.json<{ already: boolean }>(["next", "--review", "--agent", "bob"]);
  assertEquals(again.already, true);
  // Sent back for changes: the review ends; submitted again, bob may review it again.
  const back = await s.json<{ ticket: { reviewer: string | null } }>(
    ["update", "1", "--status", "in-progress", "--agent", "bob"],
  );
  assertEquals(back.ticket.reviewer, null);
});

Deno.test("epics: doctor names a parent that does not exist; an archived epic is fine", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "epic"]);
  await s.json(["create", "-t", "child", "--parent", "1"]);
  await s.json(["create", "-t", "other"]);
  const text = s.read("tickets/T-0003.md").replace("\n---\n", "\nparent: T-0042\n---\n");
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0003.md`, text);
  await s.json(["update", "1", "--status", "done", "--force"]);
  await s.json(["archive", "1"]);
  const r = await s.track(["doctor", "--json"]);
  const findings: Array<{ kind: string; file: string; advice: string }> =
    JSON.parse(r.stdout).findings;
  const missing = findings.filter((f) => f.kind === "missing-parent");
  assertEquals(missing.map((f) => [f.file, f.advice]), [[
    ".track/tickets/T-0003.md",
    "track update T-0003 --parent none",
  ]]);
});
