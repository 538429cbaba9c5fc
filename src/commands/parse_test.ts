/**
 * Every command's argument parsing, through the same path as `main` (parseCommand: flags,
 * choices, stray positionals, then the command's own `parse`), without running anything: one
 * table per command of argv -> options, or argv -> the start of the usage error (exit 2). A
 * command added to the registry without a table fails the last test.
 */
import { assertEquals } from "../../tests/assert.ts";
import { parseCommand } from "../cli/command.ts";
import { COMMANDS } from "../cli/registry.ts";
import { TrackError } from "../model/errors.ts";

/** An argv and what it parses to: the options, or `{ usage: message }`. */
type Row = [string[], Record<string, unknown>];

const TABLES: Record<string, Row[]> = {
  "cost": [
    [[], { "by": "ticket" }],
    [["--by", "label"], { "by": "label" }],
    [["--by", "x"], { "usage": 'Invalid value "x" for "--by"' }],
    [["x"], { "usage": 'Unexpected argument "x" for "track cost"' }],
  ],
  "init": [
    [[], {}],
    [["extra"], { "usage": 'Unexpected argument "extra" for "track init"' }],
  ],
  "create": [
    [["--title", "Fix it"], {
      "title": "Fix it",
      "priority": "medium",
      "labels": [],
      "dependsOn": [],
      "verify": [],
    }],
    [["-t", "x", "-p", "high", "-l", "b,a", "--depends-on", "1,T-0002"], {
      "title": "x",
      "priority": "high",
      "labels": ["b", "a"],
      "dependsOn": ["T-0001", "T-0002"],
      "verify": [],
    }],
    [["--title", "x", "--body", "b", "--acceptance", "c", "--by", "alice"], {
      "title": "x",
      "priority": "medium",
      "labels": [],
      "dependsOn": [],
      "body": "b",
      "acceptance": "c",
      "verify": [],
      "by": "alice",
    }],
    [["-t", "x", "--parent", "t-9", "--needs", "review,frontend"], {
      "title": "x",
      "priority": "medium",
      "labels": [],
      "dependsOn": [],
      "parent": "T-0009",
      "needs": ["review", "frontend"],
      "verify": [],
    }],
    [["-t", "x", "--offline"], {
      "title": "x",
      "priority": "medium",
      "labels": [],
      "dependsOn": [],
      "verify": [],
      "offline": true,
    }],
    [["-t", "x", "--parent", "epic"], { "usage": 'Invalid ticket id "epic"' }],
    [[], { "usage": '"track create" needs --title TEXT' }],
    [["-t", "x", "-p", "urgent"], {
      "usage": 'Invalid value "urgent" for "-p": expected one of critical, high, medium, low',
    }],
    [["-t", "x", "--depends-on", "nope"], {
      "usage": 'Invalid ticket id "nope": expected T-0007, t-7 or 7',
    }],
    [["-t", "x", "extra"], { "usage": 'Unexpected argument "extra" for "track create"' }],
    [["-t", "x", "--verify", "deno test", "--verify", "make"], {
      "title": "x",
      "priority": "medium",
      "labels": [],
      "dependsOn": [],
      "verify": ["deno test", "make"],
    }],
  ],
  "list": [
    [[], { "all": false, "archived": false }],
    [["--status", "review", "--agent", "a", "--label", "ui", "--priority", "low"], {
      "status": "review",
      "agent": "a",
      "label": "ui",
      "priority": "low",
      "all": false,
      "archived": false,
    }],
    [["--all"], { "all": true, "archived": false }],
    [["--archived"], { "all": false, "archived": true }],
    [["--all", "--archived"], { "all": true, "archived": true }],
    [["--status", "doing"], {
      "usage":
        'Invalid value "doing" for "--status": expected one of backlog, claimed, in-progress, review, done',
    }],
    [["x"], { "usage": 'Unexpected argument "x" for "track list"' }],
  ],
  "show": [
    [["1"], { "id": "T-0001" }],
    [["T-0042"], { "id": "T-0042" }],
    [[], { "usage": '"track show" needs a ticket id' }],
    [["1", "2"], { "usage": '"track show" takes one ticket id, got 2' }],
    [["nope"], { "usage": 'Invalid ticket id "nope": expected T-0007, t-7 or 7' }],
  ],
  "path": [
    [[], { "id": null }],
    [["7"], { "id": "T-0007" }],
    [["1", "2"], { "usage": '"track path" takes at most one ticket id, got 2' }],
    [["nope"], { "usage": 'Invalid ticket id "nope": expected T-0007, t-7 or 7' }],
  ],
  "edit": [
    [["T-0042"], { "id": "T-0042" }],
    [[], { "usage": '"track edit" needs a ticket id' }],
    [["1", "2"], { "usage": '"track edit" takes one ticket id, got 2' }],
  ],
  "ready": [
    [[], {}],
    [["--label", "ui"], { "label": "ui" }],
    [["x"], { "usage": 'Unexpected argument "x" for "track ready"' }],
  ],
  "blocked": [
    [[], {}],
    [["x"], { "usage": 'Unexpected argument "x" for "track blocked"' }],
  ],
  "search": [
    [["token", "refresh", "--in", "title,log", "-s", "review"], {
      "query": "token refresh",
      "fields": ["title", "log"],
      "status": "review",
      "limit": 50,
    }],
    [["x"], { "query": "x", "fields": ["title", "body", "log", "board"], "limit": 50 }],
    [[], { "usage": '"track search" needs words to look for' }],
    [["x", "--in", "tags"], { "usage": 'Unknown field "tags" for --in' }],
    [["x", "--limit", "-1"], { "usage": 'Invalid --limit "-1"' }],
  ],
  "graph": [
    [[], { "all": false, "format": "text" }],
    [["--parent", "t-3", "--all", "--format", "dot"], {
      "parent": "T-0003",
      "all": true,
      "format": "dot",
    }],
    [["-f", "mermaid"], { "all": false, "format": "mermaid" }],
    [["--format", "svg"], {
      "usage": 'Invalid value "svg" for "--format": expected one of text, dot, mermaid, json',
    }],
    [["x"], { "usage": 'Unexpected argument "x" for "track graph"' }],
  ],
  "next": [
    [["--agent", "a"], { "agent": "a", "review": false, "offline": false }],
    [["--label", "ui"], { "label": "ui", "review": false, "offline": false }],
    [["--review", "--parent", "3"], { "parent": "T-0003", "review": true, "offline": false }],
    [[], { "review": false, "offline": false }],
    [["--offline"], { "review": false, "offline": true }],
  ],
  "claim": [
    [["1", "--agent", "a"], { "id": "T-0001", "agent": "a", "force": false, "offline": false }],
    [["T-0001", "--force"], { "id": "T-0001", "force": true, "offline": false }],
    [["T-0001", "--offline"], { "id": "T-0001", "force": false, "offline": true }],
    [[], { "usage": '"track claim" needs a ticket id' }],
    [["1", "2"], { "usage": '"track claim" takes one ticket id, got 2' }],
  ],
  "update": [
    [["1", "--status", "review"], {
      "id": "T-0001",
      "status": "review",
      "addLabels": [],
      "removeLabels": [],
      "addDeps": [],
      "removeDeps": [],
      "addVerify": [],
      "removeVerify": [],
      "force": false,
      "offline": false,
    }],
    [[
      "1",
      "--add-label",
      "a",
      "--add-label",
      "b",
      "--remove-label",
      "c",
      "--branch",
      "",
      "--depends-on",
      "2",
      "--remove-dep",
      "3",
    ], {
      "id": "T-0001",
      "addLabels": ["a", "b"],
      "removeLabels": ["c"],
      "branch": "",
      "addDeps": ["T-0002"],
      "removeDeps": ["T-0003"],
      "addVerify": [],
      "removeVerify": [],
      "force": false,
      "offline": false,
    }],
    [["1", "--title", "t", "--priority", "low", "--force"], {
      "id": "T-0001",
      "priority": "low",
      "title": "t",
      "addLabels": [],
      "removeLabels": [],
      "addDeps": [],
      "removeDeps": [],
      "addVerify": [],
      "removeVerify": [],
      "force": true,
      "offline": false,
    }],
    [["1"], { "usage": '"track update" needs something to change' }],
    [["1", "--status", "doing"], {
      "usage":
        'Invalid value "doing" for "--status": expected one of backlog, claimed, in-progress, review, done',
    }],
    [[], { "usage": '"track update" needs a ticket id' }],
    [["1", "--body", "b", "--acceptance", "c"], {
      "id": "T-0001",
      "body": "b",
      "acceptance": "c",
      "addLabels": [],
      "removeLabels": [],
      "addDeps": [],
      "removeDeps": [],
      "addVerify": [],
      "removeVerify": [],
      "force": false,
      "offline": false,
    }],
  ],
  "log": [
    [["1", "-m", "did it", "--agent", "a"], { "id": "T-0001", "agent": "a", "message": "did it" }],
    [["1"], { "id": "T-0001" }],
    [[], { "usage": '"track log" needs a ticket id' }],
    [["1", "2", "-m", "x"], { "usage": '"track log" takes one ticket id, got 2' }],
  ],
  "verify": [
    [["1"], { "id": "T-0001", "timeoutMs": 600000 }],
    [["1", "--agent", "a", "--timeout", "5m"], {
      "id": "T-0001",
      "agent": "a",
      "timeoutMs": 300000,
    }],
    [[], { "usage": '"track verify" needs a ticket id' }],
    [["1", "--timeout", "x"], {
      "usage": 'Invalid --timeout "x": use forms like 90s, 30m, 4h or 2d',
    }],
  ],
  "archive": [
    [["1"], { "id": "T-0001", "restore": false }],
    [["1", "--restore", "--agent", "a"], { "id": "T-0001", "restore": true, "agent": "a" }],
    [[], { "usage": '"track archive" needs a ticket id' }],
  ],
  "board": [
    [[], { "to": [], "ack": false }],
    [["--agent", "a", "-m", "hi", "--ticket", "1", "--tag", "question"], {
      "to": [],
      "ack": false,
      "agent": "a",
      "message": "hi",
      "ticket": "T-0001",
      "tag": "question",
    }],
    [["--last", "5"], { "to": [], "ack": false, "last": 5 }],
    [["--last", "0"], { "usage": 'Invalid --last "0": expected a positive number' }],
    [["--last", "x"], { "usage": 'Invalid --last "x": expected a positive number' }],
    [["--since", "2h"], { "to": [], "ack": false, "since": "2h" }],
    [["--to", "bob", "-m", "hi"], { "to": ["bob"], "ack": false, "message": "hi" }],
    [["--to", ",", "-m", "x"], { "usage": "--to names no agent" }],
    [["--ack"], { "usage": "--to, --reply-to and --ack go with a post (-m TEXT)" }],
    [["--ticket", "nope"], { "usage": 'Invalid ticket id "nope": expected T-0007, t-7 or 7' }],
  ],
  "inbox": [
    [[], { "all": false, "markRead": false }],
    [["--agent", "a", "--all", "--mark-read"], { "agent": "a", "all": true, "markRead": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track inbox"' }],
  ],
  "ack": [
    [["M"], { "msg": "M" }],
    [[], { "usage": "ack takes one message id" }],
    [["a", "b"], { "usage": "ack takes one message id" }],
  ],
  "register": [
    [[], {
      "capabilities": [],
      "sessionId": null,
      "worktree": null,
      "force": false,
      "offline": false,
    }],
    [["--agent", "a", "--capabilities", "ts,go", "--session-id", "s1", "--force", "--offline"], {
      "agent": "a",
      "capabilities": ["ts", "go"],
      "sessionId": "s1",
      "worktree": null,
      "force": true,
      "offline": true,
    }],
    [["x"], { "usage": 'Unexpected argument "x" for "track register"' }],
  ],
  "heartbeat": [
    [["--agent", "a"], { "agent": "a" }],
    [[], {}],
    [["x"], { "usage": 'Unexpected argument "x" for "track heartbeat"' }],
  ],
  "agents": [
    [[], { "all": false, "waiting": false }],
    [["--all", "--waiting"], { "all": true, "waiting": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track agents"' }],
  ],
  "deregister": [
    [["--agent", "a"], { "agent": "a", "release": false }],
    [["--agent", "a", "--release-tickets"], { "agent": "a", "release": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track deregister"' }],
  ],
  "stale": [
    [[], { "reclaim": false }],
    [["--threshold", "10m", "--reclaim"], { "threshold": "10m", "reclaim": true }],
    [["--threshold", "soon"], { "threshold": "soon", "reclaim": false }],
    [["x"], { "usage": 'Unexpected argument "x" for "track stale"' }],
  ],
  "files": [
    [["--add", "src/a.ts", "b/**", "--agent", "a", "--ticket", "1"], {
      "mode": "add",
      "paths": ["src/a.ts", "b/**"],
      "agent": "a",
      "ticket": "T-0001",
      "shared": false,
      "force": false,
    }],
    [["--add", "x", "--shared"], { "mode": "add", "paths": ["x"], "shared": true, "force": false }],
    [["--check", "a", "b"], {
      "mode": "check",
      "paths": ["a", "b"],
      "shared": false,
      "force": false,
    }],
    [["--list"], { "mode": "list", "paths": [], "shared": false, "force": false }],
    [["--release"], { "mode": "release", "paths": [], "shared": false, "force": false }],
    [["--release", "a"], { "mode": "release", "paths": ["a"], "shared": false, "force": false }],
    [[], { "usage": '"track files" needs exactly one of --add, --check, --list or --release' }],
    [["--list", "--check", "a"], {
      "usage": '"track files" needs exactly one of --add, --check, --list or --release',
    }],
    [["a.ts"], {
      "usage": '"track files" needs exactly one of --add, --check, --list or --release',
    }],
    [["--add", "x", "--shared", "--force"], {
      "mode": "add",
      "paths": ["x"],
      "shared": true,
      "force": true,
    }],
  ],
  "serve": [
    [[], { "port": 7777, "detach": false, "open": false }],
    [["--port", "8080", "-d", "--open"], { "port": 8080, "detach": true, "open": true }],
    [["--port", "x"], { "usage": 'Invalid --port "x": expected a number from 0 to 65535' }],
    [["--port", "70000"], { "usage": 'Invalid --port "70000": expected a number from 0 to 65535' }],
    [["x"], { "usage": 'Unexpected argument "x" for "track serve"' }],
  ],
  "sync": [
    [[], { "fetchOnly": false, "acceptRewind": false, "background": false, "keepLease": null }],
    [["--fetch-only"], {
      "fetchOnly": true,
      "acceptRewind": false,
      "background": false,
      "keepLease": null,
    }],
    [["--accept-rewind"], {
      "fetchOnly": false,
      "acceptRewind": true,
      "background": false,
      "keepLease": null,
    }],
    [["--background"], {
      "fetchOnly": false,
      "acceptRewind": false,
      "background": true,
      "keepLease": null,
    }],
    [["--keep-lease", "bob"], {
      "fetchOnly": false,
      "acceptRewind": false,
      "background": false,
      "keepLease": "bob",
    }],
    [["x"], { "usage": 'Unexpected argument "x" for "track sync"' }],
  ],
  "remote": [
    [["add", "origin"], { "action": "add", "remote": "origin" }],
    [["add", "../r.git", "--ref", "refs/track/x"], {
      "action": "add",
      "remote": "../r.git",
      "ref": "refs/track/x",
    }],
    [["add", "origin", "--adopt"], { "action": "add", "remote": "origin", "adopt": true }],
    [["show", "--adopt"], { "usage": '--adopt goes with "track remote add"' }],
    [["show"], { "action": "show" }],
    [["remove"], { "action": "remove" }],
    [["add"], { "usage": '"track remote add" takes one remote' }],
    [["add", "a", "b"], { "usage": '"track remote add" takes one remote' }],
    [["show", "--ref", "refs/track/x"], { "usage": '--ref goes with "track remote add"' }],
    [["show", "x"], { "usage": '"track remote" needs add, show or remove, got "show x"' }],
    [[], { "usage": '"track remote" needs add, show or remove' }],
  ],
  "stop": [
    [[], {}],
    [["x"], { "usage": 'Unexpected argument "x" for "track stop"' }],
  ],
  "export": [
    [[], { "jsonl": false }],
    [["--jsonl", "--output", "f"], { "jsonl": true, "output": "f" }],
    [["x"], { "usage": 'Unexpected argument "x" for "track export"' }],
  ],
  "import": [
    [["f.json"], { "file": "f.json" }],
    [[], { "usage": '"track import" takes one file (- reads stdin)' }],
    [["a", "b"], { "usage": '"track import" takes one file (- reads stdin)' }],
  ],
  "migrate": [
    [[], { "dryRun": false }],
    [["--from", "p", "--dry-run"], { "from": "p", "dryRun": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track migrate"' }],
  ],
  "doctor": [
    [[], { "fix": false }],
    [["--fix"], { "fix": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track doctor"' }],
  ],
  "protocol": [
    [[], { "format": "claude", "check": false }],
    [["--format", "agents", "--write", "AGENTS.md", "--check"], {
      "format": "agents",
      "write": "AGENTS.md",
      "check": true,
    }],
    [["--format", "x"], {
      "usage": 'Invalid value "x" for "--format": expected one of claude, agents',
    }],
    [["x"], { "usage": 'Unexpected argument "x" for "track protocol"' }],
  ],
  "prime": [
    [[], { "markRead": false }],
    [["--agent", "a", "--mark-read"], { "agent": "a", "markRead": true }],
    [["x"], { "usage": 'Unexpected argument "x" for "track prime"' }],
  ],
  "hooks": [
    [["install", "--claude"], { "action": "install", "claude": true, "git": false }],
    [["uninstall", "--git", "--command", "track", "--settings", "s.json"], {
      "action": "uninstall",
      "claude": false,
      "git": true,
      "command": "track",
      "settings": "s.json",
    }],
    [[], { "usage": '"track hooks" needs install or uninstall' }],
    [["frob"], { "usage": '"track hooks" needs install or uninstall, got "frob"' }],
  ],
  "mcp": [
    [[], {}],
    [["--agent", "a"], { "agent": "a" }],
    [["x"], { "usage": 'Unexpected argument "x" for "track mcp"' }],
  ],
  "completions": [
    [["bash"], { "words": null, "shell": "bash" }],
    [["--words", "tickets"], { "words": "tickets", "shell": null }],
    [[], { "usage": '"track completions" needs one of bash, zsh, fish' }],
    [["tcsh"], { "usage": '"track completions" needs one of bash, zsh, fish, got "tcsh"' }],
    [["--words", "x"], {
      "usage": 'Invalid value "x" for "--words": expected one of tickets, agents',
    }],
  ],
  "hook": [
    [["claude", "session-start"], { "kind": "claude", "event": "session-start" }],
    [["git", "commit-msg", ".git/COMMIT_EDITMSG"], {
      "kind": "git",
      "hook": "commit-msg",
      "args": [".git/COMMIT_EDITMSG"],
    }],
    [["git", "pre-commit"], { "kind": "git", "hook": "pre-commit", "args": [] }],
    [[], {
      "usage": 'Unknown hook "": expected',
    }],
    [["claude", "nope"], {
      "usage": 'Unknown hook "claude nope": expected',
    }],
    [["svn", "x"], {
      "usage": 'Unknown hook "svn x": expected',
    }],
  ],
};

for (const entry of COMMANDS) {
  Deno.test(`track ${entry.name}: argument parsing`, async () => {
    const spec = await entry.load();
    for (const [argv, want] of TABLES[entry.name] ?? []) {
      let got: Record<string, unknown>;
      try {
        const r = parseCommand(spec, argv);
        // Options left undefined are compared as absent.
        got = r.help ? { help: true } : Object.fromEntries(
          Object.entries(r.opts as Record<string, unknown>).filter(([, v]) => v !== undefined),
        );
      } catch (e) {
        if (!(e instanceof TrackError)) throw e;
        assertEquals(e.kind, "usage", `${entry.name} ${JSON.stringify(argv)}: ${e.message}`);
        // A refusal is named by the start of its message (lists of choices may grow).
        const start = typeof want.usage === "string" ? want.usage : "";
        got = { usage: e.message.startsWith(start) ? start : e.message };
      }
      assertEquals(got, want, `track ${entry.name} ${JSON.stringify(argv)}`);
    }
  });
}

Deno.test("every command has a parse table, and --help wins over its arguments", async () => {
  assertEquals(COMMANDS.map((c) => c.name).filter((n) => !(n in TABLES)), []);
  for (const entry of COMMANDS) {
    const spec = await entry.load();
    assertEquals(parseCommand(spec, ["--help"]), { help: true }, entry.name);
    assertEquals(
      parseCommand(spec, ["x", "--help"]).help,
      true,
      entry.name,
    );
  }
});
