/**
 * The dashboard under load (issue 19), with real processes and a real browser: a 10,000-ticket
 * store served by `track serve -d`, Chromium following it, and 30 agent processes
 * (bench/dashboard_agent.ts) making 5 changes a second in total for 60 s
 * (`TRACK_BENCH_LIVE_S` shortens the run). Figures:
 * - CLI change -> the page shows it: from the change reaching the disk (the ticket file's mtime)
 *   to its card's new state in the DOM (a MutationObserver in the page; the page, the file system
 *   and this process share the wall clock), and from the command's start;
 * - bytes of delta events per change, and the one snapshot a page gets on connecting;
 * - the server's CPU (utime + stime over the run, from /proc) and RSS (start, middle, end);
 * - the page's JS heap after a forced GC, at the start and at the end.
 * Targets: p95 under 300 ms, under 10 KB per change, server under 20 % of one core, nothing
 * growing without bound.
 */
import { fileURLToPath } from "node:url";
import {
  freshStore,
  quantile,
  round,
  type Row,
  trackOutput as track,
  writeTickets,
} from "../lib.ts";
import { launchBrowser } from "../../tests/dashboard_helpers.ts";

const TICKETS = 10_000;
const AGENTS = 30;
const CHANGES_PER_S = 5;
const SECONDS = Number(Deno.env.get("TRACK_BENCH_LIVE_S") ?? 60);
const AGENT = fileURLToPath(new URL("../dashboard_agent.ts", import.meta.url));

function procStat(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the ")".
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return { cpuTicks, rssKb: Number(rss?.[1] ?? 0) };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const HZ = 100;

/** Tickets an agent works on: its own, never one that waits on another (every tenth does). */
function ticketsOf(k: number): string[] {
  const pool: number[] = [];
  for (let i = 1; pool.length < AGENTS * 40; i++) if (i % 10 !== 0) pool.push(i);
  return pool.filter((_, j) => j % AGENTS === k).map((i) => `T-${String(i).padStart(4, "0")}`);
}

/** Page code, as text: records the first moment each card state is in the DOM. */
const RECORDER = `
globalThis.benchSeen = new Map();
const scan = () => {
  const now = Date.now();
  for (const c of document.querySelectorAll(".card")) {
    const k = c.dataset.id + "|" + c.dataset.status + "|" +
      (c.querySelector(".card-title")?.textContent ?? "");
    if (!globalThis.benchSeen.has(k)) globalThis.benchSeen.set(k, now);
  }
};
new MutationObserver(scan).observe(document, {
  childList: true, subtree: true, characterData: true,
});`;

export default async function dashboardLiveBench(): Promise<Row[]> {
  const root = await freshStore();
  writeTickets(root, TICKETS);
  for (let k = 0; k < AGENTS; k++) await track(["register", "--agent", `agent-${k}`], root);
  // As in real use, a write has refreshed the metadata cache after the files settled.
  await new Promise((r) => setTimeout(r, 2100));
  await track(["update", "T-0001", "--priority", "low"], root);
  const url = (await track(["serve", "-d", "--port", "0"], root)).trim();
  const server = JSON.parse(Deno.readTextFileSync(`${root}/.track/server.json`)).pid as number;
  const children: Deno.ChildProcess[] = [];
  try {
    await using browser = await launchBrowser();
    const page = browser.page;
    await page.addInitScript({ content: RECORDER });
    await page.goto(url);
    await page.waitForSelector(".conn-live", { timeout: 60_000 });
    await page.waitForSelector(".card", { timeout: 60_000 });
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const heap = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      const { metrics } = await cdp.send("Performance.getMetrics");
      const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
      return { heapMb: get("JSHeapUsedSize") / 1e6, nodes: get("Nodes") };
    };
    const heapStart = await heap();

    // The agents: each starts its own process, then all begin on one schedule.
    const interval = 1000 * AGENTS / CHANGES_PER_S;
    const start = Date.now() + 8_000; // time for 30 processes to load
    const end = start + SECONDS * 1000;
    for (let k = 0; k < AGENTS; k++) {
      children.push(
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--quiet",
            AGENT,
            `agent-${k}`,
            String(start + k * (interval / AGENTS)),
            String(interval),
            String(end),
            JSON.stringify(ticketsOf(k)),
          ],
          cwd: root,
          env: { NO_COLOR: "1", TRACK_AGENT: "" },
          stdout: "piped",
          stderr: "null",
        }).spawn(),
      );
    }
    const outputs = children.map((c) => c.output());
    await new Promise((r) => setTimeout(r, Math.max(0, start - Date.now())));
    const cpu0 = procStat(server);
    const t0 = performance.now();
    const rss: number[] = [cpu0.rssKb];
    const sampler = setInterval(() => rss.push(procStat(server).rssKb), 5_000);
    const results = await Promise.all(outputs);
    clearInterval(sampler);
    // The last changes reach the page within a moment; give it one.
    await new Promise((r) => setTimeout(r, 1_000));
    const cpu1 = procStat(server);
    const wall = (performance.now() - t0) / 1000;
    rss.push(cpu1.rssKb);

    const lines = results.flatMap((r) =>
      new TextDecoder().decode(r.stdout).split("\n").filter((l) => l !== "").map((l) =>
        JSON.parse(l) as {
          shows: string | null;
          code: number;
          start_at: number;
          written_at: number | null;
        }
      )
    );
    const seen = new Map<string, number>(
      await page.evaluate("[...globalThis.benchSeen]") as Array<[string, number]>,
    );
    const firstSeen = (shows: string) => {
      let best = Infinity;
      for (const [k, at] of seen) if (k.startsWith(shows) && at < best) best = at;
      return best;
    };
    // From the ticket file written (its mtime) to the card in the DOM, and from the command's
    // start (its own work included) to the same moment.
    const latencies: number[] = [];
    const fromStart: number[] = [];
    let unseen = 0;
    for (const l of lines) {
      if (l.shows === null || l.code !== 0 || l.written_at === null) continue;
      const at = firstSeen(l.shows);
      if (at === Infinity) unseen++;
      else {
        latencies.push(at - l.written_at);
        fromStart.push(at - l.start_at);
      }
    }
    latencies.sort((a, b) => a - b);
    fromStart.sort((a, b) => a - b);
    const counters = await page.evaluate("globalThis.trackLive") as Record<string, number>;
    const heapEnd = await heap();
    const failed = lines.filter((l) => l.code !== 0).length;
    const changes = lines.length;
    const mb = (kb: number) => round(kb / 1024);
    const label = `${TICKETS.toLocaleString("en")} tickets, ${AGENTS} agents, ${
      round(changes / SECONDS)
    } changes/s for ${SECONDS} s`;
    return [
      {
        name: `CLI change -> page shows it (${label})`,
        median_ms: round(quantile(latencies, 0.5)),
        p95_ms: round(quantile(latencies, 0.95)),
        note: `${latencies.length} card changes, from the ticket file written (its mtime) to the ` +
          `card in the DOM; from the command's start: median ${
            round(quantile(fromStart, 0.5))
          } ms, p95 ${round(quantile(fromStart, 0.95))} ms; ${unseen} never seen, ${failed} ` +
          `commands failed (target: p95 under 300 ms)`,
      },
      {
        name: "bytes sent per change",
        value: round(counters.delta_bytes / changes),
        unit: "B",
        note: `${counters.deltas} delta events, ${
          round(counters.delta_bytes / 1024)
        } KB for ${changes} changes; a page connecting gets one ${
          round(counters.snapshot_bytes / 1e6)
        } MB snapshot (before: that snapshot on every change); target under 10 KB`,
      },
      {
        name: "server CPU",
        value: round(100 * (cpu1.cpuTicks - cpu0.cpuTicks) / HZ / wall),
        unit: "% of one core",
        note: `utime + stime of \`track serve\` over ${round(wall)} s (target: under 20 %)`,
      },
      {
        name: "server RSS",
        value: mb(rss[rss.length - 1]),
        unit: "MB",
        note: `start ${mb(rss[0])} MB, middle ${mb(rss[Math.floor(rss.length / 2)])} MB, end ${
          mb(rss[rss.length - 1])
        } MB (sampled every 5 s)`,
      },
      {
        name: "page JS heap at the end",
        value: round(heapEnd.heapMb),
        unit: "MB",
        note: `after a forced GC; ${
          round(heapStart.heapMb)
        } MB at the start; DOM nodes ${heapStart.nodes} -> ${heapEnd.nodes}`,
      },
    ];
  } finally {
    for (const c of children) {
      try {
        c.kill();
      } catch {
        // Already exited.
      }
    }
    await track(["stop"], root).catch(() => "");
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(await dashboardLiveBench(), null, 2));
}
