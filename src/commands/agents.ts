/** `track agents`: who is here, how alive, what they hold. */
import { bool, defineCommand } from "../cli/command.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { printJson, table } from "../cli/output.ts";
import { formatAge, parseDuration } from "../model/time.ts";
import { agentJson, agentNow } from "../model/json.ts";
import { readAllAgents } from "../store/agent_records.ts";
import { readReservations } from "../operations/reservations.ts";
import { findStale } from "../operations/lifecycle.ts";
import { heldBy } from "../model/holding.ts";
import { isUnconfirmed, pendingClaims } from "../operations/unconfirmed.ts";

export default defineCommand({
  name: "agents",
  summary: "List registered agents with heartbeat age, tickets and reservations",
  usage: "agents [--all] [--waiting]",
  flags: [
    { name: "all", type: "boolean", description: "Include deregistered agents" },
    {
      name: "waiting",
      type: "boolean",
      description: "Only agents waiting for you (a permission, input, or their turn is over)",
    },
  ],
  parse: (args) => ({ all: bool(args, "all"), waiting: bool(args, "waiting") }),
  run(opts, ctx) {
    const store = ctx.store();
    const now = ctx.now();
    const thresholdMs = parseDuration(store.readConfig().stale_threshold, "stale_threshold");
    // What `stale` would reclaim (a busy agent whose process is alive never is).
    const overdue = new Set(findStale(store, thresholdMs, now).map((s) => s.agent.id));
    const { agents, problems } = readAllAgents(store);
    for (const p of problems) ctx.io.err(`warning: skipping ${p.error.message}`);
    const { tickets } = readSummaries(store);
    const reservations = readReservations(store);
    const pending = pendingClaims(store);
    const rows = agents.filter((a) =>
      (opts.all || a.status !== "deregistered") && (!opts.waiting || a.waiting !== null)
    ).map((a) => {
      const mine = heldBy(tickets, a.id);
      const held = mine.map((t) => t.id);
      const res = reservations.filter((r) => r.agent === a.id).length;
      // Claims granted here that no sync confirmed yet (docs/sync.md): only when there are any.
      const unconfirmed = mine.filter((t) => isUnconfirmed(pending, t)).map((t) => t.id);
      const row = agentJson(a, now, held, res);
      return unconfirmed.length === 0 ? row : { ...row, unconfirmed };
    });
    if (ctx.json) printJson(ctx, { agents: rows });
    else if (rows.length === 0) {
      ctx.io.err(
        opts.waiting
          ? "No agent is waiting for you (hint: track agents)"
          : "No agents registered (hint: track register)",
      );
    } else {
      ctx.io.out(table(
        ["AGENT", "STATUS", "HEARTBEAT", "TICKETS", "RESERVATIONS", "NOW"],
        rows.map((r) => [
          r.id,
          r.status === "active" && overdue.has(r.id) ? "active (no heartbeat)" : r.status,
          formatAge(r.heartbeat_age_s * 1000) + " ago",
          r.tickets.map((id) =>
            "unconfirmed" in r && r.unconfirmed.includes(id) ? `${id} (unconfirmed)` : id
          ).join(",") || "-",
          String(r.reservations),
          agentNow(r, now) || "-",
        ]),
      ));
    }
    return Promise.resolve(0);
  },
});
