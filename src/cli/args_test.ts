import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { editDistance, type FlagSpec, parseArgs } from "./args.ts";
import { TrackError } from "./errors.ts";

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
