/** Timestamps, durations and ages as shown and stored. */
import { usageError } from "./errors.ts";

/** UTC timestamp with second precision: `2026-01-31T12:00:00Z`. */
export function isoSeconds(d: Date): string {
  return d.toISOString().slice(0, 19) + "Z";
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `30m`, `4h`, `2d` (or a combination like `1h30m`) into milliseconds. */
export function parseDuration(text: string, flag = "duration"): number {
  const t = text.trim();
  if (!/^(\d+[smhd])+$/.test(t)) {
    throw usageError(`Invalid ${flag} ${JSON.stringify(text)}: use forms like 90s, 30m, 4h or 2d`);
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhd])/g)) ms += Number(m[1]) * UNITS[m[2]];
  return ms;
}

/** Human age: `12s`, `4m`, `3h`, `2d`. */
export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

/** Parses a stored or user-given timestamp; NaN when invalid. */
export function parseTime(text: string): number {
  return Date.parse(text);
}
