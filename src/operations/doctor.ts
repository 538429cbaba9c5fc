/**
 * `track doctor`: a health check of one .track/ directory, and the repair of what is provably
 * debris. It reads through the same domain readers as every command; `--fix` works under the
 * store lock and never deletes or rewrites a ticket or a board entry. A symbolic link anywhere
 * in the store is reported (and never followed); while one is there `--fix` changes nothing,
 * as every writer refuses such a store (no_follow.ts).
 */
import { parentOf } from "../model/planning.ts";
import { join } from "../model/path.ts";
import { ioError, TrackError } from "../model/errors.ts";
import { agentPath, readAllAgents } from "../store/agent_records.ts";
import { readInbox } from "../store/inbox_records.ts";
import { AGENT_NAME } from "../model/agent.ts";
import { monotonicNow } from "../store/clock.ts";
import { FUTURE_TOLERANCE_MS, heartbeatAge } from "../model/clock.ts";
import { formatAge } from "../model/time.ts";
import { readBoard } from "./board.ts";
import { readReservations, releaseWhere } from "./reservations.ts";
import { isGlob, isRepoPattern } from "../model/reservation_paths.ts";
import { idNumber } from "../model/ids.ts";
import type { Ticket } from "../model/ticket.ts";
import { TEMP_SUFFIX } from "../store/atomic.ts";
import { networkFsType } from "../store/fs_type.ts";
import { exists } from "../store/discovery.ts";
import { inspectJournal } from "../store/journal.ts";
import { readLockHolder } from "../store/lock.ts";
import { findLinks } from "../store/no_follow.ts";
import { pidAlive, procStartTime } from "../store/processes.ts";
import type { Store } from "../store/store.ts";
import { holderOf } from "../model/holding.ts";
import { readSyncConfig, type SyncConfig, type SyncPaths } from "../store/sync_config.ts";
import type { RemoteFindingKind, RemoteReport } from "./doctor_remote.ts";

/** What kind of trouble a finding is. */
export type FindingKind =
  | "unparseable"
  | "missing-config"
  | "unjoined"
  | "temp-file"
  | "journal"
  | "runtime-file"
  | "missing-dependency"
  | "missing-parent"
  | "duplicate-id"
  | "stray-file"
  | "unknown-agent-reservation"
  | "bad-reservation-path"
  | "holder-mismatch"
  | "future-heartbeat"
  | "network-filesystem"
  | "symlink"
  | RemoteFindingKind;

/** One thing doctor noticed. */
export interface Finding {
  kind: FindingKind;
  /** The file concerned, as shown to users (`.track/tickets/T-0001.md`), or null. */
  file: string | null;
  /** 1-based line when known. */
  line: number | null;
  message: string;
  /** What to do about it: one line, usually the next command. */
  advice: string;
  /** Whether `--fix` may repair it (provable debris or derived state). */
  fixable: boolean;
  /** Whether this run repaired it. */
  fixed: boolean;
  /** Whether it only informs (never makes doctor exit 6). */
  warning: boolean;
}

/** State of the store lock as seen by doctor. */
export interface LockState {
  /** Whether some live process holds the lock right now. */
  held: boolean;
  /** Pid written by the last holder (a released or killed holder may leave it behind). */
  pid: number | null;
  command: string | null;
}

/** Result of a doctor run. */
export interface DoctorReport {
  findings: Finding[];
  lock: LockState;
  tickets: number;
  agents: number;
  /** The sync remote's checks (doctor_remote.ts), or null when sync is off. */
  remote: RemoteReport | null;
  /** True when nothing needs a person. */
  healthy: boolean;
}

/**
 * Kinds of finding that say the remote could not be used (git missing, unreachable, a stale
 * ref lock): when they are the only problems, doctor exits 8 like track sync, not 6.
 */
export const REMOTE_OUTAGE_KINDS: ReadonlySet<FindingKind> = new Set([
  "git",
  "remote-unreachable",
  "remote-ref-lock",
]);

const TEMP_NAME = /^\..+\.tmp$/;
const NEAR_TICKET = /^T-(\d+)\.md$/;

/** What to do about a finding of each kind, unless the finding says something more precise. */
const ADVICE: Record<FindingKind, string> = {
  "unparseable": "fix or restore the file by hand (git diff .track/), then run: track doctor",
  "missing-config": "restore it (git checkout -- .track/config.json), or: track init",
  "unjoined": "run track sync to join (or set sync up yourself: track remote add <remote name>)",
  "temp-file": "track doctor --fix (removes only such leftovers)",
  "journal":
    "track doctor --fix (completes the interrupted command, or discards a journal it never committed)",
  "runtime-file": "track doctor --fix (removes it); track serve -d starts the dashboard again",
  "missing-dependency": "track update T --remove-dep T-MISSING (or create the missing ticket)",
  "missing-parent": "track update T --parent none (or --parent T-EPIC)",
  "duplicate-id":
    "keep one of the two: move the other out of .track/tickets/ by hand (git log shows which is newer)",
  "stray-file": "none needed: track ignores it (move it out of .track/tickets/ to silence this)",
  "unknown-agent-reservation": "track doctor --fix (releases it)",
  "bad-reservation-path": "track doctor --fix (releases it)",
  "holder-mismatch":
    "track files --release PATH --agent AGENT (the holder's own reservations stay)",
  "future-heartbeat": "track stale --reclaim (a live agent repairs it: track heartbeat --agent A)",
  "symlink":
    "replace the link with a real file or directory (rm on the link removes only the link)",
  "network-filesystem":
    "keep .track/ on a local disk, or run every agent of this store on one machine",
  "git": "install git 2.20 or newer, then run: track doctor",
  "remote-unreachable": "check the network and the URL (track remote show), then: track doctor",
  "remote-state": "run track sync to see what it found",
  "remote-ref-lock": "if no push is running, remove the lock file named, then: track sync",
  "remote-protection": "protect the state ref on the remote (docs/sync.md)",
  "local-ref-lock": "if no git command is running, remove the lock file named, then: track sync",
};

/** Advice of a finding this run repaired. */
const FIXED_ADVICE = "none: fixed by this run";

function finding(
  kind: FindingKind,
  file: string | null,
  message: string,
  options: { line?: number | null; fixable?: boolean; warning?: boolean; advice?: string } = {},
): Finding {
  return {
    kind,
    file,
    line: options.line ?? null,
    message,
    advice: options.advice ?? ADVICE[kind],
    fixable: options.fixable ?? false,
    fixed: false,
    warning: options.warning ?? false,
  };
}

function isLinkPath(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false; // missing: nothing to list
  }
}

function listDir(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw ioError("list", dir, e);
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory ||
      e instanceof Deno.errors.PermissionDenied
    ) return false;
    throw e;
  }
}

/** Every directory of the store that may hold temp files (the store, its subdirectories, board days). */
function storeDirs(store: Store): string[] {
  const dirs = [store.dir];
  for (const e of listDir(store.dir)) {
    if (!e.isDirectory) continue;
    const sub = join(store.dir, e.name);
    dirs.push(sub);
    if (sub === store.boardDir) {
      for (const d of listDir(sub)) if (d.isDirectory) dirs.push(join(sub, d.name));
    }
  }
  return dirs;
}

function tempFiles(store: Store): string[] {
  const out: string[] = [];
  for (const dir of storeDirs(store)) {
    for (const e of listDir(dir)) {
      if (e.isFile && TEMP_NAME.test(e.name) && e.name.endsWith(TEMP_SUFFIX)) {
        out.push(join(dir, e.name));
      }
    }
  }
  return out.sort();
}

/** Runtime files of servers (`server.json`, `*.pid`) whose process is gone. */
function deadRuntimeFiles(store: Store): Array<{ path: string; pid: number | null }> {
  const out: Array<{ path: string; pid: number | null }> = [];
  for (const e of listDir(store.dir)) {
    if (!e.isFile || !(e.name === "server.json" || e.name.endsWith(".pid"))) continue;
    const path = join(store.dir, e.name);
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      // Under --fix an unreadable runtime file fails the repair rather than half of it.
      if (store.inTransaction && !(err instanceof Deno.errors.NotFound)) {
        throw ioError("read", store.display(path), err);
      }
      continue;
    }
    let pid: number | null = null;
    let procStart: string | null = null;
    if (e.name === "server.json") {
      try {
        const r = JSON.parse(text);
        pid = typeof r?.pid === "number" ? r.pid : null;
        procStart = typeof r?.proc_start === "string" ? r.proc_start : null;
      } catch {
        pid = null;
      }
    } else {
      const m = /^\s*(\d+)\s*$/.exec(text);
      pid = m ? Number(m[1]) : null;
    }
    // A runtime file naming no pid cannot be proven dead; it is left alone.
    // A live pid with another start time is a reused pid: the server that wrote the file is gone.
    const reused = pid !== null && procStart !== null && pidAlive(pid) &&
      Deno.build.os === "linux" && procStartTime(pid) !== null && procStartTime(pid) !== procStart;
    if (pid !== null && (!pidAlive(pid) || reused)) out.push({ path, pid });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Whether a live process holds the store lock right now (probes without waiting). */
export function probeLock(store: Store): LockState {
  const holder = readLockHolder(store.lockPath);
  let file: Deno.FsFile;
  try {
    // A link is never opened (no_follow.ts); doctor reports it as a finding.
    if (Deno.lstatSync(store.lockPath).isSymlink) return { held: false, pid: null, command: null };
    file = Deno.openSync(store.lockPath, { read: true });
  } catch {
    return { held: false, pid: null, command: null };
  }
  try {
    const free = file.tryLockSync(true);
    if (free) file.unlockSync();
    return free
      ? { held: false, pid: holder?.pid ?? null, command: holder?.command ?? null }
      : { held: true, pid: holder?.pid ?? null, command: holder?.command ?? null };
  } finally {
    file.close();
  }
}

function problemFinding(file: string, error: TrackError): Finding {
  const detail = error.detail as { line?: number | null; reason?: string } | null;
  return finding("unparseable", file, detail?.reason ?? error.message, {
    line: detail?.line ?? null,
    advice: error.hint ?? undefined,
  });
}

function checkTicketFiles(store: Store, findings: Finding[]): void {
  const canonical = new Set(store.ticketIds());
  for (const e of listDir(store.ticketsDir)) {
    if (TEMP_NAME.test(e.name)) continue;
    const display = store.display(join(store.ticketsDir, e.name));
    const m = NEAR_TICKET.exec(e.name);
    if (m && canonical.has(e.name.slice(0, -3))) continue;
    if (m) {
      const twin = `T-${String(Number(m[1])).padStart(4, "0")}`;
      if (canonical.has(twin) && idNumber(twin) !== null) {
        findings.push(
          finding("duplicate-id", display, `has the same number as ${twin}; one of them must go`),
        );
        continue;
      }
    }
    findings.push(
      finding(
        "stray-file",
        display,
        e.isFile
          ? "is not a ticket file name (T-0001.md); track ignores it"
          : "is not a regular file; track ignores it",
        { warning: true },
      ),
    );
  }
}

function checkDependencies(store: Store, tickets: Ticket[], findings: Finding[]): void {
  const ids = new Set(tickets.map((t) => t.id));
  const files = new Set(store.ticketIds());
  for (const t of tickets) {
    for (const dep of t.depends_on) {
      // A dependency on an unparseable ticket is already reported as unparseable.
      if (!ids.has(dep) && !files.has(dep)) {
        findings.push(
          finding(
            "missing-dependency",
            store.display(store.ticketPath(t.id)),
            `depends on "${dep}", which does not exist`,
            { advice: `track update ${t.id} --remove-dep ${dep}` },
          ),
        );
      }
    }
    // A parent (epic) that is neither a ticket nor archived: hand-edited, or lost in a merge.
    const parent = parentOf(t);
    if (parent !== null && !ids.has(parent) && !files.has(parent) && !store.isArchived(parent)) {
      findings.push(
        finding(
          "missing-parent",
          store.display(store.ticketPath(t.id)),
          `has parent "${parent}", which does not exist`,
          { advice: `track update ${t.id} --parent none` },
        ),
      );
    }
  }
}

/** One finding per symbolic link in the store, with what to do about it. */
function linkFindings(store: Store): Finding[] {
  return findLinks(store.dir).map(({ path, target, isDir }) => {
    const shown = store.display(path);
    const kind = isDir ? "directory" : "file";
    return finding(
      "symlink",
      shown,
      `is a symbolic link${target === null ? "" : ` to "${target}"`}; track never reads or ` +
        `writes through links inside the store and refuses to write while one is there`,
      {
        advice: `replace the link with a real ${kind} (a copy of what it points to, if that ` +
          `is yours; a committed link also leaves git with: git rm --cached "${shown}")`,
      },
    );
  });
}

/**
 * Runs every check; with `fix`, repairs provable debris under the store lock first. `now` is the
 * wall clock heartbeats are compared with. `sync`: the sync paths of the store's repository
 * (null outside git); when its sync.json says sync is on, the remote is checked too
 * (doctor_remote.ts; `--fix` never touches it). With sync off no git runs at all.
 */
export async function runDoctor(
  store: Store,
  options: {
    fix: boolean;
    now: Date;
    sync?: { paths: SyncPaths; timeoutMs?: number } | null;
  },
): Promise<DoctorReport> {
  const fixed: Finding[] = [];
  const links = linkFindings(store);
  // Findings that readers report about a link (or a path below one) are that link's finding.
  const linked = (file: string | null) =>
    file !== null && links.some((l) => file === l.file || file.startsWith(l.file + "/"));
  if (options.fix && links.length === 0) {
    await store.mutate("doctor --fix", (tx) => {
      // mutate() has already rolled a leftover journal forward (or discarded a torn one).
      if (tx.recovered !== null) {
        const { outcome, command, files } = tx.recovered;
        fixed.push({
          ...finding(
            "journal",
            tx.store.display(join(tx.store.dir, "journal")),
            outcome === "completed"
              ? `unfinished "${command}" of a killed writer completed (${files.join(", ")})`
              : "torn journal of a command that never committed discarded",
          ),
          fixable: true,
          fixed: true,
        });
      }
      // Under the lock every writer is excluded, so any temp file left is nobody's.
      for (const dir of storeDirs(tx.store)) {
        for (const file of tx.removeDebris(dir)) {
          fixed.push({
            ...finding("temp-file", file, "leftover temp file removed"),
            advice: FIXED_ADVICE,
            fixable: true,
            fixed: true,
          });
        }
      }
      for (const { path, pid } of deadRuntimeFiles(tx.store)) {
        tx.removeFile(path);
        fixed.push({
          ...finding(
            "runtime-file",
            tx.store.display(path),
            `runtime file of dead process ${pid} removed`,
          ),
          advice: FIXED_ADVICE,
          fixable: true,
          fixed: true,
        });
      }
      const { agents, problems } = readAllAgents(tx.store);
      const known = new Map(agents.map((a) => [a.id, a.status]));
      const unparseable = new Set(problems.map((p) => p.file.replace(/^.*\//, "").slice(0, -5)));
      // A path outside the repository protects nothing and no command can release it.
      for (const r of releaseWhere(tx, (r) => !isRepoPattern(r.path))) {
        fixed.push({
          ...finding(
            "bad-reservation-path",
            tx.store.display(tx.store.reservationsPath),
            `reservation of ${JSON.stringify(r.path)} by "${r.agent}", not a path in the ` +
              `repository, released`,
          ),
          advice: FIXED_ADVICE,
          fixable: true,
          fixed: true,
        });
      }
      const dropped = releaseWhere(tx, (r) =>
        !unparseable.has(r.agent) &&
        (known.get(r.agent) === undefined || known.get(r.agent) === "deregistered"));
      for (const r of dropped) {
        fixed.push({
          ...finding(
            "unknown-agent-reservation",
            tx.store.display(tx.store.reservationsPath),
            `reservation of "${r.path}" by unknown or deregistered agent "${r.agent}" released`,
          ),
          advice: FIXED_ADVICE,
          fixable: true,
          fixed: true,
        });
      }
    });
  }

  const findings: Finding[] = [...fixed, ...links];
  const fsType = networkFsType(store.dir);
  if (fsType !== null) {
    findings.push(
      finding(
        "network-filesystem",
        store.display(store.dir),
        `is on a network filesystem (${fsType}); its locks may not exclude other machines`,
        { warning: true },
      ),
    );
  }
  let journal: ReturnType<typeof inspectJournal> = null;
  try {
    journal = inspectJournal(store);
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    findings.push(problemFinding(store.display(join(store.dir, "journal")), e));
  }
  if (journal !== null) {
    findings.push(
      finding(
        "journal",
        store.display(join(store.dir, "journal")),
        journal.complete
          ? `"${journal.command}" was interrupted after it committed: the next write command or track doctor --fix completes it (${
            journal.files.join(", ")
          })`
          : "torn journal of a command that never committed: track doctor --fix discards it",
        { fixable: true },
      ),
    );
  }
  for (const path of tempFiles(store)) {
    findings.push(
      finding("temp-file", store.display(path), "leftover temp file of a killed writer", {
        fixable: true,
      }),
    );
  }
  for (const { path, pid } of deadRuntimeFiles(store)) {
    findings.push(
      finding("runtime-file", store.display(path), `names process ${pid}, which is not running`, {
        fixable: true,
      }),
    );
  }

  const ticketsLinked = linked(store.display(store.ticketsDir));
  const { tickets, problems } = ticketsLinked
    ? { tickets: [], problems: [] }
    : store.readAllTickets();
  for (const p of problems) findings.push(problemFinding(p.file, p.error));
  if (!ticketsLinked) {
    checkTicketFiles(store, findings);
    checkDependencies(store, tickets, findings);
  }

  const agentsRead = readAllAgents(store);
  for (const p of agentsRead.problems) findings.push(problemFinding(p.file, p.error));
  // Inbox records (inbox/<agent>.json): one that does not parse blocks posts to its agent.
  // (A linked inbox/ is never listed: the link findings name it.)
  const inboxDir = join(store.dir, "inbox");
  for (const e of isLinkPath(inboxDir) ? [] : listDir(inboxDir)) {
    if (!e.isFile || !e.name.endsWith(".json") || !AGENT_NAME.test(e.name.slice(0, -5))) continue;
    try {
      readInbox(store, e.name.slice(0, -5));
    } catch (err) {
      if (!(err instanceof TrackError)) throw err;
      findings.push(problemFinding(store.display(join(store.dir, "inbox", e.name)), err));
    }
  }
  const agents = new Map(agentsRead.agents.map((a) => [a.id, a]));
  const brokenAgents = new Set(
    agentsRead.problems.map((p) => p.file.replace(/^.*\//, "").slice(0, -5)),
  );
  const mono = monotonicNow();
  for (const a of agentsRead.agents) {
    if (a.status !== "active") continue;
    const age = heartbeatAge({ wall: a.last_heartbeat, mono: a.heartbeat_clock }, {
      wall: options.now,
      mono,
    });
    if (!age.future) continue;
    findings.push(
      finding(
        "future-heartbeat",
        store.display(agentPath(store, a.id)),
        `agent "${a.id}" has a heartbeat dated in the future (last_heartbeat ${a.last_heartbeat}, ` +
          `${age.source} ahead by more than ${
            formatAge(FUTURE_TOLERANCE_MS)
          }): a fake or wrong clock wrote it, so track stale ` +
          `counts it as stale (hint: track stale --reclaim; a live agent repairs it with ` +
          `track heartbeat --agent ${a.id})`,
        {
          advice:
            `track stale --reclaim (a live agent repairs it: track heartbeat --agent ${a.id})`,
        },
      ),
    );
  }

  try {
    store.readConfig();
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    const f = problemFinding(store.display(store.configPath), e);
    // Without it, no other command opens this store.
    if (e.kind === "notFound") {
      // Schema 2 in a clone where sync is not on yet (sync_config.ts unjoinedError).
      findings.push(finding("unjoined", f.file, e.message, { advice: e.hint ?? undefined }));
    } else findings.push(exists(store.configPath) ? f : { ...f, kind: "missing-config" });
  }

  const board = readBoard(store, { last: Number.MAX_SAFE_INTEGER });
  for (const w of board.warnings) {
    const m = /^Cannot read "([^"]+?)(?::(\d+))?": (.*)$/s.exec(w);
    findings.push(
      m
        ? finding("unparseable", m[1], m[3], { line: m[2] ? Number(m[2]) : null })
        : finding("unparseable", null, w),
    );
  }

  const byId = new Map(tickets.map((t) => [t.id, t]));
  let reservations: ReturnType<typeof readReservations> = [];
  try {
    reservations = readReservations(store);
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    findings.push(problemFinding(store.display(store.reservationsPath), e));
  }
  const resDisplay = store.display(store.reservationsPath);
  for (const r of reservations) {
    if (!isRepoPattern(r.path)) {
      findings.push(
        finding(
          "bad-reservation-path",
          resDisplay,
          `${JSON.stringify(r.path)} (reserved by "${r.agent}" for ${r.ticket}) is not a path in ` +
            `the repository: absolute, outside it or not normalised; it protects nothing`,
          { fixable: true },
        ),
      );
      continue;
    }
    if (!isGlob(r.path) && isDirectory(join(store.root, r.path))) {
      findings.push(
        finding(
          "bad-reservation-path",
          resDisplay,
          `"${r.path}" (reserved by "${r.agent}" for ${r.ticket}) names a directory but covers ` +
            `only that name: a directory is reserved as "${r.path}/**"`,
          {
            warning: true,
            advice: `track files --add '${r.path}/**' --agent ${r.agent} --ticket ${r.ticket}`,
          },
        ),
      );
    }
    if (brokenAgents.has(r.agent)) continue;
    const a = agents.get(r.agent);
    if (a === undefined || a.status === "deregistered") {
      findings.push(
        finding(
          "unknown-agent-reservation",
          resDisplay,
          `"${r.path}" is reserved by ${a ? "deregistered" : "unknown"} agent "${r.agent}"`,
          { fixable: true },
        ),
      );
      continue;
    }
    const t = byId.get(r.ticket);
    // Anyone may hold a shared reservation; an exclusive one of a non-holder came from --force
    // (or an older version): it takes the ticket out of others' `next`, so say so.
    if (
      t !== undefined && t.claimed_by !== r.agent && t.status !== "done" && r.mode === "exclusive"
    ) {
      findings.push(
        finding(
          "holder-mismatch",
          resDisplay,
          `"${r.agent}" reserves "${r.path}" exclusively for ${r.ticket}, but ${r.ticket} is ${
            t.claimed_by === null ? "unclaimed" : `held by "${t.claimed_by}"`
          }; others' next skips it`,
          { advice: `track files --release '${r.path}' --agent ${r.agent}`, warning: true },
        ),
      );
    }
  }
  for (const t of tickets) {
    const holder = holderOf(t);
    if (holder === null || brokenAgents.has(holder)) continue;
    const a = agents.get(holder);
    if (a === undefined || a.status === "deregistered") {
      findings.push(
        finding(
          "holder-mismatch",
          store.display(store.ticketPath(t.id)),
          `is ${t.status} by "${t.claimed_by}", which is ${
            a ? "deregistered" : "not a registered agent"
          }`,
          { advice: `track update ${t.id} --status backlog --force` },
        ),
      );
    }
  }

  let remote: RemoteReport | null = null;
  let config: SyncConfig | null = null;
  try {
    config = options.sync ? readSyncConfig(options.sync.paths) : null;
  } catch (e) {
    if (!(e instanceof TrackError)) throw e;
    findings.push(problemFinding(options.sync!.paths.config, e));
  }
  if (options.sync && config !== null) {
    // A sync store's oplog and clone id: one that does not read refuses every write.
    const { OPLOG_FILE, readCloneId, readOplog } = await import("../store/oplog.ts");
    for (const check of [() => readOplog(store.dir, 0), () => readCloneId(options.sync!.paths)]) {
      try {
        check();
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        const file = (e.detail as { file?: string } | null)?.file ?? join(store.dir, OPLOG_FILE);
        findings.push(problemFinding(file, e));
      }
    }
    const { checkRemote } = await import("./doctor_remote.ts");
    remote = await checkRemote(options.sync.paths, config, {
      now: options.now,
      timeoutMs: options.sync.timeoutMs,
    });
    for (const r of remote.findings) {
      findings.push(
        finding(r.kind, r.file, r.message, { advice: r.advice, warning: r.warning }),
      );
    }
  }

  const lock = probeLock(store);
  const shown = findings.filter((f) => f.kind === "symlink" || !linked(f.file));
  return {
    findings: shown,
    lock,
    tickets: tickets.length,
    agents: agents.size,
    remote,
    healthy: shown.every((f) => f.fixed || f.warning),
  };
}
