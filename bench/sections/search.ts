/**
 * `track search` at 10,000 tickets (issue 15: within 10x the startup floor): a word found only in
 * titles (`--in title`: the metadata cache alone), and the default search of titles, bodies,
 * Work Logs and the board (the word index of cache/words.json rules out most files). Each figure's runs alternate with runs of the
 * startup floor. TRACK_BENCH_SEARCH_SIZE overrides the size.
 */
import {
  floorScript,
  freshStore,
  repeatAgainstFloor,
  REPS,
  type Row,
  timeTrack,
  writeTickets,
} from "../lib.ts";

const SIZE = Number(Deno.env.get("TRACK_BENCH_SEARCH_SIZE") ?? 10000);

export default async function search(): Promise<Row[]> {
  const floor = floorScript(await Deno.makeTempDir({ prefix: "track-bench-search-floor-" }));
  const rows: Row[] = [];
  const root = await freshStore();
  try {
    writeTickets(root, SIZE);
    // Files settled, then one writer builds the metadata cache.
    await new Promise((r) => setTimeout(r, 2100));
    await timeTrack(["update", "T-0001", "--priority", "low"], { cwd: root });
    const label = `search, ${SIZE.toLocaleString("en-US")} tickets`;
    const row = async (name: string, args: string[], note: string, target = true) => {
      const { floor_samples: _f, ...s } = await repeatAgainstFloor(
        REPS,
        floor,
        () => timeTrack(args, { cwd: root }),
      );
      rows.push({ name: `${label}, ${name}`, ...s, target_x: target ? 10 : undefined, note });
    };
    await row(
      "reference: list --status review (prints nothing)",
      ["list", "--status", "review"],
      "the metadata read every search starts with",
      false,
    );
    await row(
      "titles (--in title)",
      ["search", "realistic", "number", "--in", "title"],
      "cache only",
    );
    await row(
      "titles, bodies, logs, board (default)",
      ["search", "couple", "lines", "9999"],
      "reads only the files the word index cannot rule out (the warm-up search recorded it)",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  return rows;
}
