/**
 * Counts a Deno JUnit report the way people read a test run: one entry per test, never per
 * step. Deno writes each step as its own `<testcase>` named `parent > step` after the tests; a
 * failed step also fails its parent, so counting testcases would count steps as tests and a
 * failed step twice.
 */

/** One test (steps folded into it). */
export interface TestOutcome {
  file: string;
  name: string;
  outcome: "passed" | "failed" | "skipped";
}

/** Counts of one report. */
export interface JunitCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Every test, in report order. */
  tests: TestOutcome[];
}

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

function unescape(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (e) => ENTITIES[e]);
}

function attr(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]) : "";
}

/** Counts the tests of a JUnit report written by `deno test --junit-path`. */
export function countJunit(xml: string): JunitCounts {
  const cases: Array<{ file: string; name: string; failed: boolean; skipped: boolean }> = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const inner = m[3] ?? "";
    cases.push({
      file: attr(m[1], "classname"),
      name: attr(m[1], "name"),
      failed: /<failure\b|<error\b/.test(inner),
      skipped: /<skipped\b/.test(inner),
    });
  }
  // A step is a testcase whose name extends another testcase of the same file by " > ".
  const names = new Set(cases.map((c) => `${c.file}\n${c.name}`));
  const isStep = (c: { file: string; name: string }) => {
    for (let i = c.name.indexOf(" > "); i !== -1; i = c.name.indexOf(" > ", i + 1)) {
      if (names.has(`${c.file}\n${c.name.slice(0, i)}`)) return true;
    }
    return false;
  };
  const tests: TestOutcome[] = cases.filter((c) => !isStep(c)).map((c) => ({
    file: c.file,
    name: c.name,
    outcome: c.failed ? "failed" : c.skipped ? "skipped" : "passed",
  }));
  const count = (o: TestOutcome["outcome"]) => tests.filter((t) => t.outcome === o).length;
  return { passed: count("passed"), failed: count("failed"), skipped: count("skipped"), tests };
}
