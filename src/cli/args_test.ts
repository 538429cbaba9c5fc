import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { editDistance, type FlagSpec, GLOBAL_FLAGS, parseArgs } from "./args.ts";
import { TrackError } from "../model/errors.ts";
import { loadCommands } from "./registry.ts";

const SPECS: FlagSpec[] = [
  { name: "title", short: "t", type: "string", description: "" },
  { name: "labels", short: "l", type: "list", description: "" },
  { name: "add", type: "multi", description: "" },
  { name: "force", short: "f", type: "boolean", description: "" },
  { name: "priority", short: "p", type: "string", choices: ["high", "low"], description: "" },
];

Deno.test("parseArgs() reads long, short, inline, list and multi flags", () => {
  const r = parseArgs(
    [
      "1",
      "--title=a=b",
      "-l",
      "x, y",
      "--labels",
      "z",
      "--add",
      "a,b.ts",
      "--add",
      "c",
      "-f",
      "-phigh",
      "--",
      "--not-a-flag",
    ],
    SPECS,
    "t",
  );
  assertEquals(r.positionals, ["1", "--not-a-flag"]);
  assertEquals(r.flags, {
    title: "a=b",
    labels: ["x", "y", "z"],
    add: ["a,b.ts", "c"],
    force: true,
    priority: "high",
  });
});

Deno.test("parseArgs() refuses unknown flags, missing values, repeats and bad choices (exit 2)", () => {
  for (
    const argv of [
      ["--titel", "x"],
      ["--title"],
      ["-t"],
      ["--title", "a", "--title", "b"],
      ["-p", "mid"],
      ["--force=yes"],
      ["-x"],
      ["--title", "--force"],
      ["-t", "-f"],
      ["--add", "--title=x"],
      ["--title", "--json"],
    ]
  ) {
    const e = assertThrows(() => parseArgs(argv, SPECS, "t"), argv.join(" "));
    assertEquals(e instanceof TrackError && e.exitCode, 2, argv.join(" "));
  }
  // A value that merely looks like a flag is still a value; inline form passes a flag's name.
  assertEquals(parseArgs(["-t", "--- x", "--add", "-5"], SPECS, "t").flags, {
    title: "--- x",
    add: ["-5"],
  });
  assertEquals(parseArgs(["--title=--force"], SPECS, "t").flags, { title: "--force" });
  const near = assertThrows(() => parseArgs(["--titel"], SPECS, "t"));
  assertEquals(near.message.includes(`did you mean "--title"`), true);
});

Deno.test("editDistance() counts a swap of neighbours as one edit", () => {
  assertEquals(editDistance("lsit", "list"), 1);
  assertEquals(editDistance("lsit", "init"), 2);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("kitten", "sitting"), 3);
});

Deno.test("parseArgs() reads a short flag's value after '=' like a long flag's", () => {
  assertEquals(parseArgs(["-t=x", "-l=a,b", "-p=low"], SPECS, "t").flags, {
    title: "x",
    labels: ["a", "b"],
    priority: "low",
  });
  // Only the first "=" separates: the rest is the value, as with "--title==x".
  assertEquals(parseArgs(["-t==x"], SPECS, "t").flags, { title: "=x" });
  assertEquals(parseArgs(["-t=a=b"], SPECS, "t").flags, { title: "a=b" });
  assertEquals(parseArgs(["-t="], SPECS, "t").flags, { title: "" });
  assertEquals(parseArgs(["-tx"], SPECS, "t").flags, { title: "x" });
  const e = assertThrows(() => parseArgs(["-f=yes"], SPECS, "t"));
  assertEquals(e instanceof TrackError && e.exitCode, 2);
});

Deno.test("parseArgs() reads '-x=value' for every short flag of every command", async () => {
  for (const spec of await loadCommands()) {
    for (const f of [...spec.flags, ...GLOBAL_FLAGS]) {
      if (!f.short) continue;
      const what = `track ${spec.name} -${f.short}=v`;
      if (f.type === "boolean") {
        const e = assertThrows(() => parseArgs([`-${f.short}=v`], spec.flags, spec.name), what);
        assertEquals(e instanceof TrackError && e.exitCode, 2, what);
        continue;
      }
      const value = f.choices?.[0] ?? "v";
      const got = parseArgs([`-${f.short}=${value}`], spec.flags, spec.name).flags[f.name];
      assertEquals(got, f.type === "string" ? value : [value], what);
    }
  }
});
