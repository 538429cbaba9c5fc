import { assertEquals } from "../tests/assert.ts";
import { countJunit } from "./junit_count.ts";

/** A report as `deno test --junit-path` writes it (Deno 2.9), trimmed of stack traces. */
const SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="11" failures="3" errors="0" time="0.023">
    <testsuite name="./a_test.ts" tests="11" disabled="2" errors="0" failures="3">
        <testcase name="plain pass" classname="./a_test.ts" time="0.000" line="1" col="6">
        </testcase>
        <testcase name="plain fail" classname="./a_test.ts" time="0.000" line="2" col="6">
            <failure message="Uncaught Error: x">Error: x</failure>
        </testcase>
        <testcase name="ignored one" classname="./a_test.ts" time="0.000" line="3" col="6">
            <skipped/>
        </testcase>
        <testcase name="with steps" classname="./a_test.ts" time="0.001" line="4" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="steps all ok" classname="./a_test.ts" time="0.000" line="8" col="6">
        </testcase>
        <testcase name="x &gt; y is a name" classname="./a_test.ts" time="0.000" line="9" col="6">
        </testcase>
        <testcase name="with steps &gt; step ok" classname="./a_test.ts" time="0.000" line="5" col="11">
        </testcase>
        <testcase name="with steps &gt; step bad" classname="./a_test.ts" time="0.001" line="6" col="11">
            <failure message="Uncaught Error: y">Error: y</failure>
        </testcase>
        <testcase name="steps all ok &gt; a" classname="./a_test.ts" time="0.000" line="9" col="11">
        </testcase>
        <testcase name="steps all ok &gt; a &gt; nested" classname="./a_test.ts" time="0.000" line="9" col="11">
        </testcase>
        <testcase name="steps all ok &gt; b ignored" classname="./a_test.ts" time="0.000" line="10" col="11">
            <skipped/>
        </testcase>
    </testsuite>
</testsuites>
`;

Deno.test("countJunit() counts tests, not steps; a failed step fails its test once", () => {
  const c = countJunit(SAMPLE);
  assertEquals([c.passed, c.failed, c.skipped], [3, 2, 1]);
  assertEquals(c.tests.map((t) => [t.name, t.outcome]), [
    ["plain pass", "passed"],
    ["plain fail", "failed"],
    ["ignored one", "skipped"],
    ["with steps", "failed"],
    ["steps all ok", "passed"],
    ["x > y is a name", "passed"],
  ]);
});

Deno.test("countJunit() sees a run where everything was ignored as skipped, not as passed", () => {
  const xml = `<testsuites><testsuite name="./b_test.ts">
    <testcase name="one" classname="./b_test.ts"><skipped/></testcase>
    <testcase name="two" classname="./b_test.ts"><skipped/></testcase>
  </testsuite></testsuites>`;
  const c = countJunit(xml);
  assertEquals([c.passed, c.failed, c.skipped], [0, 0, 2]);
});

Deno.test("countJunit() keeps tests of the same name in two files apart", () => {
  const xml = `<testsuites>
    <testsuite name="./a_test.ts"><testcase name="t" classname="./a_test.ts"></testcase></testsuite>
    <testsuite name="./b_test.ts">
      <testcase name="t &gt; s" classname="./b_test.ts"><error message="x"/></testcase>
    </testsuite></testsuites>`;
  const c = countJunit(xml);
  // "t > s" in b is a test of its own: b has no test named "t".
  assertEquals([c.passed, c.failed, c.skipped], [1, 1, 0]);
});
