/** `track doctor [--fix]`: check .track/ and remove what is provably debris. */
import { bool, defineCommand } from "../cli/command.ts";
import { EXIT } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { runDoctor } from "../operations/doctor.ts";

export default defineCommand({
  name: "doctor",
  summary: "Check .track/ for broken files and debris; --fix removes only provable debris",
  usage: "doctor [--fix]",
  flags: [{
    name: "fix",
    type: "boolean",
    description: "Remove leftover temp files, dead runtime files, reservations of unknown agents",
  }],
  parse: (args) => ({ fix: bool(args, "fix") }),
  async run(opts, ctx) {
    const store = ctx.store({ check: false }); // a bad config.json is one of the findings
    const r = await runDoctor(store, { fix: opts.fix, now: ctx.now() });
    if (ctx.json) {
      printJson(ctx, {
        healthy: r.healthy,
        tickets: r.tickets,
        agents: r.agents,
        lock: r.lock,
        findings: r.findings,
      });
    } else {
      for (const f of r.findings) {
        const where = f.file === null
          ? ""
          : f.line === null
          ? `${f.file}: `
          : `${f.file}:${f.line}: `;
        const mark = f.fixed ? "fixed" : f.warning ? "warning" : f.fixable ? "debris" : "problem";
        ctx.io.out(`${mark}  ${f.kind}  ${where}${f.message}`);
        if (!f.fixed) ctx.io.out(`  hint: ${f.advice}`);
      }
      const lock = r.lock.held
        ? `held by pid ${r.lock.pid ?? "?"} (${r.lock.command ?? "unknown command"})`
        : "free";
      const open = r.findings.filter((f) => !f.fixed && !f.warning).length;
      ctx.io.err(
        `${r.tickets} ticket(s), ${r.agents} agent(s), lock ${lock}: ` +
          (r.healthy ? "healthy" : `${open} problem(s) need attention`),
      );
      if (!r.healthy && r.findings.some((f) => f.fixable && !f.fixed)) {
        ctx.io.err("hint: track doctor --fix (removes only temp files and other debris)");
      }
    }
    // Exit 6 without an error message: the findings above are the report.
    return r.healthy ? EXIT.ok : EXIT.badData;
  },
});
