/** The sync oplog: one line per committed mutation of a sync store, in the same transaction. */
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { at, refused } from "../../tests/unit_store.ts";
import { DEFAULT_CONFIG, Store } from "./store.ts";
import { createTicket } from "../operations/create.ts";
import { claimTicket } from "../operations/claims.ts";
import { logTicket } from "../operations/update.ts";
import { postMessage } from "../operations/board.ts";
import {
  CLONE_ID,
  OPLOG_FILE,
  opName,
  readCloneId,
  readOplog,
  trackOpTrailer,
  trimOplog,
  unpublishedOplog,
} from "./oplog.ts";
import { usageError } from "../model/errors.ts";
import { encodeJournal, recoverJournal } from "./journal.ts";
import { syncPaths } from "./sync_config.ts";

/** A store laid out as a sync store: `<tmp>/.git/track/store`. */
function syncStore(options: { oplog?: boolean } = {}) {
  const root = Deno.makeTempDirSync({ prefix: "track-oplog-" });
  const paths = syncPaths(`${root}/.git`);
  for (const sub of ["tickets", "agents", "board"]) {
    Deno.mkdirSync(`${paths.store}/${sub}`, { recursive: true });
  }
  Deno.writeTextFileSync(
    `${paths.store}/config.json`,
    JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n",
  );
  let clock = 0;
  const store = new Store(paths.store, {
    oplog: options.oplog ?? true,
    now: () => new Date(Date.UTC(2026, 10, 29, 20, 0, 0, clock++)),
  });
  return {
    root,
    paths,
    store,
    create: (title: string) =>
      createTicket(store, {
        title,
        priority: "medium",
        labels: [],
        dependsOn: [],
        description: "",
        by: "human",
      }, at(0)),
    [Symbol.dispose]() {
      Deno.removeSync(root, { recursive: true });
    },
  };
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("Store.mutate without the oplog option writes no oplog and no clone id", async () => {
  using s = syncStore({ oplog: false });
  await s.create("one");
  await claimTicket(s.store, "T-0001", "alice", { force: false, now: at(1) });
  assert(!exists(`${s.paths.store}/${OPLOG_FILE}`));
  assert(!exists(s.paths.cloneId));
});

Deno.test("Store.mutate of a sync store appends one line per committed mutation: seq, op, ticket, agent, clone", async () => {
  using s = syncStore();
  await s.create("one");
  await s.create("two");
  await claimTicket(s.store, "T-0002", "alice", { force: false, now: at(1) });
  await logTicket(s.store, "T-0002", { agent: "alice", message: "did it" }, at(2));
  await postMessage(s.store, { agent: "bob", message: "hello", ticket: null }, at(3));
  const clone = readCloneId(s.paths)!;
  assertMatch(clone, CLONE_ID);
  const entries = readOplog(s.paths.store, 0);
  assertEquals(entries.map((e) => [e.seq, e.op, e.ticket, e.agent, e.clone]), [
    [1, "create", "T-0001", null, clone],
    [2, "create", "T-0002", null, clone],
    [3, "claim", "T-0002", "alice", clone],
    [4, "log", "T-0002", "alice", clone],
    [5, "board", null, "bob", clone],
  ]);
  assertEquals(entries[0].at, "2026-11-29T20:00:00.000Z");
  assertEquals(readOplog(s.paths.store, 3).map((e) => e.seq), [4, 5]);
  assertEquals(
    Deno.readTextFileSync(`${s.paths.store}/${OPLOG_FILE}`).split("\n")[2],
    `{"seq":3,"at":"2026-11-29T20:00:00.002Z","op":"claim","ticket":"T-0002","agent":"alice","clone":"${clone}"}`,
  );
  assertEquals(
    trackOpTrailer(entries[2]),
    `Track-Op: 3 claim T-0002 alice clone=${clone}`,
  );
  assertEquals(trackOpTrailer(entries[4]), `Track-Op: 5 board - bob clone=${clone}`);
});

Deno.test("Store.mutate of a sync store: no line when nothing is committed, when it throws, or with skipOplog", async () => {
  using s = syncStore();
  await s.create("one");
  await s.store.mutate("noop", () => {});
  await refused(s.store.mutate("claim T-0001", (tx) => {
    tx.writeTicket({ ...tx.readTicket("T-0001"), title: "changed" });
    throw usageError("boom");
  }));
  await s.store.mutate("sync", (tx) => {
    tx.skipOplog();
    tx.writeFile(`${s.paths.store}/reservations.json`, "[]\n");
  });
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.op), ["create"]);
});

Deno.test("trimOplog keeps the lines after the published seq (at least the last) and seq goes on", async () => {
  using s = syncStore();
  for (let i = 0; i < 4; i++) await s.create(`t${i}`);
  await s.store.mutate("sync", (tx) => {
    tx.skipOplog();
    assertEquals(trimOplog(tx, 2), 2);
  });
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.seq), [3, 4]);
  await s.store.mutate("sync", (tx) => {
    tx.skipOplog();
    trimOplog(tx, 4);
  });
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.seq), [4]);
  await s.create("t4");
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.seq), [4, 5]);
  // A trim inside a mutation that writes something else: the new line lands after the kept ones.
  await s.store.mutate("update T-0001", (tx) => {
    trimOplog(tx, 4);
    tx.writeTicket({ ...tx.readTicket("T-0001"), title: "renamed" });
  });
  assertEquals(readOplog(s.paths.store, 0).map((e) => [e.seq, e.op]), [[5, "create"], [
    6,
    "update",
  ]]);
});

Deno.test("opName: the command as one word, values left out", () => {
  assertEquals(opName("claim T-0042"), "claim");
  assertEquals(opName("files --add"), "files-add");
  assertEquals(opName("hook post-tool-use"), "hook-post-tool-use");
  assertEquals(opName("archive T-0001 --restore"), "archive-restore");
  assertEquals(opName("ack 20261129T200102Z-ab12"), "ack");
});

Deno.test("the oplog append is idempotent: a journal rolled forward twice adds its line once", async () => {
  using s = syncStore();
  await s.create("one");
  const before = Deno.readTextFileSync(`${s.paths.store}/${OPLOG_FILE}`);
  const line = before.replace('"seq":1', '"seq":2');
  const journal = encodeJournal(s.store, "create", [
    {
      path: `${s.paths.store}/tickets/T-0009.md`,
      data: Deno.readFileSync(`${s.paths.store}/tickets/T-0001.md`),
    },
    {
      path: `${s.paths.store}/${OPLOG_FILE}`,
      data: new TextEncoder().encode(line),
      appendAt: before.length,
    },
  ]);
  // The writer was killed after appending its line, before removing the journal.
  Deno.writeFileSync(`${s.paths.store}/journal`, journal);
  Deno.writeTextFileSync(`${s.paths.store}/${OPLOG_FILE}`, before + line);
  assertEquals(recoverJournal(s.store)?.outcome, "completed");
  assertEquals(Deno.readTextFileSync(`${s.paths.store}/${OPLOG_FILE}`), before + line);
  // Killed half way through the append (a torn line): recovery cuts it back and writes it whole.
  Deno.writeFileSync(`${s.paths.store}/journal`, journal);
  Deno.writeTextFileSync(`${s.paths.store}/${OPLOG_FILE}`, before + line.slice(0, 10));
  recoverJournal(s.store);
  assertEquals(Deno.readTextFileSync(`${s.paths.store}/${OPLOG_FILE}`), before + line);
  // Killed before the append: recovery appends it.
  Deno.writeFileSync(`${s.paths.store}/journal`, journal);
  Deno.writeTextFileSync(`${s.paths.store}/${OPLOG_FILE}`, before);
  recoverJournal(s.store);
  assertEquals(Deno.readTextFileSync(`${s.paths.store}/${OPLOG_FILE}`), before + line);
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.seq), [1, 2]);
});

Deno.test("an oplog whose last line does not parse: the mutation is exit 6 and nothing is written", async () => {
  using s = syncStore();
  await s.create("one");
  const path = `${s.paths.store}/${OPLOG_FILE}`;
  Deno.writeTextFileSync(path, Deno.readTextFileSync(path) + "not json\n");
  const e = await refused(s.create("two"));
  assertEquals(e.kind, "badData");
  assert(!exists(`${s.paths.store}/tickets/T-0002.md`));
  assertEquals(Deno.readTextFileSync(path).endsWith("not json\n"), true);
});

Deno.test("readCloneId: null when missing, made once with create, exit 6 for a bad file or a link", () => {
  using s = syncStore();
  assertEquals(readCloneId(s.paths), null);
  Deno.mkdirSync(s.paths.home, { recursive: true });
  const id = readCloneId(s.paths, { create: true })!;
  assertMatch(id, CLONE_ID);
  assertEquals(readCloneId(s.paths, { create: true }), id);
  assertEquals(Deno.readTextFileSync(s.paths.cloneId), id + "\n");
  assertEquals([...Deno.readDirSync(s.paths.home)].map((e) => e.name).sort(), [
    "clone-id",
    "store",
  ]);
  Deno.writeTextFileSync(s.paths.cloneId, "nope\n");
  let e: unknown = null;
  try {
    readCloneId(s.paths, { create: true });
  } catch (err) {
    e = err;
  }
  assertEquals((e as { kind?: string })?.kind, "badData");
  assertEquals(Deno.readTextFileSync(s.paths.cloneId), "nope\n");
  Deno.removeSync(s.paths.cloneId);
  Deno.symlinkSync("/etc/hostname", s.paths.cloneId);
  try {
    readCloneId(s.paths);
    e = null;
  } catch (err) {
    e = err;
  }
  assertEquals((e as { kind?: string })?.kind, "badData");
});

Deno.test("unpublishedOplog: the lines above the published seq; all of them when the oplog started again below it", async () => {
  using s = syncStore();
  for (let i = 0; i < 3; i++) await s.create(`t${i}`);
  assertEquals(unpublishedOplog(s.paths.store, 1).map((e) => e.seq), [2, 3]);
  assertEquals(unpublishedOplog(s.paths.store, 3).map((e) => e.seq), []);
  // Moved aside: numbering starts again at 1, below the 3 already published.
  Deno.renameSync(`${s.paths.store}/${OPLOG_FILE}`, `${s.root}/oplog.old`);
  await s.create("t3");
  assertEquals(unpublishedOplog(s.paths.store, 3).map((e) => [e.seq, e.ticket]), [[1, "T-0004"]]);
});

Deno.test("Store.mutate of a sync store adds no line for a command that wrote only files that never leave the machine", async () => {
  using s = syncStore();
  await s.create("one");
  await s.store.mutate("serve", (tx) => {
    tx.writeFile(`${s.paths.store}/server.json`, "{}\n");
  });
  await s.store.mutate("update T-0001", (tx) => {
    tx.writeFile(`${s.paths.store}/server.json`, "{}\n");
    tx.writeTicket({ ...tx.readTicket("T-0001"), title: "renamed" });
  });
  assertEquals(readOplog(s.paths.store, 0).map((e) => e.op), ["create", "update"]);
});
