/**
 * What the sync suites (tests/suites/sync_*_test.ts) share: reading a clone's synced state,
 * syncing clones until they agree, and the checks "identical state", "no conflict marker",
 * "the state ref is a complete commit".
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../assert.ts";
import { testCommand } from "../helpers.ts";
import { type Clone, gitVars, Lines, type Outcome, type SyncWorld } from "../sync_world.ts";
import { parseTicket, type Ticket } from "../../src/model/ticket.ts";
import type { AgentOutcome, AgentRound } from "./sync_agent.ts";

const AGENT = fileURLToPath(new URL("./sync_agent.ts", import.meta.url));

/** Store paths that sync (docs/sync.md): tickets, archive, board, agents, reservations. */
const SYNCED = /^(tickets\/|archive\/|board\/|agents\/|reservations\.json$)/;

/** Every synced file of a clone's store: store-relative path -> text. */
export function syncedFiles(clone: Clone): Map<string, string> {
  const root = clone.storeDir;
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (SYNCED.test(p) && !e.name.startsWith(".")) {
        out.set(p, Deno.readTextFileSync(`${root}/${p}`));
      }
    }
  };
  walk("");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The tickets of a clone (tickets/ and archive/), parsed; a file that does not parse throws. */
export function ticketsOf(clone: Clone): Ticket[] {
  const out: Ticket[] = [];
  for (const [path, text] of syncedFiles(clone)) {
    const m = /^(?:tickets|archive)\/(T-\d+)\.md$/.exec(path);
    if (m) out.push(parseTicket(text, m[1]));
  }
  return out;
}

/** Every board file of a clone, concatenated (for "is this text on the board"). */
export function boardOf(clone: Clone): string {
  return [...syncedFiles(clone)].filter(([p]) => p.startsWith("board/")).map(([, t]) => t)
    .join("\n");
}

/** Lines that look like a line merge's conflict markers, with their file. */
export function conflictMarkers(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    for (const line of text.split("\n")) {
      if (/^(<{7}|={7}|>{7}|\|{7})( |$)/.test(line)) out.push(`${path}: ${line}`);
    }
  }
  return out;
}

/** `track sync` in `clone`, failing the test unless it exits 0. */
export async function syncOk(clone: Clone, env?: Record<string, string>): Promise<Outcome> {
  const r = await clone.sync([], { env });
  assertEquals(r.code, 0, `${clone.name}: track sync exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

/**
 * Syncs every clone in `order` round after round until one whole round leaves the remote's
 * state ref where it was (every clone has fetched the last push); returns the rounds it took.
 * Fails if any sync exits non-zero or if `maxRounds` pass without agreement.
 */
export async function converge(world: SyncWorld, order: Clone[], maxRounds = 4): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    const before = await world.remoteRef();
    for (const c of order) await syncOk(c);
    if (round > 1 && (await world.remoteRef()) === before) return round;
  }
  throw new Error(`clones ${order.map((c) => c.name)} did not agree in ${maxRounds} rounds`);
}

/** Every clone holds the same synced files (byte for byte) as the first. */
export function assertSameState(clones: Clone[]): void {
  const first = syncedFiles(clones[0]);
  for (const c of clones.slice(1)) {
    const other = syncedFiles(c);
    const diff: string[] = [];
    for (const p of new Set([...first.keys(), ...other.keys()])) {
      if (first.get(p) !== other.get(p)) diff.push(p);
    }
    assertEquals(diff, [], `${clones[0].name} and ${c.name} differ`);
  }
}

/**
 * The remote's state ref names a complete commit: every object it reaches is present
 * (`git rev-list --objects` reads them all) and its tree has meta.json (the wire layout).
 */
export async function assertCompleteState(world: SyncWorld, ref = "refs/track/state") {
  const oid = await world.remoteRef(ref);
  assert(oid !== null, `the remote has no ${ref}`);
  const objects = await world.bareGit(["rev-list", "--objects", "--missing=error", oid!]);
  assertEquals(objects.code, 0, `state ${oid} is not complete: ${objects.stderr}`);
  const meta = await world.bareGit(["cat-file", "-e", `${oid}:meta.json`]);
  assertEquals(meta.code, 0, `state ${oid} has no meta.json`);
  return oid!;
}

/** The tenure id of a ticket (`claim_id` in its front matter, part 2 of sync), or null. */
export function claimIdOf(t: Ticket): string | null {
  const own = (t as unknown as { claim_id?: unknown }).claim_id;
  const v = own ?? t.extra.find(([k]) => k === "claim_id")?.[1] ?? null;
  return v === null ? null : String(v);
}

/**
 * Long-lived agent processes (tests/suites/sync_agent.ts), each inside its clone: one round
 * writes every agent's line at once (their stdin is the gate they wait on), then reads every
 * answer.
 */
export class AgentPool implements AsyncDisposable {
  #children: Deno.ChildProcess[];
  #lines: Lines[];
  #writers: WritableStreamDefaultWriter<Uint8Array>[];
  #stderr: Promise<string>[];

  private constructor(readonly agents: Array<{ clone: Clone; name: string }>) {
    this.#children = agents.map(({ clone }) =>
      clone.world.spawn([Deno.execPath(), "run", "-A", "--quiet", AGENT], {
        cwd: clone.dir,
        stdin: "",
      })
    );
    this.#lines = this.#children.map((c) => new Lines(c.stdout));
    this.#writers = this.#children.map((c) => c.stdin.getWriter());
    this.#stderr = this.#children.map((c) => new Response(c.stderr).text());
  }

  /** Starts one process per agent and waits until every one has loaded track. */
  static async start(agents: Array<{ clone: Clone; name: string }>): Promise<AgentPool> {
    const pool = new AgentPool(agents);
    await Promise.all(pool.#lines.map((l, i) => l.until(/^ready$/, `agent ${agents[i].name}`)));
    return pool;
  }

  /**
   * One round: agent i runs `rounds[i]` in its clone (null: it sits out). Every line is written
   * before any answer is awaited, so the agents start together.
   */
  async round(
    rounds: Array<Omit<AgentRound, "cwd"> | null>,
  ): Promise<Array<AgentOutcome[] | null>> {
    const enc = new TextEncoder();
    const payloads = rounds.map((r, i) =>
      r === null ? null : enc.encode(JSON.stringify({ ...r, cwd: this.agents[i].clone.dir }) + "\n")
    );
    await Promise.all(payloads.map((p, i) => (p === null ? null : this.#writers[i].write(p))));
    return await Promise.all(payloads.map(async (p, i) => {
      if (p === null) return null;
      const line = await this.#lines[i].next();
      if (line === null) {
        throw new Error(`agent ${this.agents[i].name} exited: ${await this.#stderr[i]}`);
      }
      return JSON.parse(line) as AgentOutcome[];
    }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.close().catch(() => {})));
    await Promise.all(this.#children.map((c) => c.status));
    await Promise.all(this.#stderr);
  }
}

/** A ticket as one commit of the state ref has it (the claim group). */
export interface StateTicket {
  status: string;
  claimed_by: string | null;
  claim_id: string | null;
  claim_epoch: number;
  /** The whole file (for "is this Work Log line there"). */
  text: string;
}

/** One commit of the state ref's first-parent history and the tickets of its tree. */
export interface StateCommit {
  oid: string;
  tickets: Map<string, StateTicket>;
}

/**
 * The first-parent history of the remote's state ref, oldest first, with every commit's tickets
 * (tickets/ and archive/ of the wire layout): one `git log --raw` and one `git cat-file
 * --batch` in the bare repository, whatever the length of the history.
 */
export async function stateHistory(
  world: SyncWorld,
  ref = "refs/track/state",
): Promise<StateCommit[]> {
  const log = await world.bareGit([
    "log",
    "--first-parent",
    "--reverse",
    "--root",
    "--raw",
    "--no-renames",
    "--no-abbrev",
    "--format=%x00%H",
    ref,
  ]);
  assertEquals(log.code, 0, `git log ${ref}: ${log.stderr}`);
  const WIRE_TICKET = /^(?:tickets|archive)\/\d\d\/(T-\d+)\.md$/;
  const steps: Array<{ oid: string; changes: Array<[string, string | null]> }> = [];
  for (const chunk of log.stdout.split("\0").slice(1)) {
    const [oid, ...lines] = chunk.split("\n");
    const changes: Array<[string, string | null]> = [];
    for (const line of lines) {
      const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) ([A-Z])\d*\t(.+)$/.exec(line);
      if (m === null) continue;
      const t = WIRE_TICKET.exec(m[3]);
      if (t === null) continue;
      // A move between tickets/ and archive/ is a delete and an add of the same id.
      changes.push([`${m[3].split("/")[0]}:${t[1]}`, m[2] === "D" ? null : m[1]]);
    }
    steps.push({ oid: oid.trim(), changes });
  }
  const blobs = [...new Set(steps.flatMap((s) => s.changes.map(([, b]) => b)))]
    .filter((b): b is string => b !== null);
  const texts = await catBlobs(world, blobs);
  const out: StateCommit[] = [];
  const files = new Map<string, string>(); // "tickets:T-0001" -> blob
  const parsed = new Map<string, StateTicket>(); // blob -> ticket
  for (const step of steps) {
    for (const [key, blob] of step.changes) {
      if (blob === null) files.delete(key);
      else files.set(key, blob);
    }
    const tickets = new Map<string, StateTicket>();
    for (const [key, blob] of files) {
      const id = key.split(":")[1];
      let st = parsed.get(blob);
      if (st === undefined) {
        const text = texts.get(blob)!;
        const t = parseTicket(text, id);
        st = {
          status: t.status,
          claimed_by: t.claimed_by,
          claim_id: claimIdOf(t),
          claim_epoch: t.claim_epoch,
          text,
        };
        parsed.set(blob, st);
      }
      tickets.set(id, st);
    }
    out.push({ oid: step.oid, tickets });
  }
  return out;
}

/** The contents of `blobs` in the bare repository, by one `git cat-file --batch`. */
async function catBlobs(world: SyncWorld, blobs: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (blobs.length === 0) return out;
  const child = testCommand("git", {
    args: ["--git-dir", world.bare, "cat-file", "--batch"],
    env: gitVars(world.home),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  const writing = w.write(new TextEncoder().encode(blobs.join("\n") + "\n")).then(() => w.close());
  const res = await child.output();
  await writing;
  assert(res.success, `git cat-file --batch: ${new TextDecoder().decode(res.stderr)}`);
  const bytes = res.stdout;
  const dec = new TextDecoder();
  let off = 0;
  for (const blob of blobs) {
    const nl = bytes.indexOf(10, off);
    const header = dec.decode(bytes.subarray(off, nl));
    const [oid, type, len] = header.split(" ");
    assertEquals([oid, type], [blob, "blob"], `cat-file answered ${header}`);
    const n = Number(len);
    out.set(blob, dec.decode(bytes.subarray(nl + 1, nl + 1 + n)));
    off = nl + 1 + n + 1;
  }
  return out;
}

/** One tenure seen on the state ref: its ticket and the one agent it was granted to. */
export interface Tenure {
  ticket: string;
  agent: string;
  /** The first commit that carries it. */
  commit: string;
}

/**
 * A tenure replaced by a new one of the same agent while it held the ticket: an agent that
 * claims again a ticket whose earlier claim it was never told it won (its claim was killed, or
 * withdrawn with exit 8 and published after all). No second agent holds it, so this is not a
 * double grant, unless the replaced tenure was told exit 0 ({@linkcode checkGrants}).
 */
export interface Regrant {
  ticket: string;
  agent: string;
  from: string | null;
  to: string;
  at: string;
}

/**
 * Reads the tenures of a first-parent history and every way it shows a tenure granted twice:
 * a `claim_id` held by two agents or on two tickets; a ticket whose `claim_id` changed while the
 * parent commit showed another agent holding it (a claim over a live holder: the suites publish
 * every release before the next claim of that clone starts); a holder that changed without a
 * new `claim_id`; a `claim_id` that came back after another replaced it; a ticket held without a
 * `claim_id`. A new tenure of the agent that held the ticket is listed in `regrants`.
 */
export function tenures(
  history: StateCommit[],
): { tenures: Map<string, Tenure>; problems: string[]; regrants: Regrant[] } {
  const out = new Map<string, Tenure>();
  const problems: string[] = [];
  const regrants: Regrant[] = [];
  const past = new Map<string, Set<string>>(); // ticket -> claim_ids it has had
  let prev = new Map<string, StateTicket>();
  for (const c of history) {
    for (const [id, t] of c.tickets) {
      const p = prev.get(id);
      const at = `${id} at ${c.oid.slice(0, 10)}`;
      if (t.claimed_by !== null && t.claim_id === null) {
        problems.push(`${at}: held by ${t.claimed_by} without a claim_id`);
      }
      if (t.claim_id !== null && t.claimed_by !== null) {
        const known = out.get(t.claim_id);
        if (known === undefined) {
          out.set(t.claim_id, { ticket: id, agent: t.claimed_by, commit: c.oid });
        } else if (known.ticket !== id || known.agent !== t.claimed_by) {
          problems.push(
            `${at}: claim_id ${t.claim_id} held by ${t.claimed_by}, granted to ${known.agent} on ` +
              `${known.ticket} at ${known.commit.slice(0, 10)}`,
          );
        }
      }
      if (p === undefined) continue;
      if (t.claim_id !== p.claim_id && t.claim_id !== null) {
        if (p.claimed_by !== null && p.claimed_by === t.claimed_by) {
          regrants.push({ ticket: id, agent: p.claimed_by, from: p.claim_id, to: t.claim_id, at });
        } else if (p.claimed_by !== null) {
          problems.push(
            `${at}: claim_id ${p.claim_id} -> ${t.claim_id} (${t.claimed_by}) while ` +
              `${p.claimed_by} held it in the parent commit`,
          );
        }
        if (past.get(id)?.has(t.claim_id)) {
          problems.push(`${at}: claim_id ${t.claim_id} came back`);
        }
      } else if (
        t.claim_id === p.claim_id && p.claimed_by !== null && t.claimed_by !== null &&
        t.claimed_by !== p.claimed_by
      ) {
        problems.push(`${at}: holder ${p.claimed_by} -> ${t.claimed_by} without a new claim_id`);
      }
      if (p.claim_id !== null) {
        if (!past.has(id)) past.set(id, new Set());
        past.get(id)!.add(p.claim_id);
      }
    }
    prev = c.tickets;
  }
  return { tenures: out, problems, regrants };
}

/** A claim or `next` some agent was told exit 0 for. */
export interface Grant {
  agent: string;
  ticket: string;
  claim_id: string;
  /** Where it was said (for messages). */
  where: string;
}

/**
 * Reads the grant of a `claim`/`next --json` that exited 0: the contract of part 2 (a confirmed
 * grant says `"confirmed": true`; its ticket carries its `claim_id`). When the JSON does not
 * carry the `claim_id`, it is read from the ticket file in `clone` (the agent's own clone, read
 * right after the round: in these suites no one else changes a ticket its agent holds). Throws on
 * anything else.
 */
export function grantOf(
  agent: string,
  stdout: string,
  where: string,
  clone: Clone,
): Grant & { already: boolean } {
  const out = JSON.parse(stdout) as {
    ticket: Ticket & { claim_id?: string };
    already?: boolean;
    confirmed?: boolean;
    claim_id?: string;
  };
  assertEquals(out.confirmed, true, `${where}: exit 0 without "confirmed": true: ${stdout}`);
  assertEquals(out.ticket.claimed_by, agent, `${where}: exit 0 for ${agent}: ${stdout}`);
  let claimId = out.ticket.claim_id ?? out.claim_id;
  if (claimId === undefined) {
    const file = `${clone.storeDir}/tickets/${out.ticket.id}.md`;
    const t = parseTicket(Deno.readTextFileSync(file), out.ticket.id);
    assertEquals(t.claimed_by, agent, `${where}: ${file} after exit 0 for ${agent}`);
    claimId = claimIdOf(t) ?? undefined;
  }
  assert(typeof claimId === "string" && claimId !== "", `${where}: no claim_id: ${stdout}`);
  return { agent, ticket: out.ticket.id, claim_id: claimId, where, already: out.already === true };
}

/**
 * Checks exit-0 grants against the state ref's tenures (`seen`, from {@linkcode tenures}): every
 * one was published (its claim_id is on the first-parent history, on its ticket, for its agent),
 * no claim_id was told to two agents, and no tenure told exit 0 was replaced by a new one while
 * its agent held it (its writes would be fenced). Returns the problems found.
 */
export function checkGrants(
  grants: Grant[],
  all: { tenures: Map<string, Tenure>; regrants: Regrant[] },
): string[] {
  const seen = all.tenures;
  const problems: string[] = [];
  const toldZero = new Map(grants.map((g) => [g.claim_id, g]));
  for (const r of all.regrants) {
    const g = r.from === null ? undefined : toldZero.get(r.from);
    if (g !== undefined) {
      problems.push(
        `${r.at}: ${r.from}, told exit 0 to ${g.agent} (${g.where}), replaced by ${r.to} while ` +
          `${r.agent} held it`,
      );
    }
  }
  const told = new Map<string, Grant>();
  for (const g of grants) {
    const other = told.get(g.claim_id);
    if (other !== undefined && (other.agent !== g.agent || other.ticket !== g.ticket)) {
      problems.push(
        `claim_id ${g.claim_id} told to ${other.agent} (${other.where}) and ${g.agent} (${g.where})`,
      );
    }
    told.set(g.claim_id, g);
    const t = seen.get(g.claim_id);
    if (t === undefined) problems.push(`${g.where}: exit 0 but ${g.claim_id} never published`);
    else if (t.ticket !== g.ticket || t.agent !== g.agent) {
      problems.push(`${g.where}: ${g.claim_id} published as ${t.agent} on ${t.ticket}`);
    }
  }
  return problems;
}

/** p-quantile of numbers (nearest rank), rounded to whole ms. */
export function quantileMs(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]);
}
