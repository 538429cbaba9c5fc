/**
 * Identities with sync on (docs/sync.md "Identities", design §7.4): a copied clone gets its own
 * clone id, agents name their host clone, acting as an agent of another clone exits 3,
 * `register --force` moves it, and unnamed `register` picks a name with the clone id in it
 * without the network. Real clones of tests/sync_world.ts, the real CLI as subprocesses.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { exists, testCommand } from "./helpers.ts";
import { Clone, raceClones, SyncWorld } from "./sync_world.ts";
import { syncPaths } from "../src/store/sync_config.ts";
import { readCloneId } from "../src/store/oplog.ts";
import { ENGINE_STATE_FILE, fingerprintPath, OBSERVED_FILE } from "../src/store/clone_home.ts";
import { engineStateFile } from "../src/operations/sync.ts";
import { OBSERVED_FILE as LEASES_OBSERVED_FILE } from "../src/operations/leases.ts";

const idOf = (c: Clone) => readCloneId(syncPaths(c.gitDir))!;

/** A ticket's front matter keys as the file has them (claim_id included). */
function ticketOf(c: Clone, id: string): Record<string, unknown> {
  const text = Deno.readTextFileSync(`${c.storeDir}/tickets/${id}.md`);
  const front = text.split("\n---\n")[0].split("\n").slice(1);
  return Object.fromEntries(front.map((l) => {
    const i = l.indexOf(": ");
    if (i === -1) return [l.replace(/:$/, ""), null];
    const v = l.slice(i + 2);
    // A value the front matter quotes (a tenure id starting with digits): its JSON string.
    return [l.slice(0, i), v.startsWith('"') ? JSON.parse(v) : v];
  }));
}

function agentRecord(c: Clone, name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(`${c.storeDir}/agents/${name}.json`));
}

/** Every board entry's text of a clone. */
function boardTexts(c: Clone): string[] {
  const out: string[] = [];
  const dir = `${c.storeDir}/board`;
  for (const day of Deno.readDirSync(dir)) {
    for (const f of Deno.readDirSync(`${dir}/${day.name}`)) {
      out.push(Deno.readTextFileSync(`${dir}/${day.name}/${f.name}`));
    }
  }
  return out;
}

async function cpA(from: string, to: string): Promise<void> {
  const out = await testCommand("cp", { args: ["-a", from, to], stderr: "piped" }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("a clone copied with cp -a gets its own clone id, re-homes its agents, says so once", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  // First (its first create reserves an id block through a sync, which would publish builder).
  await a.ok(["create", "-t", "held"]);
  await a.ok(["register", "--agent", "builder"]);
  const original = idOf(a);
  assertEquals(agentRecord(a, "builder").host, original);
  assert(Deno.statSync(fingerprintPath(syncPaths(a.gitDir))).isFile);
  // Provisional (exit 9): a pending decision of this clone, which the copy carries along.
  assertEquals((await a.track(["claim", "T-0001", "--agent", "builder", "--offline"])).code, 9);
  const tenure = ticketOf(a, "T-0001").claim_id as string;
  assert(
    tenure.startsWith(`${original}-`),
    `${tenure} is not a tenure of ${original} (now ${idOf(a)})`,
  );

  await cpA(a.dir, `${world.root}/copy`);
  const copy = new Clone(world, "copy", `${world.root}/copy`);
  assertEquals(idOf(copy), original, "cp -a carried the id along");
  // Lease observations timed on the original's clock (as a sync would have left them).
  const observed = `${syncPaths(copy.gitDir).private}/${OBSERVED_FILE}`;
  Deno.mkdirSync(syncPaths(copy.gitDir).private, { recursive: true });
  Deno.writeTextFileSync(observed, "{}\n");
  // A read changes nothing (and says nothing).
  const read = await copy.ok(["agents"]);
  assertEquals(read.stderr, "");
  assertEquals(idOf(copy), original);

  // A write that needs no sync (a create would reserve an id block through one first, and that
  // sync would record this clone's own observations).
  const first = await copy.ok(["board", "--agent", "builder", "-m", "made in the copy"]);
  assertStringIncludes(first.stderr, "this clone was copied");
  assertStringIncludes(first.stderr, `its id ${original}`);
  const mine = idOf(copy);
  assert(mine !== original, "a new clone id");
  assertStringIncludes(first.stderr, `it is clone ${mine} now`);
  assertStringIncludes(first.stderr, "agents builder act from it");
  assertEquals(agentRecord(copy, "builder").host, mine, "re-homed");
  assertEquals(OBSERVED_FILE, LEASES_OBSERVED_FILE);
  assert(!exists(observed), "the original's lease observations are dropped");
  const events = boardTexts(copy).filter((t) => t.includes("tag: clone-copied"));
  assertEquals(events.length, 1);
  assertStringIncludes(events[0], `clone ${original}`);
  // The oplog line of that write names the new id.
  const oplog = Deno.readTextFileSync(`${copy.storeDir}/oplog`).trim().split("\n");
  assertEquals(JSON.parse(oplog[oplog.length - 1]).clone, mine);
  // The original's pending claim is undone here and never replayed by this copy.
  assertStringIncludes(first.stderr, "pending claims of T-0001 were undone");
  assertEquals(ticketOf(copy, "T-0001").status, "backlog");
  assertEquals(oplog.filter((l) => "decision" in JSON.parse(l)), []);
  assertEquals(ticketOf(a, "T-0001").claim_id, tenure, "the original keeps its claim");
  assertEquals(ENGINE_STATE_FILE, engineStateFile(syncPaths(a.gitDir)).split("/").pop());

  // Once: the next write says nothing and keeps the id.
  const second = await copy.ok(["heartbeat", "--agent", "builder"]);
  assertEquals(second.stderr, "");
  assertEquals(idOf(copy), mine);

  // The original publishes its claim (and builder); the copy publishes no claim of its own.
  await a.ok(["sync"]);
  await copy.ok(["sync"]);
  assertEquals(ticketOf(copy, "T-0001").claim_id, tenure);
  assertEquals(ticketOf(copy, "T-0001").claimed_by, "builder");
  // "Already yours" needs the same host: the copy's builder does not hold the original's tenure.
  const again = await copy.track(["claim", "T-0001", "--agent", "builder"]);
  assertEquals(again.code, 3, again.stderr);
  assertStringIncludes(again.stderr, `on clone ${original}, not this one`);
  assertEquals((await a.json(["claim", "T-0001", "--agent", "builder"])).already, true);

  // The original is untouched: same id, its agent still its own.
  const there = await a.ok(["heartbeat", "--agent", "builder"]);
  assertEquals(there.stderr, "");
  assertEquals(idOf(a), original);
  assertEquals(agentRecord(a, "builder").host, original);
});

Deno.test("a copied clone's first sync publishes under its new id; published agents stay the original's", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["register", "--agent", "builder"]);
  await a.ok(["sync"]);
  await a.ok(["register", "--agent", "fresh"]); // not published
  const original = idOf(a);
  await cpA(a.dir, `${world.root}/copy`);
  const copy = new Clone(world, "copy", `${world.root}/copy`);

  const synced = await copy.ok(["sync"]);
  assertStringIncludes(synced.stderr, "this clone was copied");
  const mine = idOf(copy);
  assert(mine !== original);
  const subject = (await world.bareGit(["log", "-1", "--format=%s", "refs/track/state"])).stdout;
  assertStringIncludes(subject, `from clone ${mine}`);
  assertEquals(agentRecord(copy, "fresh").host, mine, "unpublished: moves with the copy");
  assertEquals(agentRecord(copy, "builder").host, original, "published: the original's");
  const refused = await copy.track(["heartbeat", "--agent", "builder"]);
  assertEquals(refused.code, 3, refused.stderr);
  assertStringIncludes(refused.stderr, `hosted by clone ${original}`);
  // The original keeps acting as builder.
  await a.ok(["sync"]);
  await a.ok(["heartbeat", "--agent", "builder"]);
});

Deno.test("a clone moved with mv keeps its id; a fingerprint from another machine mints a new one", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["register", "--agent", "builder"]);
  const original = idOf(a);
  await Deno.rename(a.dir, `${world.root}/moved`);
  const moved = new Clone(world, "moved", `${world.root}/moved`);
  const r = await moved.ok(["heartbeat", "--agent", "builder"]);
  assertEquals(r.stderr, "", "a move is not a copy");
  assertEquals(idOf(moved), original);

  // The same directory booted on another machine (a VM snapshot): machine-id differs.
  const file = fingerprintPath(syncPaths(moved.gitDir));
  const fp = JSON.parse(Deno.readTextFileSync(file));
  Deno.writeTextFileSync(file, JSON.stringify({ ...fp, machine_id: "another-machine" }) + "\n");
  const there = await moved.ok(["heartbeat", "--agent", "builder"]);
  assertStringIncludes(there.stderr, "this clone was copied");
  assert(idOf(moved) !== original);
  assertEquals(agentRecord(moved, "builder").host, idOf(moved));
  assertEquals(JSON.parse(Deno.readTextFileSync(file)).clone, idOf(moved));
});

Deno.test("two clones run --agent builder: the second is refused (exit 3); register --force moves it", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  await a.ok(["create", "-t", "one"]);
  await a.ok(["claim", "T-0001", "--agent", "builder"]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  assertEquals(agentRecord(b, "builder").host, idOf(a));

  const refused = await b.track(["heartbeat", "--agent", "builder", "--json"]);
  assertEquals(refused.code, 3, refused.stderr);
  const err = JSON.parse(refused.stderr).error;
  assertStringIncludes(err.message, `hosted by clone ${idOf(a)}`);
  assertStringIncludes(err.hint, "track register --agent builder --force");
  const claim = await b.track(["claim", "T-0001", "--agent", "builder"]);
  assertEquals(claim.code, 3, claim.stderr);
  assertStringIncludes(claim.stderr, idOf(a));
  const left = await b.track(["deregister", "--agent", "builder", "--release-tickets"]);
  assertEquals(left.code, 3, left.stderr);
  assertStringIncludes(left.stderr, idOf(a));
  // Registering the name without --force is refused too.
  const reg = await b.track(["register", "--agent", "builder"]);
  assertEquals(reg.code, 3, reg.stderr);

  // register --force moves the agent here; its ticket on a goes back as a lost claim.
  await b.ok(["register", "--agent", "builder", "--force"]);
  assertEquals(agentRecord(b, "builder").host, idOf(b));
  const t = await b.json<{ ticket: { status: string } }>(["show", "T-0001"]);
  assertEquals(t.ticket.status, "backlog");
  await b.ok(["sync"]);
  await a.ok(["sync"]);
  assertEquals(agentRecord(a, "builder").host, idOf(b));
  // The old host's tenure is fenced: its late write is refused as a lost claim.
  const late = await a.track(["log", "T-0001", "--agent", "builder", "-m", "late"]);
  assertEquals(late.code, 3, late.stderr);
  assertStringIncludes(late.stderr, "lost its claim");
  assertStringIncludes(late.stderr, `moved to clone ${idOf(b)}`);
  const gone = await a.track(["heartbeat", "--agent", "builder"]);
  assertEquals(gone.code, 3, gone.stderr);
  assertStringIncludes(gone.stderr, `hosted by clone ${idOf(b)}`);
  // On b it works.
  await b.ok(["claim", "T-0001", "--agent", "builder"]);
});

Deno.test("register --force is a decision: a move published first by another clone wins (exit 3), nothing of the loser's move is published", async () => {
  await using world = await SyncWorld.create();
  const [a, b, c] = await world.syncedClones(["a", "b", "c"]);
  await a.ok(["create", "-t", "one"]);
  await a.ok(["claim", "T-0001", "--agent", "builder"]);
  await b.ok(["sync"]);
  await c.ok(["sync"]);

  // b decides to move builder, then stops before it fetches; c moves it and publishes first.
  const barrier = await world.gitBarrier(["fetch"]);
  const moving = b.track(["register", "--agent", "builder", "--force", "--json"], {
    env: barrier.env,
  });
  await barrier.reached();
  const won = await c.json<{ confirmed: boolean }>(["register", "--agent", "builder", "--force"]);
  assertEquals(won.confirmed, true);
  await barrier.release();
  const lost = await moving;
  assertEquals(lost.code, 3, lost.stderr);
  const err = JSON.parse(lost.stderr).error;
  assertStringIncludes(err.message, `moved to clone ${idOf(c)} meanwhile`);
  // The remote has c's move; b's store shows it too, and b may not act as builder.
  await a.ok(["sync"]);
  assertEquals(agentRecord(a, "builder").host, idOf(c));
  assertEquals(agentRecord(b, "builder").host, idOf(c));
  const refused = await b.track(["heartbeat", "--agent", "builder"]);
  assertEquals(refused.code, 3, refused.stderr);
  assertStringIncludes(refused.stderr, `hosted by clone ${idOf(c)}`);
  // A move settled offline is provisional (exit 9), confirmed by the next sync.
  const offline = await a.track(["register", "--agent", "builder", "--force", "--offline"]);
  assertEquals(offline.code, 9, offline.stderr);
  const synced = await a.json<{ decisions: Array<{ kind: string; outcome: string }> }>(["sync"]);
  assertEquals(synced.decisions.map((d) => [d.kind, d.outcome]), [["register", "confirmed"]]);
  await c.ok(["sync"]);
  assertEquals(agentRecord(c, "builder").host, idOf(a));
});

Deno.test("four clones register at the same instant without names: four names, no network", async () => {
  await using world = await SyncWorld.create();
  const clones = await world.syncedClones(["a", "b", "c", "d"]);
  // Every clone has its id (a first write), then the remote goes away: no round trip needed.
  for (const c of clones) await c.ok(["create", "-t", `from ${c.name}`]);
  await Deno.rename(world.bare, `${world.bare}.gone`);
  const results = await raceClones(clones.map((clone) => ({
    clone,
    runs: [["register", "--json"]],
  })));
  const names = results.map(([r], i) => {
    assertEquals(r.code, 0, `${clones[i].name}: ${r.stderr}`);
    const agent = JSON.parse(r.stdout).agent;
    assertEquals(agent.host, idOf(clones[i]));
    return agent.id as string;
  });
  assertEquals(new Set(names).size, 4, names.join(" "));
  names.forEach((n, i) => {
    assertMatch(n, /^[a-z]+-[0-9a-f]{6}$/);
    assert(n.endsWith(`-${idOf(clones[i]).slice(0, 6)}`), `${n} names its clone`);
    assertEquals(agentRecord(clones[i], n).host, idOf(clones[i]));
  });
  // A second unnamed register on one clone picks the next word, auto-sync on and the remote
  // still gone: it returns at once (the background sync fails on its own).
  const next = await clones[0].json<{ agent: { id: string } }>(["register"], {
    env: { TRACK_SYNC: "auto" },
  });
  assert(next.agent.id !== names[0] && next.agent.id.endsWith(idOf(clones[0]).slice(0, 6)));
});

Deno.test("without a remote: agents have no host and register picks agent-alpha", async () => {
  await using world = await SyncWorld.create();
  const a = await world.clone("a");
  const r = await a.json<{ agent: { id: string } }>(["register"]);
  assertEquals(r.agent.id, "agent-alpha");
  assertEquals("host" in agentRecord(a, "agent-alpha"), false);
});
