/** `track mcp`: a Model Context Protocol server over stdio (its code loads only here). */
import { AGENT_FLAG, defineCommand, str } from "../cli/command.ts";
import { usageError } from "../model/errors.ts";
import { VERSION } from "../cli/version.ts";

export default defineCommand({
  name: "mcp",
  summary: "Serve track's tools over MCP on stdio (for agents that speak MCP)",
  usage: "mcp [--agent A]",
  flags: [AGENT_FLAG],
  parse(args) {
    if (args.positionals.length > 0) {
      throw usageError(`Unexpected argument "${args.positionals[0]}"`, "track mcp --help");
    }
    return { agent: str(args, "agent") };
  },
  async run(opts, ctx) {
    const defaultAgent = ctx.agent(opts.agent);
    const store = ctx.store(); // fail fast (exit 4) when there is no store
    const { serveMcp } = await import("../integrations/mcp_server.ts");
    // A tool call that wrote to a sync store starts the background sync, as a CLI write does
    // (docs/sync.md "Auto-sync"; TRACK_SYNC of this server); none with sync off.
    let written = store.oplogAppended;
    const afterCall = async () => {
      if (store.oplogAppended === written) return;
      written = store.oplogAppended;
      const { startBackgroundSync, syncMode } = await import(
        "../operations/background_sync.ts"
      );
      if ((syncMode(ctx.env.get("TRACK_SYNC")) ?? "auto") === "auto") {
        await startBackgroundSync(store);
      }
    };
    await serveMcp(
      { store: () => store, defaultAgent, cwd: ctx.cwd, now: ctx.now, afterCall },
      VERSION,
    );
  },
});
