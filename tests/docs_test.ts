/** Generated documentation stays in sync with the code. */
import { assertEquals } from "./assert.ts";
import { withTable } from "../scripts/readme_commands.ts";

/** Table cells without the padding `deno fmt` adds. */
function normalizeTables(md: string): string {
  return md.split("\n").map((l) =>
    l.startsWith("|") ? l.replace(/-{3,}/g, "---").replace(/ +/g, "") : l
  ).join("\n");
}

Deno.test("README command table matches the command registry", async () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  assertEquals(
    normalizeTables(readme),
    normalizeTables(await withTable(readme)),
    "run: deno run -A scripts/readme_commands.ts && deno fmt README.md",
  );
});

Deno.test("README exit-code table matches src/model/errors.ts", async () => {
  const { EXIT } = await import("../src/model/errors.ts");
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  for (const code of Object.values(EXIT)) {
    assertEquals(
      new RegExp(`^\\| ${code} +\\|`, "m").test(readme),
      true,
      `exit code ${code} documented`,
    );
  }
});
