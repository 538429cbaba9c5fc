/** `track doctor [--fix]`: check .track/ and remove what is provably debris. */
import { bool, defineCommand } from "../cli/command.ts";
import { EXIT } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { REMOTE_OUTAGE_KINDS, runDoctor } from "../operations/doctor.ts";
import { basename, dirname } from "../model/path.ts";
import { gitCommonDirOf, SYNC_HOME, type SyncPaths, syncPaths } from "../store/sync_config.ts";

/**
 * The sync paths of the repository a store is in (`<common>/track/store`, or a `.track/` in a
 * work tree), or null outside git. A lookup of files, no git (like operations/sync.ts
 * `syncPathsOfStore`, which doctor does not load: it brings the whole sync engine).
 */
function syncPathsOf(storeDir: string): SyncPaths | null {
  const parent = dirname(storeDir);
  if (basename(storeDir) === "store" && basename(parent) === SYNC_HOME) {
    return syncPaths(dirname(parent));
  }
  const common = gitCommonDirOf(parent);
  return common === null ? null : syncPaths(common);
}

/** Kill timer of doctor's git runs that may touch the network: 10 s, less under TRACK_SYNC_TIMEOUT. */
function remoteTimeout(ctx: { env: { get(name: string): string | undefined } }): number {
  const raw = Number(ctx.env.get("TRACK_SYNC_TIMEOUT") ?? "");
  return Number.isInteger(raw) && raw > 0 ? Math.min(10_000, raw) : 10_000;
}

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
    const paths = syncPathsOf(store.dir);
    const r = await runDoctor(store, {
      fix: opts.fix,
      now: ctx.now(),
      sync: paths === null ? null : { paths, timeoutMs: remoteTimeout(ctx) },
    });
    if (ctx.json) {
      printJson(ctx, {
        healthy: r.healthy,
        tickets: r.tickets,
        agents: r.agents,
        lock: r.lock,
        findings: r.findings,
        remote: r.remote,
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
      const remote = r.remote === null
        ? ""
        : `, remote "${r.remote.remote}" ${
          r.remote.reachable
            ? `reachable (${r.remote.ref} ${r.remote.state?.slice(0, 12) ?? "missing"})`
            : "not reached"
        }`;
      ctx.io.err(
        `${r.tickets} ticket(s), ${r.agents} agent(s), lock ${lock}${remote}: ` +
          (r.healthy ? "healthy" : `${open} problem(s) need attention`),
      );
      if (!r.healthy && r.findings.some((f) => f.fixable && !f.fixed)) {
        ctx.io.err("hint: track doctor --fix (removes only temp files and other debris)");
      }
    }
    // Exit 6 (8 when the only problems are a remote that could not be used) without an error
    // message: the findings above are the report.
    if (r.healthy) return EXIT.ok;
    const open = r.findings.filter((f) => !f.fixed && !f.warning);
    // A fresh clone that has not joined its sync yet: exit 4 like every other command there.
    if (open.every((f) => f.kind === "unjoined")) return EXIT.notFound;
    return open.every((f) => REMOTE_OUTAGE_KINDS.has(f.kind)) ? EXIT.remote : EXIT.badData;
  },
});
