/** `track search QUERY`: tickets and board posts by words and id fragments, ranked. */
import { defineCommand, list, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { parseFields, SEARCH_FIELDS } from "../model/search.ts";
import { searchStore } from "../operations/search.ts";
import { type Status, STATUSES } from "../model/transitions.ts";

export default defineCommand({
  name: "search",
  summary: "Find tickets and board posts by words or id (titles rank above bodies above logs)",
  usage: "search QUERY [--status S] [--label L] [--in title,body,log,board] [--limit N]",
  positionals: ["query"],
  flags: [
    {
      name: "status",
      short: "s",
      type: "string",
      value: "S",
      description: "Only tickets with this status",
      choices: STATUSES,
    },
    {
      name: "label",
      short: "l",
      type: "string",
      value: "L",
      description: "Only tickets with this label",
    },
    {
      name: "in",
      type: "list",
      value: "a,b",
      description: `Where to look: ${SEARCH_FIELDS.join(", ")} (default all)`,
    },
    {
      name: "limit",
      short: "n",
      type: "string",
      value: "N",
      description: "At most N results (default 50)",
    },
  ],
  parse(args) {
    const query = args.positionals.join(" ").trim();
    if (query === "") {
      throw usageError(`"track search" needs words to look for`, `track search "token refresh"`);
    }
    const fields = parseFields(list(args, "in"));
    if (typeof fields === "string") throw usageError(fields, "track search WORDS --in title,body");
    const limitText = str(args, "limit");
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) {
      throw usageError(
        `Invalid --limit ${JSON.stringify(limitText)}: expected a whole number of 1 or more`,
        "track search WORDS --limit 20",
      );
    }
    return {
      query,
      fields: [...fields],
      status: str(args, "status") as Status | undefined,
      label: str(args, "label"),
      limit,
    };
  },
  run(opts, ctx) {
    const r = searchStore(ctx.store(), { ...opts, fields: new Set(opts.fields) });
    for (const w of r.warnings) ctx.io.err(`warning: ${w}`);
    if (ctx.json) {
      printJson(ctx, { query: opts.query, results: r.hits, total: r.total });
    } else if (r.hits.length === 0) {
      ctx.io.err(`Nothing matches "${opts.query}" (hint: fewer words, or track list --all)`);
    } else {
      for (const h of r.hits) {
        if (h.kind === "ticket") {
          ctx.io.out(`${h.id} [${h.status}] ${h.title}`);
          if (h.field !== "title" && h.field !== "id") ctx.io.out(`    ${h.field}: ${h.line}`);
        } else {
          ctx.io.out(
            `board ${h.id} [${h.agent}]${h.ticket === null ? "" : ` ${h.ticket}`}: ${h.line}`,
          );
        }
      }
      if (r.total > r.hits.length) {
        ctx.io.err(`(${r.total - r.hits.length} more; --limit ${r.total} shows all)`);
      }
    }
    return Promise.resolve(0);
  },
});
