/** `track agents`: who is here, how alive, what they hold. */
import { bool, defineCommand } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table } from "../cli/output.ts";
import { formatAge, parseDuration } from "../model/time.ts";
import { agentJson } from "../model/json.ts";
import { readAllAgents } from "../store/agent_records.ts";
import { readReservations } from "../operations/reservations.ts";
import { heldBy } from "../model/holding.ts";

export default defineCommand({
  name: "agents",
  summary: "List registered agents with heartbeat age, tickets and reservations",
  usage: "agents [--all]",
  flags: [{ name: "all", type: "boolean", description: "Include deregistered agents" }],
  parse: (args) => ({ all: bool(args, "all") }),
  run(opts, ctx) {
    const store = ctx.store();
    const now = ctx.now();
    const thresholdMs = parseDuration(store.readConfig().stale_threshold, "stale_threshold");
    const { agents, problems } = readAllAgents(store);
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const { tickets } = readSummaries(store);
    const reservations = readReservations(store);
    const rows = agents.filter((a) => opts.all || a.status !== "deregistered").map((a) => {
      const held = heldBy(tickets, a.id).map((t) => t.id);
      const res = reservations.filter((r) => r.agent === a.id).length;
      return agentJson(a, now, held, res);
    });
    if (ctx.json) printJson(ctx, { agents: rows });
    else if (rows.length === 0) ctx.io.err("No agents registered (hint: track register)");
    else {
      ctx.io.out(table(
        ["AGENT", "STATUS", "HEARTBEAT", "TICKETS", "RESERVATIONS"],
        rows.map((r) => [
          r.id,
          r.status === "active" && r.heartbeat_age_s * 1000 > thresholdMs
            ? "active (no heartbeat)"
            : r.status,
          formatAge(r.heartbeat_age_s * 1000) + " ago",
          r.tickets.join(",") || "-",
          String(r.reservations),
        ]),
      ));
    }
    return Promise.resolve(0);
  },
});
