/**
 * Crash victim of tests/sync_home_test.ts: moves a store with relocateStore / restoreStore and
 * SIGKILLs itself right after step number `killAt` (1-based; 0 = never). Prints each step on
 * stdout as it is reached, then "done".
 */
import { relocateStore, restoreStore } from "../src/store/sync_home.ts";
import { DEFAULT_STATE_REF, syncPaths } from "../src/store/sync_config.ts";

const [mode, trackDir, commonDir, killAtText, remote] = Deno.args;
const killAt = Number(killAtText);
const paths = syncPaths(commonDir);
let n = 0;
const onStep = (step: string) => {
  n++;
  Deno.stdout.writeSync(new TextEncoder().encode(`${n} ${step}\n`));
  if (n === killAt) Deno.kill(Deno.pid, "SIGKILL");
};
if (mode === "relocate") {
  await relocateStore(trackDir, paths, {
    schema: 1,
    remote: remote ?? "origin",
    ref: DEFAULT_STATE_REF,
    interval_ms: null,
  }, { onStep });
} else {
  await restoreStore(paths, trackDir, { onStep });
}
Deno.stdout.writeSync(new TextEncoder().encode("done\n"));
