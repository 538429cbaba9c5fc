/**
 * Dashboard figures, measured in Debian's Chromium against a real `track serve -d`:
 * - how long a change made with the CLI takes to show on an open page (target: under 300 ms),
 *   from the moment `track create` exits to the moment the new card is in the DOM;
 * - time to first render of a 2,000-ticket board: navigation start to the kanban with cards
 *   (the page's own performance clock).
 */
import { MAIN, quantile, round, type Row, trackOutput as track } from "../lib.ts";
import { launchBrowser } from "../../tests/dashboard_helpers.ts";
import { Store } from "../../src/store/store.ts";
import { createTicket } from "../../src/operations/create.ts";
import { updateTicket } from "../../src/operations/update.ts";
import { STATUSES } from "../../src/model/transitions.ts";

const LATENCY_RUNS = 15;
const RENDER_RUNS = 5;
const BIG = 2000;

async function project(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "track-bench-dash-" });
  await track(["init"], root);
  return root;
}

/** 2,000 tickets through the domain functions: most done, the rest spread over the columns. */
async function fillBig(root: string): Promise<void> {
  const store = new Store(`${root}/.track`);
  const now = new Date();
  for (let i = 1; i <= BIG; i++) {
    const t = await createTicket(store, {
      title: `Ticket number ${i}: do the thing in module ${i % 37}`,
      priority: (["critical", "high", "medium", "low"] as const)[i % 4],
      labels: [`area-${i % 9}`],
      dependsOn: [],
      description: "",
      by: "bench",
    }, now);
    const status = i % 10 < 7 ? "done" : STATUSES[i % 4];
    if (status !== "backlog") {
      // Seeding history fast: force skips the intermediate steps (the dashboard never forces).
      await updateTicket(store, t.id, { status, agent: "bench", force: true }, now);
    }
  }
}

/** Runs the dashboard benchmarks. */
function sortedCopy(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export default async function dashboardBench(): Promise<Row[]> {
  const rows: Row[] = [];
  await using browser = await launchBrowser();
  const page = browser.page;

  // 1. CLI change -> page update.
  const small = await project();
  // Port 0: the server binds a free port and prints its URL (a port probed first could be taken).
  const url = (await track(["serve", "-d", "--port", "0"], small)).trim();
  try {
    await page.goto(url);
    await page.waitForSelector(".conn-live");
    const latencies: number[] = [];
    for (let i = 1; i <= LATENCY_RUNS; i++) {
      const id = `T-${String(i).padStart(4, "0")}`;
      // The observer is in place before the CLI runs; it resolves when the card appears.
      await page.evaluate(`globalThis.seen = new Promise((resolve) => {
        const mo = new MutationObserver(() => {
          if (document.querySelector('.card[data-id="${id}"]')) {
            mo.disconnect();
            resolve();
          }
        });
        mo.observe(document.body, { childList: true, subtree: true });
      }); 0`); // 0: evaluate must not wait for the promise here
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "create", "--title", `Latency probe ${i}`],
        cwd: small,
        env: { NO_COLOR: "1", TRACK_AGENT: "" },
        stdout: "null",
        stderr: "null",
      }).spawn();
      const status = await child.status;
      const t0 = performance.now();
      if (!status.success) throw new Error("track create failed");
      await page.evaluate("globalThis.seen");
      latencies.push(performance.now() - t0);
    }
    rows.push({
      name: "dashboard: CLI change -> open page updated",
      median_ms: round(quantile(sortedCopy(latencies), 0.5)),
      p95_ms: round(quantile(sortedCopy(latencies), 0.95)),
      note: `${LATENCY_RUNS} runs; from \`track create\` exiting to the card in the DOM (SSE)`,
    });
  } finally {
    await track(["stop"], small).catch(() => "");
    await Deno.remove(small, { recursive: true }).catch(() => {});
  }

  // 2. First render of a 2,000-ticket board.
  const big = await project();
  await fillBig(big);
  const bigUrl = (await track(["serve", "-d", "--port", "0"], big)).trim();
  try {
    // Browser-side code as text: it runs in the page, not in Deno.
    await page.addInitScript({
      content: `new MutationObserver((_, mo) => {
        if (document.querySelector('.column[data-status="done"] .card')) {
          globalThis.firstRender = performance.now();
          mo.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });`,
    });
    const renders: number[] = [];
    let cards = 0;
    for (let i = 0; i < RENDER_RUNS + 1; i++) {
      await page.goto(bigUrl);
      await page.waitForSelector('.column[data-status="done"] .card');
      const ms = await page.evaluate("globalThis.firstRender") as number;
      cards = await page.locator(".card").count();
      if (i > 0) renders.push(ms); // the first load warms the server's ticket cache
    }
    rows.push({
      name: `dashboard: first render of a ${BIG}-ticket board (Chromium)`,
      median_ms: round(quantile(sortedCopy(renders), 0.5)),
      p95_ms: round(quantile(sortedCopy(renders), 0.95)),
      note: `${RENDER_RUNS} loads; navigation start to cards on screen; ${cards} cards drawn ` +
        `(done collapsed)`,
    });
  } finally {
    await track(["stop"], big).catch(() => "");
    await Deno.remove(big, { recursive: true }).catch(() => {});
  }
  return rows;
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(await dashboardBench(), null, 2));
}
