/** `track init`: create the store. */
import { basename, dirname, join } from "../model/path.ts";
import { defineCommand } from "../cli/command.ts";
import { conflictError, ioError, notFoundError, usageError } from "../model/errors.ts";
import { printJson } from "../cli/output.ts";
import {
  GITATTRIBUTES,
  GITIGNORE,
  initPlan,
  locateStore,
  STORE_DIR_NAME,
  storeKind,
} from "../store/discovery.ts";
import { DEFAULT_CONFIG, Store } from "../store/store.ts";
import { networkFsType } from "../store/fs_type.ts";
import { ensureDirInside } from "../store/no_follow.ts";

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

export default defineCommand({
  name: "init",
  summary: "Create the .track/ directory here (or at $TRACK_DIR)",
  usage: "init",
  flags: [],
  parse: () => ({}),
  async run(_opts, ctx) {
    const plan = initPlan(ctx.cwd, ctx.env);
    const main = plan.worktree === null ? "" : ` in the main worktree "${plan.worktree.main}"`;
    const copyNote = plan.ignoredCopy === null
      ? ""
      : `; the ".track/" checked out here ("${plan.ignoredCopy}") is a copy and is ignored`;
    if (plan.shared !== null) {
      if (ctx.json) printJson(ctx, { created: false, path: plan.shared });
      else {
        ctx.io.err(
          `Store already exists at "${plan.shared}" (this linked git worktree shares the main ` +
            `worktree's store${copyNote}); nothing changed`,
        );
      }
      return 0;
    }
    const dir = plan.target;
    let exists = false;
    try {
      exists = Deno.statSync(join(dir, "config.json")).isFile;
    } catch {
      exists = false;
    }
    if (exists) {
      if (ctx.json) printJson(ctx, { created: false, path: dir });
      else ctx.io.err(`Store already exists at "${dir}"${main}${copyNote}; nothing changed`);
      return 0;
    }
    const fromEnv = ctx.env.get("TRACK_DIR");
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.statSync(dir);
    } catch {
      info = null;
    }
    if (info !== null && !info.isDirectory) {
      throw usageError(
        `Cannot create a store at "${dir}": it is a file; nothing was changed`,
        fromEnv ? "point TRACK_DIR at a directory (or unset it), then run: track init" : undefined,
      );
    }
    const kind = info === null ? "empty" : storeKind(dir);
    if (kind === "legacy") {
      throw conflictError(
        `Cannot create a store at "${dir}": it holds a store without config.json (agent-track ` +
          "0.1, or one whose config.json was lost); nothing was changed",
        "track migrate --dry-run (converts it in place, writing config.json)",
      );
    }
    // TRACK_DIR at a folder holding other things (the project root, by a typo) is not a store.
    if (kind === "other" && fromEnv && basename(dir) !== STORE_DIR_NAME) {
      throw usageError(
        `Cannot create a store in "${dir}": it already holds other files and is not a .track ` +
          "directory; nothing was changed",
        `TRACK_DIR="${join(dir, STORE_DIR_NAME)}" track init`,
      );
    }
    if (plan.worktree !== null) {
      if (plan.ignoredCopy !== null) {
        // An empty shared store would hide the tickets of that copy: let the user choose.
        throw conflictError(
          `Cannot create the store in this linked worktree: every worktree uses the main ` +
            `worktree's store, "${dir}" does not exist yet, and "${plan.ignoredCopy}" here is a ` +
            "checked-out copy that track does not use; nothing was changed",
          `start the shared store from that copy: cp -R "${plan.ignoredCopy}" "${dir}"`,
        );
      }
      if (!isDir(dirname(dir))) {
        throw notFoundError(
          `Cannot create the store "${dir}"${main}: "${dirname(dir)}" does not exist there; ` +
            "nothing was changed",
          `cd "${plan.worktree.main}" && track init`,
        );
      }
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
      tx.writeFile(tx.store.configPath, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n");
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
    if (plan.worktree !== null && !ctx.json) {
      ctx.io.err(`(the main worktree's store: every worktree of this repository shares it)`);
    }
    return 0;
  },
});
