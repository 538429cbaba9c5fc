import { assertEquals } from "../../tests/assert.ts";
import { COMMANDS, loadCommands } from "./registry.ts";

Deno.test("registry entries load specs of the same name, each with usage and flags", async () => {
  const specs = await loadCommands();
  assertEquals(specs.map((s) => s.name), COMMANDS.map((e) => e.name));
  for (const s of specs) {
    assertEquals(s.usage.split(" ")[0], s.name, `usage of ${s.name}`);
    assertEquals(typeof s.summary, "string");
  }
  assertEquals(new Set(specs.map((s) => s.name)).size, specs.length, "names are unique");
});

Deno.test("hidden commands (run by installed hooks) stay out of help but still run", async () => {
  const { main } = await import("./main.ts");
  const { MemoryIo } = await import("./io.ts");
  const help = new MemoryIo();
  const env = { get: () => undefined };
  await main(["--help"], { io: help, env });
  assertEquals(/^ {2}hook /m.test(help.stdout), false);
  assertEquals(/^ {2}hooks /m.test(help.stdout), true);
  const own = new MemoryIo();
  assertEquals(await main(["hook", "--help"], { io: own, env }), 0);
});

Deno.test("every flag of a command is in its usage line (long or short form)", async () => {
  const missing: string[] = [];
  for (const s of await loadCommands()) {
    if (s.hidden) continue;
    for (const f of s.flags) {
      const short = f.short === undefined ? null : `-${f.short}`;
      const words = s.usage.split(/[\s[\]|()]+/);
      if (!s.usage.includes(`--${f.name}`) && (short === null || !words.includes(short))) {
        missing.push(`${s.name} --${f.name}`);
      }
    }
  }
  assertEquals(missing, []);
});
