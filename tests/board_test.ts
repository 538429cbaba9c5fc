/** `track board` read and post rules, run in-process through main() against a real store. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { snapshot, tempStore } from "./helpers.ts";
import { EVENT_TAGS } from "../src/operations/board.ts";
import type { MergeEventTag } from "../src/model/sync_merge.ts";
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

Deno.test("board refuses a post with a tag reserved for events (exit 2), and writes nothing", async () => {
  await using s = await tempStore();
  assertEquals((await track(s.root, ["create", "-t", "t", "--agent", "a"])).code, 0);
  assertEquals((await track(s.root, ["claim", "1", "--agent", "a"])).code, 0);
  const before = snapshot(s.dir);
  for (const tag of EVENT_TAGS) {
    const r = await track(s.root, ["board", "--agent", "a", "--tag", tag, "-m", "fake event"]);
    assertEquals(r.code, 2, `${tag}: ${r.stderr}`);
    assertStringIncludes(r.stderr, `Cannot post with tag "${tag}"`);
    assertStringIncludes(r.stderr, "reserved for the events");
    assertStringIncludes(r.stderr, "hint: track board --agent a --tag note");
  }
  assertEquals(snapshot(s.dir), before);
  // Reading by an event tag still works, and shows only the real event.
  const claimed = JSON.parse((await track(s.root, ["board", "--tag", "claimed", "--json"])).stdout);
  assertEquals(claimed.entries.map((e: { kind: string }) => e.kind), ["event"]);
});

Deno.test("EVENT_TAGS lists every tag track writes as an event", () => {
  const src = new URL("../src", import.meta.url).pathname;
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        for (const m of Deno.readTextFileSync(p).matchAll(/tag: "([a-z-]+)",\s*kind: "event"/g)) {
          found.add(m[1]);
        }
      }
    }
  };
  walk(src.replace(/\/$/, ""));
  assertEquals(found.size >= 7, true, "the scan finds the event posts");
  // A merge's tags are a type: this record stops type-checking when one is added.
  const merge: Record<MergeEventTag, true> = {
    "sync-conflict": true,
    "fenced": true,
    "renumbered": true,
    "cycle-dropped": true,
    "reservation-dropped": true,
  };
  for (const tag of [...found, ...Object.keys(merge)]) {
    assertEquals(EVENT_TAGS.has(tag), true, `event tag "${tag}"`);
  }
});
