/** `track completions`: scripts generated from the registry, with live ticket ids and agents. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, tempStore, testCommand } from "./helpers.ts";

Deno.test("completions print a script for each shell that names every command", async () => {
  await using s = await tempStore();
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await s.track(["completions", shell]);
    assertEquals(r.code, 0, r.stderr);
    for (const cmd of ["claim", "next", "hooks", "protocol", "prime", "mcp", "files"]) {
      assertStringIncludes(r.stdout, cmd);
    }
    assertStringIncludes(r.stdout, "completions --words tickets");
    assertStringIncludes(r.stdout, "completions --words agents");
  }
  const bad = await s.track(["completions", "tcsh"]);
  assertEquals(bad.code, 2);
});

Deno.test("completions --words lists open ticket ids and active agents", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "A"]);
  await s.track(["create", "--title", "B"]);
  await s.track(["register", "--agent", "alpha"]);
  assertEquals((await s.track(["completions", "--words", "tickets"])).stdout, "T-0001\nT-0002\n");
  assertEquals((await s.track(["completions", "--words", "agents"])).stdout, "alpha\n");
  const outside = await Deno.makeTempDir();
  try {
    const { runTrack } = await import("./helpers.ts");
    const r = await runTrack(["completions", "--words", "tickets"], { cwd: outside });
    assertEquals([r.code, r.stdout], [0, ""]);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("the bash script completes commands, choices, ticket ids and agent names", async () => {
  await using s = await tempStore();
  await s.track(["create", "--title", "A"]);
  await s.track(["register", "--agent", "alpha"]);
  const bin = `${s.root}/bin`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(
    `${bin}/track`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet '${MAIN}' "$@"\n`,
    { mode: 0o755 },
  );
  const script = (await s.track(["completions", "bash"])).stdout;
  Deno.writeTextFileSync(`${s.root}/track.bash`, script);
  const complete = async (words: string[]) => {
    const program = [
      `source '${s.root}/track.bash'`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
      `COMP_CWORD=${words.length - 1}`,
      "_track",
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const out = await testCommand("bash", {
      args: ["-c", program],
      cwd: s.root,
      env: { PATH: `${bin}:${Deno.env.get("PATH")}`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, err);
    return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
  };
  assertEquals(await complete(["track", "cla"]), ["claim"]);
  assertEquals(await complete(["track", "claim", ""]), ["T-0001"]);
  assertEquals(await complete(["track", "claim", "T-0001", "--agent", ""]), ["alpha"]);
  assertEquals(await complete(["track", "list", "--status", "in"]), ["in-progress"]);
  assertEquals(await complete(["track", "hooks", ""]), ["install", "uninstall"]);
  assert((await complete(["track", "update", "T-0001", "--pri"])).includes("--priority"));
});

function has(cmd: string): boolean {
  try {
    return testCommand("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "the zsh script parses (zsh -n)",
  ignore: !has("zsh"),
  async fn() {
    await using s = await tempStore();
    Deno.writeTextFileSync(`${s.root}/_track`, (await s.track(["completions", "zsh"])).stdout);
    const out = await testCommand("zsh", { args: ["-n", `${s.root}/_track`] }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  },
});

Deno.test({
  name: "the fish script completes commands, choices and ticket ids",
  ignore: !has("fish"),
  async fn() {
    await using s = await tempStore();
    await s.track(["create", "--title", "A"]);
    const bin = `${s.root}/bin`;
    Deno.mkdirSync(bin);
    Deno.writeTextFileSync(
      `${bin}/track`,
      `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet '${MAIN}' "$@"\n`,
      { mode: 0o755 },
    );
    Deno.writeTextFileSync(`${s.root}/track.fish`, (await s.track(["completions", "fish"])).stdout);
    const complete = async (line: string) => {
      const out = await testCommand("fish", {
        args: ["--no-config", "-c", `source '${s.root}/track.fish'; complete -C '${line}'`],
        cwd: s.root,
        env: { PATH: `${bin}:${Deno.env.get("PATH")}`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "")
        .map((l) => l.split("\t")[0]);
    };
    assertEquals(await complete("track claim "), ["T-0001"]);
    assert((await complete("track list --status ")).includes("in-progress"));
    assert((await complete("track pro")).includes("protocol"));
  },
});
