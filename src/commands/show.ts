/** `track show T`: the ticket's markdown. */
import { defineCommand, oneTicket } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { ticketDetailJson } from "../model/json.ts";
import { unverifiedOf } from "../model/verify.ts";
import { epicChildren } from "../operations/epics.ts";
import { table } from "../cli/output.ts";
import { isUnconfirmed, pendingClaims } from "../operations/unconfirmed.ts";

export default defineCommand({
  name: "show",
  summary: "Print a ticket's markdown (archived ones too)",
  usage: "show T",
  positionals: ["ticket"],
  flags: [],
  parse: (args) => ({ id: oneTicket(args.positionals, "show") }),
  run(opts, ctx) {
    const store = ctx.store();
    const live = store.tryReadTicketFile(opts.id);
    // An archived ticket is still shown (and says so).
    const found = live ?? store.tryReadArchivedFile(opts.id);
    if (found === null) store.readTicket(opts.id); // Throws the not-found error.
    // An epic: its children (live tickets naming it as parent) and their progress.
    const { children, progress } = epicChildren(store, opts.id);
    const t = found!.ticket;
    const unconfirmed = live !== null && isUnconfirmed(pendingClaims(store), t);
    if (ctx.json) {
      printJson(ctx, {
        ticket: unconfirmed ? { ...ticketDetailJson(t), confirmed: false } : ticketDetailJson(t),
        archived: live === null,
        children: children.map((c) => ({ id: c.id, title: c.title, status: c.status })),
        progress,
      });
    } else {
      ctx.io.out(found!.text);
      if (children.length > 0) {
        const counts = Object.entries(progress.by_status).filter(([, n]) => n > 0)
          .map(([s, n]) => `${n} ${s}`).join(", ");
        ctx.io.out(`## Children: ${progress.done}/${progress.total} done (${counts})\n`);
        ctx.io.out(table(
          ["ID", "STATUS", "CLAIMED BY", "TITLE"],
          children.map((c) => [c.id, c.status, c.claimed_by ?? "-", c.title]),
        ));
      }
      if (unconfirmed) {
        ctx.io.err(
          `note: ${t.claimed_by}'s claim of ${opts.id} is unconfirmed: granted on this machine, ` +
            "at risk until the next sync (track sync)",
        );
      }
      const unverified = unverifiedOf(found!.ticket);
      if (unverified !== null) ctx.io.err(`note: ${opts.id} is unverified: ${unverified}`);
      if (live === null) {
        ctx.io.err(
          `note: ${opts.id} is archived (hint: track archive ${opts.id} --restore brings it back)`,
        );
      }
    }
    return Promise.resolve(0);
  },
});
