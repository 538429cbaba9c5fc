/**
 * Oplog crash victim (tests/oplog_crash_test.ts): opens the sync store at `storeDir` with the
 * oplog on and runs operations. `one`: claims T-0001 as "victim". `loop`: claims, logs and
 * releases T-0001..T-<tickets> in turn until killed (prints "go" first).
 */
import { Store } from "../src/store/store.ts";
import { claimTicket } from "../src/operations/claims.ts";
import { logTicket, updateTicket } from "../src/operations/update.ts";

/** The i-th operation of the loop: which ticket and what. */
export function loopOp(
  i: number,
  tickets: number,
): { ticket: string; kind: "claim" | "log" | "release" } {
  const ticket = `T-${String((i % tickets) + 1).padStart(4, "0")}`;
  const kind = (["claim", "log", "release"] as const)[Math.floor(i / tickets) % 3];
  return { ticket, kind };
}

if (import.meta.main) {
  const [storeDir, mode, ticketsText] = Deno.args;
  const store = new Store(storeDir, { oplog: true });
  const now = () => new Date();
  if (mode === "one") {
    await claimTicket(store, "T-0001", "victim", { force: false, now: now() });
  } else {
    const tickets = Number(ticketsText);
    await Deno.stdout.write(new TextEncoder().encode("go\n"));
    for (let i = 0; i < 1_000_000; i++) {
      const { ticket, kind } = loopOp(i, tickets);
      if (kind === "claim") {
        await claimTicket(store, ticket, "victim", { force: false, now: now() });
      } else if (kind === "log") {
        await logTicket(store, ticket, { agent: "victim", message: `op ${i}` }, now());
      } else {await updateTicket(store, ticket, {
          status: "backlog",
          agent: "victim",
          force: false,
        }, now());}
    }
  }
}
