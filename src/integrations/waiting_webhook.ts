/**
 * The optional "waiting for you" webhook (docs/agents.md "Waiting for you"): config.json's
 * `waiting_webhook` names an http(s) URL; when an agent enters "waiting", the hook that set it
 * POSTs one JSON object there, at most once per agent per {@linkcode WEBHOOK_DEBOUNCE_MS},
 * after the store write, waiting at most {@linkcode WEBHOOK_TIMEOUT_MS} for the answer. A failed
 * or slow POST is reported on stderr and changes nothing; the hook still succeeds.
 */
import { badDataError } from "../model/errors.ts";
import type { Store } from "../store/store.ts";

/** An agent that entered "waiting" is announced again only after this long. */
export const WEBHOOK_DEBOUNCE_MS = 60_000;
/** The hook waits at most this long for the webhook to answer. */
export const WEBHOOK_TIMEOUT_MS = 1_500;
/** The agent record's key holding when its last webhook POST was decided. */
export const WEBHOOK_AT_KEY = "waiting_webhook_at";

/** The webhook URL from config.json, or null when none is set. Exit 6 for a bad value. */
export function waitingWebhookUrl(store: Store): string | null {
  const { raw, display } = store.checkConfig();
  const v = raw.waiting_webhook;
  if (v === undefined || v === null || v === "") return null;
  let url: URL | null = null;
  try {
    url = typeof v === "string" ? new URL(v) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw badDataError(
      display,
      `"waiting_webhook" must be an http:// or https:// URL, not ${JSON.stringify(v)}`,
    );
  }
  return url.href;
}

/** Whether an agent whose last POST was decided at `last` (ISO, or undefined) is due one now. */
export function webhookDue(last: unknown, now: Date): boolean {
  if (typeof last !== "string") return true;
  const t = Date.parse(last);
  const age = now.getTime() - t;
  // A time in the future (a clock set back) does not silence the agent for good.
  return Number.isNaN(t) || age >= WEBHOOK_DEBOUNCE_MS || age < 0;
}

/** POSTs `payload` as JSON; resolves to null on a 2xx answer, else to what went wrong. */
export async function postWebhook(url: string, payload: unknown): Promise<string | null> {
  try {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await r.body?.cancel();
    return r.ok ? null : `answered ${r.status}`;
  } catch (e) {
    return e instanceof DOMException && e.name === "TimeoutError"
      ? `no answer within ${WEBHOOK_TIMEOUT_MS} ms`
      : (e as Error).message;
  }
}
