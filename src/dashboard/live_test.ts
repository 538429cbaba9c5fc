import { assert, assertEquals } from "../../tests/assert.ts";
import { race, tempStore } from "../../tests/helpers.ts";
import { Store } from "../store/store.ts";
import { applyDelta, fromSnapshot } from "../../web/deltas.js";
import { LiveView } from "./live.ts";
import { buildSnapshot } from "./snapshot.ts";
import { type ChangeBatch, ChangeFeed } from "./watch.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** What the page shows, without the ages (they move with the clock). */
function shown(s: Json) {
  const noAges = (a: Json) => ({
    ...a,
    heartbeat_age_s: 0,
    busy: a.busy.map((b: Json) => ({ ...b, age_s: 0 })),
    waiting: a.waiting === null ? null : { ...a.waiting, age_s: 0 },
  });
  const byId = (a: Json, b: Json) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return {
    tickets: [...s.tickets].sort(byId),
    agents: s.agents.map(noAges).sort(byId),
    reservations: s.reservations,
    board: s.board,
    problems: [...s.problems].sort(),
    stale_threshold_s: s.stale_threshold_s,
  };
}

/** The page's side of the protocol: the snapshot, then each delta in order (web/deltas.js). */
class Page {
  state: Json;
  deltas = 0;
  gaps = 0;
  #wake: (() => void) | null = null;
  unsubscribe: () => void;

  constructor(live: LiveView) {
    this.unsubscribe = live.subscribe((event) => {
      const d = JSON.parse(event.slice(event.indexOf("data: ") + 6));
      const next = applyDelta(this.state, d, Date.now());
      if (next === null) this.gaps++;
      else this.state = next;
      this.deltas++;
      this.#wake?.();
    });
    this.state = fromSnapshot(JSON.parse(live.snapshotText()), Date.now());
  }

  /** Waits until the page shows the store's state (the watcher is asynchronous). */
  async settles(store: Store): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const want = shown(buildSnapshot(store, new Date()));
      const got = shown(this.state);
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      if (Date.now() > deadline) {
        assertEquals(got, want); // fails, showing the difference
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}

Deno.test({
  name: "LiveView: deltas from concurrent CLI writers, applied as the page does, end at the store",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    for (let i = 1; i <= 6; i++) {
      const deps = i === 6 ? ["--depends-on", "T-0001"] : [];
      assertEquals((await ts.track(["create", "--title", `Ticket ${i}`, ...deps])).code, 0);
    }
    assertEquals((await ts.track(["register", "--agent", "solo"])).code, 0);
    const store = new Store(ts.dir);
    using feed = new ChangeFeed(ts.dir);
    const live = new LiveView(store, feed, { reconcileMs: 3_600_000, staleTickMs: 3_600_000 });
    const page = new Page(live);
    try {
      assertEquals(page.state.tickets.length, 6);
      // Four real processes released together: claims, moves, logs, posts, reservations, new
      // tickets, a dependency done (T-0006's card changes with it), an archive, agents.
      const results = await race([
        [
          ["register", "--agent", "ann"],
          ["claim", "T-0001", "--agent", "ann"],
          ["update", "T-0001", "--status", "in-progress", "--agent", "ann"],
          ["files", "--add", "src/a/**", "--agent", "ann", "--ticket", "T-0001"],
          ["log", "T-0001", "--agent", "ann", "-m", "halfway"],
          ["update", "T-0001", "--status", "review", "--agent", "ann"],
          ["update", "T-0001", "--status", "done"],
        ],
        [
          ["register", "--agent", "bob"],
          ["claim", "T-0002", "--agent", "bob"],
          ["files", "--add", "src/b.ts", "--agent", "bob", "--ticket", "T-0002"],
          ["board", "--agent", "bob", "-m", "working on T-0002", "--ticket", "T-0002"],
          ["create", "--title", "Found while working"],
          ["deregister", "--agent", "bob", "--release-tickets"],
        ],
        [
          ["update", "T-0003", "--title", "Renamed", "--priority", "critical"],
          ["update", "T-0004", "--add-label", "ui"],
          ["archive", "T-0005"],
          ["board", "--agent", "solo", "-m", "hello"],
          ["heartbeat", "--agent", "solo"],
        ],
        [
          ["create", "--title", "Another"],
          ["create", "--title", "And another", "--depends-on", "T-0003"],
          ["update", "T-0004", "--status", "claimed", "--agent", "solo"],
        ],
      ], { cwd: ts.root });
      for (const r of results.flat()) assertEquals(r.code, 0, r.stderr);
      await page.settles(store);
      assertEquals(page.gaps, 0);
      assert(page.deltas > 0);
      assertEquals(page.state.version, live.version);
      // The tickets the racers touched, as the CLI sees them.
      const byId = new Map<string, Json>(page.state.tickets.map((t: Json) => [t.id, t]));
      assertEquals(byId.get("T-0001").status, "done");
      assertEquals(byId.get("T-0006").waiting_on, []);
      assert(!byId.has("T-0005"), "archived: off the page");
      assertEquals(page.state.agents.map((a: Json) => a.id), ["ann", "solo"]);
      assertEquals(live.stats.reconciles, 0); // the watcher's events were enough
    } finally {
      page.unsubscribe();
    }
    assertEquals(live.listeners, 0);
  },
});

/** A change source the test fires by hand (an event the watcher lost is one never fired). */
class ManualFeed {
  fns = new Set<(batch: ChangeBatch) => void>();
  seq = 0;
  subscribe(fn: (batch: ChangeBatch) => void) {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  fire(paths: string[], rescan = false) {
    const batch = { seq: ++this.seq, paths, rescan };
    for (const fn of this.fns) fn(batch);
  }
}

Deno.test("LiveView: a rescan finds what no event named; a broken ticket becomes a problem", async () => {
  await using ts = await tempStore();
  for (const title of ["One", "Two"]) {
    assertEquals((await ts.track(["create", "--title", title])).code, 0);
  }
  const store = new Store(ts.dir);
  const feed = new ManualFeed();
  const live = new LiveView(store, feed, { reconcileMs: 3_600_000, staleTickMs: 3_600_000 });
  const page = new Page(live);
  try {
    assertEquals((await ts.track(["update", "T-0001", "--title", "Changed"])).code, 0);
    assertEquals((await ts.track(["create", "--title", "Three"])).code, 0);
    feed.fire([], true); // the kernel's queue overflowed: nothing named, everything read
    assertEquals(page.state.tickets.map((t: Json) => t.title), ["Changed", "Two", "Three"]);
    assert(live.stats.missed >= 2, JSON.stringify(live.stats)); // two cards, and board events

    // A ticket file that stops parsing leaves the page and is reported, as a full read does.
    Deno.writeTextFileSync(`${ts.dir}/tickets/T-0002.md`, "---\nid: [broken\n");
    feed.fire(["tickets/T-0002.md"]);
    assertEquals(page.state.tickets.map((t: Json) => t.id), ["T-0001", "T-0003"]);
    assertEquals(page.state.problems.length, 1);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));

    // A person takes a held ticket back: only the ticket file changes, yet the holder's row
    // (the tickets it holds) changes with it.
    assertEquals((await ts.track(["claim", "T-0001", "--agent", "zed"])).code, 0);
    feed.fire(["tickets/T-0001.md", "agents/zed.json"]);
    assertEquals(page.state.agents.map((a: Json) => [a.id, a.tickets]), [["zed", ["T-0001"]]]);
    const back = await ts.track(["update", "T-0001", "--status", "backlog", "--force"]);
    assertEquals(back.code, 0, back.stderr);
    feed.fire(["tickets/T-0001.md"]);
    assertEquals(page.state.agents.map((a: Json) => [a.id, a.tickets]), [["zed", []]]);
    assertEquals(page.gaps, 0);
  } finally {
    page.unsubscribe();
  }
});

Deno.test("LiveView: a board entry deleted or edited by hand leaves or changes on the page", async () => {
  await using ts = await tempStore();
  for (const m of ["first", "second", "third"]) {
    assertEquals((await ts.track(["board", "--agent", "ann", "-m", m])).code, 0);
  }
  const store = new Store(ts.dir);
  const feed = new ManualFeed();
  const live = new LiveView(store, feed, { reconcileMs: 3_600_000, staleTickMs: 3_600_000 });
  const page = new Page(live);
  try {
    const ids: string[] = page.state.board.map((e: Json) => e.id);
    assertEquals(page.state.board.map((e: Json) => e.message), ["first", "second", "third"]);
    const path = (id: string) => `${ts.dir}/board/${id}.md`;
    // Deleted: the watcher names the file.
    Deno.removeSync(path(ids[0]));
    feed.fire([`board/${ids[0]}.md`]);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    // Edited by hand: the watcher names the file.
    const text = Deno.readTextFileSync(path(ids[1]));
    Deno.writeTextFileSync(path(ids[1]), text.replace("second", "second, corrected"));
    feed.fire([`board/${ids[1]}.md`]);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    // Broken by hand, then mended: a problem, then none.
    const broken = Deno.readTextFileSync(path(ids[1]));
    Deno.writeTextFileSync(path(ids[1]), "garbage");
    feed.fire([`board/${ids[1]}.md`]);
    assertEquals(page.state.problems.length, 1);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    Deno.writeTextFileSync(path(ids[1]), broken);
    feed.fire([`board/${ids[1]}.md`]);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    // The same when a whole-store check found it broken.
    Deno.writeTextFileSync(path(ids[1]), "garbage");
    feed.fire([], true);
    assertEquals(page.state.problems.length, 1);
    Deno.writeTextFileSync(path(ids[1]), broken);
    feed.fire([`board/${ids[1]}.md`]);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    // Deleted with no event (missed): the whole-store check finds it.
    Deno.removeSync(path(ids[2]));
    feed.fire([], true);
    assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())));
    assertEquals(page.gaps, 0);
  } finally {
    page.unsubscribe();
  }
});

Deno.test("LiveView: a file in agents/ with no agent's name is ignored, as a full read does", async () => {
  await using ts = await tempStore();
  assertEquals((await ts.track(["register", "--agent", "ann"])).code, 0);
  const store = new Store(ts.dir);
  const feed = new ManualFeed();
  const live = new LiveView(store, feed, { reconcileMs: 3_600_000, staleTickMs: 3_600_000 });
  const page = new Page(live);
  try {
    for (const name of ["Bad Name", ".hidden", "-x"]) {
      Deno.writeTextFileSync(`${ts.dir}/agents/${name}.json`, "{}");
      feed.fire([`agents/${name}.json`]);
      assertEquals(shown(page.state), shown(buildSnapshot(store, new Date())), name);
    }
  } finally {
    page.unsubscribe();
  }
});

Deno.test("page rule (web/deltas.js): a gap is refused; agent ages stay as of now", () => {
  const agent = { id: "a", heartbeat_age_s: 10, busy: [], waiting: null };
  const s = fromSnapshot({
    version: 3,
    tickets: [{ id: "T-0001", status: "backlog" }, { id: "T-0002", status: "backlog" }],
    agents: [agent],
    reservations: [],
    board: [],
    problems: [],
    stale_threshold_s: 1800,
  }, 1_000);
  const delta = (from: number, extra: Json = {}) => ({
    from,
    version: from + 1,
    tickets: [],
    removed: [],
    agents: [],
    agents_removed: [],
    reservations: null,
    board: [],
    problems: null,
    stale_threshold_s: null,
    ...extra,
  });
  assertEquals(applyDelta(s, delta(4), 2_000), null);
  assertEquals(applyDelta(s, delta(2), 2_000), null);
  const next = applyDelta(
    s,
    delta(3, { tickets: [{ id: "T-0002", status: "claimed" }], removed: ["T-0001"] }),
    3_000,
  )!;
  assertEquals(next.version, 4);
  assertEquals(next.tickets, [{ id: "T-0002", status: "claimed" }]);
  // The agent row was 10 s old at 1 s; at 3 s (the new received_at) it is 12 s old.
  assertEquals([next.received_at, next.agents[0].heartbeat_age_s], [3_000, 12]);
});

Deno.test("LiveView: a ticket written with its card unchanged (a description) is sent as touched", async () => {
  await using ts = await tempStore();
  assertEquals((await ts.track(["create", "--title", "one", "--body", "before"])).code, 0);
  const store = new Store(ts.dir);
  const feed = new ManualFeed();
  const live = new LiveView(store, feed, { reconcileMs: 3_600_000, staleTickMs: 3_600_000 });
  const sent: Json[] = [];
  const unsubscribe = live.subscribe((event) => {
    sent.push(JSON.parse(event.slice(event.indexOf("data: ") + 6)));
  });
  try {
    live.snapshotText();
    const path = `${ts.dir}/tickets/T-0001.md`;
    Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("before", "after"));
    feed.fire(["tickets/T-0001.md"]);
    // The card is as it was; the page still learns the ticket changed (its open detail reloads).
    assertEquals(sent.length, 1);
    assertEquals(sent[0].tickets, []);
    assertEquals(sent[0].touched, ["T-0001"]);
    // Named again unchanged (the watcher after the writer's own poke), or a missing file: nothing.
    feed.fire(["tickets/T-0001.md", "tickets/T-0009.md"]);
    assertEquals(sent.length, 1);
    // A write no event named: the whole-store check tells it too.
    Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("after", "later"));
    feed.fire([], true);
    assertEquals(sent.length, 2);
    assertEquals(sent[1].touched, ["T-0001"]);
  } finally {
    unsubscribe();
  }
});
