// The dashboard's update protocol in a real browser (issue 19): one snapshot, then deltas. Real
// CLI processes write at once (tests/helpers.ts race(): released together by a barrier), the
// server is stopped in the middle (the page reconnects, and what changed while it was away
// arrives as one snapshot), and at the end the page shows exactly `track list --all --json`.
import { assert, assertEquals } from "./assert.ts";
import { race, tempStore } from "./helpers.ts";
import { launchBrowser } from "./dashboard_helpers.ts";
import { Store } from "../src/store/store.ts";
import { createTicket } from "../src/operations/create.ts";
import type { Page } from "playwright-core";

const WAIT = { timeout: 20_000 };
const TICKETS = 24;
const AGENTS = ["ann", "bob", "cid", "dee"];

/** One card as the page shows it, or one ticket as the CLI lists it, in the same words. */
type Shown = { id: string; status: string; title: string; claimer: string | null };

async function onPage(page: Page): Promise<Shown[]> {
  const cards = await page.locator(".card").evaluateAll((els) =>
    els.map((e) => ({
      id: e.getAttribute("data-id")!,
      status: e.getAttribute("data-status")!,
      title: e.querySelector(".card-title")!.textContent!,
      claimer: e.querySelector(".claimer")?.textContent?.slice(1) ?? null,
    }))
  );
  return cards.sort((a, b) => a.id < b.id ? -1 : 1);
}

/** One agent's commands in round `r`: take a ticket of its own slice through a day's work. */
function work(agent: string, r: number): string[][] {
  const id = `T-${String(1 + AGENTS.indexOf(agent) * 6 + r).padStart(4, "0")}`;
  return [
    ["claim", id, "--agent", agent],
    ["update", id, "--status", "in-progress", "--agent", agent],
    ["update", id, "--title", `${agent} round ${r}`, "--agent", agent],
    ["log", id, "--agent", agent, "-m", `round ${r}`],
    ["board", "--agent", agent, "-m", `${agent} at ${r}`, "--ticket", id],
    ["create", "--title", `${agent} found ${r}`],
    ["update", id, "--status", "review", "--agent", agent],
  ];
}

Deno.test({
  name: "dashboard live in Chromium: concurrent writers and a reconnect end exactly at the store",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const store = new Store(ts.dir);
    const now = new Date();
    for (let i = 1; i <= TICKETS; i++) {
      await createTicket(store, {
        title: `Ticket ${i}`,
        priority: "medium",
        labels: [],
        dependsOn: i > 22 ? ["T-0001"] : [],
        description: "",
        by: "human",
      }, now);
    }
    for (const a of AGENTS) assertEquals((await ts.track(["register", "--agent", a])).code, 0);
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    const port = new URL(url).port;
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      // Whole-store reads the page asks for: the cost report reads every ticket and the board.
      let costRequests = 0;
      page.on("request", (r) => {
        if (new URL(r.url()).pathname === "/api/cost") costRequests++;
      });
      await page.goto(url);
      await page.waitForSelector(".conn-live", WAIT);
      // A second page on the graph view: it reads the whole graph again when tickets change, at
      // most once per 2 s (web/api.js READ_AGAIN_MS), never once per delta.
      const graph = await browser.context.newPage();
      let graphReads = 0;
      graph.on("request", (r) => {
        if (new URL(r.url()).pathname === "/api/graph") graphReads++;
      });
      await graph.goto(url + "?view=graph");
      await graph.waitForSelector(".conn-live", WAIT);
      const graphSince = Date.now();
      await page.waitForSelector('.card[data-id="T-0024"]', WAIT);

      const round = async (r: number) => {
        const results = await race(AGENTS.map((a) => work(a, r)), { cwd: ts.root });
        for (const res of results.flat()) assertEquals(res.code, 0, res.stderr);
      };
      // Writers while the page follows the deltas.
      await round(0);
      // A forced reconnect: the server goes away, writers go on, the server comes back on the
      // same port while more writers run.
      assertEquals((await ts.track(["stop"])).code, 0);
      await page.waitForSelector(".conn-reconnecting", WAIT);
      await round(1);
      const [again] = await Promise.all([
        ts.track(["serve", "-d", "--port", port]),
        round(2),
      ]);
      assertEquals(again.code, 0, again.stderr);
      await page.waitForSelector(".conn-live", WAIT);
      await round(3);

      // The CLI's view of the store, in the page's words.
      const list = await ts.json<{ tickets: Array<Record<string, string | null>> }>(
        ["list", "--all"],
      );
      const want: Shown[] = list.tickets.map((t) => ({
        id: t.id!,
        status: t.status!,
        title: t.title!,
        claimer: t.claimed_by,
      })).sort((a, b) => a.id < b.id ? -1 : 1);
      assert(want.length > TICKETS, "the writers created tickets");
      assert(want.filter((t) => t.status === "done").length === 0, "no done column to expand");
      // The page converges: the last deltas may still be on their way.
      let got = await onPage(page);
      while (JSON.stringify(got) !== JSON.stringify(want)) {
        const seen = await page.evaluate("globalThis.trackLive.deltas") as number;
        // Wait for the next delta; 2 s without one means the page has all it will get. (A
        // function, not text: the page's CSP forbids evaluating text.)
        const more = await page.waitForFunction(
          (n) => (globalThis as unknown as { trackLive: { deltas: number } }).trackLive.deltas > n,
          seen,
          { timeout: 2_000 },
        ).then(() => true, () => false);
        got = await onPage(page);
        if (!more) break;
      }
      assertEquals(got, want);
      // Updates came as deltas: one snapshot at the start and one after the reconnect.
      const counters = await page.evaluate("globalThis.trackLive") as Record<string, number>;
      assertEquals([counters.snapshots, counters.gaps], [2, 0]);
      assert(counters.deltas > 10, JSON.stringify(counters));
      // Not once per delta: at most once per 30 s window (the page was open for two or three).
      assert(costRequests <= 3, `${costRequests} cost reports for ${counters.deltas} deltas`);
      // The first read, one per 2 s window since, and one for the snapshot after the reconnect.
      const windows = Math.ceil((Date.now() - graphSince) / 2_000);
      assert(graphReads <= windows + 2, `${graphReads} graph reads in ${windows} windows of 2 s`);
      await graph.close();
      // The board panel shows the newest 60 entries and pages back on demand.
      const board = await ts.json<{ entries: Array<{ message: string }> }>(
        ["board", "--last", "1000"],
      );
      assert(board.entries.length > 60, `${board.entries.length} board entries`);
      assertEquals(await page.locator("#board .entries li").count(), 60);
      await page.click("#board-older");
      await page.waitForFunction(
        (n) =>
          (globalThis as unknown as { document: { querySelectorAll(s: string): unknown[] } })
            .document.querySelectorAll("#board .entries li").length === n,
        Math.min(120, board.entries.length),
        WAIT,
      );
      // The oldest entry shown is the 120th newest of the board.
      const oldest = board.entries[Math.max(0, board.entries.length - 120)].message;
      assert(
        (await page.locator("#board .entries li").last().innerText()).includes(oldest),
        oldest,
      );
      assertEquals(errors, []);
    } finally {
      await ts.track(["stop"]);
    }
  },
});
