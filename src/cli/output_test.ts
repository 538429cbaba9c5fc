import { assertEquals } from "../../tests/assert.ts";
import { table } from "./output.ts";

const H = ["ID", "TITLE", "LABELS"];

Deno.test("table: columns padded to the widest cell, two spaces apart, no trailing blanks", () => {
  assertEquals(
    table(H, [["T-0001", "Short", "a,b"], ["T-0002", "A longer title", ""]]),
    [
      "ID      TITLE           LABELS",
      "T-0001  Short           a,b",
      "T-0002  A longer title",
    ].join("\n"),
  );
});

Deno.test("table: line feeds, tabs and carriage returns inside cells never break a row", () => {
  for (const cell of ["two\nlines", "tab\there", "cr\rhere", "many\n\n\nbreaks"]) {
    const out = table(H, [["T-0001", cell, "x"]]).split("\n");
    assertEquals(out.length, 2, JSON.stringify(cell));
    assertEquals(out[1].startsWith("T-0001  "), true);
    assertEquals(out[1].endsWith("  x"), true);
  }
  assertEquals(table(H, [["T-0001", "two\nlines", "x"]]).split("\n")[1], "T-0001  two lines  x");
});

Deno.test("table: widths count code points, not UTF-16 units", () => {
  const out = table(H, [["T-0001", "héllo 😀", "x"], ["T-0002", "plain", "y"]]).split("\n");
  assertEquals(out[1], "T-0001  héllo 😀  x");
  assertEquals(out[2], "T-0002  plain    y");
});

Deno.test("table: short rows are padded with empty cells", () => {
  assertEquals(table(H, [["T-0001"]]), "ID      TITLE  LABELS\nT-0001");
});

Deno.test("table: control characters are escaped inside cells and columns stay aligned", () => {
  const out = table(H, [["T-0001", "a\x1b[2Jb\u202Ec", "x"], ["T-0002", "plain", "y"]]);
  assertEquals(out.split("\n")[1], "T-0001  a\\u001b[2Jb\\u202ec  x");
  assertEquals(out.split("\n")[2], "T-0002  " + "plain".padEnd(18 + 2) + "y");
});
