import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type CommandSpec, defineCommand } from "./command.ts";
import { MemoryIo } from "./io.ts";
import { main } from "./main.ts";

/** An empty environment: these tests must not see the developer's TRACK_* variables. */
const NO_ENV = { get: () => undefined };

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
  const noEnv = { get: () => undefined };
  const code = await main(["boom"], {
    io,
    env: noEnv,
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
      env: noEnv,
      commands: [{
        name: "boom",
        load: () => Promise.resolve(boom as unknown as CommandSpec<never>),
      }],
    }),
    1,
  );
  assertEquals(JSON.parse(json.stderr).error.kind, "internal");
});

Deno.test("main() reads TRACK_DEBUG from the env it is given, never from the process", async () => {
  const boom = defineCommand({
    name: "boom",
    summary: "test",
    usage: "boom",
    flags: [],
    parse: () => ({}),
    run: () => Promise.reject(new RangeError("kaboom")),
  });
  const commands = [{
    name: "boom",
    load: () => Promise.resolve(boom as unknown as CommandSpec<never>),
  }];
  const debug = new MemoryIo();
  const vars: Record<string, string> = { TRACK_DEBUG: "1" };
  await main(["boom"], { io: debug, commands, env: { get: (k) => vars[k] } });
  assertStringIncludes(debug.stderr, "    at ");
  const previous = Deno.env.get("TRACK_DEBUG");
  Deno.env.set("TRACK_DEBUG", "1");
  try {
    const quiet = new MemoryIo();
    await main(["boom"], { io: quiet, commands, env: { get: () => undefined } });
    assertEquals(quiet.stderr.includes("    at "), false);
  } finally {
    if (previous === undefined) Deno.env.delete("TRACK_DEBUG");
    else Deno.env.set("TRACK_DEBUG", previous);
  }
});

Deno.test("main() with no arguments prints help and exits 2", async () => {
  const io = new MemoryIo();
  assertEquals(await main([], { io, env: { get: () => undefined } }), 2);
  assertStringIncludes(io.stdout, "Usage: track <command>");
});

Deno.test("main() prints a command's help for `help COMMAND`, the same as `COMMAND --help`", async () => {
  const viaFlag = new MemoryIo();
  assertEquals(await main(["list", "--help"], { io: viaFlag, env: NO_ENV }), 0);
  const viaHelp = new MemoryIo();
  assertEquals(await main(["help", "list"], { io: viaHelp, env: NO_ENV }), 0);
  assertEquals(viaHelp.stdout, viaFlag.stdout);
  assertStringIncludes(viaHelp.stdout, "Usage: track list");
  const overview = new MemoryIo();
  assertEquals(await main(["help"], { io: overview, env: NO_ENV }), 0);
  assertStringIncludes(overview.stdout, "Usage: track <command>");
  const unknown = new MemoryIo();
  assertEquals(await main(["help", "lsit"], { io: unknown, env: NO_ENV }), 2);
  assertStringIncludes(unknown.stderr, `did you mean "list"`);
  assertEquals(await main(["help", "list", "extra"], { io: new MemoryIo(), env: NO_ENV }), 2);
});

Deno.test("main() prints help as JSON with --json: the overview and one command", async () => {
  for (const args of [["--help", "--json"], ["help", "--json"], ["--json", "--help"]]) {
    const io = new MemoryIo();
    assertEquals(await main(args, { io, env: NO_ENV }), 0, args.join(" "));
    const all = JSON.parse(io.stdout);
    assertEquals(all.schema, 1);
    assertEquals(all.commands.some((c: { name: string }) => c.name === "create"), true);
  }
  for (const args of [["create", "--help", "--json"], ["help", "create", "--json"]]) {
    const io = new MemoryIo();
    assertEquals(await main(args, { io, env: NO_ENV }), 0, args.join(" "));
    const { schema, command } = JSON.parse(io.stdout);
    assertEquals(schema, 1);
    assertEquals(command.name, "create");
    assertEquals(command.usage.startsWith("track create"), true);
    const { description: _, ...title } = command.flags.find((f: { name: string }) =>
      f.name === "title"
    );
    assertEquals(title, {
      name: "title",
      short: "t",
      type: "string",
      value: "TEXT",
      choices: null,
    });
  }
});
