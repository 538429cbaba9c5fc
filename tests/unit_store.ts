/**
 * An initialised store for in-process unit tests of the rules (src/operations/*_test.ts): laid
 * out as `track init` lays it out, without starting a process. Removed on dispose.
 */
import { DEFAULT_CONFIG, Store } from "../src/store/store.ts";
import { createTicket } from "../src/operations/create.ts";
import type { Ticket } from "../src/model/ticket.ts";
import { TrackError } from "../src/model/errors.ts";

/** A store in a temp directory, and shortcuts the rule tests share. */
export interface UnitStore extends Disposable {
  store: Store;
  /** The project directory (parent of .track/). */
  root: string;
  /** Creates a backlog ticket titled `title`, depending on `dependsOn`. */
  create(title: string, dependsOn?: string[]): Promise<Ticket>;
}

/** Fixed clock for rule tests: minute `m` after 2026-03-01T10:00:00Z. */
export function at(m: number): Date {
  return new Date(Date.UTC(2026, 2, 1, 10, m));
}

/** Makes a store in a fresh temp directory. */
export function unitStore(): UnitStore {
  const root = Deno.makeTempDirSync({ prefix: "track-unit-" });
  const dir = `${root}/.track`;
  for (const sub of ["tickets", "agents", "board"]) {
    Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
  }
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n");
  const store = new Store(dir);
  return {
    store,
    root,
    create: (title, dependsOn = []) =>
      createTicket(store, {
        title,
        priority: "medium",
        labels: [],
        dependsOn,
        description: "",
        by: "human",
      }, at(0)),
    [Symbol.dispose]() {
      Deno.removeSync(root, { recursive: true });
    },
  };
}

/** The TrackError `p` is refused with (any other outcome fails the test). */
export async function refused(p: Promise<unknown>): Promise<TrackError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TrackError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}
