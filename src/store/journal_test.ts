import { assert, assertEquals } from "../../tests/assert.ts";
import { TrackError } from "../model/errors.ts";
import { crc32, encodeJournal, inspectJournal, journalPath, recoverJournal } from "./journal.ts";
import { Store } from "./store.ts";

const enc = new TextEncoder();

async function withStore(fn: (store: Store) => Promise<void> | void): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "track-journal-" });
  try {
    for (const d of ["", "/tickets", "/agents", "/board"]) Deno.mkdirSync(`${root}/.track${d}`);
    await fn(new Store(`${root}/.track`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

Deno.test("recoverJournal() rolls a complete journal forward: writes, new dirs, removals", () =>
  withStore((store) => {
    Deno.writeTextFileSync(`${store.dir}/agents/gone.json`, "old\n");
    Deno.writeTextFileSync(`${store.dir}/tickets/T-0001.md`, "old ticket\n");
    const bytes = encodeJournal(store, "claim T-0001", [
      { path: `${store.dir}/tickets/T-0001.md`, data: enc.encode("new ticket\n") },
      { path: `${store.dir}/board/2026-01-01/x.md`, data: enc.encode("event\n") },
      { path: `${store.dir}/agents/gone.json`, data: null },
    ]);
    Deno.writeFileSync(journalPath(store), bytes);
    assertEquals(inspectJournal(store)?.complete, true);
    const r = recoverJournal(store);
    assertEquals(r?.outcome, "completed");
    assertEquals(r?.command, "claim T-0001");
    assertEquals(read(`${store.dir}/tickets/T-0001.md`), "new ticket\n");
    assertEquals(read(`${store.dir}/board/2026-01-01/x.md`), "event\n");
    assertEquals(read(`${store.dir}/agents/gone.json`), null);
    assertEquals(read(journalPath(store)), null, "journal removed");
    assertEquals(recoverJournal(store), null, "nothing left to recover");
  }));

Deno.test("recoverJournal() discards a torn journal without touching any file", () =>
  withStore((store) => {
    Deno.writeTextFileSync(`${store.dir}/tickets/T-0001.md`, "old ticket\n");
    const bytes = encodeJournal(store, "log T-0001", [
      { path: `${store.dir}/tickets/T-0001.md`, data: enc.encode("new ticket\n") },
      { path: `${store.dir}/agents/a.json`, data: enc.encode("{}\n") },
    ]);
    for (const torn of [bytes.slice(0, bytes.length - 1), bytes.slice(0, 10), new Uint8Array()]) {
      Deno.writeFileSync(journalPath(store), torn);
      assertEquals(inspectJournal(store)?.complete, false);
      assertEquals(recoverJournal(store)?.outcome, "discarded");
      assertEquals(read(`${store.dir}/tickets/T-0001.md`), "old ticket\n");
      assertEquals(read(`${store.dir}/agents/a.json`), null);
      assertEquals(read(journalPath(store)), null);
    }
    // Same length, one byte flipped: the checksum catches it.
    const flipped = bytes.slice();
    flipped[flipped.length - 2] ^= 1;
    Deno.writeFileSync(journalPath(store), flipped);
    assertEquals(recoverJournal(store)?.outcome, "discarded");
    assertEquals(read(`${store.dir}/tickets/T-0001.md`), "old ticket\n");
  }));

Deno.test("recoverJournal() refuses a journal naming a path outside the store", () =>
  withStore((store) => {
    const body = enc.encode(JSON.stringify({ command: "x", files: [["../evil", 2]] }) + "\nhi");
    const crc = crc32(body).toString(16).padStart(8, "0");
    Deno.writeFileSync(journalPath(store), enc.encode(`track-journal 1 ${body.length} ${crc}\n`));
    Deno.writeFileSync(journalPath(store), body, { append: true });
    let err: unknown = null;
    try {
      recoverJournal(store);
    } catch (e) {
      err = e;
    }
    assert(err instanceof TrackError && err.kind === "badData", String(err));
    assertEquals(read(`${store.dir}/../evil`), null, "nothing written outside");
    assertEquals(read(journalPath(store)) !== null, true, "left for a person to look at");
  }));

Deno.test("Store.mutate() reads through tx.store see the transaction's own writes", () =>
  withStore(async (store) => {
    const agent = `${store.dir}/agents/a.json`;
    const ticketsSeen: string[][] = [];
    await store.mutate("test", (tx) => {
      assertEquals(tx.store.readText(agent), null);
      tx.writeFile(agent, "first\n");
      assertEquals(tx.store.readText(agent), "first\n", "read after write");
      assertEquals(read(agent), null, "nothing on disk before the commit");
      tx.writeFile(`${store.dir}/tickets/T-0003.md`, "x\n");
      ticketsSeen.push(tx.store.ticketIds());
      assertEquals(tx.store.nextTicketId(), "T-0004");
      assertEquals(tx.store.listDir(store.agentsDir).map((e) => e.name), ["a.json"]);
      tx.removeFile(agent);
      assertEquals(tx.store.readText(agent), null, "read after remove");
      assertEquals(store.readText(agent), null, "the store outside the tx sees the disk");
      tx.writeFile(agent, "second\n");
    });
    assertEquals(ticketsSeen, [["T-0003"]]);
    assertEquals(read(agent), "second\n");
    assertEquals(read(journalPath(store)), null);
  }));

Deno.test("Store.mutate() writes nothing when its callback throws", () =>
  withStore(async (store) => {
    const err = await store.mutate("test", (tx) => {
      tx.writeFile(`${store.dir}/tickets/T-0001.md`, "x\n");
      tx.writeFile(`${store.dir}/agents/b.json`, "{}\n");
      throw new TrackError("badData", "refused");
    }).catch((e) => e);
    assert(err instanceof TrackError);
    assertEquals(read(`${store.dir}/tickets/T-0001.md`), null);
    assertEquals(read(`${store.dir}/agents/b.json`), null);
    assertEquals([...Deno.readDirSync(store.dir)].map((e) => e.name).sort(), [
      "agents",
      "board",
      "lock",
      "tickets",
    ]);
  }));

Deno.test("Store.mutate() rolls a leftover journal forward before the callback reads", () =>
  withStore(async (store) => {
    const path = `${store.dir}/tickets/T-0001.md`;
    Deno.writeFileSync(
      journalPath(store),
      encodeJournal(store, "killed", [
        { path, data: enc.encode("from the journal\n") },
        { path: `${store.dir}/agents/k.json`, data: enc.encode("{}\n") },
      ]),
    );
    const seen = await store.mutate("next", (tx) => {
      assertEquals(tx.recovered?.outcome, "completed");
      return tx.store.readText(path);
    });
    assertEquals(seen, "from the journal\n");
    assertEquals(read(journalPath(store)), null);
  }));

Deno.test("Store.readLocked() refuses to read while a journal waits to be completed", () =>
  withStore(async (store) => {
    Deno.writeFileSync(
      journalPath(store),
      encodeJournal(store, "killed", [
        { path: `${store.dir}/tickets/T-0001.md`, data: enc.encode("x\n") },
        { path: `${store.dir}/agents/k.json`, data: enc.encode("{}\n") },
      ]),
    );
    const err = await store.readLocked(() => "read").catch((e) => e);
    assert(err instanceof TrackError && err.kind === "io", String(err));
    await store.mutate("next writer", () => {});
    assertEquals(await store.readLocked(() => "read"), "read");
  }));
