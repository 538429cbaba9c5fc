/**
 * Model prices for `track cost`, in US dollars per million tokens. Editable per project with
 * `"prices"` in config.json (same shape, merged over this table; docs/agents.md "Time and cost").
 * A model matches the longest key it starts with, after dropping a provider prefix such as
 * `anthropic.` and a date suffix; an unknown model is counted in tokens with no cost.
 */
import type { Tokens } from "./cost.ts";

/** Dollars per million tokens of each kind. */
export interface Price {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute cache). */
  cache_write: number;
  cache_read: number;
}

/** When {@linkcode PRICES} was last checked against Anthropic's published prices. */
export const PRICES_AS_OF = "2026-11-29";

/** Anthropic list prices (USD per million tokens), by model name prefix. */
export const PRICES: Readonly<Record<string, Price>> = {
  "claude-opus-4-5": { input: 5, output: 25, cache_write: 6.25, cache_read: 0.5 },
  "claude-opus-4": { input: 15, output: 75, cache_write: 18.75, cache_read: 1.5 },
  "claude-sonnet-4": { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 },
  "claude-3-7-sonnet": { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 },
  "claude-3-5-sonnet": { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cache_write: 1.25, cache_read: 0.1 },
  "claude-3-5-haiku": { input: 0.8, output: 4, cache_write: 1, cache_read: 0.08 },
  "claude-3-haiku": { input: 0.25, output: 1.25, cache_write: 0.3, cache_read: 0.03 },
};

/** The price of `model` from `table`, or null when no key matches. */
export function priceFor(model: string, table: Readonly<Record<string, Price>>): Price | null {
  const name = model.replace(/^[a-z]+\./, "").replace(/-\d{8}$/, "");
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    if (name.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : table[best];
}

/** Dollars for `tokens` at `price`. */
export function costOf(tokens: Tokens, price: Price): number {
  return (tokens.input * price.input + tokens.output * price.output +
    tokens.cache_write * price.cache_write + tokens.cache_read * price.cache_read) / 1e6;
}

/**
 * Checks a `"prices"` override from config.json: an object of model prefix -> {input, output,
 * cache_write, cache_read} (non-negative numbers). Returns the message of the first problem, or
 * null when it is fine.
 */
export function checkPrices(v: unknown): string | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return `"prices" must be an object of model -> {input, output, cache_write, cache_read}`;
  }
  for (const [model, p] of Object.entries(v)) {
    for (const k of ["input", "output", "cache_write", "cache_read"]) {
      const n = (p as Record<string, unknown> | null)?.[k];
      if (typeof n !== "number" || !(n >= 0)) {
        return `"prices.${model}.${k}" must be a number of dollars per million tokens`;
      }
    }
  }
  return null;
}
