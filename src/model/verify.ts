/**
 * Verified done, the pure half: a ticket's verify commands, the evidence `track verify` records,
 * and the rule deciding whether that evidence covers the code as it stands. All of it lives in
 * the ticket's front matter (keys `verify`, `evidence`, `unverified`; docs/format.md).
 *
 * An evidence line is `<exit> <ms>ms <at> head=<sha|none> tree=<hash> mac=<mac> <command>`,
 * one per verify command, written only by `track verify` under the lock. `mac` is an HMAC over
 * the rest of the line with a per-repository key kept outside the repository (store/verify_key.ts),
 * so a line typed into the file by hand does not count (docs/agents.md says what that does and
 * does not prevent).
 */
import type { FrontValue } from "./front_matter.ts";
import type { Ticket, TicketSummary } from "./ticket.ts";

/** Front matter key holding the verify commands (a list). */
export const VERIFY_KEY = "verify";
/** Front matter key holding the last run's evidence (a list, one line per command). */
export const EVIDENCE_KEY = "evidence";
/** Front matter key set when a ticket was forced to done without passing evidence. */
export const UNVERIFIED_KEY = "unverified";

/** The state of the code a run saw: git HEAD and a hash of the working tree's changes. */
export interface TreeState {
  /** `git rev-parse HEAD`, or "none" outside git or before the first commit. */
  head: string;
  /** Hash of the working-tree diff against HEAD plus untracked files (store/tree_state.ts). */
  tree: string;
}

/** One command's recorded run. */
export interface Evidence extends TreeState {
  command: string;
  exit: number;
  ms: number;
  /** UTC timestamp of the end of the run. */
  at: string;
  mac: string;
}

function extraValue(t: TicketSummary, key: string): FrontValue | undefined {
  return t.extra.find(([k]) => k === key)?.[1];
}

function asList(v: FrontValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The verify commands of a ticket, in order (empty: the ticket has none). */
export function verifyCommandsOf(t: TicketSummary): string[] {
  return asList(extraValue(t, VERIFY_KEY));
}

/** Why a forced done was not verified, or null. */
export function unverifiedOf(t: TicketSummary): string | null {
  const v = extraValue(t, UNVERIFIED_KEY);
  return typeof v === "string" ? v : null;
}

/** `t` with front matter key `key` set to `value` (null or an empty list removes it). */
export function withExtra<T extends TicketSummary | Ticket>(
  t: T,
  key: string,
  value: FrontValue,
): T {
  const extra = t.extra.filter(([k]) => k !== key);
  if (value !== null && !(Array.isArray(value) && value.length === 0)) extra.push([key, value]);
  extra.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ...t, extra };
}

/** The part of an evidence line the MAC covers (everything but the MAC). */
export function evidenceMessage(e: Omit<Evidence, "mac">): string {
  return `${e.exit} ${e.ms}ms ${e.at} head=${e.head} tree=${e.tree} ${e.command}`;
}

/** Formats an evidence line (one front matter list item). */
export function formatEvidence(e: Evidence): string {
  return `${e.exit} ${e.ms}ms ${e.at} head=${e.head} tree=${e.tree} mac=${e.mac} ${e.command}`;
}

const EVIDENCE =
  /^(\d{1,3}) (\d{1,12})ms (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) head=([0-9a-f]{4,64}|none) tree=([0-9a-f]{1,64}) mac=([0-9a-f]{1,64}) (.+)$/;

/** Parses an evidence line, or null when it is not one (then it never counts as passing). */
export function parseEvidence(line: string): Evidence | null {
  const m = EVIDENCE.exec(line);
  if (m === null) return null;
  return {
    exit: Number(m[1]),
    ms: Number(m[2]),
    at: m[3],
    head: m[4],
    tree: m[5],
    mac: m[6],
    command: m[7],
  };
}

/** The evidence lines of a ticket, parsed (unparseable lines are null). */
export function evidenceOf(t: TicketSummary): Array<Evidence | null> {
  return asList(extraValue(t, EVIDENCE_KEY)).map(parseEvidence);
}

/**
 * Why the recorded evidence does not cover the code as it stands (one sentence), or null when
 * every verify command has a passing run, with a valid MAC, on `now`'s HEAD and working tree.
 * `macOk` checks an evidence line's MAC.
 */
export function verificationGap(
  t: TicketSummary,
  now: TreeState,
  macOk: (e: Evidence) => boolean,
): string | null {
  const commands = verifyCommandsOf(t);
  if (commands.length === 0) return null;
  const runs = evidenceOf(t);
  for (const command of commands) {
    const e = runs.find((r) => r !== null && r.command === command) ?? null;
    if (e === null) return `"${command}" has no recorded run`;
    if (!macOk(e)) return `the evidence for "${command}" was not written by track verify`;
    if (e.exit !== 0) return `"${command}" failed (exit ${e.exit}) at ${e.at}`;
    if (e.head !== now.head) {
      return `HEAD moved since "${command}" passed (${short(e.head)} -> ${short(now.head)})`;
    }
    if (e.tree !== now.tree) {
      return `the working tree changed since "${command}" passed at ${e.at}`;
    }
  }
  return null;
}

function short(sha: string): string {
  return sha === "none" ? sha : sha.slice(0, 10);
}

/** The last lines of `text`, at most `lines` lines and `bytes` UTF-16 units, for a Work Log. */
export function outputTail(text: string, lines = 20, bytes = 4000): string {
  let tail = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
  if (tail.length > bytes) tail = tail.slice(tail.length - bytes);
  const all = tail.split("\n");
  // A Work Log body refuses NUL; every other control character is escaped on output.
  return all.slice(-lines).join("\n").replaceAll("\0", "\\u0000");
}
