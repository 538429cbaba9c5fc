/**
 * `track`: tickets, agents, file reservations and a message board for many coding agents
 * working on one codebase. `deno run -A main.ts ARGS` behaves exactly like `track ARGS`.
 *
 * @module
 */
import { main } from "./src/cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args, { autoSync: true }));
