/**
 * Messages (issue 14): what the Claude Code PostToolUse hook costs with nothing waiting (one
 * small inbox file read) and when it delivers a message (a second lock for marking it
 * delivered), each above the startup floor (goal: under 15 ms above it); and `track inbox` on a
 * board of 10,000 posts, 1,000 of them to the reader (990 read, 10 unread).
 */
import { type Row, summarize, timeTrack } from "../lib.ts";
import { Store } from "../../src/store/store.ts";
import { postEntry } from "../../src/operations/board.ts";
import { readInbox, writeInbox } from "../../src/store/inbox_records.ts";

const RUNS = 15;
const SESSION = "4e1d2c3b-5a69-4788-9a0b-c1d2e3f40516";
const AGENT = "claude-4e1d2c3b";

/** One timed `track` run (an empty TRACK_AGENT, so no agent leaks in from the caller). */
function run(args: string[], cwd: string, stdin?: string): Promise<number> {
  return timeTrack(args, { cwd, env: { TRACK_AGENT: "" }, stdin });
}

const round = (n: number) => Math.round(n * 10) / 10;

async function hookRows(): Promise<Row[]> {
  const root = await Deno.makeTempDir({ prefix: "track-bench-msg-" });
  try {
    await run(["init"], root);
    const input = (event: string) =>
      JSON.stringify({
        session_id: SESSION,
        cwd: root,
        hook_event_name: event,
        tool_name: "Bash",
        tool_input: { command: "ls" },
      });
    await run(["hook", "claude", "session-start"], root, input("SessionStart"));
    const times = { floor: [] as number[], idle: [] as number[], deliver: [] as number[] };
    for (let i = -1; i < RUNS; i++) {
      const floor = await run(["--version"], root);
      const idle = await run(["hook", "claude", "post-tool-use"], root, input("PostToolUse"));
      // Untimed: one message for the session's agent, delivered by the next hook run.
      await run(["board", "--agent", "lead", "--to", AGENT, "-m", `message ${i}`], root);
      const deliver = await run(["hook", "claude", "post-tool-use"], root, input("PostToolUse"));
      if (i < 0) continue; // warm-up
      times.floor.push(floor);
      times.idle.push(idle);
      times.deliver.push(deliver);
    }
    const floor = summarize(times.floor);
    const idle = summarize(times.idle);
    const deliver = summarize(times.deliver);
    return [
      {
        name: "PostToolUse hook, no message waiting",
        ...idle,
        note: `${round(idle.median_ms! - floor.median_ms!)} ms above the floor (goal < 15)`,
      },
      {
        name: "PostToolUse hook delivering one message",
        ...deliver,
        note: `${round(deliver.median_ms! - floor.median_ms!)} ms above the floor`,
      },
    ];
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function inboxRows(): Promise<Row[]> {
  const root = await Deno.makeTempDir({ prefix: "track-bench-inbox-" });
  try {
    await run(["init"], root);
    await run(["register", "--agent", "reader"], root);
    const store = new Store(`${root}/.track`);
    const addressed: string[] = [];
    const at = new Date();
    await store.mutate("bench", (tx) => {
      for (let i = 0; i < 10_000; i++) {
        const e = postEntry(tx, {
          at,
          agent: `writer-${i % 7}`,
          ticket: null,
          tag: "note",
          kind: "post",
          message: `post ${i}: some text of a usual length for a board message`,
          to: i % 10 === 0 ? ["reader"] : [],
        });
        if (i % 10 === 0) addressed.push(e.id);
      }
      const r = readInbox(store, "reader");
      r.read = addressed.slice(0, addressed.length - 10);
      writeInbox(tx, r);
    });
    const unread: number[] = [];
    const all: number[] = [];
    for (let i = -1; i < RUNS; i++) {
      const u = await run(["inbox", "--agent", "reader"], root);
      const a = await run(["inbox", "--agent", "reader", "--all"], root);
      if (i < 0) continue;
      unread.push(u);
      all.push(a);
    }
    return [
      { name: "inbox: 10,000 posts, 1,000 to the reader, 10 unread", ...summarize(unread) },
      { name: "inbox --all: the same, all 1,000 listed", ...summarize(all) },
    ];
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** The message benchmark rows. */
export default async function (): Promise<Row[]> {
  return [...await hookRows(), ...await inboxRows()];
}
