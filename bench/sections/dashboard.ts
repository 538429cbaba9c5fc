/**
 * Dashboard figures, measured in Debian's Chromium against a real `track serve -d`:
 * - how long a change made with the CLI takes to show on an open page (target: under 300 ms),
 *   from the moment `track create` exits to the moment the new card is in the DOM;
 * - time to first render of a 2,000-ticket board: navigation start to the kanban with cards
 *   (the page's own performance clock);
 * - the same for 10,000 tickets written as files (issue 18: under a second), columns of
 *   hundreds to thousands of cards each.
 */
import { quantile, round, type Row, TRACK_RUN, trackOutput as track } from "../lib.ts";
import { launchBrowser } from "../../tests/dashboard_helpers.ts";
import { Store } from "../../src/store/store.ts";
import { createTicket } from "../../src/operations/create.ts";
import { updateTicket } from "../../src/operations/update.ts";
import { STATUSES } from "../../src/model/transitions.ts";
import { newTicketBody, serializeTicket } from "../../src/model/ticket.ts";
import { formatId } from "../../src/model/ids.ts";

const LATENCY_RUNS = 15;
const RENDER_RUNS = 5;
const BIG = 2000;
const HUGE = 10_000;

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

/**
 * `n` tickets written straight as files (10,000 through the domain functions would take
 * minutes): 40% done, the rest spread over the other columns, held ones claimed by one of 12
 * agents.
 */
function writeBoard(root: string, n: number): void {
  const dir = `${root}/.track/tickets`;
  for (let i = 1; i <= n; i++) {
    const status = i % 10 < 4 ? "done" : STATUSES[i % 4];
    const held = status === "claimed" || status === "in-progress" || status === "review";
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString().slice(0, 19) + "Z";
    Deno.writeTextFileSync(
      `${dir}/${formatId(i)}.md`,
      serializeTicket({
        id: formatId(i),
        title: `Ticket number ${i}: do the thing in module ${i % 37}`,
        status,
        priority: (["critical", "high", "medium", "low"] as const)[i % 4],
        created: at,
        created_by: "bench",
        claimed_by: held ? `agent-${i % 12 + 1}` : null,
        claimed_at: held ? at : null,
        labels: [`area-${i % 9}`],
        branch: null,
        files: [],
        depends_on: i > 1 && i % 10 === 0 ? [formatId(i - 1)] : [],
        updated: at,
        claim_epoch: held ? 1 : 0,
        extra: [],
        body: newTicketBody(`Description of ticket ${i}.`),
      }),
    );
  }
}

/** Median and p95 of `runs` first renders of the board at `url` (after one warming load). */
async function firstRenders(
  page: Awaited<ReturnType<typeof launchBrowser>>["page"],
  url: string,
): Promise<{ renders: number[]; cards: number }> {
  const renders: number[] = [];
  let cards = 0;
  for (let i = 0; i < RENDER_RUNS + 1; i++) {
    await page.goto(url);
    await page.waitForSelector('.column[data-status="done"] .card', { timeout: 120_000 });
    const ms = await page.waitForFunction("globalThis.firstRender").then((h) =>
      h.jsonValue()
    ) as number;
    cards = await page.locator(".card").count();
    if (i > 0) renders.push(ms); // the first load warms the server's ticket cache
  }
  return { renders, cards };
}

/** Runs the dashboard benchmarks. */
function sortedCopy(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export default async function dashboardBench(
  options: { renderOnly?: boolean } = {},
): Promise<Row[]> {
  const rows: Row[] = [];
  await using browser = await launchBrowser();
  const page = browser.page;
  // Browser-side code as text: it runs in the page, not in Deno.
  await page.addInitScript({
    content: `new MutationObserver((_, mo) => {
      if (document.querySelector('.column[data-status="done"] .card')) {
        mo.disconnect();
        // Two frames later the cards are laid out and painted.
        requestAnimationFrame(() => requestAnimationFrame(() => {
          globalThis.firstRender = performance.now();
        }));
      }
    }).observe(document, { childList: true, subtree: true });`,
  });

  // 3. First render of a 10,000-ticket board (issue 18: under a second).
  const huge = await project();
  writeBoard(huge, HUGE);
  const hugeUrl = (await track(["serve", "-d", "--port", "0"], huge)).trim();
  try {
    const { renders, cards } = await firstRenders(page, hugeUrl);
    rows.push({
      name: `dashboard: first render of a ${HUGE.toLocaleString("en")}-ticket board (Chromium)`,
      median_ms: round(quantile(sortedCopy(renders), 0.5)),
      p95_ms: round(quantile(sortedCopy(renders), 0.95)),
      note: `${RENDER_RUNS} loads; navigation start to the cards painted; ${cards} cards drawn; ` +
        `6,000 open tickets in four columns`,
    });
  } finally {
    await track(["stop"], huge).catch(() => "");
    await Deno.remove(huge, { recursive: true }).catch(() => {});
  }
  if (options.renderOnly) return rows;

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
        args: [...TRACK_RUN, "create", "--title", `Latency probe ${i}`],
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
    const { renders, cards } = await firstRenders(page, bigUrl);
    rows.push({
      name: `dashboard: first render of a ${BIG}-ticket board (Chromium)`,
      median_ms: round(quantile(sortedCopy(renders), 0.5)),
      p95_ms: round(quantile(sortedCopy(renders), 0.95)),
      note: `${RENDER_RUNS} loads; navigation start to the cards painted; ${cards} cards drawn ` +
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
  console.log(
    JSON.stringify(await dashboardBench({ renderOnly: Deno.args.includes("--render") }), null, 2),
  );
}
