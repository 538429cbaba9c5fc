import { assertEquals } from "../tests/assert.ts";
import { type Edge, importCycles, layerViolations, moduleGraph } from "./check_layers.ts";

const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });

Deno.test("layerViolations() allows imports downward and within a tier", () => {
  assertEquals(
    layerViolations([
      edge("src/store/store.ts", "src/model/ticket.ts"),
      edge("src/operations/claim.ts", "src/store/store.ts"),
      edge("src/commands/claim.ts", "src/operations/claim.ts"),
      edge("src/commands/serve.ts", "src/dashboard/server.ts"),
      edge("src/model/ticket.ts", "src/model/front_matter.ts"),
      edge("main.ts", "src/cli/main.ts"),
    ]),
    [],
  );
});

Deno.test("layerViolations() names an upward import, a surface importing another, a stray folder", () => {
  assertEquals(layerViolations([edge("src/model/ticket.ts", "src/store/read.ts")]), [
    "src/model/ticket.ts (model) imports src/store/read.ts (store): an upward import",
  ]);
  assertEquals(layerViolations([edge("src/dashboard/handler.ts", "src/cli/output.ts")]), [
    "src/dashboard/handler.ts (dashboard) imports src/cli/output.ts (cli): a surface imports another",
  ]);
  assertEquals(layerViolations([edge("src/misc/x.ts", "src/model/ticket.ts")]).length, 1);
  // Type-only imports obey the tiers too.
  assertEquals(layerViolations([edge("src/store/a.ts", "src/operations/b.ts", true)]).length, 1);
});

Deno.test("importCycles() finds runtime cycles and ignores type-only loops", () => {
  assertEquals(
    importCycles([
      edge("a", "b"),
      edge("b", "c"),
      edge("c", "a"),
      edge("c", "d"),
      edge("d", "e", true),
      edge("e", "d"),
      edge("f", "f"),
    ]),
    [["a", "b", "c"], ["f"]],
  );
});

Deno.test("check_layers: a planted upward import and a planted cycle fail the real check", async () => {
  const root = await Deno.makeTempDir({ prefix: "track-layers-" });
  try {
    const write = (path: string, text: string) => {
      Deno.mkdirSync(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/${path}`, text);
    };
    write("main.ts", 'import "./src/cli/main.ts";\n');
    write("src/cli/main.ts", 'import "../operations/claim.ts";\n');
    write("src/operations/claim.ts", 'import "../model/ticket.ts";\n');
    write("src/model/ticket.ts", "export const x = 1;\n");
    const script = new URL("./check_layers.ts", import.meta.url).pathname;
    const run = async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, root],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, text: new TextDecoder().decode(out.stderr) };
    };
    assertEquals((await run()).code, 0, "the clean tree passes");
    assertEquals((await moduleGraph(root)).length, 3);
    write("src/model/ticket.ts", 'import "../store/read.ts";\nexport const x = 1;\n');
    write("src/store/read.ts", "export const y = 2;\n");
    let r = await run();
    assertEquals(r.code, 1);
    assertEquals(r.text.includes("src/model/ticket.ts (model) imports src/store/read.ts"), true);
    write("src/model/ticket.ts", "export const x = 1;\n");
    write("src/operations/claim.ts", 'import "../model/ticket.ts";\nimport "./release.ts";\n');
    write("src/operations/release.ts", 'import "./claim.ts";\n');
    r = await run();
    assertEquals(r.code, 1);
    assertEquals(
      r.text.includes("import cycle: src/operations/claim.ts <-> src/operations/release.ts"),
      true,
      r.text,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
