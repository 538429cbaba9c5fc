/**
 * The deliberate bugs `deno task mutants` plants (scripts/mutants.ts), one per guarantee, each
 * with the suite that must fail on it. `find` must occur exactly once in `file`
 * (scripts/mutants_test.ts checks that on every run, so the list cannot go stale silently).
 * Replacements keep the code type-correct: a type error would "kill" a mutant for the wrong
 * reason, so the runner refuses one that does not type-check.
 */

/** One planted bug. */
export interface Mutant {
  /** Short name, for the command line and the table. */
  name: string;
  /** The guarantee it breaks, in a few words. */
  breaks: string;
  /** File to change, relative to the repository root. */
  file: string;
  /** Exact text to replace (must occur exactly once). */
  find: string;
  replace: string;
  /** The suite named for that guarantee, which must fail. */
  suite: string;
}

export const MUTANTS: Mutant[] = [
  {
    name: "claim-theft",
    breaks: "a claim takes a claimed ticket from its live holder",
    file: "src/operations/claims.ts",
    find: `if (!force || ticket.status === "done") {`,
    replace: `if ((!force && ticket.status !== "claimed") || ticket.status === "done") {`,
    suite: "tests/suites/claims_test.ts",
  },
  {
    name: "fencing-skipped",
    breaks: "a holder whose claim was taken still writes to the ticket",
    file: "src/operations/fencing.ts",
    find: `  if (!lost) return;\n`,
    replace: `  if (agent !== "" || !lost) return; // mutant\n`,
    suite: "tests/suites/claims_test.ts",
  },
  {
    name: "lock-not-taken",
    breaks: "writers run without the store lock",
    file: "src/store/store.ts",
    find:
      `const lock = await acquireLock(this.lockPath, { timeoutMs: this.#lockTimeoutMs, command })\n`,
    replace: `const lock = await Promise.resolve({ release() {}, acquireLock }) // mutant\n`,
    suite: "tests/suites/lost_updates_test.ts",
  },
  {
    name: "overlap-always-false",
    breaks: "overlapping exclusive reservations both granted",
    file: "src/model/reservation_paths.ts",
    find: `export function patternsOverlap(a: string, b: string): boolean {\n`,
    replace:
      `export function patternsOverlap(a: string, b: string): boolean {\n  if (a !== "\\0") return false; // mutant\n`,
    suite: "tests/suites/reservations_test.ts",
  },
  {
    name: "heartbeat-wall-clock-only",
    breaks: "heartbeat age ignores the boot clock, so a clock jump takes live claims",
    file: "src/model/clock.ts",
    find:
      `if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === now.mono.boot) {`,
    replace:
      `if (heartbeat.mono !== null && now.mono !== null && heartbeat.mono.boot === "mutant") {`,
    suite: "tests/suites/clock_test.ts",
  },
  {
    name: "parse-error-rewrites",
    breaks: "an agent file that does not parse is replaced by a fresh record",
    file: "src/store/agent_records.ts",
    find: `if (e instanceof AgentFormatError) throw badDataError(display, e.message);`,
    replace: `if (e instanceof AgentFormatError) return null; // mutant`,
    suite: "tests/suites/malformed_test.ts",
  },
  {
    name: "read-rewrites-ticket",
    breaks: "a read command rewrites a ticket file it read (reformatting it)",
    file: "src/store/store.ts",
    find: `      : readTextStrict(path, display, this.dir);
    return text === null ? null : { ticket: parsedTicket(text, id, display), text };`,
    replace: `      : readTextStrict(path, display, this.dir);
    if (text === null) return null;
    const t = parsedTicket(text, id, display); // mutant: "tidy" the file on read
    if (serializeTicket(t) !== text) Deno.writeTextFileSync(path, serializeTicket(t));
    return { ticket: t, text };`,
    suite: "tests/suites/malformed_test.ts",
  },
  {
    name: "sync-claim-ours-wins",
    breaks: "the claim group both sides changed takes ours, not the published one",
    file: "src/model/sync_merge.ts",
    find: "if (hasBase && gt === gb) claimFrom = o;",
    replace: "if ((hasBase && gt === gb) || go !== gt) claimFrom = o; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-scalar-silent",
    breaks: "a scalar both sides changed drops ours without a Work Log line",
    file: "src/model/sync_merge.ts",
    find: "      logLines.push(line);\n",
    replace: "      void line; // mutant\n",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-set-union",
    breaks: "a label or dependency removed on one side comes back (union, not 3-way)",
    file: "src/model/sync_merge.ts",
    find: "for (const x of t) if (inO.has(x) || !inB.has(x)) add(x);",
    replace: "for (const x of t) add(x); // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-updated-theirs",
    breaks: "updated is taken from theirs, not the later of the two",
    file: "src/model/sync_merge.ts",
    find: "m.updated = time(o.updated) > time(t.updated) ? o.updated : t.updated;",
    replace: "m.updated = t.updated; // mutant\n  void time;",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-log-drops-ours",
    breaks: "our first new Work Log entry is lost",
    file: "src/model/sync_merge.ts",
    find: "for (const block of added) body = appendBlock(body, block);",
    replace: "for (const block of added.slice(1)) body = appendBlock(body, block); // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-log-doubles",
    breaks: "a Work Log entry both sides added appears twice",
    file: "src/model/sync_merge.ts",
    find: "if (n <= Math.max(inBase.get(block) ?? 0, inTheirs.get(block) ?? 0)) continue;",
    replace: "if (n <= (inBase.get(block) ?? 0)) continue; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-section-conflict-silent",
    breaks: "our text of a conflicting body region is not posted",
    file: "src/model/sync_merge.ts",
    find: "for (const c of r.conflicts) {",
    replace: "for (const c of r.conflicts.slice(1)) { // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-section-no-line-merge",
    breaks: "edits to separate lines of a section: ours is dropped",
    file: "src/model/sync_merge.ts",
    find: 'pre = r.lines.join("\\n");',
    replace: "pre = st.pre; // mutant\n      void r.lines;",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-delete-wins",
    breaks: "our deletion beats the remote's change of a file",
    file: "src/model/sync_merge.ts",
    find: "    if (o === undefined) {\n      // We deleted it, they changed it: keep theirs.\n",
    replace: "    if (o === undefined) {\n      if (t !== null) return undefined; // mutant\n",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-repost-lost",
    breaks: "our board post under a name the remote took is lost",
    file: "src/model/sync_merge.ts",
    find: "    out.set(to, o);\n",
    replace: "    void o; // mutant\n",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-no-renumber",
    breaks: "an add/add of a ticket number keeps theirs and drops ours",
    file: "src/model/sync_merge.ts",
    find: "if (clashes.length === 0) return ours;",
    replace: "if (clashes.length >= 0) return ours; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-refs-not-renumbered",
    breaks: "our dependencies on a renumbered ticket still point at theirs",
    file: "src/model/sync_merge.ts",
    find: "const deps = p.value.depends_on.map((d) => (baseDeps.has(d) ? d : rename(d)));",
    replace:
      "const deps = p.value.depends_on.map((d) => (baseDeps.has(d) ? d : d)); // mutant\n    void rename;",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-same-ticket-renumbered",
    breaks: "a published-then-changed ticket of ours is duplicated by renumbering",
    file: "src/model/sync_merge.ts",
    find: "if (po.ok && !(pt.ok && sameCreation(po.value, pt.value))) clashes.push(id);",
    replace:
      "if (po.ok && !(pt.ok && sameCreation(po.value, pt.value) && false)) clashes.push(id); // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-cycle-kept",
    breaks: "a dependency edge that closes a cycle is kept",
    file: "src/model/sync_merge.ts",
    find: "    if (back === null) {\n",
    replace: "    if (back === null || back.length > 0) { // mutant\n",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-fence-off",
    breaks: "a replaced holder's Work Log entries are applied",
    file: "src/model/sync_merge.ts",
    find: "if (fencedAgent !== null && blockAgent(block) === fencedAgent) {",
    replace: 'if (fencedAgent === "\\0" && blockAgent(block) === fencedAgent) { // mutant',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-overlap-kept",
    breaks: "our reservation overlapping one published since base is kept",
    file: "src/model/sync_merge.ts",
    find: "        if (clash) {\n",
    replace: '        if (clash && clash.agent === "\\0") { // mutant\n',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-lost-notes-theirs",
    breaks: "lost notes our side added are dropped",
    file: "src/model/sync_merge.ts",
    find: "m.lost = keys.map((k) => byKey.get(k)!);",
    replace: "m.lost = t.lost; // mutant\n  void keys;",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-heartbeat-theirs",
    breaks: "our heartbeat is dropped although only we moved it",
    file: "src/model/sync_merge.ts",
    find: "if (hasBase && hb(t) === hb(b!)) hbFrom = o;",
    replace: 'if (hasBase && hb(t) === "\\0") hbFrom = o; // mutant',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-unparsed-bytes-lost",
    breaks: "an unparseable file of ours is replaced without its bytes on the board",
    file: "src/model/sync_merge.ts",
    find: "`- ${path} ${why}; this clone's file:\\n${indent(shown(o))}`,",
    replace: "`- ${path} ${why}`, // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-order-dependent",
    breaks: "renumbering depends on the insertion order of our tree",
    file: "src/model/sync_merge.ts",
    find: "const sorted = [...ours].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));",
    replace: "const sorted = [...ours]; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-diff3-ours-wins",
    breaks: "a conflicting body region keeps our text, theirs lost",
    file: "src/model/diff3.ts",
    find: "      lines.push(...t);\n      if (o.length",
    replace: "      lines.push(...o); // mutant\n      if (o.length",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-fenced-ignored",
    breaks: "a ticket the journal fences still takes our whole diff",
    file: "src/model/sync_merge.ts",
    find: "if (options.fenced === undefined || options.fenced.size === 0) return ours;",
    replace: "if (options.fenced === undefined || options.fenced.size >= 0) return ours; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-event-twice",
    breaks: "a re-merge after a lost confirmation posts the same event again",
    file: "src/model/sync_merge.ts",
    find: "if (already !== undefined) {",
    replace: 'if (already !== undefined && already === "\\0") { // mutant',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-renumber-twice",
    breaks: "a re-merge renumbers our ticket a second time (a duplicate ticket)",
    file: "src/model/sync_merge.ts",
    find: "if (earlier !== undefined) {",
    replace: 'if (earlier !== undefined && earlier.id === "\\0") { // mutant',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-log-line-twice",
    breaks: "a re-merge writes the same [track] Work Log line again",
    file: "src/model/sync_merge.ts",
    find: "if (written.has(untimed(block))) continue;",
    replace: "if (written.has(block)) continue; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "fsync-swallowed",
    breaks:
      "a failed fsync of a file a multi-file command commits is ignored (exit 0, data maybe lost)",
    file: "src/store/journal.ts",
    find: `    if (options.durable !== false) file.syncDataSync();
    file.close();
    Deno.renameSync(tmp, path);`,
    replace: `    try { if (options.durable !== false) file.syncDataSync(); } catch { /* mutant */ }
    file.close();
    Deno.renameSync(tmp, path);`,
    suite: "tests/suites/faults_test.ts",
  },
  {
    name: "sync-broken-published",
    breaks: "our hand-broken ticket file is published over the remote's good one",
    file: "src/model/sync_merge.ts",
    find: "r = o === undefined || parseError(path, o) === null ? o : unpublished(path, o, t);",
    replace: "r = o; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-archived-and-active",
    breaks: "a ticket archived on one side and changed on the other ends up in both folders",
    file: "src/model/sync_merge.ts",
    find: 'if (f === null || f.folder !== "archive" || !out.has(`tickets/${f.id}.md`)) continue;',
    replace: 'if (f === null || f.folder !== "archive" || f.id !== "\\0") continue; // mutant',
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "sync-archived-number-reused",
    breaks: "our new ticket takes a number theirs created and archived",
    file: "src/model/sync_merge.ts",
    find: "const tp = findTicket(theirs, id);",
    replace: "const tp = theirs.has(path) ? path : null; // mutant",
    suite: "src/model/sync_merge_test.ts",
  },
  {
    name: "write-in-place",
    breaks:
      "a command's files are rewritten in place instead of renamed into place (torn on a kill)",
    file: "src/store/journal.ts",
    find: `    file = Deno.openSync(tmp, { write: true, createNew: true, mode: c.mode ?? 0o644 });
  } catch (e) {
    throw ioError("create a temp file for", display, e);
  }
  try {
    let off = 0;
    while (off < data.length) off += file.writeSync(data.subarray(off));
    if (options.durable !== false) file.syncDataSync();
    file.close();
    Deno.renameSync(tmp, path);`,
    replace:
      `    file = Deno.openSync(path, { write: true, create: true, truncate: true }); // mutant
  } catch (e) {
    throw ioError("create a temp file for", display, e);
  }
  try {
    let off = 0;
    while (off < data.length) off += file.writeSync(data.subarray(off, off + 64));
    if (options.durable !== false) file.syncDataSync();
    file.close();`,
    suite: "tests/suites/crash_test.ts",
  },
  {
    name: "board-post-no-fsync",
    breaks: "a board post is renamed into place without fsync (lost on power failure)",
    file: "src/store/journal.ts",
    find: `    while (off < data.length) off += file.writeSync(data.subarray(off));
    if (options.durable !== false) file.syncDataSync();
    file.close();
    Deno.renameSync(tmp, path);`,
    replace: `    while (off < data.length) off += file.writeSync(data.subarray(off));
    if (options.durable !== false && !path.includes("/board/")) file.syncDataSync(); // mutant
    file.close();
    Deno.renameSync(tmp, path);`,
    suite: "tests/suites/faults_test.ts",
  },
  {
    name: "word-index-hash-unchecked",
    breaks: "search trusts a word index entry made from an older text of the ticket (stale answer)",
    file: "src/store/word_index.ts",
    find: `    if (row < 0 || this.#index.hash[row] !== hash) return null;`,
    replace: `    if (row < 0) return null; // mutant`,
    suite: "tests/search_index_test.ts",
  },
  {
    name: "dashboard-delta-dependents",
    breaks: "a status change leaves the cards waiting on it stale on an open dashboard",
    file: "src/dashboard/live.ts",
    find: `      for (const d of this.#dependents.get(id) ?? []) touched.add(d);\n`,
    replace: `      void this.#dependents; // mutant\n`,
    suite: "src/dashboard/live_test.ts",
  },
  {
    name: "oplog-outside-transaction",
    breaks:
      "a sync store's oplog line is committed apart from the files it describes (a kill between leaves one without the other)",
    file: "src/store/store.ts",
    find: `      if (lazy === null) commitChanges(this, command, changes);\n`,
    replace:
      `      if (lazy === null) { commitChanges(this, command, changes.filter((c) => c.appendAt === undefined)); commitChanges(this, command, changes.filter((c) => c.appendAt !== undefined)); } // mutant\n`,
    suite: "tests/oplog_crash_test.ts",
  },
  {
    name: "doctor-git-with-sync-off",
    breaks: "track doctor runs git although no remote was added",
    file: "src/operations/doctor.ts",
    find: `    config = options.sync ? readSyncConfig(options.sync.paths) : null;\n`,
    replace:
      `    if (options.sync) await (await import("../store/git.ts")).runGit(["--version"]).catch(() => {}); config = options.sync ? readSyncConfig(options.sync.paths) : null; // mutant\n`,
    suite: "tests/doctor_remote_test.ts",
  },
  {
    name: "sync-push-no-lease",
    breaks: "a state push overwrites whatever the remote holds (no compare-and-swap)",
    file: "src/store/sync_repo.ts",
    find: '    `--force-with-lease=${ref}:${expected ?? ""}`,',
    replace: "    `--force`, // mutant",
    suite: "tests/suites/sync_remote_test.ts",
  },
  {
    name: "sync-follow-rewind",
    breaks: "a clone silently builds on a remote state ref that went back or was deleted",
    file: "src/operations/sync.ts",
    find: "      if (known !== null && remote !== known) {",
    replace: "      if (known !== null && remote !== known && remote === known) { // mutant",
    suite: "tests/suites/sync_remote_test.ts",
  },
  {
    name: "sync-stale-lock-retried",
    breaks: "a rejection after which the remote did not move is retried for the whole budget",
    file: "src/operations/sync.ts",
    find: "const MAX_UNMOVED_RETRIES = 2;",
    replace: "const MAX_UNMOVED_RETRIES = 20; // mutant",
    suite: "tests/suites/sync_remote_test.ts",
  },
  {
    name: "sync-renumber-reused-number",
    breaks:
      "our renumbered ticket, published by a sync killed before it applied it, is copied again",
    file: "src/model/sync_merge.ts",
    find:
      "    if (p.ok && (findTicket(ours, id) === null || clashes.includes(id))) fresh.push(p.value);",
    replace: "    if (p.ok && findTicket(ours, id) === null) fresh.push(p.value); // mutant",
    suite: "tests/suites/sync_remote_test.ts",
  },
  {
    name: "sync-apply-one-hold",
    breaks: "applying a fetched state holds the store lock for the whole apply, not per batch",
    file: "src/operations/sync.ts",
    find: "export const APPLY_BATCH = 200;",
    replace: "export const APPLY_BATCH = 1_000_000; // mutant",
    suite: "tests/suites/sync_reconnect_test.ts",
  },
  {
    name: "sync-apply-overwrites-local",
    breaks: "applying a fetched state overwrites a ticket written here since the snapshot",
    file: "src/operations/sync.ts",
    find: "        if (unchangedSince(store, p, snap.stats.get(p))) {",
    replace:
      '        if (unchangedSince(store, p, snap.stats.get(p)) || p.startsWith("tickets/")) { // mutant',
    suite: "tests/suites/sync_reconnect_test.ts",
  },
  {
    name: "sync-local-ref-before-apply",
    breaks:
      "refs/track/local names the new state before it is in the store (a kill between publishes deletions)",
    file: "src/operations/sync.ts",
    find: `      const done = await applyTarget(
        store,
        gitDir,
        snap,
        merged.out,
        options.now(),
        merged.report?.renumbered,
      );
      result.applied += done.applied;
      result.merged_local += done.merged_local;
      await updateRef(gitDir, LOCAL_REF, commit);`,
    replace: `      await updateRef(gitDir, LOCAL_REF, commit); // mutant: before the apply
      const done = await applyTarget(
        store,
        gitDir,
        snap,
        merged.out,
        options.now(),
        merged.report?.renumbered,
      );
      result.applied += done.applied;
      result.merged_local += done.merged_local;`,
    suite: "tests/suites/sync_kill_test.ts",
  },
  {
    name: "sync-rewind-not-restored",
    breaks: "a remote rewound to an ancestor (or its ref deleted) is not restored on the known tip",
    file: "src/operations/sync.ts",
    find: "if (remote === null || await isAncestor(gitDir, remote, known)) {",
    replace: 'if (remote === null || remote === "") { // mutant',
    suite: "tests/sync_test.ts",
  },
  {
    name: "sync-rewind-followed",
    breaks: "a remote rewound to another history is followed silently",
    file: "src/operations/sync.ts",
    find: "} else if (!(await isAncestor(gitDir, known, remote))) {",
    replace: '} else if (remote === "") { // mutant',
    suite: "tests/sync_test.ts",
  },
  {
    name: "sync-no-clone-lock",
    breaks: "two sync steps of one clone run at once",
    file: "src/operations/sync.ts",
    find: "const lock = await acquireSyncLock(paths.syncLock, budget);",
    replace:
      "const lock = await Promise.resolve({ release() {}, waited: false, acquireSyncLock }); // mutant",
    suite: "tests/sync_test.ts",
  },
  {
    name: "sync-heartbeat-pushed",
    breaks: "a change of heartbeats alone makes a push",
    file: "src/operations/sync.ts",
    find: "if (publish && lease.deferMs !== null) {",
    replace: "if (publish && lease.deferMs !== null && false) { // mutant",
    suite: "tests/sync_test.ts",
  },
  {
    name: "sync-merge-base-is-tip",
    breaks:
      "the merge base is the remote tip, not git's merge base (this clone's edits overwrite published ones)",
    file: "src/operations/sync.ts",
    find: "        : await mergeBase(gitDir, local, tip);",
    replace: "        : tip; // mutant",
    suite: "tests/suites/sync_offline_test.ts",
  },
  {
    name: "sync-apply-renumber-into-incoming",
    breaks:
      "a ticket created during the apply is renumbered into a number the incoming state fills",
    // With id blocks the apply renumbers into this clone's block (id_blocks.ts drawForRenumber);
    // the highest-number fallback is left only for stores from before blocks.
    file: "src/operations/id_blocks.ts",
    find:
      "    if (taken(id) || target.has(`tickets/${id}.md`) || target.has(`archive/${id}.md`)) return true;",
    replace: "    if (taken(id)) return true; // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "sync-no-piggyback",
    breaks: "a sync that waited for another of this clone runs its own fetch and push for nothing",
    file: "src/operations/sync.ts",
    find: "engine.synced_at !== null && engine.synced_at >= waitedFrom\n",
    replace: "engine.synced_at !== null && engine.synced_at >= waitedFrom + 1e12 // mutant\n",
    suite: "tests/sync_test.ts",
  },
  {
    name: "sync-no-quarantine",
    breaks: "a file the remote refuses by name blocks every other change (exit 8)",
    file: "src/operations/sync.ts",
    find: "? namedPaths(rejected.stderr, rejected.changes)",
    replace: '? namedPaths("", rejected.changes) /* mutant */',
    suite: "tests/sync_test.ts",
  },
  {
    name: "auto-sync-two-children",
    breaks: "a write starts a second background sync while one runs",
    file: "src/operations/background_sync.ts",
    find: `if (backgroundSyncRunning(paths) !== null) return "running";`,
    replace: `if (backgroundSyncRunning(paths) === -1) return "running"; // mutant`,
    suite: "tests/auto_sync_test.ts",
  },
  {
    name: "auto-sync-ignores-off",
    breaks: "TRACK_SYNC=off or manual still starts a background sync",
    file: "src/cli/main.ts",
    find: `} else if (mode !== "auto") return;`,
    replace: `} else if (mode === null) return; // mutant`,
    suite: "tests/auto_sync_test.ts",
  },
  {
    name: "unconfirmed-after-publish",
    breaks: "a claim stays marked unconfirmed after a sync published it",
    file: "src/operations/unconfirmed.ts",
    find: "const pending = last < published ? lines : lines.filter(",
    replace: "const pending = /* mutant */ last >= 0 ? lines : lines.filter(",
    suite: "tests/unconfirmed_test.ts",
  },
  {
    name: "dashboard-misses-remote-change",
    breaks: "the dashboard does not fetch when its poll finds the remote moved",
    file: "src/dashboard/sync_panel.ts",
    find: `if (this.status()?.remote_changed && this.#options.mode === "auto") this.sync();`,
    replace: `if (this.status()?.remote_changed && this.#options.mode === "off") this.sync();`,
    suite: "tests/dashboard_sync_test.ts",
  },
  {
    name: "id-grab-ignores-sequence",
    breaks: "a clone reserves its id block without the remote's sequence (two clones, one block)",
    file: "src/operations/id_blocks.ts",
    find: "  const grab = grabFrom(sequence, max, size);",
    replace: "  const grab = grabFrom(null, 0 * max, size); // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-block-drawn-unconfirmed",
    breaks: "create draws from a block whose push was never seen accepted",
    file: "src/model/id_blocks.ts",
    find:
      '  return blocks.blocks.filter((b) => b.state === "confirmed").sort((a, b) => a.start - b.start);',
    replace:
      '  return blocks.blocks.filter((b) => b.state !== "retired").sort((a, b) => a.start - b.start); // mutant',
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-block-no-doubling",
    breaks: "id blocks stay at 5 numbers however much a clone creates",
    file: "src/model/id_blocks.ts",
    find: "  const size = FIRST_BLOCK * 2 ** Math.min(grabs, 30);",
    replace: "  const size = FIRST_BLOCK + 0 * grabs; // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-stray-ticket-published",
    breaks: "sync publishes a new ticket whose number lies in none of this clone's id blocks",
    file: "src/operations/id_blocks.ts",
    find: "    if (stray.length > 0) {",
    replace: "    if (stray.length < 0) { // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-offline-create-syncs",
    breaks: "create --offline (TRACK_SYNC=off) reaches the remote for an id block",
    file: "src/operations/id_draw.ts",
    find: "    if (options.offline) {",
    replace: "    if (options.offline && false) { // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-copy-keeps-blocks",
    breaks: "a copied clone keeps drawing from the original's id blocks",
    file: "src/store/clone_home.ts",
    find:
      '  if (copied) (await import("./id_blocks.ts")).dropIdBlocks(syncPaths(paths.commonDir));',
    replace:
      '  if (copied && false) (await import("./id_blocks.ts")).dropIdBlocks(syncPaths(paths.commonDir)); // mutant',
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "id-adopt-deps-kept",
    breaks: "remote add --adopt renumbers tickets but leaves depends_on naming the old numbers",
    file: "src/operations/id_adopt.ts",
    find: "      const depends_on = t.depends_on.map(rename);",
    replace: "      const depends_on = t.depends_on; // mutant",
    suite: "tests/id_blocks_test.ts",
  },
  {
    name: "replay-claim-on-stale-view",
    breaks: "a claim is published although the remote shows the ticket held by another agent",
    file: "src/operations/replay.ts",
    find: "withClaimGroup(merged, state.group),",
    replace: 'withClaimGroup(merged, { ...state.group, status: "backlog" }), // mutant',
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "withdraw-keeps-claim",
    breaks: "exit 8 leaves the agent holding the claim it was told not to start",
    file: "src/operations/decide.ts",
    find: "tx.writeTicket(withClaimGroup(t, prev));",
    replace: "tx.writeTicket(t); // mutant",
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "replay-reclaim-ignores-token",
    breaks: "a reclaim decided on a view older than the holder's published heartbeat stands",
    file: "src/operations/replay.ts",
    find: "if (now !== null && !sameToken(now, token)) {",
    replace: "if (now !== null && !sameToken(now, now)) { // mutant",
    suite: "src/operations/replay_test.ts",
  },
  {
    name: "replay-reserve-ignores-remote",
    breaks: "two clones hold overlapping exclusive reservations",
    file: "src/operations/replay.ts",
    find: "if (clash !== undefined) {",
    replace: 'if (clash !== undefined && clash.path === "\\0") { // mutant',
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "replay-always-confirms",
    breaks: "a claim made on a stale view is confirmed over the holder the remote shows",
    file: "src/operations/replay.ts",
    find: `    if (refusal !== null) {\n      outcome("lost", refusal.reason, refusal.winner);`,
    replace:
      `    if (refusal !== null && d.force) { // mutant\n      outcome("lost", refusal.reason, refusal.winner);`,
    suite: "tests/suites/sync_race_test.ts",
  },
  {
    name: "withdrawn-not-released",
    breaks: "a claim withdrawn after exit 8 whose push landed after all stays held",
    file: "src/operations/replay.ts",
    find: `    if (current.get(w.ticket)?.won?.agent === w.agent) continue;`,
    replace: `    if (w.agent !== "") continue; // mutant`,
    suite: "tests/suites/sync_grants_test.ts",
  },
  {
    name: "waiter-pushes-again",
    breaks: "a claim another command's push already carried makes a push of its own",
    file: "src/operations/decide.ts",
    find: "settled: async () => await pendingClaim(store, claimId) === null,",
    replace: "settled: async () => await pendingClaim(store, claimId) === null && false, // mutant",
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "sync-publishes-hand-claim",
    breaks: "a claim made by editing a ticket file is published without a decision",
    file: "src/operations/sync.ts",
    find: "if (local !== null && baseCommit === local) {",
    replace: "if (local !== null && baseCommit === local && false) { // mutant",
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "sync-forgets-materialized",
    breaks: "a sync cut short after writing the remote's state takes those files as local changes",
    file: "src/operations/sync.ts",
    find: "  if (candidates.length === 0) return base;\n",
    replace: "  if (candidates.length >= 0) return base; // mutant\n",
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "sync-publishes-oplog-early",
    breaks: "a sync cut short after its push leaves a lost claim that no oplog line covers",
    file: "src/operations/sync.ts",
    find: `      writeEngineState(stateFile, engine);\n      await options.onStep?.("recorded");\n`,
    replace:
      `      if (ops.length > 0) engine.published_seq = ops[ops.length - 1].seq; // mutant\n` +
      `      writeEngineState(stateFile, engine);\n      await options.onStep?.("recorded");\n`,
    suite: "tests/sync_decisions_test.ts",
  },
  {
    name: "carried-oplog-stays-pending",
    breaks: "decisions already on the remote are never settled when nothing is left to push",
    file: "src/operations/sync.ts",
    find: "quarantine.size === 0 && ops.length > 0;",
    replace: "quarantine.size === 0 && ops.length > 0 && false; // mutant",
    suite: "tests/sync_decisions_test.ts",
  },
];
