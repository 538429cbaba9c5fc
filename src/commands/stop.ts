/** `track stop`: stop the background dashboard started with `track serve -d`. */
import { defineCommand } from "../cli/command.ts";
import { notFoundError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";

export default defineCommand({
  name: "stop",
  summary: "Stop the background dashboard server",
  usage: "stop",
  flags: [],
  parse: () => ({}),
  async run(_opts, ctx) {
    const store = ctx.store();
    const { stopRunning } = await import("../dashboard/server.ts");
    const r = await stopRunning(store);
    if (r.outcome === "none") {
      throw notFoundError(
        "Cannot stop the dashboard: no server is running for this .track/",
        "track serve -d",
      );
    }
    if (ctx.json) printJson(ctx, { outcome: r.outcome, pid: r.pid, url: r.url });
    else if (r.outcome === "stopped") {
      ctx.io.out(`Stopped the dashboard at ${r.url} (pid ${r.pid})`);
    } else {
      ctx.io.out(
        `No dashboard was running; removed a stale .track/server.json` +
          (r.pid === null ? "" : ` (pid ${r.pid} is not our server and was left alone)`),
      );
    }
  },
});
