import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { TrackError } from "../model/errors.ts";
import { ensureDir, TEMP_SUFFIX, tempPathFor, writeFileAtomic } from "./atomic.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "track-atomic-" });
}

/** Names in `dir` that look like our temp files (none may be left behind). */
function debris(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(TEMP_SUFFIX));
}

function trackError(fn: () => unknown): TrackError {
  const e = assertThrows(fn);
  if (!(e instanceof TrackError)) throw e;
  return e;
}

Deno.test("writeFileAtomic() creates and replaces files byte for byte, leaving no temp file", () => {
  const dir = tempDir();
  try {
    const path = `${dir}/a.json`;
    for (
      const data of [
        "first\n",
        "",
        "é \u{1F680}\n",
        new Uint8Array([0, 255, 10, 13]),
        "x".repeat(1 << 20),
      ]
    ) {
      writeFileAtomic(path, data);
      const want = typeof data === "string" ? new TextEncoder().encode(data) : data;
      assertEquals(Deno.readFileSync(path), want);
      assertEquals(debris(dir), []);
    }
    writeFileAtomic(path, "not durable\n", path, { durable: false });
    assertEquals(Deno.readTextFileSync(path), "not durable\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() replaces by rename: an open reader keeps the old bytes", () => {
  const dir = tempDir();
  try {
    const path = `${dir}/t.md`;
    writeFileAtomic(path, "old\n");
    const reader = Deno.openSync(path, { read: true });
    try {
      writeFileAtomic(path, "new and longer\n");
      const buf = new Uint8Array(64);
      const n = reader.readSync(buf) ?? 0;
      assertEquals(new TextDecoder().decode(buf.subarray(0, n)), "old\n");
    } finally {
      reader.close();
    }
    assertEquals(Deno.readTextFileSync(path), "new and longer\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() sets the mode on create and on rewrite (0600 for secrets)", () => {
  if (Deno.build.os === "windows") return;
  const dir = tempDir();
  try {
    const path = `${dir}/server.json`;
    writeFileAtomic(path, "{}\n");
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o644);
    writeFileAtomic(path, "{}\n", path, { mode: 0o600 });
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() failures are exit 7 naming the file, and change nothing", () => {
  const dir = tempDir();
  try {
    // The directory is missing: no temp file can be made.
    const missing = trackError(() => writeFileAtomic(`${dir}/nope/a.json`, "x", "nope/a.json"));
    assertEquals(missing.kind, "io");
    assert(missing.message.includes("nope/a.json"), missing.message);
    assertEquals(debris(dir), []);
    // A directory where the file should be: the rename fails, the directory is untouched.
    ensureDir(`${dir}/d/inner`);
    const isDir = trackError(() => writeFileAtomic(`${dir}/d`, "x", "d"));
    assertEquals(isDir.kind, "io");
    assertEquals([...Deno.readDirSync(`${dir}/d`)].map((e) => e.name), ["inner"]);
    assertEquals(debris(dir), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() inside the store never writes through a symbolic link", () => {
  const dir = tempDir();
  try {
    const store = `${dir}/.track`;
    ensureDir(store);
    Deno.writeTextFileSync(`${dir}/outside.txt`, "precious\n");
    Deno.symlinkSync(`${dir}/outside.txt`, `${store}/config.json`);
    const e = trackError(() =>
      writeFileAtomic(`${store}/config.json`, "{}\n", "config.json", {
        inside: store,
      })
    );
    assertEquals(e.kind, "badData");
    assertEquals(Deno.readTextFileSync(`${dir}/outside.txt`), "precious\n");
    assert(Deno.lstatSync(`${store}/config.json`).isSymlink);
    assertEquals(debris(store), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("tempPathFor() is hidden, in the same directory, unique and ends with TEMP_SUFFIX", () => {
  const names = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = tempPathFor("/s/.track/tickets/T-0001.md");
    assert(p.startsWith("/s/.track/tickets/.T-0001.md."), p);
    assert(p.endsWith(TEMP_SUFFIX), p);
    names.add(p);
  }
  assert(names.size > 190, `only ${names.size} distinct names`);
});
