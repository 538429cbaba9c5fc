/** Ticket ids: `T-0007`. Accepted as `T-0007`, `t-7` or `7`; anything else is refused early. */
import { usageError } from "./errors.ts";

/** Canonical id pattern (at least four digits). */
export const TICKET_ID = /^T-(\d{4,9})$/;
const LOOSE_ID = /^(?:[Tt]-)?(\d{1,9})$/;

/** Formats a ticket number as its id. */
export function formatId(n: number): string {
  // Whole numbers without padStart: a cold reader formats one id per ticket file, and this
  // costs about a third of the padded template there.
  if (n >= 0 && n % 1 === 0) {
    return (n >= 1000 ? "T-" : n >= 100 ? "T-0" : n >= 10 ? "T-00" : "T-000") + n;
  }
  return `T-${String(n).padStart(4, "0")}`;
}

/** The number of a canonical id, or null. */
export function idNumber(id: string): number | null {
  const m = TICKET_ID.exec(id);
  if (!m) return null;
  const n = Number(m[1]);
  return formatId(n) === id ? n : null;
}

/** Normalises user input to a canonical id, or null when it is not one. */
export function normalizeId(input: string): string | null {
  const m = LOOSE_ID.exec(input.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n === 0 ? null : formatId(n);
}

/** Like {@linkcode normalizeId} but throws a usage error (exit 2) for invalid input. */
export function parseId(input: string): string {
  const id = normalizeId(input);
  if (id !== null) return id;
  const shown = input.length > 40 ? input.slice(0, 40) + "…" : input;
  throw usageError(
    `Invalid ticket id ${JSON.stringify(shown)}: expected T-0007, t-7 or 7`,
    "track list",
  );
}
