import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { BEGIN_MARKER, END_MARKER, protocolBlock, protocolText, upsertBlock } from "./protocol.ts";

const block = protocolBlock("claude");

Deno.test("upsertBlock() creates a missing file with just the block", () => {
  assertEquals(upsertBlock(null, block), { text: block, action: "created" });
});

Deno.test("upsertBlock() appends after one blank line and keeps the rest byte for byte", () => {
  const before = "# My project\n\nOwn notes.";
  const r = upsertBlock(before, block);
  assertEquals(r.action, "appended");
  assertEquals(r.text, before + "\n\n" + block);
  assertEquals(upsertBlock(r.text, block), { text: r.text, action: "unchanged" });
});

Deno.test("upsertBlock() replaces an old block in place, never duplicating it", () => {
  const old = `${BEGIN_MARKER}\nold protocol\n${END_MARKER}\n`;
  const file = `# Top\n\n${old}\n## After\nkept\n`;
  const r = upsertBlock(file, block);
  assertEquals(r.action, "updated");
  assertEquals(r.text, `# Top\n\n${block}\n## After\nkept\n`);
  assertEquals(r.text.split(BEGIN_MARKER).length, 2);
});

Deno.test("upsertBlock() folds duplicate blocks into one", () => {
  const old = `${BEGIN_MARKER}\nA\n${END_MARKER}`;
  const r = upsertBlock(`x\n${old}\ny\n${old}\nz\n`, block);
  assertEquals(r.text.split(BEGIN_MARKER).length, 2);
  assert(r.text.startsWith("x\n") && r.text.endsWith(`${END_MARKER}\ny\nz\n`));
});

Deno.test("upsertBlock() refuses a begin marker without an end marker", () => {
  const e = assertThrows(() => upsertBlock(`${BEGIN_MARKER}\nhalf`, block));
  assert(e.message.includes("never closed"));
});

Deno.test("protocolText() names the real commands in both formats", () => {
  for (const f of ["claude", "agents"] as const) {
    const t = protocolText(f);
    for (const cmd of ["track next", "TRACK_AGENT", "--json", "track files --add", "exit"]) {
      assert(t.includes(cmd), `${f} lacks ${cmd}`);
    }
  }
  assert(protocolText("claude").includes("hooks"));
  assert(protocolText("agents").includes("track files --check"));
});
