/**
 * Crash-suite victim: a real process doing write-heavy work in a loop (claims, Work Log entries
 * and releases on a few tickets, each a full `main()` mutation writing several files) until it
 * is killed. Prints "go" once loaded; the parent SIGKILLs it at a random moment after that.
 */
import { main } from "../../src/cli/main.ts";
import { MemoryIo } from "../../src/cli/io.ts";

/**
 * The i-th operation of run `run`: which ticket it touches and its argv. Per ticket the ops go
 * claim, log, release, claim, … A claim writes the ticket, the agent and a `claimed` board
 * event; a release writes the ticket and a `status` event; a log writes the ticket and the agent.
 */
export function crashOp(
  run: number,
  i: number,
  tickets: number,
): { ticket: string; args: string[] } {
  const ticket = `T-${String((i % tickets) + 1).padStart(4, "0")}`;
  const kind = Math.floor(i / tickets) % 3;
  const args = kind === 0
    ? ["claim", ticket, "--agent", "victim"]
    : kind === 1
    ? ["log", ticket, "--agent", "victim", "-m", `r${run} op${i}`]
    : ["update", ticket, "--status", "backlog", "--agent", "victim"];
  return { ticket, args };
}

if (import.meta.main) {
  const [cwd, runText, ticketsText] = Deno.args;
  const run = Number(runText);
  const tickets = Number(ticketsText);
  await Deno.stdout.write(new TextEncoder().encode("go\n"));
  for (let i = 0; i < 100_000; i++) {
    const { args } = crashOp(run, i, tickets);
    const io = new MemoryIo();
    const code = await main(args, { io, cwd });
    if (code !== 0) {
      await Deno.stderr.write(new TextEncoder().encode(`op ${i} exited ${code}: ${io.stderr}`));
      Deno.exit(1);
    }
  }
}
