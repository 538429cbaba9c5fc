/**
 * Verified done: `track verify T` runs a ticket's verify commands and records evidence under the
 * lock; {@linkcode assertMayFinish} is the rule every status change to done (and, with
 * `verify_on_review` in config.json, to review) goes through, beside claims.ts
 * `assertMayMove`. The pure half is src/model/verify.ts; docs/agents.md "Verified done".
 */
import { badDataError, conflictError, ioError, usageError } from "../model/errors.ts";
import { checkLine } from "../model/text.ts";
import { isoSeconds } from "../model/time.ts";
import { appendLogEntry, type Ticket, type TicketSummary } from "../model/ticket.ts";
import {
  EVIDENCE_KEY,
  evidenceMessage,
  formatEvidence,
  outputTail,
  parseEvidence,
  type TreeState,
  UNVERIFIED_KEY,
  verificationGap,
  verifyCommandsOf,
  withExtra,
} from "../model/verify.ts";
import { readAgent, touchAgent } from "../store/agent_records.ts";
import type { Store } from "../store/store.ts";
import { evidenceMac, treeState, verifyKey } from "../store/tree_state.ts";

/** Checks verify commands given on the command line: one line each, not empty. */
export function checkVerifyCommands(commands: readonly string[]): string[] {
  for (const c of commands) {
    checkLine(c, "verify command");
    if (c.trim() === "") throw usageError("A verify command must not be empty");
  }
  return [...commands];
}

/** `t` with `add` appended to its verify commands and `remove` taken out (evidence of those too). */
export function withVerifyChanges<T extends Ticket>(t: T, add: string[], remove: string[]): T {
  if (add.length === 0 && remove.length === 0) return t;
  const drop = new Set(remove);
  const before = verifyCommandsOf(t);
  const missing = remove.filter((c) => !before.includes(c));
  if (missing.length > 0) {
    throw usageError(
      `Cannot remove verify command "${missing[0]}" from "${t.id}": it has ${
        before.length === 0 ? "none" : before.map((c) => `"${c}"`).join(", ")
      }`,
      `track show ${t.id}`,
    );
  }
  const commands = [...before.filter((c) => !drop.has(c))];
  for (const c of add) if (!commands.includes(c)) commands.push(c);
  let next = withExtra(t, "verify", commands);
  const ev = (next.extra.find(([k]) => k === EVIDENCE_KEY)?.[1] ?? []) as string[] | string;
  const kept = (Array.isArray(ev) ? ev : [ev]).filter((line) =>
    commands.some((c) => line.endsWith(` ${c}`))
  );
  next = withExtra(next, EVIDENCE_KEY, kept);
  return next;
}

/** The directory a ticket's commands run in: its holder's worktree, else the repository root. */
export function verifyDir(store: Store, t: TicketSummary): string {
  if (t.claimed_by !== null) {
    const wt = readAgent(store, t.claimed_by)?.worktree ?? null;
    if (wt !== null) {
      try {
        if (Deno.statSync(wt).isDirectory) return wt;
      } catch (e) {
        // A gone worktree (or a path through a file): the root. Anything else is exit 7.
        if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) {
          throw ioError("read the worktree", wt, e);
        }
      }
    }
  }
  return store.root;
}

/** Whether config.json asks for passing evidence before review as well (`verify_on_review`). */
export function verifyOnReview(store: Store): boolean {
  const { raw, display } = store.checkConfig();
  const v = raw.verify_on_review;
  if (v === undefined) return false;
  if (typeof v !== "boolean") {
    throw badDataError(
      display,
      `"verify_on_review" must be true or false, not ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Why `t` may not move to `to` unverified: a sentence, or null when it may (no verify commands,
 * a status that needs none, or passing evidence for the code as it stands). Reads git; call it
 * inside the mutation, on the ticket read under the lock.
 */
export async function verificationGapFor(
  store: Store,
  t: TicketSummary,
  to: string,
): Promise<string | null> {
  if (verifyCommandsOf(t).length === 0) return null;
  if (to !== "done" && !(to === "review" && verifyOnReview(store))) return null;
  const state = await treeState(verifyDir(store, t));
  const key = verifyKey(store.dir, false, store.root);
  const valid = new Set<string>();
  if (key !== null) {
    const lines = t.extra.find(([k]) => k === EVIDENCE_KEY)?.[1] ?? [];
    for (const line of Array.isArray(lines) ? lines : [lines]) {
      const e = parseEvidence(line);
      if (e !== null && await evidenceMac(key, evidenceMessage(e)) === e.mac) valid.add(line);
    }
  }
  return verificationGap(t, state, (e) => valid.has(formatEvidence(e)));
}

/**
 * The verification rule for a status change, applied by every surface through updateTicket:
 * without passing evidence the move is refused (exit 3) naming what changed and `track verify T`;
 * with `force` it goes through and the ticket is marked unverified (returned: the new ticket).
 */
export async function assertMayFinish(
  store: Store,
  t: Ticket,
  to: string,
  options: { force: boolean; actor: string | null; now: Date },
): Promise<Ticket> {
  // Leaving done (reopened) or any other move drops an old mark; a passing move clears it too.
  const gap = await verificationGapFor(store, t, to);
  if (gap === null) return withExtra(t, UNVERIFIED_KEY, null);
  if (!options.force) {
    throw conflictError(
      `Cannot move "${t.id}" to ${to}: it is not verified as the code stands: ${gap}`,
      `track verify ${t.id}` + (options.actor === null ? "" : ` --agent ${options.actor}`),
      { ticket: t.id, to, reason: gap, needs_verify: true },
    );
  }
  return withExtra(
    t,
    UNVERIFIED_KEY,
    `forced to ${to} by ${options.actor ?? "human"} at ${isoSeconds(options.now)}: ${gap}`,
  );
}

/** One command's run, as `track verify` reports it. */
export interface VerifyRun {
  command: string;
  exit: number;
  ms: number;
  timed_out: boolean;
  head: string;
  tree: string;
  tail: string;
}

/** What `track verify` did. */
export interface VerifyResult {
  ticket: Ticket;
  dir: string;
  runs: VerifyRun[];
  passed: boolean;
}

/** Options of {@linkcode runVerify}. */
export interface VerifyOptions {
  agent: string | null;
  timeoutMs: number;
  /** Receives the commands' output line by line as it comes. */
  onLine: (line: string) => void;
}

/** Runs one command through `sh -c` in `dir`, in its own process group, killed at `timeoutMs`. */
export async function runCommand(
  command: string,
  dir: string,
  timeoutMs: number,
  onLine: (line: string) => void,
): Promise<{ exit: number; ms: number; timedOut: boolean; output: string }> {
  const start = performance.now();
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true, // its own process group, so a timeout kills everything it started
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // already gone
    }
  }, timeoutMs);
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      if (output.length > 64_000) output = output.slice(-32_000);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const l of lines) onLine(l);
    }
    pending += decoder.decode();
    if (pending !== "") onLine(pending);
  };
  const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - start);
  const exit = timedOut ? 124 : status.signal !== null ? 128 + 9 : status.code;
  return { exit: exit > 255 ? 255 : exit, ms, timedOut, output };
}

/**
 * `track verify T`: runs the ticket's verify commands in its holder's worktree, then records the
 * evidence (and a Work Log entry with each output tail) under the lock.
 */
export async function runVerify(
  store: Store,
  id: string,
  options: VerifyOptions,
  now: () => Date,
): Promise<VerifyResult> {
  const before = store.readTicket(id);
  const commands = verifyCommandsOf(before);
  if (commands.length === 0) {
    throw usageError(
      `Ticket "${id}" has no verify commands`,
      `track update ${id} --verify "deno task test"`,
    );
  }
  const dir = verifyDir(store, before);
  // The code the commands run on: taken before they run, so a command that changes the tree
  // (a formatter) leaves evidence that no longer matches, and the next run records the result.
  const state: TreeState = await treeState(dir);
  const runs: VerifyRun[] = [];
  for (const command of commands) {
    options.onLine(`$ ${command}`);
    const r = await runCommand(command, dir, options.timeoutMs, options.onLine);
    runs.push({
      command,
      exit: r.exit,
      ms: r.ms,
      timed_out: r.timedOut,
      head: state.head,
      tree: state.tree,
      tail: outputTail(r.output),
    });
    if (r.exit !== 0) break; // later commands would run on a known-bad tree
  }
  const at = now();
  const ticket = await store.mutate(`verify ${id}`, async (tx) => {
    let t = tx.readTicket(id);
    const current = verifyCommandsOf(t);
    const key = verifyKey(store.dir, true, store.root)!;
    const lines: string[] = [];
    for (const command of current) {
      const r = runs.find((x) => x.command === command);
      if (r === undefined) continue; // added meanwhile, or not run after a failure
      const e = { command, exit: r.exit, ms: r.ms, at: isoSeconds(at), ...state };
      lines.push(formatEvidence({ ...e, mac: await evidenceMac(key, evidenceMessage(e)) }));
    }
    t = withExtra(t, EVIDENCE_KEY, lines);
    const summary = runs.map((r) =>
      `verify "${r.command}": ${r.timed_out ? "timed out" : `exit ${r.exit}`} in ${
        (r.ms / 1000).toFixed(1)
      }s (HEAD ${r.head.slice(0, 10)}, tree ${r.tree})` +
      (r.tail === "" ? "" : "\n" + r.tail.split("\n").map((l) => "    " + l).join("\n"))
    ).join("\n");
    t = {
      ...t,
      updated: isoSeconds(at),
      body: appendLogEntry(t.body, {
        at: isoSeconds(at),
        agent: options.agent ?? "human",
        message: summary,
      }),
    };
    tx.writeTicket(t);
    if (options.agent !== null) touchAgent(tx, options.agent, at);
    return t;
  });
  return {
    ticket,
    dir,
    runs,
    passed: runs.length === commands.length && runs.every((r) => r.exit === 0),
  };
}
