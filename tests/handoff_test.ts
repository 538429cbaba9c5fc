/**
 * Handoff notes (docs/agents.md "Handoff"): a ticket taken from its holder without a handover
 * (stale reclaim, claim --force) gains a Work Log note with what the next agent needs, and the
 * next agent's `claim` / `next` points at it.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { type TempStore, tempStore, testCommand } from "./helpers.ts";

async function must(s: TempStore, args: string[], options = {}): Promise<string> {
  const r = await s.track(args, options);
  assertEquals(r.code, 0, `setup: track ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function git(dir: string, ...args: string[]): void {
  const out = testCommand("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  assertEquals(out.code, 0, `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/** A git worktree on branch feat/parser with one modified and one new file, not committed. */
function worktree(root: string): string {
  const wt = `${root}/wt-bravo`;
  Deno.mkdirSync(`${wt}/src`, { recursive: true });
  git(wt, "init", "-q", "-b", "feat/parser");
  Deno.writeTextFileSync(`${wt}/src/parser.ts`, "export const a = 1;\n");
  git(wt, "add", "-A");
  git(wt, "commit", "-q", "-m", "start");
  Deno.writeTextFileSync(`${wt}/src/parser.ts`, "export const a = 2;\n");
  Deno.writeTextFileSync(`${wt}/src/lexer.ts`, "export const b = 1;\n");
  // A repository hook that must never run.
  Deno.writeTextFileSync(`${wt}/.git/hooks/post-index-change`, "#!/bin/sh\ntouch ../HOOK_RAN\n");
  Deno.chmodSync(`${wt}/.git/hooks/post-index-change`, 0o755);
  return wt;
}

interface LogJson {
  ticket: { status: string; log: Array<{ at: string; agent: string; message: string }> };
}

Deno.test("stale reclaim leaves a handoff note: last log lines, branch, worktree, uncommitted files, reservations", async () => {
  await using s = await tempStore();
  const wt = worktree(s.root);
  await must(s, ["create", "--title", "Parser"]);
  await must(s, ["register", "--agent", "bravo", "--worktree", wt]);
  await must(s, ["claim", "T-0001", "--agent", "bravo"]);
  await must(s, ["files", "--add", "src/parser.ts", "--agent", "bravo", "--ticket", "T-0001"]);
  await must(s, ["log", "T-0001", "--agent", "bravo", "-m", "tokenizer done, parser half way"]);
  // 31 minutes of silence: past the 30m threshold.
  const clock = { now: "+1860000", uptime: "+1860000" };
  await must(s, ["stale", "--reclaim", "--agent", "alpha"], { clock });
  const shown = JSON.parse(await must(s, ["show", "T-0001", "--json"])) as LogJson;
  assertEquals(shown.ticket.status, "backlog");
  const note = shown.ticket.log.at(-1)!;
  assertEquals(note.agent, "alpha", "written by whoever reclaimed");
  const lines = note.message.split("\n");
  assert(lines[0].startsWith("handoff from bravo (reclaimed: no heartbeat for"), lines[0]);
  assertStringIncludes(note.message, "its last Work Log entries:\n");
  assertStringIncludes(note.message, "tokenizer done, parser half way");
  assertStringIncludes(note.message, "branch: feat/parser");
  assertStringIncludes(note.message, `worktree: ${wt}\n`);
  assertStringIncludes(note.message, "uncommitted changes (2, git status --porcelain):");
  assertStringIncludes(note.message, " M src/parser.ts");
  assertStringIncludes(note.message, "?? src/lexer.ts");
  assertStringIncludes(note.message, "reservations released: src/parser.ts (bravo, exclusive)");
  assert(!Deno.statSync(wt).isFile && !exists(`${s.root}/HOOK_RAN`), "no repository hook ran");
  // The next agent is pointed at it, in text and --json.
  const claimed = await must(s, ["claim", "T-0001", "--agent", "charlie"]);
  assertStringIncludes(claimed, "Handoff (");
  assertStringIncludes(claimed, "handoff from bravo");
  assertStringIncludes(claimed, "track show T-0001");
  await must(s, ["update", "T-0001", "--status", "backlog", "--agent", "charlie"]);
  const next = JSON.parse(await must(s, ["next", "--agent", "delta", "--json"]));
  assertEquals(next.handoff.agent, "alpha");
  assert(next.handoff.message.startsWith("handoff from bravo"));
});

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a worktree missing on this machine is named, not read; claim --force leaves a note too", async () => {
  await using s = await tempStore();
  await must(s, ["create", "--title", "Parser"]);
  await must(s, ["register", "--agent", "bravo", "--worktree", "/nonexistent/wt-bravo"]);
  await must(s, ["claim", "T-0001", "--agent", "bravo"]);
  const r = JSON.parse(
    await must(s, ["claim", "T-0001", "--agent", "charlie", "--force", "--json"]),
  );
  assertEquals(r.taken_from, "bravo");
  const lines: string[] = r.handoff.message.split("\n");
  assertEquals(lines[0], 'handoff from bravo (taken over by "charlie" with --force)');
  assert(
    lines.includes("worktree: /nonexistent/wt-bravo (not on this machine)"),
    r.handoff.message,
  );
  assert(lines.includes("its last Work Log entries: none"));
  assert(lines.includes("reservations released: none"));
});
