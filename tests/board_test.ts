/** `track board` read and post rules, run in-process through main() against a real store. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { main } from "../src/cli/main.ts";
import { MemoryIo } from "../src/cli/io.ts";

/** Runs `track args` in-process in `cwd`; returns the exit code and output. */
async function track(cwd: string, args: string[]): Promise<MemoryIo & { code: number }> {
  const io = new MemoryIo();
  const code = await main(args, { io, cwd, env: { get: () => undefined } });
  return Object.assign(io, { code });
}

Deno.test("board --since returns every message since then, not the newest 20", async () => {
  await using s = await tempStore();
  for (let i = 0; i < 25; i++) {
    assertEquals((await track(s.root, ["board", "--agent", "a", "-m", `m${i}`])).code, 0);
  }
  const read = async (args: string[]) =>
    JSON.parse((await track(s.root, ["board", ...args, "--json"])).stdout).entries.length;
  assertEquals(await read(["--since", "1h"]), 25);
  assertEquals(await read(["--since", "2000-01-01"]), 25);
  // Without --since the default stays 20; an explicit --last still caps --since.
  assertEquals(await read([]), 20);
  assertEquals(await read(["--since", "1h", "--last", "3"]), 3);
  const text = await track(s.root, ["board", "--since", "1h"]);
  assertStringIncludes(text.stdout, "m0\n");
  assertStringIncludes(text.stdout, "m24\n");
});
