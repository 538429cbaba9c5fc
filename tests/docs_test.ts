/** Generated documentation stays in sync with the code. */
import { assertEquals } from "./assert.ts";
import { withTable } from "../scripts/readme_commands.ts";

Deno.test("README command table matches the command registry", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  assertEquals(readme, withTable(readme), "run: deno run -A scripts/readme_commands.ts");
});

Deno.test("README exit-code table matches src/cli/errors.ts", async () => {
  const { EXIT } = await import("../src/cli/errors.ts");
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  for (const code of Object.values(EXIT)) {
    assertEquals(
      new RegExp(`^\\| ${code} \\|`, "m").test(readme),
      true,
      `exit code ${code} documented`,
    );
  }
});
