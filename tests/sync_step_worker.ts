/**
 * Crash victim of tests/sync_decisions_test.ts: one sync step of the store found from the
 * current directory, which SIGKILLs itself when it reaches step `killAt` (src/operations/sync.ts
 * `onStep`: "fetched", "pushed", "recorded"). Prints "done" when the step ends without reaching it.
 */
import { discoverStore } from "../src/store/discovery.ts";
import { storeFor } from "../src/store/store.ts";
import { syncSetupOf, syncStore } from "../src/operations/sync.ts";

const [killAt] = Deno.args;
const found = discoverStore(Deno.cwd(), { get: (name) => Deno.env.get(name) });
const store = storeFor({ dir: found.dir!, trackDir: found.trackDir!, home: found.home });
await syncStore(store, syncSetupOf(store)!, {
  now: () => new Date(),
  onStep(step) {
    if (step === killAt) Deno.kill(Deno.pid, "SIGKILL");
  },
});
Deno.stdout.writeSync(new TextEncoder().encode("done\n"));
