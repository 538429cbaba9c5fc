/** `track remote add|show|remove`: turn sync through a git remote on or off (docs/sync.md). */
import { bool, defineCommand, str } from "../cli/command.ts";
import { printJson } from "../cli/output.ts";
import { usageError } from "../model/errors.ts";
import { addRemote, removeRemote, showRemote } from "../operations/remote.ts";
import { syncTimeout } from "../operations/sync.ts";

type Opts =
  | { action: "add"; remote: string; ref: string | undefined; adopt?: true }
  | { action: "show" }
  | { action: "remove" };

export default defineCommand({
  name: "remote",
  summary: "Sync this store through a git remote: add one, show it, or remove it",
  usage: "remote add <remote> [--ref REF] [--adopt] | remote show | remote remove",
  positionals: ["action", "remote"],
  flags: [
    {
      name: "ref",
      type: "string",
      value: "REF",
      description: "Ref of the shared state on the remote (default: refs/track/state)",
    },
    {
      name: "adopt",
      type: "boolean",
      description:
        "Join a remote that has a state while this store has tickets: renumber them once into a block reserved there",
    },
  ],
  parse(args): Opts {
    const [action, ...rest] = args.positionals;
    const ref = str(args, "ref");
    const adopt = bool(args, "adopt");
    if (adopt && action !== "add") {
      throw usageError(`--adopt goes with "track remote add"`, "track remote add origin --adopt");
    }
    if (action === "add") {
      if (rest.length !== 1) {
        throw usageError(
          `"track remote add" takes one remote (a remote name, URL or path), got ${rest.length}`,
          "track remote add origin",
        );
      }
      return adopt ? { action, remote: rest[0], ref, adopt } : { action, remote: rest[0], ref };
    }
    if ((action === "show" || action === "remove") && rest.length === 0) {
      if (ref !== undefined) {
        throw usageError(
          `--ref goes with "track remote add"`,
          "track remote add origin --ref " + ref,
        );
      }
      return { action };
    }
    throw usageError(
      `"track remote" needs add, show or remove${
        action === undefined ? "" : `, got ${JSON.stringify(args.positionals.join(" "))}`
      }`,
      "track remote add origin",
    );
  },
  async run(opts, ctx) {
    // A fresh clone whose config.json says schema 2 may set sync up here (or show it is off).
    const store = ctx.store({ unjoined: true });
    if (opts.action === "show") {
      const info = await showRemote(store);
      if (ctx.json) printJson(ctx, { ...info });
      else if (info.remote === null) {
        ctx.io.out("Sync is off: no remote (hint: track remote add <remote>)");
      } else {
        const short = (c: string | null) => c === null ? "no state" : c.slice(0, 12);
        const when = (w: { at: string; commit: string | null } | null, none: string) =>
          w === null ? none : `${w.at} (${short(w.commit)})`;
        const secs = (ms: number) => ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
        const n = info.unpublished_ops ?? 0;
        const rw = info.rewind;
        ctx.io.out(`remote:     ${info.remote}${info.url === info.remote ? "" : ` (${info.url})`}`);
        ctx.io.out(`ref:        ${info.ref}`);
        ctx.io.out(
          `interval:   ${secs(info.interval_in_force_ms!)} between pushes ` +
            (info.interval_ms !== null ? "(set in sync.json)" : "(by remote kind)"),
        );
        ctx.io.out(`last fetch: ${when(info.last_fetch, "never")}`);
        ctx.io.out(`last push:  ${when(info.last_push, "never")}`);
        ctx.io.out(
          `waiting:    ${n} local change${n === 1 ? "" : "s"} not yet published`,
        );
        if (info.offline_since !== null) {
          ctx.io.out(
            `offline:    since ${info.offline_since}: the last sync failed at ` +
              `${info.last_error!.at} (exit ${info.last_error!.exit}: ${info.last_error!.message})`,
          );
        }
        if (info.background_pid !== null) {
          ctx.io.out(`background: a sync of this clone runs (pid ${info.background_pid})`);
        }
        if ((info.quarantined ?? []).length > 0) {
          ctx.io.out(`refused:    ${info.quarantined!.join(", ")} (kept here; see the board)`);
        }
        ctx.io.out(
          `rewind:     ${
            rw === null
              ? "none detected"
              : `${rw.kind === "diverged" ? "to another history" : "lost history"} detected ` +
                `${rw.detected_at} (remote at ${short(rw.remote_state)}, this clone had seen ` +
                `${short(rw.known_state)})${
                  rw.open
                    ? rw.kind === "diverged" ? ": this clone does not sync until accepted" : ""
                    : ": settled"
                }`
          }`,
        );
        ctx.io.out(`state:      ${info.local_state ?? "(none yet: track sync)"}`);
        ctx.io.out(`remote state seen: ${info.remote_state ?? "(none yet)"}`);
        ctx.io.out(`next:       ${info.next}`);
      }
      return;
    }
    if (opts.action === "remove") {
      const r = await removeRemote(store, {
        timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
      });
      if (ctx.json) printJson(ctx, { removed: true, ...r });
      else {
        ctx.io.out(
          `Sync is off: ${r.remote} (${r.ref}) is no longer used; the remote is untouched`,
        );
        ctx.io.err(
          "note: the store is back in .track/ (config.json: schema 1, no sync hint); commit " +
            "config.json so that new clones no longer try to join",
        );
      }
      return;
    }
    const r = await addRemote(store, { remote: opts.remote, ref: opts.ref, adopt: opts.adopt }, {
      now: () => ctx.now(),
      timeoutMs: syncTimeout(ctx.env.get("TRACK_SYNC_TIMEOUT")),
      cwd: ctx.cwd,
    });
    if (ctx.json) {
      printJson(ctx, {
        remote: r.remote,
        ref: r.ref,
        outcome: r.outcome,
        store: r.store,
        renumbered: r.renumbered,
        sync: r.sync,
      });
      return;
    }
    if (r.renumbered.length > 0) {
      ctx.io.out(
        `Renumbered this store's ${r.renumbered.length} ticket${
          r.renumbered.length === 1 ? "" : "s"
        } into a block reserved on ${r.remote} (posted to the board):`,
      );
      for (const { from, to } of r.renumbered) ctx.io.out(`  ${from} -> ${to}`);
    }
    ctx.io.out(
      r.outcome === "published"
        ? `Syncing through ${r.remote} (${r.ref}): published this store`
        : `Syncing through ${r.remote} (${r.ref}): adopted the shared state ` +
          `(${r.sync.applied} files)`,
    );
    ctx.io.err(
      `note: the store now lives in ${r.store} (track path); .track/ keeps only config.json ` +
        "(schema 2, with the hint a fresh clone joins by): commit it, and the removal of the data " +
        'if .track/ was committed (git add -A .track && git commit -m "track: sync through ' +
        `${r.remote}")`,
    );
    ctx.io.err("hint: track sync publishes your changes and fetches everyone else's");
  },
});
