/** Ticket dependencies: existence, cycles, and which are still open. */
import { conflictError, notFoundError } from "../model/errors.ts";
import type { Store } from "../store/store.ts";
import type { Ticket } from "../model/ticket.ts";

/** Throws exit 4 naming any dependency that does not exist. */
export function checkDependenciesExist(store: Store, deps: readonly string[], of: string): void {
  const missing = deps.filter((d) => store.tryReadTicket(d) === null);
  if (missing.length > 0) {
    const archived = missing.filter((m) => store.isArchived(m));
    throw notFoundError(
      `Cannot make "${of}" depend on ${missing.map((m) => `"${m}"`).join(", ")}: ` +
        (archived.length === missing.length ? "archived" : "no such ticket"),
      archived.length > 0 ? `track archive ${archived[0]} --restore` : "track list --all",
    );
  }
}

/**
 * Throws exit 3 showing the cycle when `id` depending on `deps` would close one. Reads only the
 * tickets reachable from `deps`.
 */
export function checkNoCycle(store: Store, id: string, deps: readonly string[]): void {
  const seen = new Set<string>();
  const path: string[] = [id];
  const visit = (cur: string): string[] | null => {
    if (cur === id) return [...path, cur];
    if (seen.has(cur)) return null;
    seen.add(cur);
    let t: Ticket | null = null;
    try {
      t = store.tryReadTicket(cur);
    } catch {
      return null; // An unreadable ticket cannot be followed; list/doctor report it.
    }
    path.push(cur);
    for (const next of t?.depends_on ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    return null;
  };
  for (const d of deps) {
    const cycle = d === id ? [id, id] : visit(d);
    if (cycle) {
      throw conflictError(
        `Cannot make "${id}" depend on "${d}": that would close the cycle ${cycle.join(" -> ")}`,
        `track show ${d}`,
        { cycle },
      );
    }
  }
}

/** Dependencies of `t` that are not done (missing ones count as open), in order. */
export function openDependencies(store: Store, t: Ticket): Array<{ id: string; status: string }> {
  const open: Array<{ id: string; status: string }> = [];
  for (const d of t.depends_on) {
    let status = "missing";
    try {
      status = store.tryReadTicket(d)?.status ?? "missing";
    } catch {
      status = "unreadable";
    }
    if (status !== "done") open.push({ id: d, status });
  }
  return open;
}
