import { assertEquals } from "../../tests/assert.ts";
import { basename, dirname, join, normalize, relative, resolve } from "./path.ts";

Deno.test("path helpers agree with POSIX semantics", () => {
  assertEquals(normalize("./a/../b.ts"), "b.ts");
  assertEquals(normalize("/a//b/./c/.."), "/a/b");
  assertEquals(normalize("../x"), "../x");
  assertEquals(normalize("/.."), "/");
  assertEquals(normalize(""), ".");
  assertEquals(join("/repo", ".track", "tickets"), "/repo/.track/tickets");
  assertEquals(resolve("/repo/src", "../a"), "/repo/a");
  assertEquals(resolve("/repo", "/abs"), "/abs");
  assertEquals(dirname("/repo/.track"), "/repo");
  assertEquals(dirname("/x"), "/");
  assertEquals(basename("/repo/.track/"), ".track");
  assertEquals(relative("/repo", "/repo/src/a.ts"), "src/a.ts");
  assertEquals(relative("/repo/src", "/repo/docs"), "../docs");
  assertEquals(relative("/repo", "/repo"), "");
});
