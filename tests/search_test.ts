/** `track search` end to end: ranking, filters, --in, board posts, ids, scale vs a brute scan. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";

interface Hit {
  kind: string;
  id: string;
  field: string;
  line: string;
  status?: string;
}
type Results = { results: Hit[]; total: number };

Deno.test("search: titles rank above bodies above logs above board posts", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "Other", "-b", "nothing here"]);
  await s.json(["create", "-t", "Login page", "-b", "Uses the Token from a cookie"]);
  await s.json(["create", "-t", "Token refresh bug", "-b", "x"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["log", "1", "--agent", "ann", "-m", "first line\nchecked parseToken in auth.ts"]);
  await s.json(["board", "--agent", "ann", "-m", "who owns the token code?"]);
  const r = await s.json<Results>(["search", "token"]);
  assertEquals(r.results.map((h) => [h.kind, h.field]), [
    ["ticket", "title"],
    ["ticket", "body"],
    ["ticket", "log"],
    ["board", "board"],
  ]);
  assertEquals(r.results.slice(0, 3).map((h) => h.id), ["T-0003", "T-0002", "T-0001"]);
  // The matching line, not the whole text; the log line without its timestamp.
  assertEquals(r.results[2].line, "checked parseToken in auth.ts");
  const text = await s.track(["search", "token"]);
  assertStringIncludes(text.stdout, "    body: Uses the Token from a cookie");
  assertStringIncludes(text.stdout, "who owns the token code?");

  // Every word must occur; ids and id fragments.
  assertEquals((await s.json<Results>(["search", "token", "cookie"])).results.map((h) => h.id), [
    "T-0002",
  ]);
  assertEquals((await s.json<Results>(["search", "2"])).results[0].id, "T-0002");
  assertEquals((await s.json<Results>(["search", "t-0003"])).results[0].field, "id");
  const none = await s.track(["search", "zebra"]);
  assertEquals(none.code, 0);
  assertStringIncludes(none.stderr, "Nothing matches");
});

Deno.test("search: --status, --label and --in narrow it; bad input is exit 2", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "alpha one", "-l", "ui"]);
  await s.json(["create", "-t", "alpha two", "-b", "beta"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["claim", "2", "--agent", "ann"]);
  await s.json(["board", "--agent", "ann", "-m", "alpha news", "--ticket", "T-0002"]);
  const ids = async (args: string[]) =>
    (await s.json<Results>(["search", ...args])).results.map((h) => `${h.kind}:${h.id}`);
  assertEquals(await ids(["alpha", "--label", "ui"]), ["ticket:T-0001"]);
  const claimed = await ids(["alpha", "--status", "claimed"]);
  assertEquals(claimed.length, 2);
  assertEquals(claimed[0], "ticket:T-0002");
  assert(claimed[1].startsWith("board:"));
  assertEquals(await ids(["beta", "--in", "title"]), []);
  assertEquals(await ids(["beta", "--in", "body"]), ["ticket:T-0002"]);
  assertEquals((await ids(["alpha", "--in", "board"])).length, 1);
  assertEquals((await s.track(["search", "x", "--in", "bodies"])).code, 2);
  assertEquals((await s.track(["search"])).code, 2);
  assertEquals((await s.track(["search", "x", "--limit", "0"])).code, 2);
});

Deno.test("search: control characters in a matching line are escaped", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "plain", "-b", "needle \x1b[31mred"]);
  const r = await s.track(["search", "needle"]);
  assert(!r.stdout.includes("\x1b"));
  assertStringIncludes(r.stdout, "needle");
});

function ticketFile(n: number, title: string, body: string): string {
  const id = `T-${String(n).padStart(4, "0")}`;
  return `---\nid: ${id}\ntitle: ${title}\nstatus: backlog\npriority: medium\n` +
    `created: 2026-01-01T00:00:00Z\ncreated_by: human\nclaimed_by: null\nclaimed_at: null\n` +
    `labels: []\nbranch: null\nfiles: []\ndepends_on: []\nupdated: 2026-01-01T00:00:00Z\n` +
    `claim_epoch: 0\n---\n\n## Description\n\n${body}\n\n## Acceptance Criteria\n\n## Work Log\n`;
}

Deno.test("search at scale: the same tickets as a brute-force scan, never a stale title", async () => {
  await using s = await tempStore();
  const words = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yuzu"];
  const n = 1500;
  const titles = new Map<string, string>();
  const bodies = new Map<string, string>();
  for (let i = 1; i <= n; i++) {
    const title = `${words[i % 8]} ${words[(i * 3) % 7]} task`;
    const body = `about ${words[(i * 5) % 8]} and ${words[(i * 7) % 5]}`;
    const id = `T-${String(i).padStart(4, "0")}`;
    titles.set(id, title);
    bodies.set(id, body);
    Deno.writeTextFileSync(`${s.dir}/tickets/${id}.md`, ticketFile(i, title, body));
  }
  // A write builds the metadata cache; then a title changes behind its back.
  await s.json(["create", "-t", "fresh apple", "-b", "x"]);
  titles.set("T-1501", "fresh apple");
  bodies.set("T-1501", "x");
  const edited = ticketFile(7, "zucchini apple", bodies.get("T-0007")!);
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0007.md`, edited);
  titles.set("T-0007", "zucchini apple");
  for (const q of [["apple"], ["pear", "fig"], ["zucchini"], ["kiwi", "lime"]]) {
    const brute = [...titles.keys()].filter((id) => {
      const all = `${titles.get(id)}\n${bodies.get(id)}`.toLowerCase();
      return q.every((w) => all.includes(w));
    }).sort();
    const r = await s.json<Results>(["search", ...q, "--in", "title,body", "--limit", "100000"]);
    assertEquals(r.results.map((h) => h.id).sort(), brute, q.join(" "));
    assertEquals(r.total, brute.length);
  }
});
