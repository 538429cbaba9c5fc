/**
 * The double-grant checks of the sync suites (tests/suites/sync_lib.ts `tenures`,
 * `checkGrants`) on hand-made state histories: each way a tenure can be granted twice is found,
 * and an honest history of claims and releases passes.
 */
import { assertEquals } from "./assert.ts";
import { checkGrants, type StateCommit, type StateTicket, tenures } from "./suites/sync_lib.ts";

const free = (claimId: string | null = null): StateTicket => ({
  status: "backlog",
  claimed_by: null,
  claim_id: claimId,
  claim_epoch: 0,
  text: "",
});
const held = (by: string, claimId: string | null): StateTicket => ({
  status: "claimed",
  claimed_by: by,
  claim_id: claimId,
  claim_epoch: 1,
  text: "",
});
const history = (...commits: Array<Record<string, StateTicket>>): StateCommit[] =>
  commits.map((c, i) => ({ oid: `c${i}`.padEnd(12, "0"), tickets: new Map(Object.entries(c)) }));

Deno.test("tenures: claims and releases in turn pass; the exit-0 grants are found", () => {
  const h = history(
    { "T-0001": free() },
    { "T-0001": held("a", "x-1") },
    { "T-0001": free("x-1") },
    { "T-0001": held("b", "y-1") },
  );
  const seen = tenures(h);
  assertEquals(seen.problems, []);
  assertEquals(
    checkGrants([
      { agent: "a", ticket: "T-0001", claim_id: "x-1", where: "1" },
      { agent: "b", ticket: "T-0001", claim_id: "y-1", where: "2" },
    ], seen),
    [],
  );
});

Deno.test("tenures: every shape of a tenure granted twice is reported", () => {
  const cases: Array<[string, StateCommit[]]> = [
    [
      "claim over a live holder",
      history({ T: free() }, { T: held("a", "x-1") }, {
        T: held("b", "y-1"),
      }),
    ],
    [
      "holder changed under one claim_id",
      history({ T: held("a", "x-1") }, {
        T: held("b", "x-1"),
      }),
    ],
    ["one claim_id on two tickets", history({ T: held("a", "x-1"), U: held("a", "x-1") })],
    [
      "claim_id came back",
      history(
        { T: held("a", "x-1") },
        { T: free("x-1") },
        { T: held("b", "y-1") },
        { T: free("y-1") },
        { T: held("a", "x-1") },
      ),
    ],
    ["held without a claim_id", history({ T: held("a", null) })],
  ];
  for (const [what, h] of cases) {
    assertEquals(tenures(h).problems.length > 0, true, what);
  }
});

Deno.test("checkGrants: a claim_id told to two agents, or never published, is reported", () => {
  const seen = tenures(history({ T: held("a", "x-1") }));
  assertEquals(
    checkGrants([
      { agent: "a", ticket: "T", claim_id: "x-1", where: "1" },
      { agent: "b", ticket: "T", claim_id: "x-1", where: "2" },
      { agent: "c", ticket: "T", claim_id: "z-9", where: "3" },
    ], seen).length,
    3,
  );
});

Deno.test("tenures: an agent's new tenure over its own untold one is a regrant, a double grant only when the old one was told exit 0", () => {
  // a's claim x-1 was killed (or withdrawn with exit 8) and published after all; a claimed
  // again: y-1 replaces x-1 while a holds the ticket. No other agent ever held it.
  const seen = tenures(history({ T: free() }, { T: held("a", "x-1") }, { T: held("a", "y-1") }));
  assertEquals(seen.problems, []);
  assertEquals(seen.regrants.map((r) => [r.from, r.to]), [["x-1", "y-1"]]);
  const y = { agent: "a", ticket: "T", claim_id: "y-1", where: "2" };
  assertEquals(checkGrants([y], seen), []);
  // Told exit 0 for x-1, then x-1 replaced under it: its writes under x-1 would be fenced.
  assertEquals(
    checkGrants([{ agent: "a", ticket: "T", claim_id: "x-1", where: "1" }, y], seen).length,
    1,
  );
});
