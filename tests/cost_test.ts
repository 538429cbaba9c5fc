/** track cost end to end on a recorded transcript shape (tests/fixtures/claude-transcripts/). */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, type TempStore, tempStore } from "./helpers.ts";

const FIXTURE = new URL("./fixtures/claude-transcripts/session.jsonl", import.meta.url).pathname;
const SESSION = "5e1f0c2a-77b4-4c1e-9d3a-0a1b2c3d4e5f";
const AGENT = "claude-5e1f0c2a";

interface Row {
  key: string;
  tokens: { input: number; output: number; cache_write: number; cache_read: number; total: number };
  cost_usd: number | null;
  unpriced_tokens: number;
  time_ms: Record<string, number>;
}
interface Report {
  by: string;
  rows: Row[];
  unattributed: Omit<Row, "key">;
  total: Omit<Row, "key">;
}

async function at(s: TempStore, now: string, args: string[], stdin?: string): Promise<void> {
  const r = await s.track(args, { clock: { now: `2026-11-29T${now}Z` }, stdin });
  if (r.code !== 0) throw new Error(`track ${args.join(" ")}: ${r.stderr}`);
}

/** The session of the fixture: T-0001 claimed at 10:01, T-0002 at 10:05 and done at 10:08. */
async function session(s: TempStore): Promise<void> {
  await at(s, "09:50:00", ["create", "-t", "Parser", "-l", "core"]);
  await at(s, "09:50:00", ["create", "-t", "Lexer", "-l", "core,lex"]);
  await at(s, "09:50:00", ["create", "-t", "Epic", "--depends-on", "T-0001,T-0002"]);
  const hook = JSON.stringify({
    session_id: SESSION,
    cwd: s.root,
    hook_event_name: "SessionStart",
    source: "startup",
    transcript_path: FIXTURE,
  });
  await at(s, "09:59:00", ["hook", "claude", "session-start"], hook);
  await at(s, "10:01:00", ["claim", "T-0001", "--agent", AGENT]);
  await at(s, "10:01:30", ["update", "T-0001", "--status", "in-progress", "--agent", AGENT]);
  await at(s, "10:05:00", ["claim", "T-0002", "--agent", AGENT]);
  await at(s, "10:05:10", ["update", "T-0002", "--status", "in-progress", "--agent", AGENT]);
  await at(s, "10:07:10", ["update", "T-0002", "--status", "review", "--agent", AGENT]);
  await at(s, "10:08:00", ["update", "T-0002", "--status", "done", "--agent", AGENT]);
}

async function cost(s: TempStore, by: string): Promise<Report> {
  const r = await s.track(["cost", "--by", by, "--json"], {
    clock: { now: "2026-11-29T10:20:00Z" },
  });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("cost: each call counts once, on the ticket held then; tickets + unattributed = session", async () => {
  await using s = await tempStore();
  await session(s);
  const before = snapshot(s.dir);
  const r = await cost(s, "ticket");
  assertEquals(snapshot(s.dir), before); // a read writes nothing
  const tokens = Object.fromEntries(r.rows.map((row) => [row.key, row.tokens.total]));
  // msg_02B (streamed three times) + msg_03C + msg_05E (after T-0002 was done) + msg_06F.
  assertEquals(tokens["T-0001"], 2754 + 2683 + 2952 + 2);
  assertEquals(tokens["T-0002"], 3306); // msg_04D, streamed twice, counted once
  assertEquals(tokens["T-0003"], 0);
  assertEquals(r.unattributed.tokens.total, 2110); // msg_01A, before the first claim
  assertEquals(r.total.tokens.total, 13807);
  const sum = r.rows.reduce((n, row) => n + row.tokens.total, 0) + r.unattributed.tokens.total;
  assertEquals(sum, r.total.tokens.total);
  const t2 = r.rows.find((row) => row.key === "T-0002")!;
  assertEquals(t2.tokens, {
    input: 6,
    output: 400,
    cache_write: 300,
    cache_read: 2600,
    total: 3306,
  });
  assertEquals(Math.round(t2.cost_usd! * 1e6), 13205); // opus 4.5: 6*5 + 400*25 + 300*6.25 + 2600*0.5
  assertEquals(r.rows.find((row) => row.key === "T-0001")!.unpriced_tokens, 2); // unknown model
  assertEquals(t2.time_ms, {
    backlog: 900_000,
    claimed: 10_000,
    "in-progress": 120_000,
    review: 50_000,
  });
});

Deno.test("cost: --by agent, label and parent group the same calls", async () => {
  await using s = await tempStore();
  await session(s);
  const agent = await cost(s, "agent");
  assertEquals(agent.rows.map((row) => [row.key, row.tokens.total]), [[AGENT, 13807]]);
  assertEquals(agent.rows[0].time_ms, { held: 19 * 60_000 });
  const label = await cost(s, "label");
  assertEquals(
    label.rows.map((row) => [row.key, row.tokens.total]),
    [["(none)", 0], ["core", 8391 + 3306], ["lex", 3306]],
  );
  const parent = await cost(s, "parent");
  assertEquals(parent.rows.map((row) => [row.key, row.tokens.total]), [
    ["(none)", 0],
    ["T-0003", 8391 + 3306],
  ]);
  const text = await s.track(["cost"], { clock: { now: "2026-11-29T10:20:00Z" } });
  assertStringIncludes(text.stdout, "T-0002");
  assertStringIncludes(text.stderr, "1 unreadable line(s) skipped"); // the truncated last line
});

Deno.test("cost: a bad price override in config.json is exit 6; a good one is used", async () => {
  await using s = await tempStore();
  await session(s);
  const path = `${s.dir}/config.json`;
  const config = JSON.parse(Deno.readTextFileSync(path));
  Deno.writeTextFileSync(path, JSON.stringify({ ...config, prices: { "claude-opus": 1 } }));
  const bad = await s.track(["cost"]);
  assertEquals(bad.code, 6, bad.stderr);
  assertStringIncludes(bad.stderr, "prices.claude-opus.input");
  const price = { input: 1, output: 1, cache_write: 1, cache_read: 1 };
  Deno.writeTextFileSync(path, JSON.stringify({ ...config, prices: { "claude-future": price } }));
  const r = await cost(s, "ticket");
  assertEquals(r.rows.find((row) => row.key === "T-0001")!.unpriced_tokens, 0);
});

Deno.test("cost: a budget crossed warns the agent on its next command and tells the board once", async () => {
  await using s = await tempStore();
  await session(s);
  assertEquals((await s.track(["update", "T-0001", "--budget", "lots"])).code, 2);
  await at(s, "10:10:00", ["update", "T-0001", "--budget", "5k"]);
  await at(s, "10:10:00", ["update", "T-0002", "--budget", "$1"]);
  const r = await s.track(["log", "T-0001", "--agent", AGENT, "-m", "still parsing"], {
    clock: { now: "2026-11-29T10:20:00Z" },
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "T-0001 is over its budget of 5000 tokens: 8391 tokens");
  const board = await s.json<{ entries: { tag: string; ticket: string }[] }>([
    "board",
    "--tag",
    "budget",
  ]);
  assertEquals(board.entries.map((e) => e.ticket), ["T-0001"]);
  const again = await s.track(["log", "T-0001", "--agent", AGENT, "-m", "more"]);
  assertEquals(again.stderr.includes("over its budget"), false); // said once
  const report = await cost(s, "ticket");
  const row = (id: string) =>
    report.rows.find((x) => x.key === id) as Row & Record<string, unknown>;
  assertEquals([row("T-0001").budget, row("T-0001").over_budget], ["5000 tokens", true]);
  assertEquals([row("T-0002").budget, row("T-0002").over_budget], ["$1.00", false]);
});

Deno.test("cost: SessionEnd records the transcript too; PostToolUse does not touch the record", async () => {
  await using s = await tempStore();
  await at(s, "09:50:00", ["create", "-t", "Parser"]);
  const input = (event: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ session_id: SESSION, cwd: s.root, hook_event_name: event, ...extra });
  await at(s, "09:59:00", ["hook", "claude", "session-start"], input("SessionStart"));
  await at(s, "10:01:00", ["claim", "T-0001", "--agent", AGENT]);
  const record = () => JSON.parse(s.read(`agents/${AGENT}.json`));
  const before = record();
  await at(
    s,
    "10:02:00",
    ["hook", "claude", "post-tool-use"],
    input("PostToolUse", { tool_name: "Read", transcript_path: FIXTURE }),
  );
  assertEquals(record().transcripts, undefined);
  assertEquals(before.transcripts, undefined);
  await at(
    s,
    "10:30:00",
    ["hook", "claude", "session-end"],
    input("SessionEnd", { reason: "exit", transcript_path: FIXTURE }),
  );
  assertEquals(record().transcripts, [FIXTURE]);
  const r = await cost(s, "ticket");
  assertEquals(r.total.tokens.total, 13807);
  // Released at session end (10:30): everything after the 10:01 claim is T-0001's.
  assertEquals(r.rows.find((row) => row.key === "T-0001")!.tokens.total, 13807 - 2110);
});

Deno.test("cost: a recorded transcript that is not a regular file is a warning, never read (exit 0)", async () => {
  await using s = await tempStore();
  await at(s, "09:50:00", ["create", "-t", "Parser"]);
  // Agent records are files others commit: a transcript path naming a directory or a device
  // (/dev/zero would never end) is skipped with a warning, by the CLI and the dashboard alike.
  for (const path of [s.root, "/dev/zero"]) {
    const hook = JSON.stringify({
      session_id: SESSION,
      cwd: s.root,
      hook_event_name: "SessionStart",
      source: "startup",
      transcript_path: path,
    });
    await at(s, "09:59:00", ["hook", "claude", "session-start"], hook);
  }
  const r = await s.track(["cost", "--json"], { clock: { now: "2026-11-29T10:20:00Z" } });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr.split("not a regular file").length, 3, r.stderr);
  assertEquals((JSON.parse(r.stdout) as Report).total.tokens.total, 0);
});
