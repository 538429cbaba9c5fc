/**
 * Terminal escape injection: one-line fields refuse control characters; text output (even of
 * hand-edited files) never carries one raw; `--json` keeps the exact text.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";

/** Raw characters no text output may contain: controls but LF and tab, DEL, C1, bidi controls. */
// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u2028-\u202E\u2066-\u2069]/;

const CLEAR = "\x1b[2J\x1b[H";
const OSC_TITLE = "\x1b]0;pwned\x07";
const C1 = "\x9b31m\x9d0;t\x9c";
const RLO = "\u202Egpj.exe";
/** A title as a hand edit can write it (YAML double-quoted escapes). */
const TITLE = `Fix${CLEAR}${OSC_TITLE}${C1}${RLO}\u2066x\u2069`;
const TITLE_YAML = JSON.stringify(TITLE).replaceAll("\\u001b", "\\e");
const BODY = `Description with ${CLEAR} and ${OSC_TITLE}\n\tindented ${C1} ${RLO}\n`;

function assertSafe(text: string, what: string): void {
  const m = RAW.exec(text);
  assert(
    m === null,
    `${what} holds raw U+${m?.[0].charCodeAt(0).toString(16)}: ${JSON.stringify(text)}`,
  );
}

Deno.test("hand-edited control characters never reach the terminal raw; --json keeps them exact", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "placeholder", "-l", "ui"]);
  await s.json(["register", "--agent", "alpha", "--capabilities", "ts"]);
  await s.json(["board", "--agent", "alpha", "-m", `post ${CLEAR}${OSC_TITLE}${C1}${RLO}`]);
  const agentPath = `${s.dir}/agents/alpha.json`;
  Deno.writeTextFileSync(
    agentPath,
    Deno.readTextFileSync(agentPath).replace('"ts"', JSON.stringify(`ts${OSC_TITLE}\u202E`)),
  );
  const path = `${s.dir}/tickets/T-0001.md`;
  const text = Deno.readTextFileSync(path)
    .replace("title: placeholder", `title: ${TITLE_YAML}`)
    .replace("  - ui\n", `  - ${JSON.stringify(`l${CLEAR}`).replace("\\u001b", "\\e")}\n`)
    .replace("\n## Description\n\n", `\n## Description\n\n${BODY}`);
  Deno.writeTextFileSync(path, text);
  // A second ticket whose bad value lands in an error message.
  Deno.writeTextFileSync(
    `${s.dir}/tickets/T-0002.md`,
    text.replace("id: T-0001", "id: T-0002").replace("status: backlog", `status: "x\\u202Ey\\x9b"`),
  );
  const day = [...Deno.readDirSync(`${s.dir}/board`)].find((e) => e.isDirectory)!.name;
  const post = [...Deno.readDirSync(`${s.dir}/board/${day}`)].map((e) => e.name).sort().at(-1)!;
  const postPath = `${s.dir}/board/${day}/${post}`;
  Deno.writeTextFileSync(
    postPath,
    Deno.readTextFileSync(postPath).replace("agent: alpha", `agent: "al\\e]0;t\\apha"`),
  );

  for (
    const args of [
      ["list"],
      ["list", "--all"],
      ["show", "T-0001"],
      ["show", "T-0002"],
      ["board"],
      ["agents"],
      ["ready"],
      ["blocked"],
      ["doctor"],
      ["prime", "--agent", "alpha"],
      ["update", "T-0002", "--priority", "high"],
    ]
  ) {
    const r = await s.track(args);
    assertSafe(r.stdout, `track ${args.join(" ")} stdout`);
    assertSafe(r.stderr, `track ${args.join(" ")} stderr`);
  }
  const list = await s.track(["list"]);
  assertStringIncludes(list.stdout, "Fix\\u001b[2J\\u001b[H\\u001b]0;pwned\\u0007");
  assertStringIncludes(list.stdout, "\\u202egpj.exe");
  assertStringIncludes(list.stderr, "\\u202e"); // T-0002's status, quoted in the warning
  const show = await s.track(["show", "T-0001"]);
  assertStringIncludes(show.stdout, "\tindented \\u009b31m"); // tab and line feed kept
  const board = await s.track(["board"]);
  assertStringIncludes(board.stdout, "post \\u001b[2J");

  // --json stays exact.
  const shown = await s.json<{ ticket: { title: string; labels: string[]; body: string } }>([
    "show",
    "T-0001",
  ]);
  assertEquals(shown.ticket.title, TITLE);
  assertEquals(shown.ticket.labels, [`l${CLEAR}`]);
  assertStringIncludes(shown.ticket.body, BODY);
  const listed = await s.json<{ tickets: Array<{ title: string }> }>(["list"]);
  assertEquals(listed.tickets[0].title, TITLE);
  const read = await s.json<{ entries: Array<{ agent: string; message: string }> }>(["board"]);
  assertEquals(read.entries.at(-1)!.message, `post ${CLEAR}${OSC_TITLE}${C1}${RLO}`);
  assertEquals(read.entries.at(-1)!.agent, "al\x1b]0;t\x07pha");
});

Deno.test("one-line fields refuse control and bidi characters with exit 2; nothing changes", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "ok"]);
  const before = snapshot(s.dir);
  for (
    const args of [
      ["create", "-t", `a${CLEAR}b`],
      ["create", "-t", `a${RLO}`],
      ["create", "-t", "a\tb"],
      ["create", "-t", "two\nlines"],
      ["create", "-t", "a\x9bb"],
      ["create", "-t", "a\x7fb"],
      ["create", "-t", "ok", "-l", `x${OSC_TITLE}`],
      ["create", "-t", "ok", "-l", "x\u2067"],
      ["update", "T-0001", "--title", `a${CLEAR}`],
      ["update", "T-0001", "--add-label", "a\u202Db"],
      ["update", "T-0001", "--branch", "feat\u202E"],
      ["register", "--agent", "alpha", "--capabilities", "a\x1bb"],
      ["register", "--agent", "alpha", "--session-id", "s\u200Bx"],
      ["files", "--agent", "alpha", "--ticket", "T-0001", "--add", `src/a${RLO}.ts`],
    ]
  ) {
    const r = await s.track(args);
    assertEquals(r.code, 2, `track ${JSON.stringify(args)}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "one-line fields refuse them");
    assertSafe(r.stderr, `track ${JSON.stringify(args)} stderr`);
    assertEquals(snapshot(s.dir), before, `track ${JSON.stringify(args)} changed nothing`);
  }
  // Multi-line fields keep them (a pasted coloured compiler output) and print them escaped.
  const r = await s.track(["create", "-t", "coloured", "--body", "\x1b[31merror\x1b[0m\n\tat x"]);
  assertEquals(r.code, 0, r.stderr);
  const shown = await s.json<{ ticket: { description: string } }>(["show", "T-0002"]);
  assertEquals(shown.ticket.description, "\x1b[31merror\x1b[0m\n\tat x");
});
