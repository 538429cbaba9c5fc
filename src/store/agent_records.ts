/** Reading and writing agent records in `.track/agents/`. */
import { join } from "../model/path.ts";
import { badDataError, conflictError, ioError, TrackError } from "../model/errors.ts";
import { isoSeconds } from "../model/time.ts";
import { monotonicNow } from "./clock.ts";
import { linkError } from "./no_follow.ts";
import type { Store, Tx } from "./store.ts";
import {
  type Agent,
  AGENT_NAME,
  AgentFormatError,
  checkAgentName,
  parseAgent,
  serializeAgent,
} from "../model/agent.ts";

/** Path of an agent's record. */
export function agentPath(store: Store, id: string): string {
  return join(store.agentsDir, `${id}.json`);
}

/** Reads an agent record, or null when there is none. Exit 6 when unparseable. */
export function readAgent(store: Store, id: string): Agent | null {
  const path = agentPath(store, id);
  const display = store.display(path);
  const text = store.readText(path, display);
  if (text === null) return null;
  try {
    return parseAgent(text, id);
  } catch (e) {
    if (e instanceof AgentFormatError) throw badDataError(display, e.message);
    throw e;
  }
}

/** Reads all agent records, sorted by id; unreadable ones become warnings. */
export function readAllAgents(
  store: Store,
): { agents: Agent[]; problems: Array<{ file: string; error: TrackError }> } {
  const agents: Agent[] = [];
  const problems: Array<{ file: string; error: TrackError }> = [];
  let names: string[] = [];
  try {
    // Never listed through a link out of the store (no_follow.ts): reported like a file here.
    let linked = false;
    try {
      linked = Deno.lstatSync(store.agentsDir).isSymlink;
    } catch (e) {
      // Missing: the listing below says so (or lists what this transaction writes there).
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (linked) {
      throw linkError(store.dir, store.agentsDir, { action: "read", expected: "directory" });
    }
    names = store.listDir(store.agentsDir).map((e) => e.name).filter((n) =>
      n.endsWith(".json") && AGENT_NAME.test(n.slice(0, -5))
    ).sort();
  } catch (e) {
    if (e instanceof TrackError) {
      problems.push({ file: store.display(store.agentsDir), error: e });
    } else if (e instanceof Deno.errors.NotADirectory) {
      const display = store.display(store.agentsDir);
      problems.push({
        file: display,
        error: badDataError(display, "is a file where a directory should be"),
      });
    } else if (!(e instanceof Deno.errors.NotFound)) {
      throw ioError("list", store.display(store.agentsDir), e);
    }
  }
  for (const name of names) {
    try {
      const a = readAgent(store, name.slice(0, -5));
      if (a) agents.push(a);
    } catch (e) {
      if (!(e instanceof TrackError) || (e.kind === "io" && store.inTransaction)) throw e;
      problems.push({ file: store.display(join(store.agentsDir, name)), error: e });
    }
  }
  return { agents, problems };
}

/** Writes an agent record (inside a mutation). */
export function writeAgent(tx: Tx, agent: Agent): void {
  tx.writeFile(agentPath(tx.store, agent.id), serializeAgent(agent));
}

/** A fresh record for `id`. Every new agent is made here: exit 2 unless `id` is a valid name. */
export function newAgent(id: string, now: Date, capabilities: string[] = []): Agent {
  checkAgentName(id);
  const at = isoSeconds(now);
  return {
    id,
    status: "active",
    registered_at: at,
    last_heartbeat: at,
    capabilities,
    session_id: null,
    worktree: null,
    lost: [],
    heartbeat_clock: monotonicNow(),
    process: null,
    busy: [],
    waiting: null,
    extra: {},
  };
}

/**
 * The registered agent whose name equals `id` but for case ("Bob" for "bob"), or null. On a
 * case-insensitive file system (macOS, Windows) both names are one file.
 */
export function caseTwin(store: Store, id: string): string | null {
  const want = id.toLowerCase();
  return readAllAgents(store).agents.find((a) => a.id !== id && a.id.toLowerCase() === want)?.id ??
    null;
}

/** Exit 3 when `id` would be a new agent whose name equals a registered one but for case. */
function refuseCaseTwin(store: Store, id: string): void {
  const twin = caseTwin(store, id);
  if (twin === null) return;
  throw conflictError(
    `Cannot register agent "${id}": agent "${twin}" is already registered, and names that ` +
      `differ only in case are one file on macOS and Windows`,
    `act as "${twin}" (--agent ${twin}), or let track pick a free name: track register`,
    { agent: id, existing: twin },
  );
}

/**
 * {@linkcode readAgent} for a writer that is about to create or update `id`'s record: exit 3
 * instead of a new record when `id` equals a registered agent's name but for case.
 */
export function readAgentToWrite(store: Store, id: string): Agent | null {
  let existing: Agent | null;
  try {
    existing = readAgent(store, id);
  } catch (e) {
    // On a case-insensitive file system "Bob.json" opens "bob.json", whose id then differs.
    if (e instanceof TrackError && e.kind === "badData") refuseCaseTwin(store, id);
    throw e;
  }
  if (existing === null) refuseCaseTwin(store, id);
  return existing;
}

/**
 * Records that `id` is alive now (inside a mutation): registers it on the spot when unknown,
 * marks it active again when it was stale or deregistered. Returns the record written.
 */
export function touchAgent(tx: Tx, id: string, now: Date): Agent {
  tx.actAs(id);
  const existing = readAgentToWrite(tx.store, id);
  const agent = existing ?? newAgent(id, now);
  const here = tx.clone;
  if (here !== null) {
    if (agent.host && agent.host !== here) throw hostedElsewhere(id, agent.host, here);
    // A record from before sync (or an older track) is adopted by the first clone acting as it.
    agent.host = here;
  }
  agent.last_heartbeat = isoSeconds(now);
  agent.heartbeat_clock = monotonicNow();
  agent.status = "active";
  if (tx.store.synced) {
    // The heartbeat token's sequence (docs/sync.md "Leases across machines"): only the agent's
    // own clone increments it, so a merge keeps the newest heartbeat.
    const seq = agent.extra.heartbeat_seq;
    const next = typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0 ? seq + 1 : 1;
    agent.extra = Object.fromEntries(
      Object.entries({ ...agent.extra, heartbeat_seq: next }).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  }
  writeAgent(tx, agent);
  return agent;
}

/** Exit 3: acting as `id` here while clone `host` hosts it. */
export function hostedElsewhere(id: string, host: string, here: string): TrackError {
  return conflictError(
    `Cannot act as agent "${id}" on this clone (${here}): it is hosted by clone ${host}, ` +
      "another clone of this repository; an agent acts from one clone at a time; nothing was changed",
    `act as an agent of this clone (track register picks a free name), or move "${id}" here ` +
      `(its tickets on clone ${host} go back to the backlog): track register --agent ${id} --force`,
    { agent: id, host, clone: here },
  );
}
