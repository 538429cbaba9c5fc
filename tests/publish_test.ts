/** The JSR package: `deno publish --dry-run` passes offline and ships only what it should. */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { testCommand } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("deno publish --dry-run passes and the package holds no tests", async () => {
  const r = await testCommand(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 0, text);
  assertStringIncludes(text, "Dry run complete");
  const files = [...text.matchAll(/file:\/\/\S+/g)].map((m) => m[0].slice(`file://${ROOT}`.length));
  for (const f of ["main.ts", "deno.json", "src/cli/main.ts"]) {
    assert(files.includes(f), `${f} missing from the package: ${files.join(" ")}`);
  }
  const stray = files.filter((f) =>
    f.endsWith("_test.ts") || f.startsWith("tests/") || f.startsWith("bench/") ||
    f.startsWith("dist/") || f.startsWith(".track/")
  );
  assertEquals(stray, []);
});

Deno.test("deno.json names the package and its version matches track --version", async () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  assertEquals(typeof config.name, "string");
  assert(/^@[a-z0-9-]+\/[a-z0-9-]+$/.test(config.name), config.name);
  assert(/^\d+\.\d+\.\d+/.test(config.version), config.version);
  assertEquals(config.exports["."], "./main.ts");
  const r = await testCommand(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}main.ts`, "--version"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(r.stdout).trim(), `track ${config.version}`);
});
