/** `track sync [--fetch-only]`: fetch the remote's state, merge, publish ours (docs/sync.md). */
import { bool, defineCommand, str } from "../cli/command.ts";
import { checkAgentName } from "../model/agent.ts";
import { printJson } from "../cli/output.ts";
import { syncSetupOf, syncStore, syncTimeout } from "../operations/sync.ts";
import { joinFromHint } from "../operations/join.ts";
import { finishMove } from "../store/sync_home.ts";

export default defineCommand({
  name: "sync",
  summary: "Fetch the shared state from the remote, merge, and publish this clone's changes",
  usage: "sync [--fetch-only] [--accept-rewind] [--background] [--keep-lease AGENT]",
  flags: [
    {
      name: "fetch-only",
      type: "boolean",
      description: "Apply the remote's state here; publish nothing",
    },
    {
      name: "accept-rewind",
      type: "boolean",
      description: "Follow a remote rewound to another history (after exit 6), merging ours in",
    },
    {
      name: "background",
      type: "boolean",
      description:
        "Sync paced until nothing is left to publish, printing nothing (what writes start)",
    },
    {
      name: "keep-lease",
      type: "string",
      value: "AGENT",
      description:
        "Heartbeat and sync, paced, while AGENT is busy in a tool call (what the PreToolUse hook starts)",
    },
  ],
  parse: (args) => ({
    fetchOnly: bool(args, "fetch-only"),
    acceptRewind: bool(args, "accept-rewind"),
    background: bool(args, "background"),
    keepLease: str(args, "keep-lease") ?? null,
  }),
  async run(opts, ctx) {
    // A fresh clone whose config.json says schema 2 joins through its hint (operations/join.ts).
    const store = ctx.store({ unjoined: true });
    if (opts.keepLease !== null) {
      // Detached, started by the PreToolUse hook (operations/lease_keeper.ts): no output.
      const { runLeaseKeeper } = await import("../operations/lease_keeper.ts");
      await runLeaseKeeper(store, checkAgentName(opts.keepLease), {
        now: () => ctx.now(),
        timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
      });
      return;
    }
    if (opts.background) {
      // Detached, started by a write (operations/background_sync.ts): no output, no join.
      const { runBackgroundSync } = await import("../operations/background_sync.ts");
      await runBackgroundSync(store, {
        now: () => ctx.now(),
        timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
      });
      return;
    }
    const setup = syncSetupOf(store);
    if (setup === null) {
      const joined = await joinFromHint(store, {
        now: () => ctx.now(),
        timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
        cwd: ctx.cwd,
      });
      if (joined !== null) {
        if (ctx.json) printJson(ctx, { synced: true, joined: true, ...joined.sync });
        else {
          ctx.io.out(
            `Joined: syncing through ${joined.remote} (${joined.ref}); ` +
              (joined.outcome === "adopted"
                ? `adopted the shared state (${joined.sync.applied} files)`
                : "the remote had no state yet: published this store"),
          );
        }
        return;
      }
      // No remote: nothing to do, and no git is run.
      if (ctx.json) printJson(ctx, { synced: false, remote: null });
      else ctx.io.err("Sync is off: no remote was added (hint: track remote add <remote>)");
      return;
    }
    // A move of the store out of .track/ cut short by a kill (sync_home.ts): finish it first.
    if (await finishMove(store.trackDir, setup.paths, setup.config)) {
      ctx.io.err("note: finished moving the store out of .track/ (a move cut short earlier)");
    }
    const r = await syncStore(store, setup, {
      now: () => ctx.now(),
      fetchOnly: opts.fetchOnly,
      acceptRewind: opts.acceptRewind,
      paced: true,
      timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
    });
    if (ctx.json) {
      printJson(ctx, { synced: true, ...r });
      return;
    }
    const what = r.piggybacked
      ? "another track sync of this clone had just synced everything (nothing new here)"
      : r.pushed
      ? `published ${r.published} file${r.published === 1 ? "" : "s"}`
      : r.deferred_ms !== null
      ? `publishing waits ${Math.ceil(r.deferred_ms / 1000)} s (${
        r.deferred_reason === "heartbeat" ? "only heartbeats changed" : "sync.interval"
      })`
      : opts.fetchOnly
      ? "nothing published (--fetch-only)"
      : "nothing to publish";
    ctx.io.out(
      `Synced with ${r.remote} (${r.ref}): ${what}, applied ${r.applied}` +
        (r.state === null ? "" : `; state ${r.state.slice(0, 12)}`),
    );
    if (r.deferred_ms !== null && r.deferred_reason === "interval") {
      ctx.io.err(
        `note: this clone pushed less than sync.interval ago; run track sync again in ${
          Math.ceil(r.deferred_ms / 1000)
        } s to publish (the remote's state was applied here)`,
      );
    }
    if (r.restored !== null) {
      ctx.io.err(
        `warning: the remote had lost history this clone knew (it was at ${
          r.restored.from?.slice(0, 12) ?? "no state"
        }); it was published again`,
      );
    }
    for (const loss of r.losses) {
      ctx.io.err(
        `note: kept the published ${loss.path}${loss.field ? ` ${loss.field}` : ""}: ` +
          `this clone's change is recorded in ${loss.noted}`,
      );
    }
    for (const n of r.renumbered) ctx.io.err(`note: ${n.from} was renumbered ${n.to}`);
    for (const q of r.quarantined) {
      ctx.io.err(
        `warning: the remote refused ${q.path} (${q.reason}); it is kept here, not published ` +
          "(the board has a sync-quarantine note); every track sync tries it again",
      );
    }
    if (r.merged_local > 0) {
      ctx.io.err(
        `note: ${r.merged_local} file(s) written here during the sync were merged; the next ` +
          "track sync publishes them",
      );
    }
  },
});
