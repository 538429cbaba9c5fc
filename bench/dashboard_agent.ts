/**
 * One agent of the dashboard load benchmark (bench/sections/dashboard_live.ts): a real process
 * that runs track's commands in-process (as tests/race_worker.ts does, so the load is the
 * commands and not Deno's startup), one every `interval` ms from `start` (epoch ms) until `end`,
 * taking its tickets through claim, in progress, a new title, a Work Log entry, a board post and
 * review. Prints one JSON line per command: what the page should show after it, when the
 * command started, when its ticket file was written and when the command returned.
 */
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";

const [agent, startText, intervalText, endText, idsText] = Deno.args;
const start = Number(startText), interval = Number(intervalText), end = Number(endText);
const ids: string[] = JSON.parse(idsText);
const enc = new TextEncoder();

async function run(args: string[]): Promise<number> {
  const io = new MemoryIo();
  return await main([...args, "--agent", agent], { io });
}

let n = 0;
for (let at = start; at < end; at += interval, n++) {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const id = ids[Math.floor(n / 6) % ids.length];
  const title = `${agent} took ${id} (${n})`;
  const step = n % 6;
  // What the card shows once the command is done (null: nothing on the card changes).
  const [args, shows]: [string[], string | null] = [
    [["claim", id], `${id}|claimed|`],
    [["update", id, "--status", "in-progress"], `${id}|in-progress|`],
    [["update", id, "--title", title], `${id}|in-progress|${title}`],
    [["log", id, "-m", `step ${n}: tried the obvious fix`], null],
    [["board", "-m", `${agent}: ${id} nearly done`, "--ticket", id], null],
    [["update", id, "--status", "review"], `${id}|review|`],
  ][step] as [string[], string | null];
  const start_at = Date.now();
  const code = await run(args);
  const done_at = Date.now();
  // When the change reached the disk: the ticket file's mtime (only this agent writes its
  // tickets, and the file is replaced by a rename, so the mtime is this command's write).
  let written_at: number | null = null;
  try {
    written_at = Deno.statSync(`.track/tickets/${id}.md`).mtime?.getTime() ?? null;
  } catch {
    // Gone: reported as not written.
  }
  const line = { agent, id, step, shows, code, start_at, written_at, done_at };
  await Deno.stdout.write(enc.encode(JSON.stringify(line) + "\n"));
}
