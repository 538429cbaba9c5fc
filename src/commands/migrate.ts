/** `track migrate [--from PATH] [--dry-run]`: convert an agent-track 0.1 `.track/` in place. */
import { join, resolve } from "../model/path.ts";
import { bool, defineCommand, str } from "../cli/command.ts";
import { notFoundError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import { STORE_DIR_NAME, storeKind } from "../store/discovery.ts";
import { Store } from "../store/store.ts";
import { migrateStore } from "../transfer/agent_track.ts";

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

export default defineCommand({
  name: "migrate",
  summary: "Convert an agent-track 0.1 .track/ in place (backup first; safe to run twice)",
  usage: "migrate [--from PATH] [--dry-run]",
  flags: [
    {
      name: "from",
      type: "string",
      value: "PATH",
      description:
        "The .track/ to convert, or the project holding it (default: the store found here)",
    },
    {
      name: "dry-run",
      short: "n",
      type: "boolean",
      description: "Show what would change; write nothing",
    },
  ],
  parse: (args) => ({ from: str(args, "from"), dryRun: bool(args, "dry-run") }),
  async run(opts, ctx) {
    let store: Store;
    // config.json is what migrate writes: the store is not checked for it.
    if (opts.from === undefined) store = ctx.store({ check: false });
    else {
      const path = resolve(ctx.cwd, opts.from);
      const dir = isDir(join(path, STORE_DIR_NAME)) ? join(path, STORE_DIR_NAME) : path;
      if (!isDir(dir)) {
        throw notFoundError(
          `Cannot migrate "${opts.from}": no such directory`,
          "track migrate --from PATH/TO/.track --dry-run",
        );
      }
      // Anything else would be "migrated" by copying it whole as a backup and adding a store.
      const kind = storeKind(dir);
      if (kind !== "store" && kind !== "legacy") {
        throw notFoundError(
          `Cannot migrate "${opts.from}": "${dir}" is not an agent-track store (no config.json, ` +
            "tickets/, agents/ or BOARD.md); nothing was changed",
          "track migrate --from PATH/TO/.track --dry-run (the .track directory, or the project holding it)",
        );
      }
      store = new Store(dir);
    }
    const { plan, backup } = await migrateStore(store, { dryRun: opts.dryRun, now: ctx.now() });
    if (ctx.json) {
      printJson(ctx, {
        store: store.dir,
        dry_run: opts.dryRun,
        changes: plan.changes.map((c) => ({ file: c.file, action: c.action, what: c.what })),
        notes: plan.notes,
        backup,
      });
      return;
    }
    for (const n of plan.notes) ctx.io.err(`note: ${n}`);
    if (plan.changes.length === 0) {
      ctx.io.out(`Nothing to migrate in ${store.dir}: it is already in this format`);
      return;
    }
    const verb = opts.dryRun ? "would " : "";
    for (const c of plan.changes) ctx.io.out(`${verb}${c.action} ${c.file} (${c.what})`);
    if (opts.dryRun) {
      ctx.io.err(
        `Dry run: ${plan.changes.length} changes, nothing written (hint: track migrate` +
          (opts.from ? ` --from ${opts.from}` : "") + ")",
      );
    } else {
      ctx.io.err(`Migrated ${store.dir}: ${plan.changes.length} changes; backup in ${backup}`);
    }
  },
});
