/**
 * The fixed set of files the dashboard serves. Everything is a text import, so `deno compile`
 * embeds it; Preact and htm come from the installed npm packages (nothing third-party is
 * copied into the repository). The browser has no import map (CSP forbids inline scripts), so
 * the one bare `"preact"` import inside the hooks module is pointed at our vendor path.
 */
import indexHtml from "../../web/index.html" with { type: "text" };
import appJs from "../../web/app.js" with { type: "text" };
import apiJs from "../../web/api.js" with { type: "text" };
import deltasJs from "../../web/deltas.js" with { type: "text" };
import kanbanJs from "../../web/kanban.js" with { type: "text" };
import panelsJs from "../../web/panels.js" with { type: "text" };
import detailJs from "../../web/detail.js" with { type: "text" };
import formsJs from "../../web/forms.js" with { type: "text" };
import piecesJs from "../../web/pieces.js" with { type: "text" };
import waitingJs from "../../web/waiting.js" with { type: "text" };
import graphJs from "../../web/graph.js" with { type: "text" };
import markdownJs from "../../web/markdown.js" with { type: "text" };
import syncJs from "../../web/sync.js" with { type: "text" };
import styleCss from "../../web/style.css" with { type: "text" };
import faviconSvg from "../../web/favicon.svg" with { type: "text" };
import preactJs from "preact" with { type: "text" };
import hooksJs from "preact/hooks" with { type: "text" };
import htmJs from "htm" with { type: "text" };

/** One servable file. */
export interface Asset {
  body: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";

function pointHooksAtVendor(src: string): string {
  const out = src.replace(/from\s*(["'])preact\1/g, 'from"/vendor/preact.mjs"');
  if (out === src || /from\s*["']preact["']/.test(out)) {
    throw new Error('preact/hooks no longer imports "preact" as expected; update assets.ts');
  }
  return out;
}

/** Placeholder in index.html replaced by the per-run token. */
export const TOKEN_PLACEHOLDER = "__TRACK_TOKEN__";

/** The page with the per-run token filled in. */
export function indexPage(token: string): Asset {
  if (!/^[0-9a-f]+$/.test(token)) throw new Error("token must be hex");
  return { body: indexHtml.replace(TOKEN_PLACEHOLDER, token), type: "text/html; charset=utf-8" };
}

/** Every static file by URL path (the page itself is {@linkcode indexPage}). */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["/app.js", { body: appJs, type: JS }],
  ["/api.js", { body: apiJs, type: JS }],
  ["/deltas.js", { body: deltasJs, type: JS }],
  ["/kanban.js", { body: kanbanJs, type: JS }],
  ["/panels.js", { body: panelsJs, type: JS }],
  ["/detail.js", { body: detailJs, type: JS }],
  ["/forms.js", { body: formsJs, type: JS }],
  ["/pieces.js", { body: piecesJs, type: JS }],
  ["/waiting.js", { body: waitingJs, type: JS }],
  ["/graph.js", { body: graphJs, type: JS }],
  ["/markdown.js", { body: markdownJs, type: JS }],
  ["/sync.js", { body: syncJs, type: JS }],
  ["/style.css", { body: styleCss, type: "text/css; charset=utf-8" }],
  ["/favicon.svg", { body: faviconSvg, type: "image/svg+xml" }],
  ["/vendor/preact.mjs", { body: preactJs, type: JS }],
  ["/vendor/hooks.mjs", { body: pointHooksAtVendor(hooksJs), type: JS }],
  ["/vendor/htm.mjs", { body: htmJs, type: JS }],
]);
