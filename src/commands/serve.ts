/** `track serve [--port 7777] [-d] [--open]`: the live web dashboard on 127.0.0.1. */
import { bool, defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import type { Context } from "../cli/context.ts";

/** Default port; kept here so `--help` needs no dashboard code. */
const DEFAULT_PORT = 7777;

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw usageError(`Invalid --port ${JSON.stringify(text)}: expected a number from 0 to 65535`);
  }
  return Number(text);
}

function openBrowser(url: string): void {
  const cmd = Deno.build.os === "darwin"
    ? ["open", url]
    : Deno.build.os === "windows"
    ? ["cmd", "/c", "start", "", url]
    : ["xdg-open", url];
  try {
    const child = new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
  } catch {
    // No browser opener installed: the URL is printed anyway.
  }
}

function report(
  ctx: Context,
  r: { url: string; pid: number; port: number; already: boolean; detached: boolean },
): void {
  if (ctx.json) {
    printJson(ctx, {
      url: r.url,
      pid: r.pid,
      port: r.port,
      already: r.already,
      detached: r.detached,
    });
  } else if (r.already) {
    ctx.io.out(r.url);
    ctx.io.err(`The dashboard is already running at ${r.url} (pid ${r.pid}; hint: track stop)`);
  } else {
    ctx.io.out(r.url);
    ctx.io.err(
      r.detached
        ? `Dashboard running in the background (pid ${r.pid}; hint: track stop)`
        : `Dashboard running (pid ${r.pid}); press Ctrl-C to stop`,
    );
  }
}

export default defineCommand({
  name: "serve",
  summary: "Serve the live web dashboard on 127.0.0.1 (-d: in the background)",
  usage: "serve [--port 7777] [-d] [--open]",
  flags: [
    { name: "port", short: "p", type: "string", value: "N", description: "Port (default 7777)" },
    {
      name: "detach",
      short: "d",
      type: "boolean",
      description: "Run in the background; returns once it listens (stop: track stop)",
    },
    { name: "open", type: "boolean", description: "Open the page in the default browser" },
  ],
  parse: (args) => ({
    port: parsePort(str(args, "port")),
    detach: bool(args, "detach"),
    open: bool(args, "open"),
  }),
  async run(opts, ctx) {
    const store = ctx.store();
    // Loaded here so other commands never load the server (and the page it embeds).
    const { startDetached, startServer } = await import("../dashboard/server.ts");
    if (opts.detach) {
      const r = await startDetached(store, { port: opts.port, cwd: ctx.cwd });
      report(ctx, { ...r.info, already: !r.started, detached: true });
      if (opts.open) openBrowser(r.info.url);
      return 0;
    }
    const r = await startServer(store, {
      port: opts.port,
      now: () => ctx.now(),
      sync: await syncPanelOptions(ctx.env),
    });
    if (!r.started) {
      report(ctx, { ...r.running, already: true, detached: false });
      if (opts.open) openBrowser(r.running.url);
      return 0;
    }
    const server = r.server;
    report(ctx, { ...server.info, already: false, detached: false });
    if (opts.open) openBrowser(server.url);
    const onSignal = () => void server.stop();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      await server.finished;
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
    return 0;
  },
});

/**
 * The sync panel's settings from the environment (docs/dashboard.md "Sync"): `TRACK_SYNC`
 * (only auto polls the remote and syncs after the page's writes), `TRACK_SYNC_POLL_MS`,
 * `TRACK_SYNC_TIMEOUT`.
 */
async function syncPanelOptions(
  env: { get(name: string): string | undefined },
): Promise<{ mode: "auto" | "manual" | "off"; pollMs?: number; timeoutMs: number }> {
  const { syncMode } = await import("../operations/background_sync.ts");
  const { syncTimeout } = await import("../operations/sync.ts");
  const raw = env.get("TRACK_SYNC_POLL_MS");
  let pollMs: number | undefined;
  if (raw !== undefined && raw !== "") {
    pollMs = Number(raw);
    if (!Number.isInteger(pollMs) || pollMs < 100) {
      throw usageError(
        `Invalid TRACK_SYNC_POLL_MS ${JSON.stringify(raw)}: expected milliseconds (100 or more)`,
      );
    }
  }
  return {
    mode: syncMode(env.get("TRACK_SYNC")) ?? "auto",
    pollMs,
    timeoutMs: syncTimeout(env.get("TRACK_SYNC_TIMEOUT")),
  };
}
