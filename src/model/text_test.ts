import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { checkNoControls, escapeControls, unsafeInLine } from "./text.ts";
import type { TrackError } from "./errors.ts";
import { MemoryIo } from "../cli/io.ts";

const NASTY = [
  "\x1b[2J", // clear screen
  "\x1b]0;owned\x07", // OSC: window title
  "\x9b31m", // C1 CSI
  "\x7f",
  "\r",
  "\x00",
  "\u202Egpj.exe", // right-to-left override
  "\u2066x\u2069", // isolates
  "\u200B", // zero-width space
  "\uFEFF",
];

Deno.test("escapeControls() leaves no control or bidi character, keeps line feeds and tabs", () => {
  for (const s of NASTY) {
    const out = escapeControls(`a${s}b`);
    assertEquals(unsafeInLine(out.replace(/[\n\t]/g, "")), null, JSON.stringify(s));
    assertEquals(out.startsWith("a") && out.endsWith("b"), true);
  }
  assertEquals(escapeControls("\x1b[2J"), "\\u001b[2J");
  assertEquals(escapeControls("\u202E"), "\\u202e");
  assertEquals(escapeControls("line\n\tindented 😀 👩‍💻 é"), "line\n\tindented 😀 👩‍💻 é");
});

Deno.test("escapeControls() keeps JSON exact: the escape is JSON's own", () => {
  for (const s of NASTY.concat(["\\\x1b", "\\\\\u202E", "\u2028\u2029"])) {
    const value = { title: `x${s}y`, [`k${s}`]: [s] };
    const text = escapeControls(JSON.stringify(value, null, 2));
    assertEquals(JSON.parse(text), value, JSON.stringify(s));
  }
});

Deno.test("checkNoControls() refuses controls (tab and line feed too) and format characters", () => {
  for (const s of [...NASTY, "\t", "\n"]) {
    const e = assertThrows(() => checkNoControls(`a${s}b`, "title")) as TrackError;
    assertEquals(e.kind, "usage");
    assertEquals(unsafeInLine(e.message), null, "the message itself is safe to print");
  }
  assertEquals(checkNoControls("Fix «auth» 😀 👩‍💻 日本", "title"), "Fix «auth» 😀 👩‍💻 日本");
});

Deno.test("MemoryIo escapes what it is given on both streams", () => {
  const io = new MemoryIo();
  io.out("t\x1b]0;x\x07");
  io.err("e\u202E");
  assertEquals(io.stdout, "t\\u001b]0;x\\u0007\n");
  assertEquals(io.stderr, "e\\u202e\n");
});
