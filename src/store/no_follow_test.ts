import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { TrackError } from "../model/errors.ts";
import {
  ensureDirInside,
  findLinks,
  lstatInside,
  openInside,
  refuseLinks,
  removeInside,
} from "./no_follow.ts";
import { writeFileAtomic } from "./atomic.ts";

async function withDirs(fn: (store: string, outside: string) => void | Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "track-nofollow-" });
  const store = `${root}/.track`;
  const outside = `${root}/outside`;
  Deno.mkdirSync(store);
  Deno.mkdirSync(outside);
  Deno.writeTextFileSync(`${outside}/victim`, "precious\n");
  try {
    await fn(store, outside);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

function assertLinkRefused(fn: () => unknown, shown: string): void {
  const e = assertThrows(fn);
  assert(e instanceof TrackError, String(e));
  assertEquals(e.kind, "badData");
  assert(e.message.includes(`"${shown}"`), e.message);
  assert(e.message.includes("symbolic link"), e.message);
}

Deno.test("openInside() refuses a link to a file and never truncates its target", async () => {
  await withDirs((store, outside) => {
    Deno.symlinkSync(`${outside}/victim`, `${store}/lock`);
    assertLinkRefused(
      () => openInside(store, `${store}/lock`, { read: true, create: true }),
      ".track/lock",
    );
    assertLinkRefused(
      () => openInside(store, `${store}/lock`, { append: true, create: true }),
      ".track/lock",
    );
    assertEquals(Deno.readTextFileSync(`${outside}/victim`), "precious\n");
  });
});

Deno.test("openInside() creates a missing file and opens an existing one without truncating", async () => {
  await withDirs((store) => {
    const f = openInside(store, `${store}/log`, { append: true, create: true })!;
    f.writeSync(new TextEncoder().encode("a\n"));
    f.close();
    const g = openInside(store, `${store}/log`, { append: true })!;
    g.writeSync(new TextEncoder().encode("b\n"));
    g.close();
    assertEquals(Deno.readTextFileSync(`${store}/log`), "a\nb\n");
    assertEquals(openInside(store, `${store}/missing`), null);
  });
});

Deno.test("a linked directory on the way is refused by every primitive", async () => {
  await withDirs((store, outside) => {
    Deno.symlinkSync(outside, `${store}/cache`);
    const shown = ".track/cache";
    assertLinkRefused(() => lstatInside(store, `${store}/cache/x.json`), shown);
    assertLinkRefused(() => openInside(store, `${store}/cache/x`, { create: true }), shown);
    assertLinkRefused(() => ensureDirInside(store, `${store}/cache/sub`), shown);
    assertLinkRefused(() => removeInside(store, `${store}/cache/victim`), shown);
    assertLinkRefused(
      () => writeFileAtomic(`${store}/cache/victim`, "x", "v", { inside: store }),
      shown,
    );
    assertEquals([...Deno.readDirSync(outside)].map((e) => e.name), ["victim"]);
    assertEquals(Deno.readTextFileSync(`${outside}/victim`), "precious\n");
  });
});

Deno.test("writeFileAtomic() inside the store refuses a link at the file itself", async () => {
  await withDirs((store, outside) => {
    Deno.symlinkSync(`${outside}/victim`, `${store}/config.json`);
    assertLinkRefused(
      () => writeFileAtomic(`${store}/config.json`, "{}", "c", { inside: store }),
      ".track/config.json",
    );
    assert(Deno.lstatSync(`${store}/config.json`).isSymlink);
    assertEquals(Deno.readTextFileSync(`${outside}/victim`), "precious\n");
  });
});

Deno.test("ensureDirInside() creates missing directories and accepts real ones", async () => {
  await withDirs((store) => {
    ensureDirInside(store, `${store}/board/2026-01-01`);
    ensureDirInside(store, `${store}/board/2026-01-01`);
    assert(Deno.lstatSync(`${store}/board/2026-01-01`).isDirectory);
  });
});

Deno.test("removeInside() removes a link itself, never its target", async () => {
  await withDirs((store, outside) => {
    Deno.symlinkSync(`${outside}/victim`, `${store}/server.json`);
    assertEquals(removeInside(store, `${store}/server.json`), true);
    assertEquals(removeInside(store, `${store}/server.json`), false);
    assertEquals(Deno.readTextFileSync(`${outside}/victim`), "precious\n");
  });
});

Deno.test("findLinks() lists every link in the store without following any", async () => {
  await withDirs((store, outside) => {
    Deno.mkdirSync(`${store}/board/2026-01-01`, { recursive: true });
    Deno.symlinkSync(outside, `${store}/tickets`);
    Deno.symlinkSync(outside, `${store}/board/2026-01-02`);
    Deno.symlinkSync(`${outside}/victim`, `${store}/board/2026-01-01/x.md`);
    const found = findLinks(store).map((l) => [l.path.slice(store.length + 1), l.isDir]);
    assertEquals(found, [
      ["board/2026-01-01/x.md", false],
      ["board/2026-01-02", true],
      ["tickets", true],
    ]);
  });
});

Deno.test("refuseLinks() refuses a link in the store or in a listed directory", async () => {
  await withDirs((store, outside) => {
    Deno.mkdirSync(`${store}/cache`);
    refuseLinks(store, [`${store}/cache`]);
    Deno.symlinkSync(`${outside}/victim`, `${store}/cache/tickets.log`);
    assertLinkRefused(() => refuseLinks(store, [`${store}/cache`]), ".track/cache/tickets.log");
  });
});
