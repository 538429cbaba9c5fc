/**
 * Decisions across machines (docs/sync.md "Decisions"; issue 21): claims replayed on the
 * remote's state, exit 0 only once published, 3 when another clone's claim was published first,
 * 8 withdrawing the claim, 9 for a provisional grant. Real git, a bare repository given as a
 * path and clones of it (tests/sync_world.ts), the real CLI as subprocesses.
 */
import { assert, assertEquals } from "./assert.ts";
import { type Clone, SyncWorld } from "./sync_world.ts";

/** The front matter value `key` of ticket `id` in `c`'s store, or null. */
function field(c: Clone, id: string, key: string): string | null {
  const text = Deno.readTextFileSync(`${c.storeDir}/tickets/${id}.md`);
  const m = new RegExp(`^${key}: (.*)$`, "m").exec(text);
  return m === null || m[1] === "null" ? null : m[1].replace(/^"|"$/g, "");
}

/** The front matter value `key` of ticket `id` on the remote's state ref, or null. */
async function remoteField(w: SyncWorld, id: string, key: string): Promise<string | null> {
  const shard = id.slice(-2);
  const r = await w.git(["show", `refs/track/state:tickets/${shard}/${id}.md`], w.bare);
  if (r.code !== 0) return null;
  const m = new RegExp(`^${key}: (.*)$`, "m").exec(r.stdout);
  return m === null || m[1] === "null" ? null : m[1].replace(/^"|"$/g, "");
}

/** Two synced clones sharing tickets T-0001…T-000n (created on a, published, fetched by b). */
async function twoClones(n = 3): Promise<[SyncWorld, Clone, Clone]> {
  const w = await SyncWorld.create();
  try {
    const [a, b] = await w.syncedClones(["a", "b"]);
    for (let i = 1; i <= n; i++) await a.ok(["create", "--title", `Ticket ${i}`]);
    await a.ok(["sync"]);
    await b.ok(["sync"]);
    return [w, a, b];
  } catch (e) {
    await w[Symbol.asyncDispose]();
    throw e;
  }
}

Deno.test("a claim with sync on exits 0 only once published; the same ticket claimed on a stale clone exits 3 naming the winner", async () => {
  const [w, a, b] = await twoClones();
  await using _ = w;
  const won = await a.json<{ confirmed: boolean; ticket: { claimed_by: string } }>([
    "claim",
    "T-0001",
    "--agent",
    "alpha",
  ]);
  assertEquals(won.confirmed, true);
  const tenure = field(a, "T-0001", "claim_id");
  assert(tenure !== null && /^[0-9a-f]{12}-\d+$/.test(tenure), String(tenure));
  // Published before the command returned.
  assertEquals(await remoteField(w, "T-0001", "claim_id"), tenure);
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");

  // b has not fetched since: locally T-0001 is still in the backlog.
  assertEquals(field(b, "T-0001", "status"), "backlog");
  const lost = await b.track(["claim", "T-0001", "--agent", "bravo", "--json"]);
  assertEquals(lost.code, 3, lost.stderr);
  const err = JSON.parse(lost.stderr).error;
  assertEquals(err.detail.winner, "alpha");
  assert(err.message.includes("alpha"), err.message);
  // b's store now shows the winner; the remote still has a's tenure.
  assertEquals(field(b, "T-0001", "claimed_by"), "alpha");
  assertEquals(field(b, "T-0001", "claim_id"), tenure);
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  assertEquals(await remoteField(w, "T-0001", "claim_id"), tenure);
  // The loser is told on the board.
  const board = await b.json<{ entries: Array<{ tag: string; ticket: string | null }> }>([
    "board",
    "--last",
    "100",
  ]);
  assert(board.entries.some((e) => e.tag === "claim-lost" && e.ticket === "T-0001"));
});

Deno.test("claim --offline (and TRACK_SYNC=off) is provisional, exit 9; the next sync confirms it or fences it", async () => {
  const [w, a, b] = await twoClones();
  await using _ = w;
  const pushesBefore = await w.remoteRef();
  const r = await a.track(["claim", "T-0002", "--agent", "alpha", "--offline", "--json"]);
  assertEquals(r.code, 9, r.stderr);
  assertEquals(JSON.parse(r.stdout).confirmed, false);
  assert(r.stderr.includes("not confirmed"), r.stderr);
  // Nothing was sent.
  assertEquals(await w.remoteRef(), pushesBefore);
  const off = await a.track(["claim", "T-0003", "--agent", "alpha", "--json"], {
    env: { TRACK_SYNC: "off" },
  });
  assertEquals(off.code, 9, off.stderr);

  // Meanwhile b claims T-0002 and publishes first.
  const bWon = await b.json<{ confirmed: boolean }>(["claim", "T-0002", "--agent", "bravo"]);
  assertEquals(bWon.confirmed, true);

  // a's next sync: its T-0002 claim is lost (b's published first), its T-0003 claim confirmed.
  const s = await a.json<{
    decisions: Array<{ ticket: string; outcome: string; winner: string | null }>;
  }>(["sync"]);
  const by = new Map(s.decisions.map((d) => [d.ticket, d]));
  assertEquals(by.get("T-0002")?.outcome, "lost");
  assertEquals(by.get("T-0002")?.winner, "bravo");
  assertEquals(by.get("T-0003")?.outcome, "confirmed");
  assertEquals(field(a, "T-0002", "claimed_by"), "bravo");
  assertEquals(await remoteField(w, "T-0002", "claimed_by"), "bravo");
  assertEquals(await remoteField(w, "T-0003", "claimed_by"), "alpha");
  // alpha's later writes to the ticket it lost are refused (exit 3), none applied.
  const late = await a.track(["update", "T-0002", "--status", "in-progress", "--agent", "alpha"]);
  assertEquals(late.code, 3, late.stderr);
});

Deno.test("exit 8 withdraws the claim: the agent does not hold it, and no sync publishes it", async () => {
  const [w, a] = await twoClones();
  await using _ = w;
  await Deno.rename(w.bare, `${w.bare}.away`);
  const r = await a.track(["claim", "T-0001", "--agent", "alpha", "--json"]);
  assertEquals(r.code, 8, r.stderr);
  const err = JSON.parse(r.stderr).error;
  assertEquals(err.detail.withdrawn, true);
  assert(err.message.includes("do not start"), err.message);
  assertEquals(field(a, "T-0001", "status"), "backlog");
  assertEquals(field(a, "T-0001", "claimed_by"), null);
  await Deno.rename(`${w.bare}.away`, w.bare);
  await a.ok(["sync"]);
  assertEquals(await remoteField(w, "T-0001", "status"), "backlog");
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), null);
});

Deno.test("a claim whose push landed although its command exited 8 is released by the next sync", async () => {
  const [w, a] = await twoClones();
  await using _ = w;
  // The remote accepts the push, then its hook outlasts the client's budget: the client is
  // told nothing (exit 8) although the ref moved.
  const gate = `${w.root}/hook-gate`;
  await w.hook(
    "post-receive",
    `exec >/dev/null 2>&1 </dev/null; while [ ! -e '${gate}' ]; do sleep 0.05; done`,
  );
  const r = await a.track(["claim", "T-0001", "--agent", "alpha", "--json"], {
    env: { TRACK_SYNC_TIMEOUT: "3000" },
  });
  Deno.writeTextFileSync(gate, "");
  assertEquals(r.code, 8, r.stderr);
  assertEquals(field(a, "T-0001", "claimed_by"), null);
  // It did land.
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  await Deno.remove(`${w.bare}/hooks/post-receive`);
  const s = await a.json<{ pushed: boolean }>(["sync"]);
  assert(s.pushed);
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), null);
  assertEquals(await remoteField(w, "T-0001", "status"), "backlog");
  assertEquals(field(a, "T-0001", "status"), "backlog");
});

Deno.test("a claim racing a dependency reopened on another clone is refused", async () => {
  const [w, a, b] = await twoClones(2);
  await using _ = w;
  await a.ok(["update", "T-0002", "--depends-on", "T-0001"]);
  await a.ok(["claim", "T-0001", "--agent", "alpha"]);
  await a.ok(["update", "T-0001", "--status", "done", "--agent", "alpha", "--force"]);
  await a.ok(["sync"]);
  await b.ok(["sync"]);
  // b reopens T-0001 and publishes; a has not fetched since and claims T-0002.
  await b.ok(["update", "T-0001", "--status", "backlog", "--agent", "bravo"]);
  await b.ok(["sync"]);
  assertEquals(field(a, "T-0001", "status"), "done");
  const r = await a.track(["claim", "T-0002", "--agent", "alpha", "--json"]);
  assertEquals(r.code, 3, r.stderr);
  assert(JSON.parse(r.stderr).error.message.includes("T-0001"), r.stderr);
  assertEquals(await remoteField(w, "T-0002", "claimed_by"), null);
  assertEquals(field(a, "T-0002", "claimed_by"), null);
});

Deno.test("next on two stale clones at once: each gets a different ticket (the loser picks again)", async () => {
  const [w, a, b] = await twoClones(2);
  await using _ = w;
  const [ra, rb] = await Promise.all([
    a.track(["next", "--agent", "alpha", "--json"]),
    b.track(["next", "--agent", "bravo", "--json"]),
  ]);
  assertEquals(ra.code, 0, ra.stderr);
  assertEquals(rb.code, 0, rb.stderr);
  const ta = JSON.parse(ra.stdout).ticket.id;
  const tb = JSON.parse(rb.stdout).ticket.id;
  assert(ta !== tb, `both got ${ta}`);
  assertEquals(await remoteField(w, ta, "claimed_by"), "alpha");
  assertEquals(await remoteField(w, tb, "claimed_by"), "bravo");
});

Deno.test("a forced move decided on a stale view is refused: the remote's newer claim state stands", async () => {
  const [w, a, b] = await twoClones(1);
  await using _ = w;
  await a.ok(["claim", "T-0001", "--agent", "alpha"]);
  await b.ok(["sync"]);
  // alpha starts work and publishes it; b has not fetched since.
  await a.ok(["update", "T-0001", "--status", "in-progress", "--agent", "alpha"]);
  await a.ok(["sync"]);
  assertEquals(field(b, "T-0001", "status"), "claimed");
  const r = await b.track([
    "update",
    "T-0001",
    "--status",
    "backlog",
    "--force",
    "--agent",
    "bravo",
    "--json",
  ]);
  assertEquals(r.code, 3, r.stderr);
  assert(JSON.parse(r.stderr).error.message.includes("changed on another machine"), r.stderr);
  assertEquals(await remoteField(w, "T-0001", "status"), "in-progress");
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  assertEquals(field(b, "T-0001", "status"), "in-progress");
});

Deno.test("two clones reserving overlapping paths exclusively: the second to publish is refused", async () => {
  const [w, a, b] = await twoClones(2);
  await using _ = w;
  await a.ok(["claim", "T-0001", "--agent", "alpha"]);
  await b.ok(["claim", "T-0002", "--agent", "bravo"]);
  await a.ok(["sync"]);
  const mine = await a.track([
    "files",
    "--add",
    "src/x.ts",
    "--agent",
    "alpha",
    "--ticket",
    "T-0001",
  ]);
  assertEquals(mine.code, 0, mine.stderr);
  // b has not fetched alpha's reservation: locally src/** is free.
  const r = await b.track([
    "files",
    "--add",
    "src/**",
    "--agent",
    "bravo",
    "--ticket",
    "T-0002",
    "--json",
  ]);
  assertEquals(r.code, 3, r.stderr);
  assert(JSON.parse(r.stderr).error.message.includes("alpha"), r.stderr);
  const shown = await w.git(["show", "refs/track/state:reservations.json"], w.bare);
  assert(shown.stdout.includes('"src/x.ts"'), shown.stdout);
  assert(!shown.stdout.includes('"src/**"'), shown.stdout);
  await b.ok(["sync"]);
  assert(!Deno.readTextFileSync(`${b.storeDir}/reservations.json`).includes('"src/**"'));
});

Deno.test("group commit: claims waiting for the sync lock that an earlier push carried return without a push of their own", async () => {
  const [w, a] = await twoClones(6);
  await using _ = w;
  const pushes = await w.countPushes();
  const first = await w.pushBarrier();
  const second = await w.pushBarrier();
  const oplog = `${a.storeDir}/oplog`;
  const decided = () =>
    Deno.readTextFileSync(oplog).split("\n").filter((l) => l.includes('"decision"')).length;
  const before = decided();
  // alpha's claim stops at its push; five more claims decide meanwhile and queue for the lock.
  const one = a.track(["claim", "T-0001", "--agent", "alpha"], { env: first.env });
  await first.reached();
  const rest = [2, 3, 4, 5, 6].map((n) =>
    a.track(["claim", `T-000${n}`, "--agent", `agent${n}`], { env: second.env })
  );
  for (let i = 0; decided() < before + 6; i++) {
    if (i > 3000) throw new Error("the five claims never decided");
    await new Promise((r) => setTimeout(r, 10));
  }
  await first.release();
  // The next sync carries all five; while its push waits, a plain write changes the store.
  await second.reached();
  await a.ok(["log", "T-0001", "--agent", "alpha", "-m", "meanwhile"]);
  await second.release();
  const results = await Promise.all([one, ...rest]);
  for (const r of results) assertEquals(r.code, 0, r.stderr);
  // Two pushes for six claims: the four waiters found their decision carried and pushed nothing.
  assertEquals(pushes(), 2);
  for (let n = 1; n <= 6; n++) {
    assertEquals(await remoteField(w, `T-000${n}`, "status"), "claimed");
  }
});

Deno.test("a claim made by editing the ticket file (no track command) is never published: sync exits 6 naming it", async () => {
  const [w, a] = await twoClones(1);
  await using _ = w;
  const file = `${a.storeDir}/tickets/T-0001.md`;
  const before = await w.remoteRef();
  Deno.writeTextFileSync(
    file,
    Deno.readTextFileSync(file)
      .replace(/^status: backlog$/m, "status: claimed")
      .replace(/^claimed_by: null$/m, "claimed_by: mallory"),
  );
  const r = await a.track(["sync", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  assert(JSON.parse(r.stderr).error.message.includes("tickets/T-0001.md"), r.stderr);
  assertEquals(await w.remoteRef(), before);
  // A change to another field by hand is not a claim: it is published as before.
  Deno.writeTextFileSync(
    file,
    Deno.readTextFileSync(file)
      .replace(/^status: claimed$/m, "status: backlog")
      .replace(/^claimed_by: mallory$/m, "claimed_by: null")
      .replace(/^priority: medium$/m, "priority: high"),
  );
  await a.ok(["sync"]);
  assertEquals(await remoteField(w, "T-0001", "priority"), "high");
});

Deno.test("a claim whose sync cannot take the clone's sync lock in time is exit 8 (withdrawn), not a lock timeout", async () => {
  const [w, a] = await twoClones(2);
  await using _ = w;
  const held = await w.pushBarrier();
  // A sync of this clone holds the sync lock, stopped at its push.
  await a.ok(["log", "T-0002", "--agent", "alpha", "-m", "pending"]);
  const other = a.track(["sync"], { env: held.env });
  await held.reached();
  const r = await a.track(["claim", "T-0001", "--agent", "bravo", "--json"], {
    env: { TRACK_SYNC_TIMEOUT: "1500" },
  });
  await held.release();
  assertEquals((await other).code, 0);
  assertEquals(r.code, 8, r.stderr);
  const err = JSON.parse(r.stderr).error;
  assertEquals(err.detail.withdrawn, true);
  assert(err.message.includes("do not start"), err.message);
  assertEquals(field(a, "T-0001", "claimed_by"), null);
});

Deno.test("a sync killed after its push was accepted, before it recorded the state it wrote: the next sync takes the remote's newer claim, no exit 6", async () => {
  const [w, a, b] = await twoClones(1);
  await using _ = w;
  const before = await b.ref("refs/track/local");
  assert(before !== null);
  await b.ok(["claim", "T-0001", "--agent", "bravo"]);
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "bravo");
  // The cut: the store holds the published claim, refs/track/local still the state before it
  // (a kill between writing the store and moving the ref).
  const cut = await b.git(["update-ref", "refs/track/local", before]);
  assertEquals(cut.code, 0, cut.stderr);
  // Meanwhile another clone moves the ticket's claim on (a forced claim).
  await a.ok(["sync"]);
  await a.ok(["claim", "T-0001", "--agent", "alpha", "--force"]);
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  const r = await b.track(["sync", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  // The remote's newer claim stands on both sides; b's store shows it.
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  assertEquals(field(b, "T-0001", "claimed_by"), "alpha");
});

Deno.test("a sync killed after its accepted push was recorded, before it wrote the store: the lost claim it carried is settled by the next sync, no exit 6", async () => {
  const [w, a, b] = await twoClones(1);
  await using _ = w;
  await a.ok(["claim", "T-0001", "--agent", "alpha"]);
  // b has not fetched: its claim is provisional, then lost at b's next sync.
  const provisional = await b.track(["claim", "T-0001", "--agent", "bravo", "--offline"]);
  assertEquals(provisional.code, 9, provisional.stderr);
  const victim = await w.spawn(
    [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      new URL("./sync_step_worker.ts", import.meta.url).pathname,
      "recorded",
    ],
    { cwd: b.dir },
  ).output();
  assertEquals(victim.signal, "SIGKILL", new TextDecoder().decode(victim.stderr));
  // The push carrying the lost claim was accepted; b's store still shows bravo's claim.
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  assertEquals(field(b, "T-0001", "claimed_by"), "bravo");
  const r = await b.track(["sync", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(field(b, "T-0001", "claimed_by"), "alpha");
  assertEquals(await remoteField(w, "T-0001", "claimed_by"), "alpha");
  // bravo is told it lost.
  const board = await b.json<{ entries: Array<{ tag: string; ticket: string | null }> }>([
    "board",
    "--last",
    "100",
  ]);
  assert(board.entries.some((e) => e.tag === "claim-lost" && e.ticket === "T-0001"));
});
