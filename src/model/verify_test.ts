import { assertEquals } from "../../tests/assert.ts";
import { parseTicket } from "./ticket.ts";
import {
  type Evidence,
  EVIDENCE_KEY,
  formatEvidence,
  outputTail,
  parseEvidence,
  verificationGap,
  VERIFY_KEY,
  withExtra,
} from "./verify.ts";

const HEAD = "a".repeat(40);
const run: Evidence = {
  command: "deno task test",
  exit: 0,
  ms: 1200,
  at: "2026-11-29T12:00:00Z",
  head: HEAD,
  tree: "0123456789abcdef",
  mac: "f".repeat(32),
};
const base = parseTicket(
  "---\nid: T-0001\ntitle: x\nstatus: review\ncreated: 2026-11-29T12:00:00Z\n---\n",
);

Deno.test("parseEvidence() reads back what formatEvidence() writes; junk is null", () => {
  assertEquals(parseEvidence(formatEvidence(run)), run);
  assertEquals(parseEvidence("0 1ms yesterday head=x tree=y mac=z cmd"), null);
});

Deno.test("verificationGap() passes only on matching HEAD, tree, exit 0 and MAC", () => {
  const t = withExtra(withExtra(base, VERIFY_KEY, ["deno task test"]), EVIDENCE_KEY, [
    formatEvidence(run),
  ]);
  const ok = () => true;
  assertEquals(verificationGap(t, { head: HEAD, tree: run.tree }, ok), null);
  assertEquals(verificationGap(base, { head: "b", tree: "c" }, ok), null); // no commands
  const moved = verificationGap(t, { head: "b".repeat(40), tree: run.tree }, ok)!;
  assertEquals(moved.startsWith("HEAD moved"), true);
  const edited = verificationGap(t, { head: HEAD, tree: "1" }, ok)!;
  assertEquals(edited.includes("working tree changed"), true);
  const forged = verificationGap(t, { head: HEAD, tree: run.tree }, () => false)!;
  assertEquals(forged.includes("not written by track verify"), true);
  const failed = withExtra(t, EVIDENCE_KEY, [formatEvidence({ ...run, exit: 1 })]);
  assertEquals(
    verificationGap(failed, { head: HEAD, tree: run.tree }, ok)!.includes("exit 1"),
    true,
  );
  const more = withExtra(t, VERIFY_KEY, ["deno task test", "deno lint"]);
  assertEquals(
    verificationGap(more, { head: HEAD, tree: run.tree }, ok),
    `"deno lint" has no recorded run`,
  );
});

Deno.test("outputTail() keeps the last lines, bounded, without NUL", () => {
  const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\r\n") + "\0\n";
  const tail = outputTail(text, 3);
  assertEquals(tail, "line 47\nline 48\nline 49\\u0000");
});
