/**
 * `track export` / `track import`: the whole store round-trips byte for byte (JSON and JSON
 * Lines), import refuses a store holding other data, and re-running an import is harmless.
 */
import { fileURLToPath } from "node:url";
import { assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { snapshot, type TempStore, tempStore, testCommand } from "./helpers.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/agent-track-0.1", import.meta.url));

/** Files that make up the store's data (runtime files like the lock are not data). */
function dataFiles(dir: string): Map<string, string> {
  const all = snapshot(dir);
  for (const k of [...all.keys()]) {
    if (k === "lock" || k.endsWith(".tmp") || k.startsWith("cache/")) all.delete(k);
  }
  return all;
}

async function must(p: TempStore, args: string[], stdin?: string): Promise<string> {
  const r = await p.track(args, { stdin });
  assertEquals(r.code, 0, `track ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A store with every kind of record, including awkward text. */
async function busyStore(): Promise<TempStore> {
  const p = await tempStore();
  await must(p, ["create", "--title", 'Fix: "quotes" & #hash', "--priority", "high", "-l", "a,b"]);
  await must(
    p,
    ["create", "--title", "Second ✓", "--depends-on", "T-0001", "--body", "-"],
    "multi\nline\n---\nbody ✓\n",
  );
  await must(p, ["create", "--title", "Third"]);
  await must(p, ["create", "--title", "Made by mistake"]);
  await must(p, ["archive", "T-0004"]);
  await must(p, ["register", "--agent", "agent-alpha", "--capabilities", "ts,ui"]);
  await must(p, ["claim", "T-0001", "--agent", "agent-alpha"]);
  await must(p, ["update", "T-0001", "--status", "in-progress", "--agent", "agent-alpha"]);
  await must(p, ["log", "T-0001", "--agent", "agent-alpha", "-m", "first line\nsecond line"]);
  await must(p, ["files", "--add", "src/a.ts", "--agent", "agent-alpha", "--ticket", "T-0001"]);
  await must(p, [
    "board",
    "--agent",
    "agent-alpha",
    "-m",
    "hello\n---\nworld",
    "--ticket",
    "T-0001",
    "--tag",
    "question",
  ]);
  await must(p, ["board", "--agent", "agent-bravo", "-m", "second post"]);
  return p;
}

for (const format of ["--json", "--jsonl"]) {
  Deno.test(`export ${format} then import into an empty store gives byte-identical files`, async () => {
    await using src = await busyStore();
    await using dst = await tempStore();
    const file = `${dst.root}/backup.export`;
    const out = await src.track([
      "export",
      format === "--jsonl" ? "--jsonl" : "--json",
      "-o",
      file,
    ]);
    assertEquals(out.code, 0, out.stderr);
    const stdout = await must(src, ["export", ...(format === "--jsonl" ? ["--jsonl"] : [])]);
    const noTime = (t: string) => t.replace(/"exported_at": ?"[^"]+"/, "");
    assertEquals(noTime(stdout), noTime(Deno.readTextFileSync(file)));
    const r = await dst.track(["import", file]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /Imported 3 tickets, 1 archived, 2 agents, 1 reservations, \d+ board entries/,
    );
    assertEquals(dataFiles(dst.dir), dataFiles(src.dir));

    // Running it again (as after an interrupted import) writes nothing and succeeds.
    const before = dataFiles(dst.dir);
    const again = await dst.json<
      { written: Record<string, number>; unchanged: Record<string, number> }
    >(
      ["import", file],
    );
    assertEquals(again.written, { tickets: 0, archived: 0, agents: 0, reservations: 0, board: 0 });
    assertEquals([again.unchanged.tickets, again.unchanged.archived], [3, 1]);
    assertEquals(dataFiles(dst.dir), before);
  });
}

Deno.test("export then import round-trips a migrated agent-track 0.1 store", async () => {
  await using src = await tempStore({ init: false });
  await Deno.mkdir(src.dir);
  for (const sub of ["tickets", "agents"]) {
    await Deno.mkdir(`${src.dir}/${sub}`);
    for (const e of Deno.readDirSync(`${FIXTURE}/${sub}`)) {
      Deno.copyFileSync(`${FIXTURE}/${sub}/${e.name}`, `${src.dir}/${sub}/${e.name}`);
    }
  }
  Deno.copyFileSync(`${FIXTURE}/BOARD.md`, `${src.dir}/BOARD.md`);
  await must(src, ["migrate"]);
  await using dst = await tempStore();
  const r = await dst.track(["import", "-"], { stdin: await must(src, ["export", "--jsonl"]) });
  assertEquals(r.code, 0, r.stderr);
  const want = dataFiles(src.dir);
  want.delete("BOARD.md"); // 0.1's file, not part of the store's data
  assertEquals(dataFiles(dst.dir), want);
});

Deno.test("import refuses a store that holds other data and writes nothing", async () => {
  await using src = await busyStore();
  await using dst = await tempStore();
  await must(dst, ["create", "--title", "Already here"]);
  const file = `${dst.root}/backup.json`;
  await must(src, ["export", "-o", file]);
  const before = dataFiles(dst.dir);
  const r = await dst.track(["import", file]);
  assertEquals(r.code, 3, r.stderr);
  assertStringIncludes(r.stderr, "already holds other data");
  assertStringIncludes(r.stderr, ".track/tickets/T-0001.md");
  assertStringIncludes(r.stderr, "hint: import into a new store");
  assertEquals(dataFiles(dst.dir), before);
});

Deno.test("import refuses a file that is not a track export, naming the line", async () => {
  await using dst = await tempStore();
  const before = dataFiles(dst.dir);
  const notExport = await dst.track(["import", "-"], { stdin: '{"hello": 1}\n' });
  assertEquals(notExport.code, 6);
  assertStringIncludes(notExport.stderr, "is not a track export");
  const badLine = await dst.track(["import", "-"], {
    stdin: '{"type":"header","schema":1,"format":"track-export","config":null}\n' +
      '{"type":"ticket","id":"T-0001","title":"x","status":"sideways","priority":"low",' +
      '"created":"2026-01-01T00:00:00Z","body":""}\n',
  });
  assertEquals(badLine.code, 6);
  assertStringIncludes(badLine.stderr, '"-:2"');
  assertStringIncludes(badLine.stderr, "status");
  assertEquals(dataFiles(dst.dir), before);
  const missing = await dst.track(["import", "nope.json"]);
  assertEquals(missing.code, 4);
});

/** Makes `dir` and its lock file unwritable, even for root (chattr +i); false when it cannot. */
function makeReadOnly(dir: string, on: boolean): boolean {
  if (Deno.uid() !== 0) {
    for (const p of [`${dir}/lock`, dir]) Deno.chmodSync(p, on ? 0o555 : 0o755);
    return true;
  }
  const r = testCommand("chattr", {
    args: [on ? "+i" : "-i", `${dir}/lock`, dir],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return r.code === 0;
}

Deno.test("export of a read-only store works and writes nothing", async () => {
  await using s = await busyStore();
  const before = snapshot(s.dir);
  if (!makeReadOnly(s.dir, true)) return; // no way to make it read-only here
  try {
    const r = await s.track(["export"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).tickets.length > 0, true);
  } finally {
    makeReadOnly(s.dir, false);
  }
  assertEquals(snapshot(s.dir), before);
});

Deno.test("export still waits for a writer: it holds the lock shared", async () => {
  await using s = await busyStore();
  const { acquireLock } = await import("../src/store/lock.ts");
  const held = await acquireLock(`${s.dir}/lock`, { timeoutMs: 1000, command: "test" });
  try {
    const r = await s.track(["export"], { env: { TRACK_LOCK_TIMEOUT: "100" } });
    assertEquals(r.code, 5, r.stderr);
  } finally {
    held.release();
  }
});

Deno.test("export --output into a missing folder is exit 4 naming the folder, not .track/", async () => {
  await using s = await busyStore();
  const r = await s.track(["export", "--output", "nodir/backup.json"]);
  assertEquals(r.code, 4, r.stderr);
  assertStringIncludes(r.stderr, `the folder "nodir" does not exist`);
  assertStringIncludes(r.stderr, `hint: create it first (mkdir -p "nodir")`);
  assertEquals(r.stderr.includes(".track/"), false, r.stderr);
});
