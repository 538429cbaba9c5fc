/**
 * Screenshots of the dashboard on the busy store (300 tickets, 12 agents: seedBusy) at desktop
 * 1440x900, narrow 420 px and dark: `deno run -A tests/dashboard_screens.ts OUT_DIR [PREFIX]`
 * writes OUT_DIR/PREFIX.png, PREFIX-narrow.png, PREFIX-dark.png and PREFIX-detail.png (a held
 * ticket's detail with its actions): docs/dashboard-busy*.png.
 */
import { launchBrowser, seedBusy } from "./dashboard_helpers.ts";
import { tempStore } from "./helpers.ts";

const out = Deno.args[0] ?? "docs";
const prefix = Deno.args[1] ?? "dashboard-busy";
await using ts = await tempStore();
await seedBusy(ts.dir);
const serve = await ts.track(["serve", "-d", "--port", "0"]);
if (serve.code !== 0) throw new Error(serve.stderr);
const url = serve.stdout.trim();
try {
  const shots: Array<[string, { width: number; height: number; colorScheme: "light" | "dark" }]> = [
    ["", { width: 1440, height: 900, colorScheme: "light" }],
    ["-narrow", { width: 420, height: 900, colorScheme: "light" }],
    ["-dark", { width: 1440, height: 900, colorScheme: "dark" }],
  ];
  for (const [suffix, opts] of shots) {
    await using browser = await launchBrowser(opts);
    await browser.page.goto(url);
    await browser.page.waitForSelector(".conn-live");
    await browser.page.waitForSelector(".card");
    await browser.page.waitForTimeout(300);
    await browser.page.screenshot({ path: `${out}/${prefix}${suffix}.png` });
  }
  // The detail of a held ticket with its actions, and an agent row opened.
  await using browser = await launchBrowser({ width: 1440, height: 900, colorScheme: "light" });
  const page = browser.page;
  await page.goto(url);
  await page.waitForSelector(".conn-live");
  await page.click('#agents li[data-agent="agent-3"] summary');
  const held = await page.locator('.column[data-status="in-progress"] .card').first()
    .getAttribute("data-id");
  await page.click(`.card[data-id="${held}"]`);
  await page.waitForSelector(".detail .detail-actions");
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${out}/${prefix}-detail.png` });
} finally {
  await ts.track(["stop"]);
}
