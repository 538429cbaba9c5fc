import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type CommandSpec, defineCommand } from "./command.ts";
import { MemoryIo } from "./io.ts";
import { main } from "./main.ts";

Deno.test("main() turns an unexpected exception into exit 1 with a one-line message", async () => {
  const boom = defineCommand({
    name: "boom",
    summary: "test",
    usage: "boom",
    flags: [],
    parse: () => ({}),
    run: () => Promise.reject(new RangeError("kaboom")),
  });
  const io = new MemoryIo();
  const code = await main(["boom"], {
    io,
    commands: [{
      name: "boom",
      load: () => Promise.resolve(boom as unknown as CommandSpec<never>),
    }],
  });
  assertEquals(code, 1);
  assertStringIncludes(io.stderr, "track: Internal error: kaboom");
  assertEquals(io.stderr.includes("    at "), false);
  const json = new MemoryIo();
  assertEquals(
    await main(["boom", "--json"], {
      io: json,
      commands: [{
        name: "boom",
        load: () => Promise.resolve(boom as unknown as CommandSpec<never>),
      }],
    }),
    1,
  );
  assertEquals(JSON.parse(json.stderr).error.kind, "internal");
});

Deno.test("main() with no arguments prints help and exits 2", async () => {
  const io = new MemoryIo();
  assertEquals(await main([], { io }), 2);
  assertStringIncludes(io.stdout, "Usage: track <command>");
});
