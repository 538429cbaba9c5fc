/**
 * The dashboard passes an automated accessibility check (issue 18): axe-core (WCAG 2.1 A and AA
 * rules) in Chromium on the board in light and dark, with a ticket's detail open, the new-ticket
 * form open and an agent row opened; no serious or critical violation. And every Tab stop shows
 * its focus.
 *
 * axe-core is test-only: installed with npm into a temp directory (tests/npm_package.ts: cached
 * between runs, never in deno.lock, as the MCP SDK of tests/mcp_sdk_test.ts) and its source handed to the page
 * through the DevTools protocol (the page's CSP allows no inline script, and rightly so). Without
 * node or npm the test is skipped locally, but fails under CI=true.
 */
import { assert, assertEquals } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { inCi, npmAvailable as available, npmPackage } from "./npm_package.ts";
import { launchBrowser, seedDemo } from "./dashboard_helpers.ts";

/** The axe-core version the test pins (the cache directory is per version). */
const AXE_VERSION = "4.14.1";

const WAIT = { timeout: 20_000 };

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary: string }>;
}

Deno.test({
  name: "dashboard accessibility: axe-core finds no serious violation; every Tab stop shows focus",
  ignore: !available && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    assert(available, "CI=true: node and npm are required for the accessibility check");
    const axe = Deno.readTextFileSync(
      `${await npmPackage("axe-core", AXE_VERSION, "axe-core")}/node_modules/axe-core/axe.min.js`,
    );
    await using ts = await tempStore();
    await seedDemo(ts.dir);
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      await page.goto(url);
      await page.waitForSelector(".conn-live", WAIT);
      await page.waitForSelector('.card[data-id="T-0010"]', WAIT);
      // Through the DevTools protocol, as the test's own code: the page's CSP still holds for it.
      await page.evaluate(axe);
      const check = async (what: string) => {
        const result = await page.evaluate<{ violations: Violation[] }>(
          `axe.run(document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
            resultTypes: ["violations"],
          })`,
        );
        const bad = result.violations.filter((v) =>
          v.impact === "serious" || v.impact === "critical"
        );
        assertEquals(
          bad.map((v) =>
            `${v.id} (${v.impact}): ${v.help}: ${
              v.nodes.slice(0, Number(Deno.env.get("A11Y_NODES") ?? 4)).map((n) =>
                `${n.target.join(" ")} ${n.failureSummary}`
              ).join(
                " | ",
              )
            }`
          ),
          [],
          what,
        );
      };

      await t.step("the board, light", () => check("board, light"));
      await t.step("an agent row opened", async () => {
        await page.click('#agents li[data-agent="alice"] summary');
        await page.waitForSelector('#agents li[data-agent="alice"] .agent-more', WAIT);
        await check("agent row open");
      });
      await t.step("the board, dark", async () => {
        await page.click("button.theme");
        await page.waitForSelector('html[data-theme="dark"]', { state: "attached", ...WAIT });
        await check("board, dark");
      });
      await t.step("a ticket's detail, dark", async () => {
        await page.click('.card[data-id="T-0002"]');
        await page.waitForSelector(".detail .detail-actions", WAIT);
        await check("detail, dark");
        await page.keyboard.press("Escape");
        await page.waitForSelector(".detail", { state: "detached", ...WAIT });
      });
      await t.step("the new-ticket form, light", async () => {
        await page.click("button.theme");
        await page.waitForSelector('html[data-theme="light"]', { state: "attached", ...WAIT });
        await page.click("#new-ticket");
        await page.waitForSelector('form[aria-label="New ticket"]', WAIT);
        await check("create form, light");
        await page.keyboard.press("Escape");
        await page.waitForSelector('form[aria-label="New ticket"]', {
          state: "detached",
          ...WAIT,
        });
      });

      await t.step("every Tab stop is a control and shows its focus", async () => {
        // From the top of a fresh page.
        await page.goto(url);
        await page.waitForSelector('.card[data-id="T-0010"]', WAIT);
        const stops: string[] = [];
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press("Tab");
          const stop = await page.evaluate<{ what: string; outline: string; shadow: string }>(
            `(() => {
              const el = document.activeElement;
              const s = getComputedStyle(el);
              return {
                what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                  (el.dataset.id ? "[" + el.dataset.id + "]" : ""),
                outline: s.outlineStyle + " " + s.outlineWidth,
                shadow: s.boxShadow,
              };
            })()`,
          );
          stops.push(stop.what);
          assert(
            !stop.outline.startsWith("none") || stop.shadow !== "none",
            `no visible focus on ${stop.what} (${stop.outline})`,
          );
        }
        // The header's controls come first, then the cards (reached without a mouse).
        assert(stops.includes("input#filter-text"), stops.join(", "));
        assert(stops.includes("button#new-ticket"), stops.join(", "));
        assert(stops.some((s) => s.startsWith("article[")), stops.join(", "));
      });
    } finally {
      await ts.track(["stop"]);
    }
  },
});
