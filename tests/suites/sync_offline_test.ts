/**
 * Suite sync-offline: three clones edit the same tickets while offline (different fields, the
 * same fields, work-log lines, board posts, hand edits of the ticket files, and one new ticket
 * each, numbered from the clone's id block), then sync in every one of the 6 orders (each order
 * on its own copy of the world): every clone ends with byte-identical state, no write is lost (a
 * scalar both changed keeps the first published value and names the others in the Work Log; a
 * hand edit that conflicts is on the board), no file holds a conflict marker, and no new ticket
 * is renumbered (each keeps the number its create printed). Then the three clones sync all at once (released
 * together, pushes racing): they agree again and lose nothing (the deterministic lost race is
 * in sync_remote_test.ts).
 * Sizes: TRACK_SUITE_SYNC_TICKETS (CI 10 shared tickets).
 */
import { assert, assertEquals } from "../assert.ts";
import { type Clone, raceClones, SyncWorld } from "../sync_world.ts";
import { report, rng, seed, size } from "./pool.ts";
import {
  assertCompleteState,
  assertSameState,
  boardOf,
  conflictMarkers,
  converge,
  syncedFiles,
  syncOk,
  ticketsOf,
} from "./sync_lib.ts";
import type { Ticket } from "../../src/model/ticket.ts";

const NAMES = ["a", "b", "c"];
/** Orders run at once (each on its own copy of the world). */
const PARALLEL = 3;
const agentOf = (clone: string) => `bot-${clone}`;

/** One write a clone made offline, and how to find it afterwards. */
interface Write {
  clone: string;
  kind: "field" | "label" | "log" | "post" | "hand" | "create";
  ticket: string | null;
  field?: "title" | "priority" | "branch";
  value: string;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) =>
    permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])
  );
}

/** Inserts `line` at the end of the ticket file's `section` (a hand edit, no track command). */
function handEdit(clone: Clone, id: string, section: string, line: string): void {
  const path = `${clone.storeDir}/tickets/${id}.md`;
  const text = Deno.readTextFileSync(path);
  const at = text.indexOf(`## ${section}\n`);
  assert(at !== -1, `${id} has a ${section} section`);
  const next = text.indexOf("\n## ", at + 3);
  const end = next === -1 ? text.length : next + 1;
  const body = text.slice(0, end).replace(/\n*$/, "\n");
  Deno.writeTextFileSync(path, `${body}${line}\n\n${text.slice(end)}`);
}

/** The offline edits of one clone on the shared tickets, by role; returns argv lists. */
function plan(
  clone: string,
  ids: string[],
  roles: number[],
  pick: (n: number) => number,
  writes: Write[],
): string[][] {
  const agent = agentOf(clone);
  const runs: string[][] = [];
  const field = (id: string, f: "title" | "priority" | "branch", value: string) => {
    runs.push(["update", id, `--${f}`, value, "--agent", agent]);
    writes.push({ clone, kind: "field", ticket: id, field: f, value });
  };
  ids.forEach((id, i) => {
    const tag = `${clone}${i}x${pick(1_000_000)}`;
    switch (roles[i]) {
      case 0: // different fields
        if (clone === "a") field(id, "priority", "high");
        if (clone === "b") field(id, "title", `title by ${tag}`);
        if (clone === "c") {
          field(id, "branch", `br-${tag}`);
          runs.push(["update", id, "--add-label", `lbl-${tag}`, "--agent", agent]);
          writes.push({ clone, kind: "label", ticket: id, value: `lbl-${tag}` });
        }
        break;
      case 1: // the same fields
        field(id, "title", `title by ${tag}`);
        field(id, "priority", ["low", "high", "critical"][NAMES.indexOf(clone)]);
        break;
      case 2: // work-log lines
        for (const n of [1, 2]) {
          runs.push(["log", id, "--agent", agent, "-m", `log ${n} by ${tag}`]);
          writes.push({ clone, kind: "log", ticket: id, value: `log ${n} by ${tag}` });
        }
        break;
      case 3: // board posts
        runs.push(["board", "--agent", agent, "--ticket", id, "-m", `post by ${tag}`]);
        writes.push({ clone, kind: "post", ticket: id, value: `post by ${tag}` });
        break;
      case 4: // hand edits (planned here, written by the test after the racers)
        writes.push({ clone, kind: "hand", ticket: id, value: `hand line by ${tag}` });
        break;
    }
  });
  runs.push(["create", "-t", `offline by ${clone}`, "--agent", agent, "--offline"]);
  writes.push({ clone, kind: "create", ticket: null, value: `offline by ${clone}` });
  return runs;
}

/**
 * Checks every write against a converged clone; returns how many were found. `firstSyncer` is
 * the clone that published first (its values win every clash), or null when unknown (then any
 * rival value may win, and the others must be named in the Work Log).
 */
function checkWrites(clone: Clone, writes: Write[], firstSyncer: string | null): number {
  const tickets = ticketsOf(clone);
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const text = (t: Ticket) => `${t.title}\n${t.body}`;
  const board = boardOf(clone);
  let found = 0;
  for (const w of writes) {
    const where = `${w.kind} ${w.value} by ${w.clone} on ${w.ticket}`;
    const t = w.ticket === null ? undefined : byId.get(w.ticket);
    if (w.ticket !== null) assert(t !== undefined, `${where}: the ticket is gone`);
    if (w.kind === "field") {
      const rivals = writes.filter((o) =>
        o.kind === "field" && o.ticket === w.ticket && o.field === w.field
      );
      const final = String(t![w.field!]);
      if (rivals.length === 1) assertEquals(final, w.value, `${where}: not applied`);
      else {
        const winner = firstSyncer === null
          ? final
          : rivals.find((r) => r.clone === firstSyncer)!.value;
        assertEquals(final, winner, `${where}: the first published value must win`);
        assert(rivals.some((r) => r.value === final), `${where}: ${final} was nobody's value`);
        if (w.value !== winner) {
          assert(
            t!.body.includes(JSON.stringify(w.value)),
            `${where}: dropped without a Work Log line:\n${t!.body}`,
          );
        }
      }
    } else if (w.kind === "label") {
      assert(t!.labels.includes(w.value), `${where}: label lost`);
    } else if (w.kind === "log") {
      assertEquals(t!.body.split(w.value).length - 1, 1, `${where}: not exactly once`);
    } else if (w.kind === "post") {
      assert(board.includes(w.value), `${where}: not on the board`);
    } else if (w.kind === "hand") {
      assert(
        text(t!).includes(w.value) || board.includes(w.value),
        `${where}: a hand edit is neither in the ticket nor on the board`,
      );
    } else {
      const same = tickets.filter((x) => x.title === w.value);
      assertEquals(same.length, 1, `${where}: ${same.length} tickets with this title`);
    }
    found++;
  }
  return found;
}

Deno.test("suite sync-offline: 3 clones edit offline, sync in every order, agree, lose nothing", async () => {
  const tickets = size("TRACK_SUITE_SYNC_TICKETS", 10, 5);
  const s = seed();
  const pick = rng(s);
  const started = performance.now();
  await using world = await SyncWorld.create();
  const [a, b, c] = await world.syncedClones(NAMES);
  const ids: string[] = [];
  for (let i = 0; i < tickets; i++) {
    const made = await a.json<{ ticket: { id: string } }>([
      "create",
      "-t",
      `shared ${i}`,
      "-b",
      `line one of ${i}\nline two of ${i}`,
      "--acceptance",
      `accept ${i}`,
    ]);
    ids.push(made.ticket.id);
  }
  // b and c reserve their first id block with their first create (a did with the shared ones).
  for (const clone of [b, c]) await clone.ok(["create", "-t", `setup by ${clone.name}`]);
  for (const clone of [a, b, c, a, b]) await syncOk(clone);
  assertSameState([a, b, c]);

  // Offline: each clone's edits run in one process, the three released together.
  const roles = ids.map((_, i) => (i + pick(5)) % 5);
  const writes: Write[] = [];
  const plans = [a, b, c].map((clone) => ({
    clone,
    runs: plan(clone.name, ids, roles, pick, writes),
  }));
  const results = await raceClones(plans);
  results.forEach((rs, i) =>
    rs.forEach((r, j) =>
      assertEquals(r.code, 0, `${plans[i].clone.name} ${plans[i].runs[j].join(" ")}: ${r.stderr}`)
    )
  );
  // The number each clone's offline create printed (from its own id block).
  const printed = new Map(plans.map((p, i) => {
    const out = results[i][p.runs.length - 1].stdout;
    return [`offline by ${p.clone.name}`, /^Created (T-\d+):/m.exec(out)![1]];
  }));
  assertEquals(new Set(printed.values()).size, 3, JSON.stringify([...printed]));
  // Hand edits: a and c in the Description (they clash), b in the Acceptance Criteria.
  for (const w of writes.filter((w) => w.kind === "hand")) {
    const clone = [a, b, c][NAMES.indexOf(w.clone)];
    handEdit(clone, w.ticket!, w.clone === "b" ? "Acceptance Criteria" : "Description", w.value);
  }

  let maxRounds = 0;
  let renumbered = 0;
  const orders = permutations([0, 1, 2]);
  const setupSeconds = (performance.now() - started) / 1000;
  // Each order on its own copy of the world; PARALLEL copies at a time.
  const one = async (order: number[]) => {
    await using copy = await world.copy();
    const clones = order.map((i) => copy.clones[i]);
    const rounds = await converge(copy, clones);
    maxRounds = Math.max(maxRounds, rounds);
    assertSameState(clones);
    await assertCompleteState(copy);
    const files = syncedFiles(clones[0]);
    assertEquals(conflictMarkers(files), [], `order ${clones.map((x) => x.name)}`);
    assertEquals(checkWrites(clones[0], writes, clones[0].name), writes.length);
    assertEquals(ticketsOf(clones[0]).length, tickets + 5, "every ticket, each once");
    const renumberedHere = (boardOf(clones[0]).match(/^tag: renumbered$/gm) ?? []).length;
    assertEquals(renumberedHere, 0, "no new ticket renumbered: each came from its clone's block");
    renumbered = Math.max(renumbered, renumberedHere);
    // Every new ticket kept the number its create printed.
    for (const [title, id] of printed) {
      assertEquals(ticketsOf(clones[0]).find((t) => t.title === title)?.id, id, title);
    }
  };
  for (let i = 0; i < orders.length; i += PARALLEL) {
    await Promise.all(orders.slice(i, i + PARALLEL).map(one));
  }

  // All three at once: pushes race; a compare-and-swap loser fetches, merges and retries.
  const concurrent = await raceClones([a, b, c].map((clone) => ({ clone, runs: [["sync"]] })));
  concurrent.forEach((rs, i) =>
    assertEquals(rs[0].code, 0, `${NAMES[i]}: concurrent sync: ${rs[0].stderr}`)
  );
  const rounds = await converge(world, [a, b, c]);
  assertSameState([a, b, c]);
  await assertCompleteState(world);
  assertEquals(conflictMarkers(syncedFiles(a)), []);
  // Who published first is the racers' business: any rival value may win a clash.
  assertEquals(checkWrites(a, writes, null), writes.length);
  assertEquals(ticketsOf(a).length, tickets + 5);

  report("sync-offline", {
    clones: 3,
    orders: orders.length,
    tickets,
    writes: writes.length,
    lost: 0,
    conflict_markers: 0,
    renumbered,
    max_rounds: maxRounds,
    concurrent_rounds: rounds,
    setup_seconds: setupSeconds.toFixed(1),
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    seed: s,
  });
});
