/** Helpers for dashboard tests and the dashboard benchmark: ports, Chromium, demo data. */
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { registerAgent } from "../src/operations/lifecycle.ts";
import { claimTicket } from "../src/operations/claims.ts";
import { postEntry } from "../src/operations/board.ts";
import { reservePaths } from "../src/operations/reservations.ts";
import { Store } from "../src/store/store.ts";
import { createTicket } from "../src/operations/create.ts";
import type { Priority, Status } from "../src/model/transitions.ts";
import { logTicket, updateTicket } from "../src/operations/update.ts";
import { exists, testCommand } from "./helpers.ts";
import { readSummaries } from "../src/store/ticket_cache.ts";

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";

/** Makes sure Chromium is installed: installs it when we are root, otherwise says how. */
export async function ensureChromium(): Promise<string> {
  if (exists(CHROMIUM)) return CHROMIUM;
  if (Deno.uid() === 0) {
    const out = await testCommand("apt-get", {
      args: ["install", "-y", "chromium"],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success && exists(CHROMIUM)) return CHROMIUM;
    throw new Error(
      `apt-get install -y chromium failed: ${new TextDecoder().decode(out.stderr).slice(-500)}`,
    );
  }
  throw new Error(
    `Chromium is missing at ${CHROMIUM}: install it with "sudo apt-get install -y chromium"`,
  );
}

/** A fresh headless Chromium profile with one page. */
export interface Browser extends AsyncDisposable {
  context: BrowserContext;
  page: Page;
}

/** Launches Chromium with a fresh --user-data-dir (removed on dispose). */
export async function launchBrowser(
  options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<Browser> {
  const executablePath = await ensureChromium();
  const profile = await Deno.makeTempDir({ prefix: "track-chromium-" });
  // playwright passes the profile as --user-data-dir itself (it refuses it in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Fills a store with a small, realistic team: the data behind docs/dashboard.png. */
export async function seedDemo(dir: string): Promise<void> {
  const store = new Store(dir);
  const now = new Date();
  const t = async (
    title: string,
    priority: Priority,
    labels: string[],
    extra: { deps?: string[]; body?: string } = {},
  ) =>
    (await createTicket(store, {
      title,
      priority,
      labels,
      dependsOn: extra.deps ?? [],
      description: extra.body ?? "",
      by: "human",
    }, now)).id;
  const move = async (id: string, agent: string, path: Status[]) => {
    await claimTicket(store, id, agent, { force: false, now });
    for (const status of path) await updateTicket(store, id, { status, agent, force: false }, now);
  };
  for (const agent of ["alice", "bob", "carol", "dave"]) {
    await registerAgent(store, {
      agent,
      capabilities: [],
      sessionId: null,
      worktree: null,
      force: false,
    }, now);
  }
  const ci = await t("Set up CI pipeline for the monorepo", "high", ["ci", "infra"]);
  const login = await t(
    "Login page returns 500 on an empty password",
    "critical",
    ["auth", "bug"],
    {
      body: [
        "Steps to reproduce:",
        "",
        "1. open `/login`",
        "2. submit the form with an **empty** password",
        "",
        "The handler calls `bcrypt.compare` with `undefined`. See the [bcrypt docs](https://www.npmjs.com/package/bcrypt).",
        "",
        "```ts",
        "TypeError: data and hash arguments required",
        "    at login (src/auth/login.ts:42)",
        "```",
      ].join("\n"),
    },
  );
  await t("Write API reference docs", "low", ["docs"], { deps: [ci] });
  const session = await t("Refactor the session store behind an interface", "medium", [
    "auth",
    "refactor",
  ]);
  await t("Add rate limiting to /login", "high", ["auth", "security"], { deps: [login] });
  const dark = await t("Dark mode for the settings page", "medium", ["ui"]);
  await t("Flaky test: upload spec times out on CI", "medium", ["bug", "ci"]);
  const cache = await t("Cache the ticket index between runs", "medium", ["perf"]);
  await t("Translate onboarding emails", "low", ["i18n"]);
  const bump = await t("Bump Deno to 2.9 in the toolchain file", "low", ["infra"]);
  await move(login, "alice", ["in-progress"]);
  await move(session, "bob", []);
  await move(ci, "carol", ["in-progress", "review"]);
  await move(dark, "carol", ["in-progress", "review", "done"]);
  await move(bump, "dave", ["in-progress", "review", "done"]);
  await move(cache, "dave", ["in-progress"]);
  await reservePaths(store, {
    paths: ["src/auth/**"],
    agent: "alice",
    ticket: login,
    shared: true,
  }, now);
  await reservePaths(store, {
    paths: ["src/auth/**/*.ts"],
    agent: "bob",
    ticket: session,
    shared: true,
  }, now);
  await reservePaths(store, {
    paths: [".github/workflows"],
    agent: "carol",
    ticket: ci,
    shared: false,
  }, now);
  await logTicket(store, login, {
    agent: "alice",
    message: "Reproduced; the guard in validate() is missing",
  }, now);
  await store.mutate("board", (tx) => {
    postEntry(tx, {
      at: now,
      agent: "bob",
      ticket: session,
      tag: "question",
      kind: "post",
      message: "Does anyone own src/auth/session.ts right now?",
    });
    postEntry(tx, {
      at: now,
      agent: "alice",
      ticket: null,
      tag: "answer",
      kind: "post",
      message: "I touch login.ts only; session.ts is yours",
    });
    postEntry(tx, {
      at: now,
      agent: "dave",
      ticket: cache,
      tag: "blocked",
      kind: "post",
      message: "Need a decision on the cache location (.track/ or ~/.cache)",
    });
  });
  // An agent whose heartbeat is two hours old: the agents panel must show it as stale.
  const old = new Date(now.getTime() - 2 * 3600_000).toISOString().slice(0, 19) + "Z";
  Deno.writeTextFileSync(
    `${dir}/agents/erin.json`,
    JSON.stringify(
      {
        id: "erin",
        status: "active",
        registered_at: old,
        last_heartbeat: old,
        capabilities: [],
        session_id: null,
        worktree: null,
        lost: [],
      },
      null,
      2,
    ) + "\n",
  );
}

/**
 * A planning store for the graph view: `epics` epics of `perEpic` children each (dependencies
 * inside an epic, a few across), `loose` tickets in no epic; about a fifth done and a few in
 * progress. Deterministic. The data behind docs/graph.png and the graph benchmark.
 */
export async function seedGraph(
  dir: string,
  opts: { epics: number; perEpic: number; loose: number },
): Promise<void> {
  const store = new Store(dir);
  const now = new Date();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const areas = ["auth", "billing", "search", "sync", "ui", "api", "docs", "infra", "mobile"];
  const verbs = ["Design", "Build", "Wire up", "Test", "Document", "Migrate", "Harden", "Profile"];
  const things = [
    "the token refresh",
    "the invoice export",
    "query parsing",
    "conflict resolution",
    "the settings page",
    "rate limits",
    "the onboarding flow",
    "the schema migration",
    "offline mode",
    "the audit log",
  ];
  const title = () =>
    `${verbs[Math.floor(rnd() * verbs.length)]} ${things[Math.floor(rnd() * things.length)]}`;
  const make = async (t: string, deps: string[], parent?: string) =>
    (await createTicket(store, {
      title: t,
      priority: (["critical", "high", "medium", "low"] as const)[Math.floor(rnd() * 4)],
      labels: [areas[Math.floor(rnd() * areas.length)]],
      dependsOn: deps,
      description: "",
      by: "human",
      parent,
    }, now)).id;
  const all: string[] = [];
  for (let e = 0; e < opts.epics; e++) {
    const area = areas[e % areas.length];
    const epic = await make(`Epic: ${area} ${["rework", "launch", "v2", "cleanup"][e % 4]}`, []);
    const kids: string[] = [];
    for (let i = 0; i < opts.perEpic; i++) {
      const deps = new Set<string>();
      // Mostly chains and fans inside the epic: a recent sibling or two.
      if (kids.length > 0 && rnd() < 0.8) {
        deps.add(kids[Math.max(0, kids.length - 1 - Math.floor(rnd() * 4))]);
      }
      if (kids.length > 3 && rnd() < 0.3) deps.add(kids[Math.floor(rnd() * kids.length)]);
      if (all.length > 0 && rnd() < 0.04) deps.add(all[Math.floor(rnd() * all.length)]);
      kids.push(await make(`${title()} (${area})`, [...deps], epic));
    }
    all.push(...kids);
  }
  for (let i = 0; i < opts.loose; i++) {
    const deps = all.length > 0 && rnd() < 0.3 ? [all[Math.floor(rnd() * all.length)]] : [];
    all.push(await make(title(), deps));
  }
  // Finish the first tickets of each chain, start some of the next.
  const { tickets } = readSummaries(store);
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const done = new Set<string>();
  for (const id of all) {
    const t = byId.get(id)!;
    const depsDone = t.depends_on.every((d) => done.has(d));
    if (depsDone && rnd() < 0.35) {
      await updateTicket(store, id, { status: "done", agent: "bench", force: true }, now);
      done.add(id);
    } else if (depsDone && rnd() < 0.2) {
      await updateTicket(store, id, { status: "in-progress", agent: "alice", force: true }, now);
    }
  }
}

/**
 * A busy store: 300 tickets (four epics, about half done, the rest spread over the columns and
 * twelve agents), board chatter, reservations; two agents stale, one waiting for the person, one
 * busy. Deterministic. The data behind docs/dashboard-busy*.png (issue 18).
 */
export async function seedBusy(dir: string): Promise<void> {
  const store = new Store(dir);
  const now = new Date();
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const agents = Array.from({ length: 12 }, (_, i) => `agent-${i + 1}`);
  for (const agent of agents) {
    await registerAgent(store, {
      agent,
      capabilities: [],
      sessionId: null,
      worktree: null,
      force: false,
    }, now);
  }
  const areas = ["auth", "billing", "search", "sync", "ui", "api", "docs", "infra"];
  const verbs = ["Fix", "Add", "Refactor", "Test", "Document", "Speed up", "Harden", "Remove"];
  const things = [
    "the token refresh on expired sessions",
    "CSV export of invoices",
    "query parsing for quoted words",
    "conflict resolution in offline edits",
    "the settings page layout",
    "rate limits on the public API",
    "the onboarding email flow",
    "the schema migration for v3",
    "retry logic in the webhook sender",
    "the audit log retention job",
  ];
  const epics: string[] = [];
  for (const area of ["auth", "billing", "search", "sync"]) {
    epics.push(
      (await createTicket(store, {
        title: `Epic: ${area} rework`,
        priority: "high",
        labels: [area, "epic"],
        dependsOn: [],
        description: `Everything for the ${area} rework.`,
        by: "human",
      }, now)).id,
    );
  }
  const ids: string[] = [];
  for (let i = 0; i < 296; i++) {
    const area = pick(areas);
    const deps = ids.length > 10 && rnd() < 0.15 ? [pick(ids.slice(-40))] : [];
    const parent = rnd() < 0.4 ? pick(epics) : undefined;
    ids.push(
      (await createTicket(store, {
        title: `${pick(verbs)} ${pick(things)} (${area})`,
        priority: pick(["critical", "high", "medium", "medium", "low"] as const),
        labels: rnd() < 0.3 ? [area, pick(["bug", "perf", "ux"])] : [area],
        dependsOn: deps,
        description: i === 0
          ? "The layout breaks here:\n\n![settings page at 420 px](https://example.com/shot.png)"
          : "",
        by: "human",
        parent,
      }, now)).id,
    );
  }
  // Most of the early ones done, then review, in progress and claimed across the agents.
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const agent = agents[i % agents.length];
    const r = rnd();
    const path: Status[] | null = i < 140
      ? ["in-progress", "review", "done"]
      : r < 0.15
      ? ["in-progress", "review"]
      : r < 0.3
      ? ["in-progress"]
      : r < 0.4
      ? []
      : null;
    if (path === null) continue;
    await claimTicket(store, id, agent, { force: true, now });
    for (const status of path) await updateTicket(store, id, { status, agent, force: true }, now);
  }
  const held = readSummaries(store).tickets.filter((t) =>
    t.status === "claimed" || t.status === "in-progress"
  );
  for (const t of held.slice(0, 10)) {
    await reservePaths(store, {
      paths: [`src/${t.labels[0] ?? "misc"}/**`],
      agent: t.claimed_by!,
      ticket: t.id,
      shared: true,
    }, now);
  }
  await store.mutate("board", (tx) => {
    for (let i = 0; i < 30; i++) {
      postEntry(tx, {
        at: now,
        agent: pick(agents),
        ticket: pick(ids),
        tag: pick(["note", "question", "answer", "blocked", "conflict"]),
        kind: "post",
        message: `Progress note ${i + 1}: ${pick(things)} looks ${pick(["fine", "slow", "odd"])}`,
      });
    }
  });
  // Two agents silent for hours (stale), one waiting for a permission, one busy.
  const old = new Date(now.getTime() - 3 * 3600_000).toISOString().slice(0, 19) + "Z";
  const recent = new Date(now.getTime() - 90_000).toISOString().slice(0, 19) + "Z";
  const edit = (name: string, change: (r: Record<string, unknown>) => void) => {
    const path = `${dir}/agents/${name}.json`;
    const r = JSON.parse(Deno.readTextFileSync(path));
    change(r);
    Deno.writeTextFileSync(path, JSON.stringify(r, null, 2) + "\n");
  };
  for (const name of ["agent-3", "agent-11"]) {
    edit(name, (r) => {
      r.last_heartbeat = old;
      delete r.heartbeat_clock;
    });
  }
  edit("agent-7", (r) => {
    r.waiting = { kind: "permission", reason: "Bash: rm -rf build/ needs approval", since: recent };
  });
  edit("agent-5", (r) => {
    r.busy = [{ id: null, tool: "Bash", what: "deno task test", since: recent }];
  });
}
