// The dashboard's graph view in a real browser (Debian's Chromium via playwright-core) against a
// real `track serve -d`, the store made by the real CLI. TRACK_UPDATE_SCREENSHOT=1 rewrites
// docs/graph.png (200 tickets, desktop 1440×900) and docs/graph-dark.png.
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { launchBrowser, seedGraph } from "./dashboard_helpers.ts";

const WAIT = { timeout: 20_000 };
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

function docPath(name: string): string {
  return fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
}

Deno.test({
  name: "dashboard graph view: nodes and edges, ready frontier, chains, detail, titles as text",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ts = await tempStore();
    const id = async (args: string[]) =>
      (await ts.json<{ ticket: { id: string } }>(["create", ...args])).ticket.id;
    const epic = await id(["--title", "Epic: login"]);
    const a = await id(["--title", "Schema", "--parent", epic]);
    const b = await id(["--title", XSS, "--parent", epic, "--depends-on", a]);
    const c = await id(["--title", "UI", "--parent", epic, "--depends-on", b]);
    const loose = await id(["--title", "Loose end"]);
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const node = (x: string) => `.gnode[data-id="${x}"]`;

      await t.step("the Graph button opens the view: every node and edge drawn", async () => {
        await page.goto(url);
        await page.waitForSelector(".column", WAIT);
        await page.click("#view-graph");
        await page.waitForSelector("svg.graph[data-nodes]", WAIT);
        assert(page.url().includes("view=graph"), page.url());
        assertEquals(await page.locator(".gnode").count(), 5);
        assertEquals(await page.locator("path.gedge").count(), 2);
        assertEquals(
          await page.locator(`path.gedge[data-from="${a}"][data-to="${b}"]`).count(),
          1,
        );
        assertEquals(await page.locator(`.ggroup[data-parent="${epic}"]`).count(), 1);
      });

      await t.step("the ready frontier and the critical path carry their classes", async () => {
        for (const r of [epic, a, loose]) {
          assertEquals(await page.locator(`${node(r)}.ready`).count(), 1, r);
        }
        assertEquals(await page.locator(`${node(b)}.ready`).count(), 0);
        assertEquals(await page.locator(`${node(b)}.blocked`).count(), 1);
        for (const x of [a, b, c]) {
          assertEquals(await page.locator(`${node(x)}.critical`).count(), 1, x);
        }
      });

      await t.step("titles are text: the XSS payload shows as characters", async () => {
        const tip = await page.locator(`${node(b)} title`).textContent();
        assertStringIncludes(tip ?? "", XSS);
        assertEquals(await page.locator("svg.graph img, svg.graph script").count(), 0);
        assertEquals(
          await page.evaluate(() => (globalThis as { __xss?: number }).__xss),
          undefined,
        );
      });

      await t.step("pointing at a ticket lights what blocks it and what it blocks", async () => {
        await page.hover(node(b));
        assertEquals(await page.locator(`${node(b)}.focus`).count(), 1);
        assertEquals(await page.locator(`${node(a)}.up`).count(), 1);
        assertEquals(await page.locator(`${node(c)}.down`).count(), 1);
        assertEquals(await page.locator(`${node(loose)}.dim`).count(), 1);
        assertEquals(await page.locator("path.gedge.lit").count(), 2);
        await page.mouse.move(1, 1);
        assertEquals(await page.locator(".gnode.dim").count(), 0);
      });

      await t.step("clicking a node opens its detail", async () => {
        await page.click(node(c));
        await page.waitForSelector(".detail .detail-title", WAIT);
        assertEquals(await page.locator(".detail .detail-title").innerText(), "UI");
        assert(page.url().endsWith(`?view=graph#${c}`), page.url());
        await page.keyboard.press("Escape");
      });

      await t.step("the graph follows the store: a ticket done with the CLI", async () => {
        const r = await ts.track(["update", a, "--status", "done", "--force"]);
        assertEquals(r.code, 0, r.stderr);
        await page.waitForSelector(`${node(b)}.ready`, WAIT);
        assertEquals(await page.locator(`${node(a)}.status-done`).count(), 1);
        await page.uncheck(".graph-done input");
        assertEquals(await page.locator(node(a)).count(), 0);
      });
      assertEquals(errors, []);
    } finally {
      await ts.track(["stop"]);
    }
  },
});

Deno.test({
  name: "dashboard graph view: 200 tickets in six epics, light and dark (screenshots)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    await seedGraph(ts.dir, { epics: 6, perEpic: 30, loose: 14 });
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    const keep = Deno.env.get("TRACK_UPDATE_SCREENSHOT") === "1";
    try {
      for (const scheme of ["light", "dark"] as const) {
        await using browser = await launchBrowser({ colorScheme: scheme });
        const page = browser.page;
        await page.goto(`${url}?view=graph`);
        await page.waitForSelector("svg.graph[data-nodes]", WAIT);
        assertEquals(await page.locator(".gnode").count(), 200);
        assertEquals(await page.locator(".ggroup").count(), 7);
        const path = keep
          ? docPath(scheme === "light" ? "graph.png" : "graph-dark.png")
          : await Deno.makeTempFile({ suffix: ".png" });
        await page.screenshot({ path });
        assert(Deno.statSync(path).size > 10_000);
        if (!keep) await Deno.remove(path);
      }
    } finally {
      await ts.track(["stop"]);
    }
  },
});

Deno.test({
  name:
    "dashboard graph view: above 600 tickets only the visible part is drawn, scrolling draws on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    await seedGraph(ts.dir, { epics: 13, perEpic: 48, loose: 0 }); // 637 tickets
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      await page.goto(`${serve.stdout.trim()}?view=graph`);
      await page.waitForSelector("svg.graph[data-nodes]", WAIT);
      assertEquals(await page.locator("svg.graph").getAttribute("data-nodes"), "637");
      const ids = () =>
        page.locator(".gnode").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
      const first = await ids();
      assert(first.length > 0 && first.length < 637, String(first.length));
      await page.locator(".graph-scroll").evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForFunction(
        (seen) => {
          // Runs in the page: its document, typed by hand (this file has no DOM types).
          type El = { getAttribute(name: string): string | null };
          const doc = (globalThis as unknown as {
            document: { querySelectorAll(s: string): ArrayLike<El> };
          }).document;
          return Array.from(doc.querySelectorAll(".gnode")).some((e) =>
            !seen.includes(e.getAttribute("data-id") ?? "")
          );
        },
        first,
        WAIT,
      );
      assert((await ids()).length < 637);
    } finally {
      await ts.track(["stop"]);
    }
  },
});
