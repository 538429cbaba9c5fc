/**
 * Test-only npm packages (the MCP SDK for tests/mcp_sdk_test.ts, axe-core for
 * tests/dashboard_a11y_test.ts): installed with npm into a temp directory per version, cached
 * between runs, never in deno.lock. Without node or npm such a test is skipped locally
 * (`ignore: !npmAvailable && !inCi`), but fails under CI=true so it never goes quiet where it
 * matters.
 */
import { testCommand } from "./helpers.ts";

async function has(cmd: string): Promise<boolean> {
  try {
    const out = await testCommand(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether this run is CI's (`CI=true`). */
export const inCi = Deno.env.get("CI") === "true";

/** Whether node and npm are on the PATH. */
export const npmAvailable = (await has("node")) && (await has("npm"));

/** Certificate settings npm needs behind a proxy with its own CA (testEnv drops them). */
function caEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
    const v = Deno.env.get(name);
    if (v) out[name] = v;
  }
  return out;
}

/**
 * Installs `name@version` once into `<tmp>/track-<slug>-<version>` (its npm cache beside it);
 * returns that directory (the package is in its `node_modules/<name>`).
 */
export async function npmPackage(name: string, version: string, slug: string): Promise<string> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  const dir = `${tmp}/track-${slug}-${version}`;
  const marker = `${dir}/node_modules/${name}/package.json`;
  try {
    if (JSON.parse(Deno.readTextFileSync(marker)).version === version) return dir;
  } catch {
    // Not installed yet (or torn): install below.
  }
  // A fresh directory per install, renamed into place, so two test runs never share a half one.
  const staging = Deno.makeTempDirSync({ dir: tmp, prefix: `track-${slug}-staging-` });
  const out = await testCommand("npm", {
    args: [
      "install",
      "--prefix",
      staging,
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--loglevel=error",
      `${name}@${version}`,
    ],
    env: { npm_config_cache: `${tmp}/track-${slug}-npm-cache`, ...caEnv() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`npm install failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  try {
    Deno.renameSync(staging, dir);
  } catch (e) {
    // Another run installed it meanwhile (the rename meets a non-empty directory): use theirs.
    Deno.removeSync(staging, { recursive: true });
    try {
      Deno.statSync(marker);
    } catch {
      throw e;
    }
  }
  return dir;
}
