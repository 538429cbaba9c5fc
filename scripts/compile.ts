/**
 * `deno task compile [--target T]... [--out DIR]`: builds binaries `dist/track-<target>` with
 * `deno compile`, embedding `web/` (the dashboard's browser files) when it exists, then writes
 * `dist/SHA256SUMS` (`sha256sum -c` format) for every binary in dist/.
 *
 * `deno compile` downloads Deno's compile runtime (denort) for each target from dl.deno.land.
 * Where that host is unreachable the script stops with one clear line and exit 1, never a stack
 * trace. Set `DENORT_BIN` to a local denort binary to build for the host without downloading.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { V8_FLAGS_ARG } from "../src/store/self_argv.ts";

/** Every target the release builds. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Folders embedded into the binary when present (read at run time, not imported). */
const EMBED = ["web"];

function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** One line explaining a failed `deno compile`, from its stderr. */
export function explainFailure(target: string, stderr: string): string {
  const plain = stderr; // NO_COLOR is set for the child, so no escape codes
  const url = /https:\/\/dl\.deno\.land\/\S+?\.zip/.exec(plain)?.[0];
  if (url || /Setting up base binary/.test(plain)) {
    const causes = [...plain.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1].trim());
    const why = /dns error|Connect|timed out|unreachable/i.test(plain)
      ? "the host is unreachable from here"
      : `download failed (${causes[causes.length - 1] ?? "no detail"})`;
    return `compile: cannot download Deno's compile runtime for ${target}` +
      (url ? ` from ${url}` : "") +
      `: ${why}; build on a machine with internet access ` +
      "(the release workflow does) or set DENORT_BIN to a local denort binary";
  }
  const first = plain.split("\n").find((l) => /error/i.test(l))?.trim() ??
    plain.trim().split("\n")[0] ?? "no output";
  return `compile: deno compile failed for ${target}: ${first}`;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes `SHA256SUMS` (sha256sum format) for every track-* file in `dist`; returns its path. */
export async function writeChecksums(dist: string): Promise<string> {
  const names = [...Deno.readDirSync(dist)].filter((e) => e.isFile && e.name.startsWith("track-"))
    .map((e) => e.name).sort();
  let text = "";
  for (const name of names) text += `${await sha256(join(dist, name))}  ${name}\n`;
  const path = join(dist, "SHA256SUMS");
  await Deno.writeTextFile(path, text);
  return path;
}

function parseArgs(args: string[]): { targets: string[]; dist: string } {
  const picked: string[] = [];
  let dist = join(ROOT, "dist");
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--out" && args[i + 1] !== undefined) {
      dist = args[++i];
      continue;
    }
    const value = a === "--target" ? args[++i] : a.startsWith("--target=") ? a.slice(9) : null;
    if (value === null || value === undefined) {
      say(
        `compile: unknown argument "${a}" (usage: deno task compile [--target T]... [--out DIR])`,
      );
      Deno.exit(2);
    }
    if (!(TARGETS as readonly string[]).includes(value)) {
      say(`compile: unknown target "${value}"; expected one of ${TARGETS.join(", ")}`);
      Deno.exit(2);
    }
    picked.push(value);
  }
  return { targets: picked.length > 0 ? picked : [...TARGETS], dist };
}

async function main(args: string[]): Promise<number> {
  const { targets, dist } = parseArgs(args);
  await Deno.mkdir(dist, { recursive: true });
  const includes = EMBED.filter((d) => exists(join(ROOT, d))).flatMap((d) => ["--include", d]);
  for (const target of targets) {
    const output = join(dist, `track-${target}`);
    say(`compile: building ${output}`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--allow-all",
        "--no-prompt",
        V8_FLAGS_ARG,
        ...includes,
        "--target",
        target,
        "--output",
        output,
        "main.ts",
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (r.code !== 0) {
      say(explainFailure(target, new TextDecoder().decode(r.stderr)));
      return 1;
    }
  }
  say(`compile: wrote ${await writeChecksums(dist)}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
