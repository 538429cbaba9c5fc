/** `track files`: reserve, check, list and release paths. */
import { projectRoot } from "../store/discovery.ts";
import { AGENT_FLAG, bool, defineCommand, settledExit, str } from "../cli/command.ts";
import { decisionEnv, settlePending } from "../operations/decide.ts";
import { conflictError, usageError } from "../model/errors.ts";
import { printJson, table } from "../cli/output.ts";
import { isGlob, patternsOverlap } from "../model/reservation_paths.ts";
import {
  checkPaths,
  readReservations,
  releasePaths,
  reservationPath,
  reservePaths,
} from "../operations/reservations.ts";
import { parseId } from "../model/ids.ts";

export default defineCommand({
  name: "files",
  summary: "Reserve paths or globs for a ticket, check who holds a path, list or release",
  usage:
    "files --add PATH… --agent A --ticket T [--shared | --force] | --check PATH… | --list | --release [PATH…] --agent A",
  positionals: ["path"],
  flags: [
    {
      name: "add",
      type: "multi",
      value: "PATH",
      description: "Reserve these paths or globs (more may follow)",
    },
    {
      name: "check",
      type: "multi",
      value: "PATH",
      description: "Exit 3 if another agent holds these paths",
    },
    { name: "list", type: "boolean", description: "List all reservations, overlaps marked" },
    {
      name: "release",
      type: "boolean",
      description: "Release the agent's reservations (all, or the given paths)",
    },
    AGENT_FLAG,
    { name: "ticket", type: "string", value: "T", description: "Ticket the reservation is for" },
    {
      name: "shared",
      type: "boolean",
      description:
        "Shared reservation: may overlap other shared ones, blocks no edit; any agent may take one",
    },
    {
      name: "force",
      type: "boolean",
      description: "Reserve exclusively for a ticket you do not hold",
    },
  ],
  parse(args) {
    const add = (args.flags.add as string[] | undefined) ?? [];
    const check = (args.flags.check as string[] | undefined) ?? [];
    const modes =
      [add.length > 0, check.length > 0, bool(args, "list"), bool(args, "release")].filter(Boolean)
        .length;
    if (modes !== 1) {
      throw usageError(
        `"track files" needs exactly one of --add, --check, --list or --release`,
        "track files --list",
      );
    }
    if (bool(args, "list") && args.positionals.length > 0) {
      throw usageError(
        `"track files --list" takes no paths, got ${JSON.stringify(args.positionals[0])}`,
        `track files --check ${args.positionals[0]}`,
      );
    }
    const ticket = str(args, "ticket");
    const mode = add.length > 0
      ? "add"
      : check.length > 0
      ? "check"
      : bool(args, "list")
      ? "list"
      : "release";
    return {
      mode,
      paths: [...add, ...check, ...args.positionals],
      agent: str(args, "agent"),
      ticket: ticket === undefined ? undefined : parseId(ticket),
      shared: bool(args, "shared"),
      force: bool(args, "force"),
    } as const;
  },
  async run(opts, ctx) {
    const store = ctx.store();
    const root = projectRoot(store.trackDir, ctx.cwd);
    const norm = (p: string) => reservationPath(p, { cwd: ctx.cwd, root });
    if (opts.mode === "list") {
      const all = readReservations(store);
      const rows = all.map((r) => ({
        ...r,
        overlaps: all.filter((o) =>
          o !== r && o.agent !== r.agent && patternsOverlap(o.path, r.path)
        )
          .map((o) => ({ path: o.path, agent: o.agent, ticket: o.ticket })),
      }));
      if (ctx.json) printJson(ctx, { reservations: rows });
      else if (rows.length === 0) ctx.io.err("No reservations");
      else {
        ctx.io.out(table(
          ["PATH", "AGENT", "TICKET", "MODE", "OVERLAPS"],
          rows.map((
            r,
          ) => [
            r.path,
            r.agent,
            r.ticket,
            r.mode,
            r.overlaps.map((o) => `!${o.path} (${o.agent})`).join(", ") || "-",
          ]),
        ));
      }
      return 0;
    }
    if (opts.mode === "check") {
      const results = checkPaths(store, opts.paths.map(norm), ctx.agent(opts.agent));
      if (ctx.json) printJson(ctx, { results });
      else {
        for (const r of results) {
          if (r.free) {
            ctx.io.out(
              `${r.path}: free` +
                (r.shared.length
                  ? ` (shared with ${r.shared.map((s) => s.agent).join(", ")})`
                  : ""),
            );
          } else {ctx.io.out(`${r.path}: reserved by ${
              r.holders.map((h) => `${h.agent} for ${h.ticket} (${h.path})`).join(", ")
            }`);}
        }
      }
      const busy = results.find((r) => !r.free);
      if (busy && !ctx.json) {
        const h = busy.holders[0];
        throw conflictError(
          `"${busy.path}" is reserved by "${h.agent}" for ${h.ticket}`,
          `track board --ticket ${h.ticket} --tag conflict -m "..." (ask the holder before editing)`,
        );
      }
      return busy ? 3 : 0;
    }
    const agent = await ctx.requireActingAgent(opts.agent, "files");
    if (opts.mode === "release") {
      // A directory is reserved as dir/**; the name releases it even once the directory is gone,
      // and releases a plain "dir" reserved before directories were written that way.
      const paths = opts.paths.map(norm).flatMap((p) =>
        p.endsWith("/**") && !isGlob(p.slice(0, -3))
          ? [p, p.slice(0, -3)]
          : isGlob(p)
          ? [p]
          : [p, `${p}/**`]
      );
      const removed = await releasePaths(store, { agent, paths }, ctx.now());
      if (ctx.json) printJson(ctx, { released: removed });
      else ctx.io.out(`Released ${removed.length} reservation(s) of ${agent}`);
      return 0;
    }
    if (opts.ticket === undefined) {
      throw usageError(
        `"track files --add" needs --ticket T`,
        `track files --add PATH --agent ${agent} --ticket T-0001`,
      );
    }
    const added = await reservePaths(
      store,
      {
        paths: [...new Set(opts.paths.map(norm))],
        agent,
        ticket: opts.ticket,
        shared: opts.shared,
        force: opts.force,
      },
      ctx.now(),
    );
    // With sync on, an exclusive reservation is a decision settled with the remote.
    const confirmed = opts.shared ? null : await settlePending(store, [opts.ticket], {
      now: ctx.now,
      ...decisionEnv(ctx.env, false),
    });
    if (ctx.json) printJson(ctx, { reserved: added });
    else {ctx.io.out(`Reserved ${
        added.map((r) => r.path).join(", ")
      } for ${agent} (${opts.ticket}, ${added[0]?.mode})`);}
    return settledExit(ctx, "the reservation", confirmed) ?? 0;
  },
});
