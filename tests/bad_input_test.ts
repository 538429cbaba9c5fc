/** Bad input gets a clear error and changes nothing; tricky text round-trips byte for byte. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, snapshot, tempStore, testCommand } from "./helpers.ts";

const VALID = (id: string, extra = "") =>
  `---\nid: ${id}\ntitle: Hand made\nstatus: backlog\npriority: medium\ncreated: 2026-01-01T00:00:00Z\n${extra}---\n\n## Description\n\nx\n`;

function writeRaw(path: string, data: string | Uint8Array): void {
  if (typeof data === "string") Deno.writeTextFileSync(path, data);
  else Deno.writeFileSync(path, data);
}

const enc = new TextEncoder();
const BAD_TICKETS: Array<[string, string | Uint8Array, string]> = [
  [
    "invalid UTF-8",
    new Uint8Array([...enc.encode(VALID("T-0002").slice(0, 20)), 0xff, 0xfe, 10]),
    "not valid UTF-8",
  ],
  ["BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(VALID("T-0002"))]), "byte-order mark"],
  ["CRLF", VALID("T-0002").replaceAll("\n", "\r\n"), "CRLF"],
  ["NUL", VALID("T-0002").replace("Hand", "Ha\0nd"), "NUL"],
  ["truncated front matter", "---\nid: T-0002\ntitle: x\n", "truncated front matter"],
  ["no front matter", "# just markdown\n", "missing front matter"],
  ["duplicate keys", VALID("T-0002", "title: again\n"), "duplicate key"],
  [
    "alias bomb",
    "---\nid: T-0002\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n---\n",
    "anchors",
  ],
  ["alias", VALID("T-0002", "x: *foo\n"), "aliases"],
  [
    "deep nesting",
    VALID("T-0002", "labels: " + "[".repeat(5000) + "]".repeat(5000) + "\n"),
    "nested",
  ],
  ["nested mapping", VALID("T-0002", "meta:\n  a: 1\n"), "nested mappings"],
  ["tags", VALID("T-0002", "labels: !!python/object:os.system [x]\n"), "tags"],
  ["__proto__", VALID("T-0002", "__proto__: polluted\n"), "__proto__"],
  ["wrong type", VALID("T-0002", "labels: just-a-string\n"), `"labels" must be a list`],
  [
    "unknown status",
    VALID("T-0002").replace("status: backlog", "status: open"),
    `"status" must be one of`,
  ],
  ["bad created", VALID("T-0002").replace("2026-01-01T00:00:00Z", "yesterday"), "UTC timestamp"],
  ["huge title", VALID("T-0002").replace("Hand made", "x".repeat(2000)), "longer than 1024"],
  ["id mismatch", VALID("T-0009"), "file is named T-0002.md"],
  ["bad depends_on", VALID("T-0002", "depends_on: [../../etc/passwd]\n"), "invalid ticket id"],
  ["block scalar", VALID("T-0002", "branch: |\n  x\n"), "block scalars"],
];

Deno.test("hand-broken ticket files: list skips with a warning, targeting exits 6, nothing changes", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "good one"]);
  for (const [name, content, reason] of BAD_TICKETS) {
    writeRaw(`${s.dir}/tickets/T-0002.md`, content);
    const before = snapshot(s.dir);
    const list = await s.json<
      { tickets: unknown[]; skipped: Array<{ file: string; message: string }> }
    >(["list"]);
    assertEquals(list.tickets.length, 1, name);
    assertEquals(list.skipped.length, 1, name);
    assertStringIncludes(list.skipped[0].message, ".track/tickets/T-0002.md", name);
    const human = await s.track(["list"]);
    assertEquals(human.code, 0, name);
    assertStringIncludes(human.stderr, "warning: skipping", name);
    for (
      const args of [["show", "2"], ["claim", "2", "--agent", "a"], [
        "log",
        "2",
        "--agent",
        "a",
        "-m",
        "x",
      ], ["update", "2", "-p", "low"]]
    ) {
      const r = await s.track(args);
      assertEquals(r.code, 6, `${name}: ${args.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, ".track/tickets/T-0002.md", name);
      assertStringIncludes(r.stderr, reason, name);
      assert(!r.stderr.includes("    at "), `${name}: no stack trace`);
    }
    assertEquals(snapshot(s.dir), before, `${name}: files changed`);
  }
});

Deno.test("a directory or a symlink where a ticket file should be is bad data", async () => {
  await using s = await tempStore();
  Deno.mkdirSync(`${s.dir}/tickets/T-0001.md`);
  const r = await s.track(["show", "1"]);
  assertEquals(r.code, 6);
  assertStringIncludes(r.stderr, "is a directory");
  Deno.removeSync(`${s.dir}/tickets/T-0001.md`);
  Deno.symlinkSync("/etc/passwd", `${s.dir}/tickets/T-0001.md`);
  const l = await s.track(["show", "1"]);
  assertEquals(l.code, 6);
  assertStringIncludes(l.stderr, "symbolic link");
});

Deno.test("create refuses bad titles and bodies and changes nothing", async () => {
  await using s = await tempStore();
  const before = snapshot(s.dir);
  const cases: Array<[string[], string | undefined]> = [
    [["create", "-t", "x".repeat(1025)], undefined],
    [["create", "-t", "   "], undefined],
    [["create", "-t", "a\r\nb"], undefined],
    [["create", "-t", "\uFEFFbom"], undefined],
    [["create", "-t", "ok"], "x".repeat(1024 * 1024 + 1)],
    [["create", "-t", "ok"], "bad \r\n body"],
    [["create", "-t", "ok", "-l", "a b,c\nd"], undefined],
    [["create", "-t", "ok", "--by", "a\nb"], undefined],
    [["create", "-t", "ok", "--by", ""], undefined],
    [["create", "-t", "ok", "--by", "b".repeat(200)], undefined],
  ];
  for (const [args, stdin] of cases) {
    const r = await s.track(args, stdin === undefined ? {} : { stdin });
    assertEquals(r.code, 2, `${args.join(" ").slice(0, 60)}: ${r.stderr}`);
  }
  const bin = await s.track(["create", "-t", "ok"], { stdin: new Uint8Array([0x66, 0xff, 0x0a]) });
  assertEquals(bin.code, 2);
  assertStringIncludes(bin.stderr, "not valid UTF-8");
  // Invalid UTF-8 in an argument: Deno.args would hand over U+FFFD in its place.
  const argv = testCommand("bash", {
    args: [
      "-c",
      `exec "$0" run -A --quiet "$1" create -t "$(printf 'ok\\377')"`,
      Deno.execPath(),
      MAIN,
    ],
    cwd: s.root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const argvErr = new TextDecoder().decode(argv.stderr);
  assertEquals(argv.code, 2, argvErr);
  assertStringIncludes(argvErr, "not valid UTF-8");
  assertEquals(snapshot(s.dir), before);
});

Deno.test("titles and bodies with quotes, colons, #, [ and --- round-trip byte for byte (newlines in bodies)", async () => {
  await using s = await tempStore();
  const titles = [
    `He said "hi": it's #1`,
    "[leading bracket] and {brace}",
    "- dash start",
    "null",
    "123",
    "yes",
    "trailing space ",
    " leading space",
    "key: value # not a comment",
    "emoji 🚀 and ünïcödé",
    "back\\slash and 'single'",
    "---",
    "*star &amp !bang %pct @at `tick`",
  ];
  const body =
    "---\nnot front matter\n---\n## Acceptance Criteria\n\n# heading\n\n```\ncode: [x]\n```\n";
  for (const title of titles) {
    const c = await s.json<{ ticket: { id: string } }>(["create", "-t", title, "--body", body]);
    const shown = await s.json<{ ticket: { title: string; description: string } }>([
      "show",
      c.ticket.id,
    ]);
    assertEquals(shown.ticket.title, title);
    assertEquals(shown.ticket.description, body);
  }
  const piped = await s.track(["create", "-t", "piped", "--json"], {
    stdin: "line 1\n\n---\nline 4",
  });
  const id = JSON.parse(piped.stdout).ticket.id;
  assertEquals(
    (await s.json<{ ticket: { description: string } }>(["show", id])).ticket.description,
    "line 1\n\n---\nline 4",
  );
});

Deno.test("agent-track 0.1 ticket files list, show and claim correctly", async () => {
  await using s = await tempStore();
  const fixtures = new URL("./fixtures/seed-tickets/", import.meta.url);
  for (const e of Deno.readDirSync(fixtures)) {
    Deno.copyFileSync(new URL(e.name, fixtures), `${s.dir}/tickets/${e.name}`);
  }
  const list = await s.json<
    { tickets: Array<{ id: string; labels: string[]; depends_on: string[] }>; skipped: unknown[] }
  >([
    "list",
    "--all",
  ]);
  assertEquals(list.skipped, []);
  assertEquals(list.tickets.map((t) => t.id), ["T-0001", "T-0002", "T-0003"]);
  assertEquals(list.tickets[0].labels, ["auth", "backend"]);
  assertEquals(list.tickets[1].depends_on, ["T-0001"]);
  const show = await s.track(["show", "T-0002"]);
  assertStringIncludes(show.stdout, "Started the form");
  const claim = await s.json<{ ticket: { status: string; claimed_by: string } }>([
    "claim",
    "1",
    "--agent",
    "agent-alpha",
  ]);
  assertEquals(claim.ticket.claimed_by, "agent-alpha");
  const held = await s.track(["claim", "2", "--agent", "agent-charlie"]);
  assertEquals(held.code, 3);
  assertStringIncludes(held.stderr, `"agent-bravo"`);
  // The rewritten file keeps the seed's keys first and in order.
  const text = s.read("tickets/T-0001.md");
  assertStringIncludes(text, "id: T-0001\ntitle: Fix auth bug\nstatus: claimed\npriority: high\n");
  assertStringIncludes(text, "# Fix auth bug\n\n## Description\n\nTokens expire early.");
  const log = await s.json<{ ticket: { log: Array<{ message: string }> } }>([
    "log",
    "1",
    "--agent",
    "agent-alpha",
    "-m",
    "x",
  ]);
  assert(log);
});

Deno.test("read commands never modify a file", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "a"]);
  await s.json(["claim", "1", "--agent", "a"]);
  await s.json(["board", "--agent", "a", "-m", "hello"]);
  const before = snapshot(s.dir);
  for (
    const args of [
      ["list"],
      ["list", "--all"],
      ["show", "1"],
      ["ready"],
      ["blocked"],
      ["board"],
      ["agents"],
      ["stale"],
      [
        "files",
        "--list",
      ],
      ["files", "--check", "x"],
    ]
  ) {
    for (const env of [{}, { TRACK_AGENT: "someone" }] as Record<string, string>[]) {
      const r = await s.track(args, { env });
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
  }
  assertEquals(snapshot(s.dir), before);
});

Deno.test("log refuses to grow a ticket past what a reader accepts, and the ticket stays readable", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "long story"]);
  const path = `${s.dir}/tickets/T-0001.md`;
  // A work log already near the 16 MB a reader accepts.
  const line = `- 2026-01-01T00:00:00Z [a] ${"x".repeat(1000)}\n`;
  Deno.writeTextFileSync(path, s.read("tickets/T-0001.md") + "\n" + line.repeat(16_000));
  const before = snapshot(s.dir);
  const r = await s.track(["log", "1", "--agent", "a"], { stdin: "y".repeat(1024 * 1024 - 1) });
  assertEquals(r.code, 2, r.stderr);
  assertStringIncludes(r.stderr, "T-0001");
  assertEquals(snapshot(s.dir), before);
  assertEquals((await s.track(["show", "1"])).code, 0);
});

Deno.test("update --branch and register's fields refuse control characters and huge values", async () => {
  await using s = await tempStore();
  await s.json(["create", "-t", "t"]);
  const before = snapshot(s.dir);
  for (
    const args of [
      ["update", "1", "--branch", "feat\nx"],
      ["update", "1", "--branch", "feat x"],
      ["update", "1", "--branch", "b".repeat(300)],
      ["register", "--agent", "q", "--capabilities", "a\nb"],
      ["register", "--agent", "q", "--session-id", "s\ns"],
      ["register", "--agent", "q", "--worktree", "/x\u0001y"],
    ]
  ) {
    const r = await s.track(args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  }
  assertEquals(snapshot(s.dir), before);
  await s.json(["update", "1", "--branch", "feat/login-2"]);
  await s.json(["update", "1", "--branch", ""]);
});

Deno.test("a bad stale_threshold in config.json is bad data (exit 6 naming the file and line)", async () => {
  await using s = await tempStore();
  for (const value of [`"soon"`, "5", "null"]) {
    Deno.writeTextFileSync(
      `${s.dir}/config.json`,
      `{\n  "schema": 1,\n  "stale_threshold": ${value}\n}\n`,
    );
    for (const args of [["stale"], ["agents"]]) {
      const r = await s.track(args);
      assertEquals(r.code, 6, `${value} ${args}: ${r.stderr}`);
      assertStringIncludes(r.stderr, ".track/config.json:3");
    }
    // An explicit --threshold does not need the config value.
    assertEquals((await s.track(["stale", "--threshold", "1h"])).code, 0);
  }
});
