/**
 * The dashboard's sync panel (src/dashboard/sync_panel.ts, docs/dashboard.md "Sync") against a
 * real bare repository and clones (tests/sync_world.ts), through the real handler: what
 * `GET /api/sync` reports (from local files), the Sync button behind the token that answers at
 * once while the step runs in the background (here: while another sync holds the clone's sync
 * lock), the poll that notices the remote moving and fetches it, and "offline since".
 */
import { assert, assertEquals } from "./assert.ts";
import { mainEnv, tempStore } from "./helpers.ts";
import { type Clone, SyncWorld } from "./sync_world.ts";
import { discoverStore } from "../src/store/discovery.ts";
import { Store, storeFor } from "../src/store/store.ts";
import { createHandler } from "../src/dashboard/handler.ts";
import { SyncPanel } from "../src/dashboard/sync_panel.ts";
import { get, PORT, TOKEN, write } from "../src/dashboard/test_requests.ts";

function openStore(c: Clone): Store {
  const found = discoverStore(c.dir, mainEnv());
  return storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
}

function dashboard(store: Store, mode: "auto" | "manual" = "auto") {
  const sync = new SyncPanel(store, { now: () => new Date(), mode, timeoutMs: 30_000 });
  const handle = createHandler({ store, port: PORT, token: TOKEN, sync });
  const status = async () => {
    const r = await handle(get("/api/sync"));
    assertEquals(r.status, 200);
    return (await r.json()).sync;
  };
  return { sync, handle, status };
}

/** `p`, or an error naming `what` after 60 s. */
async function guarded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang guard: ${what}`)), 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("dashboard sync: with sync off GET /api/sync is null and the Sync button says how to turn it on", async () => {
  await using ts = await tempStore();
  const { handle, status } = dashboard(new Store(ts.dir));
  assertEquals(await status(), null);
  const r = await handle(write("/api/sync", {}));
  assertEquals(r.status, 409);
  assertEquals((await r.json()).error.hint, "track remote add <remote>");
});

Deno.test("dashboard sync: the panel's data; the Sync button needs the token and answers while the step waits for another sync of the clone", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  const store = openStore(a);
  const { sync, handle, status } = dashboard(store);
  let s = await status();
  assertEquals([s.remote, s.ref, s.pending_changes, s.pending_decisions], [
    "origin",
    "refs/track/state",
    1,
    0,
  ]);
  assert(s.last_push !== null, "remote add published the store");
  assertEquals([s.offline_since, s.running, s.remote_changed], [null, false, false]);
  assertEquals(s.clone_id?.length, 12);

  // Refused without the token or from another origin: nothing starts.
  const refused: Array<Record<string, string | null>> = [
    { "x-track-token": null },
    { origin: "http://evil.example" },
  ];
  for (const h of refused) {
    const r = await handle(write("/api/sync", {}, h));
    assertEquals(r.status, 403);
    assertEquals(sync.running, null);
  }

  // Another sync of this clone holds the sync lock (its push held at a barrier): the button's
  // answer does not wait for it; the step runs (waiting its turn) off the request.
  const barrier = await world.pushBarrier();
  await a.ok(["create", "--title", "two"]);
  const other = a.sync([], { env: barrier.env });
  await guarded(barrier.reached(), "the other sync never reached its push");
  const r = await guarded(handle(write("/api/sync", {})), "POST /api/sync waited for the sync");
  assertEquals(r.status, 200);
  assertEquals((await r.json()).started, true);
  s = await status();
  assertEquals(s.running, true);
  await barrier.release();
  assertEquals((await other).code, 0);
  await guarded(sync.running ?? Promise.resolve(), "the dashboard's sync step never ended");
  s = await status();
  assertEquals([s.pending_changes, s.running, s.offline_since], [0, false, null]);
  await sync.stop();
});

Deno.test("dashboard sync: the poll notices the remote moving (git ls-remote) and fetches it; a write from the page syncs", async () => {
  await using world = await SyncWorld.create();
  const [a, b] = await world.syncedClones(["a", "b"]);
  const store = openStore(a);
  const { sync, handle, status } = dashboard(store);
  await sync.poll();
  let s = await status();
  assertEquals(s.remote_changed, false);
  assert(s.remote_tip !== null && s.polled_at !== null, JSON.stringify(s));
  await b.ok(["create", "--title", "from b"]);
  await b.ok(["sync"]);
  await sync.poll();
  // Noticed, and (TRACK_SYNC auto) a fetch started at once.
  assert(sync.running !== null, "a remote change starts a sync step");
  await guarded(sync.running!, "the fetch never ended");
  s = await status();
  assertEquals(s.remote_changed, false);
  const listed = await a.json<{ tickets: Array<{ title: string }> }>(["list"]);
  assertEquals(listed.tickets.map((t) => t.title), ["from b"]);

  // A write from the page: published by a step that follows it.
  const created = await handle(write("/api/create", { title: "from the page" }));
  assertEquals(created.status, 200);
  assert(sync.running !== null, "a write from the page starts a sync step");
  await guarded(sync.running!, "the step after the write never ended");
  await b.ok(["sync"]);
  const onB = await b.json<{ tickets: Array<{ title: string }> }>(["list"]);
  assertEquals(onB.tickets.map((t) => t.title).sort(), ["from b", "from the page"]);
  await sync.stop();
});

Deno.test("dashboard sync: with TRACK_SYNC=manual the page's writes and the poll start nothing; the button still syncs", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  const { sync, handle, status } = dashboard(openStore(a), "manual");
  assertEquals((await handle(write("/api/create", { title: "x" }))).status, 200);
  assertEquals(sync.running, null);
  assertEquals((await status()).pending_changes, 1);
  assertEquals((await handle(write("/api/sync", {}))).status, 200);
  await guarded(sync.running ?? Promise.resolve(), "the button's step never ended");
  assertEquals((await status()).pending_changes, 0);
});

Deno.test("dashboard sync: a failed step shows offline since (and why) until a step completes", async () => {
  await using world = await SyncWorld.create();
  const [a] = await world.syncedClones(["a"]);
  await a.ok(["create", "--title", "one"]);
  const { sync, handle, status } = dashboard(openStore(a));
  await Deno.rename(world.bare, `${world.bare}.away`);
  assertEquals((await handle(write("/api/sync", {}))).status, 200);
  await guarded(sync.running ?? Promise.resolve(), "the failing step never ended");
  let s = await status();
  assert(s.offline_since !== null, JSON.stringify(s));
  assertEquals([s.last_error.kind, s.last_error.exit, s.pending_changes], ["remote", 8, 1]);
  const first = s.offline_since;
  // A second failure keeps the first "since".
  assertEquals((await handle(write("/api/sync", {}))).status, 200);
  await guarded(sync.running ?? Promise.resolve(), "the second failing step never ended");
  assertEquals((await status()).offline_since, first);
  await Deno.rename(`${world.bare}.away`, world.bare);
  assertEquals((await handle(write("/api/sync", {}))).status, 200);
  await guarded(sync.running ?? Promise.resolve(), "the step never ended");
  s = await status();
  assertEquals([s.offline_since, s.last_error, s.pending_changes], [null, null, 0]);
});
