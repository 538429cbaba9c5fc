import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore, testCommand } from "./helpers.ts";

interface DoctorJson {
  healthy: boolean;
  findings: Array<
    {
      kind: string;
      file: string | null;
      line: number | null;
      fixed: boolean;
      message: string;
      advice: string;
    }
  >;
  lock: { held: boolean };
}

function parse(stdout: string): DoctorJson {
  return JSON.parse(stdout) as DoctorJson;
}

Deno.test("doctor: a fresh store is healthy (exit 0)", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const d = parse(r.stdout);
  assertEquals(d.healthy, true);
  assertEquals(d.findings, []);
  assertEquals(d.lock.held, false);
});

Deno.test("doctor: reports debris and broken data; --fix removes only debris", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  await s.json(["create", "--title", "two", "--depends-on", "T-0001"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["claim", "T-0001", "--agent", "ann"]);
  await s.json(["files", "--add", "src/a.ts", "--agent", "ann", "--ticket", "T-0001"]);
  // Debris: a temp file of a killed writer, the pid file of a dead server.
  Deno.writeTextFileSync(`${s.dir}/tickets/.T-0001.md.999.abc.tmp`, "half");
  Deno.writeTextFileSync(`${s.dir}/server.json`, JSON.stringify({ pid: 2 ** 22 + 17 }));
  // Needs a person: a broken ticket, a dependency on a missing ticket, a duplicate id.
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0003.md`, "---\nid: T-0003\ntitle: x\n");
  const two = s.read("tickets/T-0002.md").replace("  - T-0001", "  - T-0042");
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0002.md`, two);
  Deno.writeTextFileSync(`${s.dir}/tickets/T-00001.md`, s.read("tickets/T-0001.md"));
  // A reservation by an agent nobody registered.
  const res = JSON.parse(s.read("reservations.json"));
  res.reservations.push({
    path: "src/b.ts",
    agent: "ghost",
    ticket: "T-0001",
    mode: "exclusive",
    at: "2026-01-01T00:00:00Z",
  });
  Deno.writeTextFileSync(`${s.dir}/reservations.json`, JSON.stringify(res, null, 2) + "\n");

  const before = snapshot(s.dir);
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  assertEquals(snapshot(s.dir), before, "doctor without --fix changed nothing");
  const kinds = parse(r.stdout).findings.map((f) => f.kind).sort();
  assertEquals(kinds, [
    "duplicate-id",
    "missing-dependency",
    "runtime-file",
    "temp-file",
    "unknown-agent-reservation",
    "unparseable",
  ]);
  const broken = parse(r.stdout).findings.find((f) => f.kind === "unparseable")!;
  assertEquals(broken.file, ".track/tickets/T-0003.md");

  const human = await s.track(["doctor"]);
  assertEquals(human.code, 6);
  assertStringIncludes(human.stdout, ".track/tickets/T-0003.md");
  assertStringIncludes(human.stderr, "track doctor --fix");

  const fixed = await s.track(["doctor", "--fix", "--json"]);
  assertEquals(fixed.code, 6, "a person still has to fix the ticket files");
  const f = parse(fixed.stdout).findings;
  assertEquals(
    f.filter((x) => x.fixed).map((x) => x.kind).sort(),
    ["runtime-file", "temp-file", "unknown-agent-reservation"],
  );
  assert(!f.some((x) => x.fixed && x.file?.includes("tickets/T-")), "no ticket touched");
  const after = snapshot(s.dir);
  for (const [path, bytes] of before) {
    if (path.startsWith("tickets/T-") || path.startsWith("board/")) {
      assertEquals(after.get(path), bytes, `${path} kept byte for byte`);
    }
  }
  assert(!after.has("tickets/.T-0001.md.999.abc.tmp"));
  assert(!after.has("server.json"));
  const left = JSON.parse(s.read("reservations.json")).reservations;
  assertEquals(left.map((x: { agent: string }) => x.agent), ["ann"]);
});

Deno.test("doctor: a ticket held by an agent that is not registered needs a person", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  await s.json(["register", "--agent", "bob"]);
  await s.json(["claim", "T-0001", "--agent", "bob"]);
  await s.json(["deregister", "--agent", "bob"]);
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 6);
  const f = parse(r.stdout).findings;
  assertEquals(f.map((x) => x.kind), ["holder-mismatch"]);
  assertStringIncludes(f[0].message, "bob");
});

Deno.test("doctor: a hand-edited reservation outside the repository is reported; --fix releases it", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  await s.json(["register", "--agent", "ann"]);
  await s.json(["claim", "T-0001", "--agent", "ann"]);
  await s.json(["files", "--add", "src/a.ts", "--agent", "ann", "--ticket", "T-0001"]);
  Deno.mkdirSync(`${s.root}/lib`);
  const res = JSON.parse(s.read("reservations.json"));
  for (const path of ["../../etc/passwd", "/etc/passwd", "lib"]) {
    res.reservations.push({
      path,
      agent: "ann",
      ticket: "T-0001",
      mode: "exclusive",
      at: "2026-01-01T00:00:00Z",
    });
  }
  Deno.writeTextFileSync(`${s.dir}/reservations.json`, JSON.stringify(res, null, 2) + "\n");
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  const f = parse(r.stdout).findings;
  assertEquals(f.map((x) => x.kind), Array(3).fill("bad-reservation-path"));
  assertStringIncludes(f[0].message, `"../../etc/passwd" (reserved by "ann" for T-0001)`);
  assertStringIncludes(f[1].message, `"/etc/passwd"`);
  assertEquals(
    f[2].advice,
    "track files --add 'lib/**' --agent ann --ticket T-0001",
  );
  // The outside paths hold nothing in the repository meanwhile.
  assertEquals((await s.track(["files", "--check", "etc/passwd", "--agent", "bob"])).code, 0);
  const fix = await s.track(["doctor", "--fix", "--json"]);
  assertEquals(fix.code, 0, fix.stdout);
  const left = JSON.parse(s.read("reservations.json")).reservations;
  assertEquals(left.map((x: { path: string }) => x.path), ["lib", "src/a.ts"]);
});

Deno.test("doctor: every finding carries one line of advice, printed as a hint", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  await s.json(["create", "--title", "two", "--depends-on", "T-0001"]);
  Deno.writeTextFileSync(`${s.dir}/tickets/.T-0001.md.999.abc.tmp`, "half");
  Deno.writeTextFileSync(`${s.dir}/server.json`, JSON.stringify({ pid: 2 ** 22 + 17 }));
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0003.md`, "---\nid: T-0003\ntitle: x\n");
  Deno.writeTextFileSync(`${s.dir}/tickets/notes.txt`, "x\n");
  const two = s.read("tickets/T-0002.md").replace("  - T-0001", "  - T-0042");
  Deno.writeTextFileSync(`${s.dir}/tickets/T-0002.md`, two);
  const r = await s.track(["doctor", "--json"]);
  const findings: Array<{ kind: string; advice: string }> = JSON.parse(r.stdout).findings;
  assertEquals(findings.length, 5, r.stdout);
  for (const f of findings) {
    assert(typeof f.advice === "string" && f.advice.length > 0 && !f.advice.includes("\n"), f.kind);
  }
  const dep = findings.find((f) => f.kind === "missing-dependency")!;
  assertEquals(dep.advice, "track update T-0002 --remove-dep T-0042");
  const human = await s.track(["doctor"]);
  const lines = human.stdout.trimEnd().split("\n");
  assertEquals(lines.filter((l) => l.startsWith("  hint: ")).length, 5, human.stdout);
  assertStringIncludes(human.stdout, "  hint: track doctor --fix");
});

Deno.test("doctor: a missing config.json is a finding with the command that restores it", async () => {
  await using s = await tempStore();
  Deno.removeSync(`${s.dir}/config.json`);
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  const [f] = JSON.parse(r.stdout).findings;
  assertEquals([f.kind, f.file], ["missing-config", ".track/config.json"]);
  assertStringIncludes(f.advice, `git checkout -- "${s.dir}/config.json"`);
});

Deno.test("doctor: server.json of a killed server that is a zombie is a dead server's leftover", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using s = await tempStore();
  // A child that exits only when the test closes its stdin, after its parent has exec'd into
  // `sleep 30`, which never reaps it: a zombie, as a killed `serve -d` stays when nothing reaps
  // it. (A child that exits on its own, like `sleep 0`, may be reaped by sh before its exec.)
  const parent = testCommand("sh", {
    args: ["-c", "exec 3<&0; cat <&3 >/dev/null & echo $!; exec sleep 30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const zombie = Number((await reader.read()).value!.trim());
  const state = (pid: number) => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  };
  // Polling for states, not timing anything (the bound only stops a hang): the parent is
  // `sleep` once it has exec'd.
  const until = async (done: () => boolean) => {
    for (let i = 0; !done(); i++) {
      if (i === 3000) throw new Error("the process never reached the state waited for");
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await until(() => Deno.readTextFileSync(`/proc/${parent.pid}/comm`).trim() === "sleep");
    await parent.stdin.close();
    await until(() => state(zombie) === "Z");
    Deno.writeTextFileSync(
      `${s.dir}/server.json`,
      JSON.stringify({ schema: 1, pid: zombie, proc_start: null }),
    );
    const r = await s.track(["doctor", "--json"]);
    assertEquals(r.code, 6, r.stdout);
    const [f] = JSON.parse(r.stdout).findings;
    assertEquals([f.kind, f.file], ["runtime-file", ".track/server.json"]);
  } finally {
    parent.kill("SIGKILL");
    await reader.cancel();
    await parent.status;
  }
});

Deno.test("doctor: a directory where the journal should be is a problem to move away, never 'doctor --fix discards it'", async () => {
  await using s = await tempStore();
  await s.json(["create", "--title", "one"]);
  Deno.mkdirSync(`${s.dir}/journal`);
  const r = await s.track(["doctor", "--json"]);
  assertEquals(r.code, 6, r.stderr);
  const found = parse(r.stdout).findings.filter((f) => f.file === ".track/journal");
  assertEquals(found.length, 1, JSON.stringify(found));
  assertEquals(found[0].kind, "unparseable");
  assert(!/doctor --fix/.test(found[0].message + found[0].advice), JSON.stringify(found[0]));
  // What doctor says is what --fix does: it refuses the same way (exit 6), the directory stays.
  const fix = await s.track(["doctor", "--fix"]);
  assertEquals(fix.code, 6);
  assert(Deno.statSync(`${s.dir}/journal`).isDirectory);
});
