import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { testCommand } from "../../tests/helpers.ts";
import { lstatPath, openDir, type Stat } from "./native_fs.ts";
import { canonicalTicketNumber } from "./store.ts";

/** A directory holding every kind of entry a tickets/ directory may meet. */
function fixture(): string {
  const dir = Deno.makeTempDirSync({ prefix: "track-native-" });
  Deno.writeTextFileSync(`${dir}/T-0001.md`, "one\n");
  Deno.writeTextFileSync(`${dir}/T-0002.md`, "two, a little longer\n");
  Deno.writeTextFileSync(`${dir}/.T-0003.md.1.abc.tmp`, "");
  Deno.writeTextFileSync(`${dir}/ünïcode – ticket.md`, "x");
  Deno.writeTextFileSync(`${dir}/${"n".repeat(250)}`, "long name");
  Deno.mkdirSync(`${dir}/T-0004.md`);
  Deno.symlinkSync(`${dir}/T-0001.md`, `${dir}/T-0005.md`);
  Deno.symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
  // Timestamps far in the past and with sub-millisecond parts.
  Deno.utimeSync(`${dir}/T-0002.md`, new Date(1e12 + 0.5), new Date(1234567890123));
  return dir;
}

function describe(dir: { entries: readonly { name: string; isFile: boolean }[] }) {
  return [...dir.entries].sort((a, b) => a.name < b.name ? -1 : 1);
}

Deno.test("openDir: the native listing and lstat agree with Deno's on every kind of entry", () => {
  const path = fixture();
  try {
    const native = openDir(path);
    const deno = openDir(path, { native: false });
    try {
      if (Deno.build.os === "linux" && ["x86_64", "aarch64"].includes(Deno.build.arch)) {
        assert(native.native, "libc is used here");
      }
      assert(!deno.native);
      assertEquals(describe(native), describe(deno));
      assertEquals(native.entries.length, 8);
      for (const { name } of deno.entries) {
        assertEquals(native.lstat(name), deno.lstat(name), name);
      }
      const st = deno.lstat("T-0002.md") as Stat;
      assertEquals(st.mtime, 1234567890123);
      assertEquals(st.ctime % 1000, 0, "ctime in whole seconds");
      assertEquals(deno.lstat("T-0004.md")?.isFile, false);
      assertEquals(deno.lstat("T-0005.md")?.isFile, false, "a symlink is not followed");
      for (const d of [native, deno]) {
        assertEquals(d.lstat("missing.md"), null);
        assertEquals(d.lstat("a/../T-0001.md"), null, "no path walks through a name");
        assertEquals(d.lstat("../" + path.split("/").pop() + "/T-0001.md"), null);
        assertEquals(d.lstat("T-0001.md\0.tmp"), null, "no NUL cuts a name short");
        assertEquals(d.lstat(""), null);
      }
    } finally {
      native.close();
      deno.close();
    }
    assertEquals(native.lstat("T-0001.md"), null, "closed");
  } finally {
    Deno.removeSync(path, { recursive: true });
  }
});

Deno.test("openDir: a missing directory or a file throws what readDirSync throws", () => {
  const path = Deno.makeTempDirSync({ prefix: "track-native-" });
  try {
    Deno.writeTextFileSync(`${path}/file`, "");
    for (const native of [true, false]) {
      assert(
        assertThrows(() => openDir(`${path}/missing`, { native })) instanceof
          Deno.errors.NotFound,
      );
      assert(
        assertThrows(() => openDir(`${path}/file`, { native })) instanceof
          Deno.errors.NotADirectory,
      );
    }
    assertThrows(() => openDir(`${path}\0/elsewhere`), "a NUL never shortens the path");
    assertEquals(openDir(path).entries.map((e) => e.name), ["file"], "and still works after");
  } finally {
    Deno.removeSync(path, { recursive: true });
  }
});

Deno.test("lstatPath: null for a missing path; the same Stat as a listing gives", () => {
  const path = fixture();
  try {
    assertEquals(lstatPath(`${path}/missing`), null);
    const dir = openDir(path);
    try {
      assertEquals(lstatPath(`${path}/T-0001.md`), dir.lstat("T-0001.md"));
    } finally {
      dir.close();
    }
  } finally {
    Deno.removeSync(path, { recursive: true });
  }
});

Deno.test("openDir: TRACK_NATIVE_FS=0 turns the native path off (the benchmark's switch)", async () => {
  if (Deno.build.os !== "linux") return;
  const module = new URL("./native_fs.ts", import.meta.url).href;
  const native = async (value: string) => {
    const out = await testCommand(Deno.execPath(), {
      args: ["eval", `import { openDir } from "${module}"; console.log(openDir(".").native);`],
      env: { TRACK_NATIVE_FS: value },
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const on = await native("1");
  // Where libc is usable the switch decides; elsewhere both are false.
  if (on === "true") assertEquals(await native("0"), "false");
  else assertEquals(on, "false");
});

Deno.test("openDir: ticket names told from the listing's bytes are exactly store.ts's canonical ones", () => {
  const path = Deno.makeTempDirSync({ prefix: "track-native-" });
  const names = [
    "T-0000.md",
    "T-0001.md",
    "T-0042.md",
    "T-00001.md",
    "T-10000.md",
    "T-123456789.md",
    "T-1234567890.md",
    "T-012345678.md",
    "T-123.md",
    "T-0001.mdx",
    "T-0001.md~",
    "t-0001.md",
    "T-0001.MD",
    "T-0001md",
    "T-0001..md",
    "T--001.md",
    "T-0001.m",
    "T-000a.md",
    "XT-0007.md",
    "T-\u0660\u0660\u0660\u0661.md",
    "T-0009.md.tmp",
    ".T-0010.md",
    "T-0011",
  ];
  try {
    for (const name of names) Deno.writeTextFileSync(`${path}/${name}`, name);
    Deno.mkdirSync(`${path}/T-0012.md`);
    Deno.symlinkSync(`${path}/T-0001.md`, `${path}/T-0013.md`);
    const native = openDir(path);
    const deno = openDir(path, { native: false });
    try {
      const expected = deno.entries
        .map((e) => [canonicalTicketNumber(e.name), e.isFile] as const)
        .filter(([n]) => n >= 0)
        .map(([n, isFile]) => n * 2 + (isFile ? 1 : 0))
        .sort((a, b) => a - b);
      assertEquals(expected.length, 7, "T-0000, 0001, 0042, 10000, 123456789, 0012, 0013");
      assertEquals(deno.ticketNumbers(), null, "Deno's listing has names only");
      if (native.native) {
        assertEquals([...native.ticketNumbers()!].sort((a, b) => a - b), expected);
      }
      assertEquals(describe(native), describe(deno), "every name, ticket or not");
      const into = new Float64Array(5);
      for (const { name } of deno.entries) {
        const st = deno.lstat(name);
        for (const d of [native, deno]) {
          into.fill(-7);
          assertEquals(d.lstatInto(name, into), st !== null, name);
          if (st !== null) {
            assertEquals([...into], [st.isFile ? 1 : 0, st.ino, st.size, st.mtime, st.ctime]);
          }
        }
      }
      assertEquals(native.lstatInto("a/../T-0001.md", into), false);
    } finally {
      native.close();
      deno.close();
    }
  } finally {
    Deno.removeSync(path, { recursive: true });
  }
});
