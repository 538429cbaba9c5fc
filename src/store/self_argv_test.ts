import { assertEquals } from "../../tests/assert.ts";
import { selfArgv, V8_FLAGS, V8_FLAGS_ARG } from "./self_argv.ts";

Deno.test("selfArgv runs this deno with the shipped V8 flags before the main module", () => {
  const argv = selfArgv();
  assertEquals(argv.slice(0, 5), [Deno.execPath(), "run", "-A", "--quiet", V8_FLAGS_ARG]);
  assertEquals(argv[5], decodeURIComponent(new URL(Deno.mainModule).pathname));
  assertEquals(V8_FLAGS_ARG, `--v8-flags=${V8_FLAGS}`);
});
