/**
 * A local writer for tests/suites/sync_reconnect_test.ts: a real process that loads track, says
 * "ready", waits for one byte on stdin (the barrier), then runs the track argv lists of
 * argv[0] (JSON `{plans, probe}`) in turn until a second byte arrives (or stdin closes), and
 * prints one JSON line: how many runs, the exit codes seen, the stderr of every run that did
 * not exit 0, and how many of its writes succeeded while the sync's apply was part done: after
 * each write it reads the probe files (`probe.files`) and counts how many contain
 * `probe.needle`; some but not all means the store lock was free between two apply batches.
 */
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";

const { plans, probe }: {
  plans: string[][];
  probe: { files: string[]; needle: string };
} = JSON.parse(Deno.args[0]);
const enc = new TextEncoder();
await Deno.stdout.write(enc.encode("ready\n"));
await Deno.stdin.read(new Uint8Array(1));
let stop = false;
Deno.stdin.read(new Uint8Array(1)).finally(() => (stop = true));
const codes: Record<string, number> = {};
const failures: string[] = [];
let runs = 0;
let midApply = 0;
const applied = () =>
  probe.files.filter((f) => {
    try {
      return Deno.readTextFileSync(f).includes(probe.needle);
    } catch {
      return false;
    }
  }).length;
while (!stop) {
  const io = new MemoryIo();
  const args = plans[runs % plans.length].map((a) => a.replaceAll("{n}", String(runs)));
  const code = await main(args, { io });
  codes[code] = (codes[code] ?? 0) + 1;
  if (code !== 0) failures.push(`${args.join(" ")} -> ${code}: ${io.stderr}`);
  else {
    const n = applied();
    if (n > 0 && n < probe.files.length) midApply++;
  }
  runs++;
}
await Deno.stdout.write(
  enc.encode(JSON.stringify({ runs, codes, failures, midApply }) + "\n"),
);
