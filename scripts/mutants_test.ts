import { assertEquals, assertThrows } from "../tests/assert.ts";
import { MUTANTS } from "./mutants_list.ts";
import { plant } from "./mutants.ts";

Deno.test("mutants: every planted bug still matches its file exactly once", () => {
  const root = new URL("..", import.meta.url).pathname;
  for (const m of MUTANTS) {
    const text = Deno.readTextFileSync(root + m.file);
    const planted = plant(m, text);
    assertEquals(planted.includes(m.replace), true, m.name);
    Deno.statSync(root + m.suite);
  }
  assertEquals(new Set(MUTANTS.map((m) => m.name)).size, MUTANTS.length, "names are unique");
});

Deno.test("mutants: plant() refuses text that is missing or occurs twice", () => {
  const m = { ...MUTANTS[0], find: "x" };
  assertThrows(() => plant(m, "abc"));
  assertThrows(() => plant(m, "x x"));
  assertEquals(plant(m, "axb"), `a${m.replace}b`);
});
