/**
 * What a read command loads at startup (AGENTS.md "Startup budget"): the modules reachable from
 * main.ts and the command's module through static imports. Writers' and help's modules load
 * with `import()` only when they run.
 */
import { assert, assertEquals } from "./assert.ts";
import { testCommand } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface DenoInfo {
  roots: string[];
  modules: Array<{
    specifier: string;
    dependencies?: Array<{ code?: { specifier: string }; isDynamic?: boolean }>;
  }>;
}

/** Root-relative paths of the local modules loaded before `entry` runs (static imports). */
async function staticModules(entry: string): Promise<Set<string>> {
  const out = await testCommand(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
  const byName = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of byName.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code) stack.push(d.code.specifier);
    }
  }
  const base = new URL(`file://${ROOT}`).href;
  return new Set([...seen].filter((s) => s.startsWith(base)).map((s) => s.slice(base.length)));
}

Deno.test("startup: list loads neither the writers' modules nor help nor the JSON shapes", async () => {
  const loaded = new Set([
    ...await staticModules("main.ts"),
    ...await staticModules("src/commands/list.ts"),
  ]);
  assert(loaded.has("src/store/ticket_cache.ts"), [...loaded].join("\n"));
  const unwanted = [
    "src/store/journal.ts",
    "src/store/agent_records.ts",
    "src/cli/help.ts",
    "src/model/json.ts",
  ].filter((m) => loaded.has(m));
  assertEquals(unwanted, []);
});
