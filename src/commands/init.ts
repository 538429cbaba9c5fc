/** `track init`: create the store. */
import { dirname, join } from "../store/path.ts";
import { defineCommand } from "../cli/command.ts";
import { ioError } from "../cli/errors.ts";
import { printJson } from "../cli/output.ts";
import { initTarget, locateStore, sharedWorktreeStore } from "../store/discovery.ts";
import { DEFAULT_CONFIG, Store } from "../store/store.ts";
import { networkFsType } from "../store/fs_type.ts";
import { ensureDirInside } from "../store/no_follow.ts";

/** Runtime files that never belong in git. */
export const GITIGNORE =
  "# runtime files and caches of track: never commit these\nlock\n*.pid\n.*.tmp\nserver.json\ncache/\n";

/** Git attributes: board entries are separate files, so only the reservations list can clash. */
export const GITATTRIBUTES =
  "# track: keep LF everywhere so files stay byte-identical\n* text eol=lf\n";

export default defineCommand({
  name: "init",
  summary: "Create the .track/ directory here (or at $TRACK_DIR)",
  usage: "init",
  flags: [],
  parse: () => ({}),
  async run(_opts, ctx) {
    const shared = ctx.env.get("TRACK_DIR") ? null : sharedWorktreeStore(ctx.cwd);
    if (shared !== null) {
      if (ctx.json) printJson(ctx, { created: false, path: shared });
      else {
        ctx.io.err(
          `Store already exists at "${shared}" (this linked git worktree shares the main worktree's store); nothing changed`,
        );
      }
      return 0;
    }
    const dir = initTarget(ctx.cwd, ctx.env);
    let exists = false;
    try {
      exists = Deno.statSync(join(dir, "config.json")).isFile;
    } catch {
      exists = false;
    }
    if (exists) {
      if (ctx.json) printJson(ctx, { created: false, path: dir });
      else ctx.io.err(`Store already exists at "${dir}"; nothing changed`);
      return 0;
    }
    const store = new Store(dir);
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw ioError("create directory", dir, e);
    }
    // Inside the store, never through a link (no_follow.ts).
    for (const sub of [store.ticketsDir, store.agentsDir, store.boardDir]) {
      ensureDirInside(dir, sub);
    }
    await store.mutate("init", (tx) => {
      tx.writeFile(join(dir, ".gitignore"), GITIGNORE);
      tx.writeFile(join(dir, ".gitattributes"), GITATTRIBUTES);
      tx.writeFile(store.configPath, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n");
    });
    // A store further up is legal (a sub-project may want its own) but easy to make by mistake:
    // from here down, commands now use the new store and no longer see the outer one.
    const outer = ctx.env.get("TRACK_DIR") ? null : locateStore(dirname(dirname(dir)), ctx.env);
    if (outer !== null) {
      ctx.io.err(
        `warning: this store is nested inside the project of "${outer}"; commands run in ` +
          `"${dirname(dir)}" or below now use the new store, not that one`,
      );
    }
    const fsType = networkFsType(dir);
    if (fsType !== null) {
      ctx.io.err(
        `warning: "${dir}" is on a network filesystem (${fsType}); its locks may not exclude ` +
          "processes on other machines (track doctor repeats this check)",
      );
    }
    if (ctx.json) printJson(ctx, { created: true, path: dir });
    else ctx.io.out(`Created ${dir}`);
    return 0;
  },
});
