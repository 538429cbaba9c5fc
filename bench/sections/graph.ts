/**
 * The dependency graph, measured in Debian's Chromium against a real `track serve -d`: from
 * navigation start (the page's own performance clock) to the graph view of a 2,000-ticket store
 * drawn (its SVG in the DOM, then one frame painted). The store: 40 epics of 48 tickets with
 * chains and fans of dependencies, 80 loose tickets (tests/dashboard_helpers.ts seedGraph). Also
 * `track graph --format dot` on the same store, against the startup floor.
 */
import { quantile, round, type Row, trackOutput as track } from "../lib.ts";
import { launchBrowser, seedGraph } from "../../tests/dashboard_helpers.ts";

const RUNS = 5;
const EPICS = 40;
const PER_EPIC = 48;
const LOOSE = 80;

/** Runs the graph benchmarks. */
export default async function graphBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const root = await Deno.makeTempDir({ prefix: "track-bench-graph-" });
  await track(["init"], root);
  await seedGraph(`${root}/.track`, { epics: EPICS, perEpic: PER_EPIC, loose: LOOSE });
  const total = EPICS * (PER_EPIC + 1) + LOOSE;

  const cli: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = performance.now();
    await track(["graph", "--format", "dot"], root);
    if (i > 0) cli.push(performance.now() - t0);
  }
  const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
  rows.push({
    name: `track graph --format dot, ${total} tickets`,
    median_ms: round(quantile(sorted(cli), 0.5)),
    p95_ms: round(quantile(sorted(cli), 0.95)),
    note: `${RUNS} runs, whole process (warm metadata cache)`,
  });

  const url = (await track(["serve", "-d", "--port", "0"], root)).trim();
  try {
    await using browser = await launchBrowser();
    const page = browser.page;
    // Browser-side code as text: it runs in the page, not in Deno.
    await page.addInitScript({
      content: `new MutationObserver((_, mo) => {
        if (document.querySelector("svg.graph[data-nodes]")) {
          mo.disconnect();
          requestAnimationFrame(() => setTimeout(() => {
            globalThis.graphDrawn = performance.now();
          }, 0));
        }
      }).observe(document, { childList: true, subtree: true });`,
    });
    const draws: number[] = [];
    let nodes = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      await page.goto(`${url}?view=graph`);
      await page.waitForFunction(
        () => (globalThis as { graphDrawn?: number }).graphDrawn !== undefined,
        null,
        { timeout: 60_000 },
      );
      const ms = await page.evaluate("globalThis.graphDrawn") as number;
      nodes = await page.locator(".gnode").count();
      if (i > 0) draws.push(ms); // the first load warms the server's ticket cache
    }
    rows.push({
      name: `dashboard: graph view of a ${total}-ticket store drawn (Chromium)`,
      median_ms: round(quantile(sorted(draws), 0.5)),
      p95_ms: round(quantile(sorted(draws), 0.95)),
      note: `${RUNS} loads; navigation start to the SVG painted; ${EPICS} epics; ${nodes} ` +
        `nodes in the DOM (the part near the window) (target: under 1,000 ms)`,
    });
  } finally {
    await track(["stop"], root).catch(() => "");
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  return rows;
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(await graphBench(), null, 2));
}
