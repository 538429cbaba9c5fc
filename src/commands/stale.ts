/** `track stale`: agents without a recent heartbeat; `--reclaim` returns their work. */
import { bool, defineCommand, settledExit, str } from "../cli/command.ts";
import { decisionEnv, settlePending } from "../operations/decide.ts";
import { printJson, table } from "../cli/output.ts";
import { formatAge, parseDuration } from "../model/time.ts";
import { findStale, reclaimStale } from "../operations/lifecycle.ts";
import { readSummaries } from "../store/ticket_cache.ts";
import { holdersOf } from "../model/holding.ts";

export default defineCommand({
  name: "stale",
  summary: "Show agents with no recent heartbeat; --reclaim returns their tickets to backlog",
  usage: "stale [--threshold 30m] [--reclaim [--agent A]]",
  flags: [
    {
      name: "threshold",
      type: "string",
      value: "DURATION",
      description: "Heartbeat age that counts as stale (default from config.json, 30m)",
    },
    {
      name: "reclaim",
      type: "boolean",
      description: "Mark them stale, return their tickets, release their files",
    },
    {
      name: "agent",
      short: "a",
      type: "string",
      value: "NAME",
      description: "Who is reclaiming (shown on the board)",
    },
  ],
  parse: (args) => ({
    threshold: str(args, "threshold"),
    reclaim: bool(args, "reclaim"),
    agent: str(args, "agent"),
  }),
  async run(opts, ctx) {
    const store = ctx.store();
    const thresholdMs = parseDuration(
      opts.threshold ?? store.readConfig().stale_threshold,
      "threshold",
    );
    const now = ctx.now();
    if (!opts.reclaim) {
      const holders = holdersOf(readSummaries(store).tickets);
      const stale = findStale(store, thresholdMs, now, { holders });
      if (ctx.json) {
        printJson(ctx, {
          threshold_s: thresholdMs / 1000,
          stale: stale.map((s) => ({
            agent: s.agent.id,
            last_heartbeat: s.agent.last_heartbeat,
            age_s: Math.floor(s.ageMs / 1000),
            future: s.future,
            process_gone: s.processGone,
          })),
        });
      } else if (stale.length === 0) {
        ctx.io.err(`No stale agents (threshold ${formatAge(thresholdMs)})`);
      } else {
        ctx.io.out(
          table(
            ["AGENT", "LAST HEARTBEAT", "AGE"],
            stale.map((s) => [
              s.agent.id,
              s.agent.last_heartbeat,
              (s.future ? "in the future" : formatAge(s.ageMs)) +
              (s.processGone ? " (process gone)" : ""),
            ]),
          ),
        );
        ctx.io.err("hint: track stale --reclaim (returns their tickets to backlog)");
      }
      return 0;
    }
    const agent = await ctx.actingAgent(opts.agent, "stale");
    const by = agent ?? "track";
    const done = await reclaimStale(store, { thresholdMs, now, by, agent });
    // With sync on, a reclaim is a decision settled with the remote before this returns.
    const confirmed = await settlePending(store, done.flatMap((s) => s.reclaimed), {
      now: ctx.now,
      ...decisionEnv(ctx.env, false),
    });
    if (ctx.json) {
      printJson(ctx, {
        threshold_s: thresholdMs / 1000,
        reclaimed: done.map((s) => ({
          agent: s.agent.id,
          age_s: Math.floor(s.ageMs / 1000),
          future: s.future,
          process_gone: s.processGone,
          tickets: s.reclaimed,
          reservations_released: s.reservationsReleased,
        })),
      });
    } else if (done.length === 0) {
      ctx.io.err(`No stale agents (threshold ${formatAge(thresholdMs)})`);
    } else {
      for (const s of done) {
        ctx.io.out(
          `${s.agent.id}: ${s.future ? "heartbeat in the future" : `stale ${formatAge(s.ageMs)}`}${
            s.processGone ? " (its Claude Code process is gone)" : ""
          }; returned ${s.reclaimed.join(", ") || "no tickets"}` +
            `; released ${s.reservationsReleased} reservation(s)`,
        );
      }
    }
    return settledExit(ctx, "the reclaim", confirmed) ?? 0;
  },
});
