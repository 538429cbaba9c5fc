/** `track cost`: time and token cost per ticket, agent, label or parent. */
import { defineCommand, str } from "../cli/command.ts";
import { printJson, table } from "../cli/output.ts";
import { formatAge } from "../model/time.ts";
import {
  checkBudget,
  COST_GROUPINGS,
  type CostGrouping,
  costReport,
  type CostRow,
} from "../operations/cost.ts";
import type { Context } from "../cli/context.ts";
import { PRICES_AS_OF } from "../model/prices.ts";

function dollars(r: CostRow): string {
  const c = r.cost_usd === null ? "-" : `$${r.cost_usd.toFixed(2)}`;
  return r.unpriced_tokens > 0 ? `${c} (+${r.unpriced_tokens} unpriced)` : c;
}

function times(r: CostRow): string {
  const parts = Object.entries(r.time_ms).filter(([, ms]) => ms > 0)
    .map(([status, ms]) => `${status} ${formatAge(ms)}`);
  return parts.length === 0 ? "-" : parts.join(", ");
}

/**
 * After an agent's command on a ticket: warns on stderr (and tells the board, once) when the
 * ticket's budget was crossed. Free for tickets without a budget.
 */
export async function warnBudget(ctx: Context, id: string, agent: string | null): Promise<void> {
  if (agent === null) return;
  const warning = await checkBudget(ctx.store(), id, { agent, now: ctx.now() });
  if (warning !== null) ctx.io.err(warning);
}

export default defineCommand({
  name: "cost",
  summary: "Time in each status and token cost (Claude Code transcripts) per ticket, agent, label",
  usage: "cost [--by ticket|agent|label|parent]",
  flags: [
    {
      name: "by",
      type: "string",
      value: "WHAT",
      description: "Group by ticket (default), agent, label or parent",
      choices: COST_GROUPINGS,
    },
  ],
  parse: (args) => ({ by: (str(args, "by") ?? "ticket") as CostGrouping }),
  async run(opts, ctx) {
    const r = await costReport(ctx.store(), { by: opts.by, now: ctx.now() });
    for (const w of r.warnings) ctx.io.err(w);
    const shape = (row: CostRow) => ({
      tokens: row.tokens,
      cost_usd: row.cost_usd,
      unpriced_tokens: row.unpriced_tokens,
      time_ms: row.time_ms,
      budget: row.budget,
      over_budget: row.over_budget,
    });
    if (ctx.json) {
      printJson(ctx, {
        by: r.by,
        rows: r.rows.map((row) => ({ key: row.key, ...shape(row) })),
        unattributed: shape(r.unattributed),
        total: shape(r.total),
        prices_as_of: PRICES_AS_OF,
      });
      return;
    }
    const rows = [...r.rows, r.unattributed, r.total].map((row) => [
      row.key,
      String(row.tokens.total),
      dollars(row),
      row.budget === null ? "-" : row.budget + (row.over_budget ? " (over)" : ""),
      times(row),
    ]);
    ctx.io.out(table([opts.by.toUpperCase(), "TOKENS", "COST", "BUDGET", "TIME"], rows));
  },
});
