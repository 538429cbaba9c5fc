import { assert, assertEquals } from "../../tests/assert.ts";
import { ASSETS, indexPage } from "./assets.ts";

const WEB = new URL("../../web/", import.meta.url);
const SINKS = [".innerHTML", ".outerHTML", "insertAdjacentHTML", "dangerouslySetInnerHTML"];

/** URL paths of every JavaScript file served, the vendored npm modules included. */
function allModules(): string[] {
  return [...ASSETS].filter(([, a]) => a.type.startsWith("text/javascript")).map(([p]) => p);
}

/** The page's own modules (not the vendored npm files): `[path, source]`. */
function pageModules(): Array<[string, string]> {
  return allModules().filter((p) => !p.startsWith("/vendor/")).map((p) => [p, ASSETS.get(p)!.body]);
}

/** The module specifiers in `src`: static imports and re-exports, then `import()` of a literal. */
function specifiers(src: string): { fixed: string[]; lazy: string[] } {
  const from = src.matchAll(/\b(?:import|export)\s[^;(]*?\bfrom\s*(["'])([^"']+)\1/g);
  const bare = src.matchAll(/\bimport\s*(["'])([^"']+)\1/g);
  const lazy = src.matchAll(/\bimport\(\s*(["'])([^"']+)\1\s*\)/g);
  return { fixed: [...from, ...bare].map((m) => m[2]), lazy: [...lazy].map((m) => m[2]) };
}

/** The modules the entry loads before it runs: app.js and its static imports, transitively. */
function staticClosure(): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const spec of specifiers(ASSETS.get(path)!.body).fixed) visit(spec);
  };
  visit("/app.js");
  return seen;
}

Deno.test("assets: every file in web/ is served (a new page module needs its line in assets.ts)", () => {
  const files = [...Deno.readDirSync(WEB)].filter((e) => e.isFile).map((e) => e.name).sort();
  for (const name of files) {
    if (name === "index.html") continue; // served as the page, with the token
    assert(ASSETS.has(`/${name}`), `web/${name} is not in ASSETS (src/dashboard/assets.ts)`);
  }
  const own = [...ASSETS.keys()].filter((p) => !p.startsWith("/vendor/")).map((p) => p.slice(1));
  assertEquals(own.filter((name) => !files.includes(name)), []);
});

Deno.test("assets: every import in the page's modules names a served module", () => {
  const modules = pageModules();
  assert(modules.length >= 7, `only ${modules.length} page modules`);
  const reached = new Set<string>(["/app.js"]);
  for (const [path, body] of modules) {
    const { fixed, lazy } = specifiers(body);
    const found = [...fixed, ...lazy];
    // markdown.js and deltas.js import nothing (deltas.js runs in Deno tests too).
    if (path !== "/markdown.js" && path !== "/deltas.js") {
      assert(found.length > 0, `${path}: no imports found`);
    }
    for (const spec of found) {
      // Absolute paths only: the browser has no import map and the server no directories.
      assert(spec.startsWith("/"), `${path} imports "${spec}": use an absolute path`);
      assert(ASSETS.has(spec), `${path} imports "${spec}", which is not served`);
      reached.add(spec);
    }
  }
  // Nothing served for nothing: each page module is the entry or imported by another one.
  for (const [path] of modules) assert(reached.has(path), `${path} is imported by no module`);
  assert(indexPage("ab").body.includes('<script type="module" src="/app.js"></script>'));
});

Deno.test("assets: the page preloads what app.js imports, and nothing loaded on demand", () => {
  const links = indexPage("ab").body.matchAll(/<link rel="modulepreload" href="([^"]+)" \/>/g);
  const preloaded = [...links].map((m) => m[1]).sort();
  // Preloading a module only reached by import() (graph.js) would fetch it on every page load.
  assertEquals(preloaded, [...staticClosure()].filter((p) => p !== "/app.js").sort());
});

Deno.test("assets: no page module writes HTML (agent text reaches Preact as text)", () => {
  for (const [path, body] of pageModules()) {
    for (const sink of SINKS) assert(!body.includes(sink), `${path} uses ${sink}`);
  }
});
