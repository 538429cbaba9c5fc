/**
 * `track migrate` on the agent-track 0.1 fixture (tests/fixtures/agent-track-0.1, written from
 * the 0.1 description): nothing lost, backup first, dry run writes nothing, second run is a no-op.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";
import type { TicketJson } from "../src/model/json.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/agent-track-0.1", import.meta.url));

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** A temp project whose .track/ is a copy of the 0.1 fixture. */
async function legacyProject() {
  const p = await tempStore({ init: false });
  copyDir(FIXTURE, p.dir);
  return p;
}

function backups(root: string): string[] {
  return [...Deno.readDirSync(root)].map((e) => e.name).filter((n) =>
    n.startsWith(".track-backup-")
  );
}

/** What `show --json` prints of a ticket (the fields these tests read). */
type TicketOut = TicketJson & { body: string };

Deno.test("migrate --dry-run lists every change and writes nothing", async () => {
  await using p = await legacyProject();
  const before = snapshot(p.root);
  const out = await p.json<{ dry_run: boolean; changes: Array<{ file: string; what: string }> }>([
    "migrate",
    "--dry-run",
  ]);
  assertEquals(out.dry_run, true);
  const count = (what: string) => out.changes.filter((c) => c.what === what).length;
  assertEquals(count("ticket"), 4);
  assertEquals(count("agent"), 2);
  assertEquals(count("board"), 4);
  assertEquals(count("config"), 1);
  assertEquals(snapshot(p.root), before);
  const human = await p.track(["migrate", "--dry-run"]);
  assertEquals(human.code, 0, human.stderr);
  assertStringIncludes(human.stdout, "would rewrite .track/tickets/T-0001.md (ticket)");
  assertEquals(snapshot(p.root), before);
});

Deno.test("migrate converts a 0.1 store keeping ids, timestamps, authors, bodies and messages", async () => {
  await using p = await legacyProject();
  const original = snapshot(p.dir);
  const r = await p.track(["migrate"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /backup in .*\.track-backup-\d{8}T\d{6}Z/);

  // The backup is a byte-for-byte copy of the store before the migration.
  const [backup] = backups(p.root);
  assertEquals(snapshot(`${p.root}/${backup}`), original);

  const show = async (id: string) => (await p.json<{ ticket: TicketOut }>(["show", id])).ticket;
  const t1 = await show("T-0001");
  assertEquals(t1.title, "Fix auth bug: token refresh fails");
  assertEquals(t1.status, "in-progress");
  assertEquals(t1.priority, "high");
  assertEquals(t1.created, "2025-03-01T09:15:22.481516+00:00");
  assertEquals(t1.created_by, "agent-alpha");
  assertEquals(t1.claimed_by, "agent-alpha");
  assertEquals(t1.claimed_at, "2025-03-01T09:20:03.112233+00:00");
  assertEquals(t1.labels, ["auth", "bug"]);
  assertEquals(t1.branch, "fix/auth-refresh");
  assertEquals(t1.files, ["src/auth/token.py", "src/auth/session.py"]);
  assertEquals(t1.depends_on, []);
  // The body (description, criteria, the 0.1 work log) is kept byte for byte.
  const oldBody = Deno.readTextFileSync(`${FIXTURE}/tickets/T-0001.md`).split("\n---\n")[1];
  assertEquals(t1.body, oldBody);

  const t2 = await show("T-0002");
  assertEquals(t2.title, 'Add "remember me" checkbox');
  assertEquals([t2.claimed_by, t2.claimed_at, t2.branch], [null, null, null]);
  assertEquals(t2.depends_on, ["T-0001"]);
  assertStringIncludes(t2.body, "Café-style login page ✓");
  const t3 = await show("T-0003");
  assertEquals([t3.created_by, t3.branch, t3.labels, t3.status], [null, null, ["ci"], "done"]);
  const t4 = await show("T-0004");
  assertEquals(t4.title, "Review: use #hashtags in titles");
  assertEquals(t4.labels, ["ui", "needs review"]);
  assertEquals(t4.depends_on, ["T-0001", "T-0002"]);
  assertEquals(t4.files, ["web/app.js"]);

  // Agents: our keys plus every 0.1 key, values unchanged.
  const alpha = JSON.parse(p.read("agents/agent-alpha.json"));
  const oldAlpha = JSON.parse(Deno.readTextFileSync(`${FIXTURE}/agents/agent-alpha.json`));
  for (const k of ["registered_at", "last_heartbeat", "capabilities", "session_id", "worktree"]) {
    assertEquals(alpha[k], oldAlpha[k], k);
  }
  for (const k of ["current_ticket", "files_modified", "history"]) {
    assertEquals(alpha[k], oldAlpha[k], k);
  }
  assertEquals(alpha.status, "active");
  assertEquals(alpha.agent_track_status, "working");
  assertEquals(JSON.parse(p.read("agents/agent-beta.json")).agent_track_status, "idle");

  // Board: oldest first, timestamps as written, a `---` inside a message kept.
  const board = await p.json<{
    entries: Array<
      { at: string; agent: string; ticket: string | null; tag: string; message: string }
    >;
  }>(["board", "--last", "100"]);
  assertEquals(board.entries.map((e) => [e.at, e.agent, e.ticket, e.tag]), [
    ["2025-03-01T09:30:00+00:00", "agent-alpha", null, "info"],
    ["2025-03-01T10:05:12+00:00", "agent-beta", null, "info"],
    ["2025-03-01T10:05:12+00:00", "agent-alpha", "T-0001", "update"],
    ["2025-03-01T11:40:00+00:00", "agent-beta", "T-0002", "question"],
  ]);
  assertEquals(
    board.entries[2].message,
    "Root cause found. Plan:\n- refresh on 401\n---\n(the line above is three dashes inside the message)\n- retry once",
  );
  assertEquals(board.entries[1].message, "Same second as the message above; café ✓");
  assertEquals(board.entries[0].message, "Starting work on auth module");
  assertEquals(board.entries[3].message, 'Should "remember me" last 30 days?');

  // The migrated store works: config exists, a 0.1 backlog ticket can be claimed.
  assertEquals(JSON.parse(p.read("config.json")).schema, 1);
  const claim = await p.track(["claim", "T-0003", "--agent", "agent-beta"]);
  assertEquals(claim.code, 3, "a done ticket cannot be claimed");
  const ok = await p.track(["update", "T-0001", "--status", "review", "--agent", "agent-alpha"]);
  assertEquals(ok.code, 0, ok.stderr);
});

Deno.test("migrate twice: the second run changes nothing and writes no backup", async () => {
  await using p = await legacyProject();
  assertEquals((await p.track(["migrate"])).code, 0);
  const after = snapshot(p.root);
  const again = await p.json<{ changes: unknown[]; backup: string | null }>(["migrate"]);
  assertEquals(again.changes, []);
  assertEquals(again.backup, null);
  assertEquals(snapshot(p.root), after);
  assertEquals(backups(p.root).length, 1);
});

Deno.test("migrate --from PATH converts a store elsewhere", async () => {
  await using p = await legacyProject();
  const elsewhere = await Deno.makeTempDir({ prefix: "track-cwd-" });
  try {
    const r = await p.track(["migrate", "--from", p.root], { cwd: elsewhere });
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(p.read("tickets/T-0001.md"), 'title: "Fix auth bug: token refresh fails"');
    const missing = await p.track(["migrate", "--from", `${elsewhere}/nope`], { cwd: elsewhere });
    assertEquals(missing.code, 4);
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("migrate refuses a ticket it cannot convert and changes nothing", async () => {
  await using p = await legacyProject();
  const path = `${p.dir}/tickets/T-0003.md`;
  Deno.writeTextFileSync(
    path,
    Deno.readTextFileSync(path).replace("status: done", "status: finished"),
  );
  const before = snapshot(p.root);
  const r = await p.track(["migrate"]);
  assertEquals(r.code, 6, r.stderr);
  assertStringIncludes(r.stderr, ".track/tickets/T-0003.md");
  assertStringIncludes(r.stderr, "status");
  assertEquals(backups(p.root), []);
  const after = snapshot(p.root);
  after.delete(".track/lock"); // the lock file is created by taking the lock
  assertEquals(after, before);
});

Deno.test("migrate on a store already in this format does nothing", async () => {
  await using p = await tempStore();
  assertEquals((await p.track(["create", "--title", "x"])).code, 0);
  const before = snapshot(p.root);
  const r = await p.track(["migrate"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "Nothing to migrate");
  assertEquals(snapshot(p.root), before);
  assert(backups(p.root).length === 0);
});
