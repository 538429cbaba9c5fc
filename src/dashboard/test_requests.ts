/**
 * Requests the dashboard's handler tests send (handler_test.ts, actions_test.ts): a page on
 * 127.0.0.1 with its token, and the headers a test takes away or changes to be refused.
 */

/** The port the tests' handler believes it serves. */
export const PORT = 7777;
/** The page's own origin. */
export const BASE = `http://127.0.0.1:${PORT}`;
/** The handler's token in these tests. */
export const TOKEN = "ab".repeat(24);

/** A GET as the page sends it (Host of the server; more headers optional). */
export function get(path: string, headers: Record<string, string> = {}): Request {
  return new Request(BASE + path, { headers: { host: `127.0.0.1:${PORT}`, ...headers } });
}

/**
 * A POST as the page sends it: Host, Origin, JSON and the token; `headers` overrides one (a
 * value) or removes it (null). A string body is sent as it is.
 */
export function write(
  path: string,
  body: unknown,
  headers: Record<string, string | null> = {},
): Request {
  const h: Record<string, string> = {
    host: `127.0.0.1:${PORT}`,
    origin: BASE,
    "content-type": "application/json",
    "x-track-token": TOKEN,
  };
  for (const [k, v] of Object.entries(headers)) {
    if (v === null) delete h[k];
    else h[k] = v;
  }
  return new Request(BASE + path, {
    method: "POST",
    headers: h,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
