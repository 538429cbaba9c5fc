/**
 * What each speed layer buys, side by side in one run, at 1,000 and 10,000 tickets: `list` with
 * every layer on (warm), without the shipped V8 flags (a plain `deno run`), with the native
 * listing off (TRACK_NATIVE_FS=0), with the metadata
 * cache off (TRACK_NO_CACHE=1), and the cold case, where every ticket file was replaced under
 * track (a fresh clone, a `git pull` or checkout) a while before: the first read after it, the
 * reads after that one, the same within two seconds of the change (entries checked by hash), and
 * the reads made while a writer holds the lock (no refresh: what every cold read cost before
 * readers refreshed the cache). Each figure's runs alternate with runs of the
 * startup floor. TRACK_BENCH_LAYER_SIZES overrides the sizes (e.g. "1000").
 */
import { fileURLToPath } from "node:url";
import {
  floorScript,
  freshStore,
  repeatAgainstFloor,
  REPS,
  type Row,
  timeTrack,
  writeTickets,
} from "../lib.ts";

const SIZES = (Deno.env.get("TRACK_BENCH_LAYER_SIZES") ?? "1000,10000").split(",").map(Number);
const HOLDER = fileURLToPath(new URL("../../tests/suites/lock_holder.ts", import.meta.url));

/** Replaces every ticket file by a copy (a new inode and fresh times), as a checkout does. */
function replaceAll(root: string): void {
  const dir = `${root}/.track/tickets`;
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !e.name.endsWith(".md")) continue;
    const text = Deno.readFileSync(`${dir}/${e.name}`);
    Deno.writeFileSync(`${dir}/.${e.name}.new`, text);
    Deno.renameSync(`${dir}/.${e.name}.new`, `${dir}/${e.name}`);
  }
}

async function holdLock(root: string): Promise<() => Promise<void>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", HOLDER, `${root}/.track/lock`],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  return async () => {
    const w = child.stdin.getWriter();
    await w.write(new Uint8Array([1]));
    await w.close();
    reader.releaseLock();
    await child.stdout.cancel();
    await child.status;
  };
}

export default async function layers(): Promise<Row[]> {
  const floor = floorScript(await Deno.makeTempDir({ prefix: "track-bench-layers-floor-" }));
  const rows: Row[] = [];
  const list = (root: string, env: Record<string, string> = {}) =>
    timeTrack(["list", "--all"], { cwd: root, env });
  const row = async (
    name: string,
    run: (i: number) => Promise<number>,
    extra: Partial<Row> = {},
  ) => {
    const { floor_samples: _f, ...s } = await repeatAgainstFloor(REPS, floor, run);
    rows.push({ name, ...s, ...extra });
  };
  for (const n of SIZES) {
    const root = await freshStore();
    try {
      writeTickets(root, n);
      const label = `list, ${n.toLocaleString("en-US")} tickets`;
      // Warm: files settled, then one writer refreshed the cache.
      await new Promise((r) => setTimeout(r, 2100));
      await timeTrack(["update", "T-0001", "--priority", "low"], { cwd: root });
      await new Promise((r) => setTimeout(r, 2100));
      await timeTrack(["update", "T-0001", "--priority", "medium"], { cwd: root });
      await row(`${label}, warm (every layer on)`, () => list(root), {
        target_x: n === 1000 ? 2.5 : undefined,
      });
      await row(
        `${label}, warm, V8's default young generation (no --v8-flags: plain deno run)`,
        () => timeTrack(["list", "--all"], { cwd: root, defaultV8: true }),
      );
      await row(
        `${label}, warm, native listing off (TRACK_NATIVE_FS=0)`,
        () => list(root, { TRACK_NATIVE_FS: "0" }),
      );
      await row(
        `${label}, metadata cache off (TRACK_NO_CACHE=1)`,
        () => list(root, { TRACK_NO_CACHE: "1" }),
      );
      // Cold: every file replaced under track (a checkout or pull), then read a while later.
      const replacedAWhileAgo = async () => {
        replaceAll(root);
        await new Promise((r) => setTimeout(r, 2100));
      };
      await row(`${label}, cold: first read after every file was replaced`, async () => {
        await replacedAWhileAgo();
        return await list(root);
      }, { note: "parses every file, then records them in the cache (lock free)" });
      await row(`${label}, cold: the reads after the first`, async () => {
        await replacedAWhileAgo();
        await list(root);
        return await list(root);
      }, {
        target_x: n === 1000 ? 3 : undefined,
        note: "served by the entries the first reader recorded",
      });
      await row(
        `${label}, cold: the reads after the first, files written < 2 s before`,
        async () => {
          replaceAll(root);
          await list(root);
          return await list(root);
        },
        { note: "too recent to trust their stat: each checked by its text's hash" },
      );
      replaceAll(root);
      const release = await holdLock(root);
      try {
        await row(`${label}, cold while a writer holds the lock (no refresh)`, () => list(root), {
          note: "every read parses every file: what each cold read cost before this layer",
        });
      } finally {
        await release();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
  return rows;
}
