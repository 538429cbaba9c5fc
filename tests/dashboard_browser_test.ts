// The dashboard in a real browser: Debian's Chromium driven by playwright-core, against a real
// `track serve -d`, with changes made by the real CLI. Set TRACK_UPDATE_SCREENSHOT=1 to
// rewrite docs/dashboard.png from this run.
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { launchBrowser, seedDemo } from "./dashboard_helpers.ts";

const SCREENSHOT = fileURLToPath(new URL("../docs/dashboard.png", import.meta.url));

/** Waits for an event without a clock: the page reports it and we await that. */
const WAIT = { timeout: 20_000 };

Deno.test({
  name: "dashboard in Chromium: live board, drag and drop, XSS-safe, survives a restart",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ts = await tempStore();
    await seedDemo(ts.dir);
    // Port 0: the server picks a free port and reports it (a port probed first can be taken).
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    const port = Number(new URL(url).port);
    assert(port > 0, url);
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      const card = (id: string) => `.card[data-id="${id}"]`;
      const inColumn = (status: string, id: string) =>
        `.column[data-status="${status}"] .card[data-id="${id}"]`;
      const statusOnDisk = (id: string) => /^status: (.*)$/m.exec(ts.read(`tickets/${id}.md`))![1];

      await t.step(
        "the page shows every ticket in its column, agents and reservations",
        async () => {
          await page.goto(url);
          await page.waitForSelector(".conn-live", WAIT);
          await page.waitForSelector(card("T-0010"), WAIT);
          assertEquals(await page.locator(".column").count(), 5);
          assertEquals(await page.locator(".card").count(), 10);
          assertEquals(await page.locator(inColumn("in-progress", "T-0002")).count(), 1);
          assertEquals(await page.locator(inColumn("done", "T-0006")).count(), 1);
          // T-0003 waits on T-0001 (in review): the card carries the mark.
          assertStringIncludes(await page.locator(`${card("T-0003")} .waiting`).innerText(), "1");
          assertEquals(await page.locator("#agents li.stale").count(), 1);
          assertStringIncludes(await page.locator("#agents li.stale").innerText(), "erin");
          assertEquals(await page.locator("#reservations li.overlap").count(), 2);
          assertEquals(await page.locator("#board .tag-question").count(), 1);
        },
      );

      await t.step("screenshot", async () => {
        await page.waitForSelector("#board .entries li", WAIT);
        const path = Deno.env.get("TRACK_UPDATE_SCREENSHOT") === "1"
          ? SCREENSHOT
          : await Deno.makeTempFile({ suffix: ".png" });
        await page.screenshot({ path });
        assert(Deno.statSync(path).size > 10_000);
      });

      await t.step(
        "columns, their order and the priorities come from the snapshot, not the page",
        async () => {
          const texts = (p: typeof page, sel: string, attr?: string) =>
            p.locator(sel).evaluateAll(
              (els, a) => els.map((e) => a ? e.getAttribute(a) : e.textContent),
              attr,
            );
          const snap = await page.evaluate(async () =>
            await (await fetch("/api/snapshot")).json()
          ) as { statuses: string[]; priorities: string[] };
          assertEquals(await texts(page, ".column", "data-status"), snap.statuses);
          // A snapshot with both lists reversed: the page must follow it.
          const other = await browser.context.newPage();
          try {
            // The snapshot arrives on the event stream: its listener gets a reversed copy.
            await other.addInitScript(() => {
              const add = EventSource.prototype.addEventListener;
              EventSource.prototype.addEventListener = function (
                this: EventSource,
                type: string,
                fn: (ev: MessageEvent) => void,
              ) {
                if (type !== "snapshot") return add.call(this, type, fn as EventListener);
                add.call(
                  this,
                  type,
                  ((ev: MessageEvent) => {
                    const json = JSON.parse(ev.data);
                    json.statuses.reverse();
                    json.priorities.reverse();
                    fn(new MessageEvent("snapshot", { data: JSON.stringify(json) }));
                  }) as EventListener,
                );
              } as typeof add;
            });
            await other.goto(url);
            await other.waitForSelector(card("T-0010"), WAIT);
            const reversed = [...snap.statuses].reverse();
            assertEquals(await texts(other, ".column", "data-status"), reversed);
            assertEquals(await texts(other, ".column-head h2"), [
              "Done",
              "Review",
              "In progress",
              "Claimed",
              "Backlog",
            ]);
            assertEquals(
              await texts(other, 'select[aria-label="priority filter"] option'),
              ["All priorities", ...[...snap.priorities].reverse()],
            );
            // Backlog sorted by the reversed priorities: low first, then by id.
            assertEquals(
              await texts(other, '.column[data-status="backlog"] .card', "data-id"),
              ["T-0003", "T-0009", "T-0007", "T-0005"],
            );
          } finally {
            await other.close();
          }
        },
      );

      await t.step("a ticket created with the CLI appears without a reload", async () => {
        await page.evaluate(() => Object.assign(globalThis, { noReloadMarker: 1 }));
        const r = await ts.track(["create", "--title", "Created from the CLI", "-p", "high"]);
        assertEquals(r.code, 0, r.stderr);
        await page.waitForSelector(inColumn("backlog", "T-0011"), WAIT);
        assertEquals(
          await page.evaluate(() => (globalThis as { noReloadMarker?: number }).noReloadMarker),
          1,
        );
        assertStringIncludes(
          await page.locator(card("T-0011")).innerText(),
          "Created from the CLI",
        );
      });

      await t.step(
        "moving a ticket an agent holds asks first: dismiss changes nothing, accept takes it",
        async () => {
          // T-0004 is bob's (claimed): a person may move it only after confirming.
          const before = ts.read("tickets/T-0004.md");
          const eventsBefore =
            (await ts.json<{ entries: unknown[] }>(["board", "--ticket", "T-0004"]))
              .entries.length;
          let dialog = page.waitForEvent("dialog", WAIT);
          await page.dragAndDrop(card("T-0004"), '.column[data-status="in-progress"]');
          let asked = await dialog;
          assertEquals(asked.type(), "confirm");
          assertStringIncludes(asked.message(), '"bob" is working on T-0004 (claimed)');
          assertStringIncludes(asked.message(), "Move it to In progress anyway?");
          await asked.dismiss();
          await page.waitForSelector(`${inColumn("claimed", "T-0004")}:not(.pending)`, WAIT);
          assertEquals(await page.locator("#toast").count(), 0);
          assertEquals(ts.read("tickets/T-0004.md"), before);
          assertEquals(
            (await ts.json<{ entries: unknown[] }>(["board", "--ticket", "T-0004"])).entries.length,
            eventsBefore,
          );

          dialog = page.waitForEvent("dialog", WAIT);
          await page.dragAndDrop(card("T-0004"), '.column[data-status="in-progress"]');
          asked = await dialog;
          await asked.accept();
          await page.waitForSelector(`${inColumn("in-progress", "T-0004")}:not(.pending)`, WAIT);
          assertEquals(statusOnDisk("T-0004"), "in-progress");
          const board = await ts.json<{ entries: Array<{ message: string; agent: string }> }>([
            "board",
            "--ticket",
            "T-0004",
          ]);
          assertEquals(
            board.entries.at(-1)!.message,
            'T-0004: claimed -> in-progress (taken from "bob" after confirming)',
          );
          assertEquals(board.entries.at(-1)!.agent, "human");
          // bob is fenced as after `track update --force`: its next write is refused.
          const late = await ts.track(["log", "T-0004", "--agent", "bob", "-m", "late"]);
          assertEquals(late.code, 3, late.stderr);
          assertStringIncludes(late.stderr, "lost its claim");
        },
      );

      await t.step(
        "an illegal drag is refused with the CLI's message and the card goes back",
        async () => {
          const before = ts.read("tickets/T-0007.md");
          await page.dragAndDrop(card("T-0007"), '.column[data-status="done"]');
          await page.waitForSelector("#toast", WAIT);
          const toast = await page.locator("#toast").innerText();
          assertStringIncludes(
            toast,
            'Cannot move "T-0007" from backlog to done: allowed next states are claimed',
          );
          assertStringIncludes(toast, "hint: track update T-0007 --status claimed");
          await page.waitForSelector(inColumn("backlog", "T-0007"), WAIT);
          assertEquals(await page.locator(inColumn("done", "T-0007")).count(), 0);
          assertEquals(ts.read("tickets/T-0007.md"), before);
        },
      );

      await t.step("posting to the board as a human", async () => {
        await page.fill("#board textarea", "Please pick up the rate limiting next");
        await page.selectOption("#board select", "note");
        await page.click('#board button[type="submit"]');
        await page.waitForSelector(
          '#board .entries li:has-text("Please pick up the rate limiting next")',
          WAIT,
        );
        const board = await ts.json<{ entries: Array<{ message: string; agent: string }> }>([
          "board",
          "--last",
          "1",
        ]);
        assertEquals(board.entries[0].agent, "human");
        assertEquals(board.entries[0].message, "Please pick up the rate limiting next");
      });

      await t.step("filters, dependency links and the theme toggle", async () => {
        const ids = async () =>
          (await page.locator(".card").evaluateAll((els) =>
            els.map((e) => e.getAttribute("data-id"))
          )).sort();
        await page.fill('input[aria-label="text filter"]', "login");
        await page.waitForSelector(card("T-0001"), { state: "detached", ...WAIT });
        assertEquals(await ids(), ["T-0002", "T-0005"]);
        await page.fill('input[aria-label="text filter"]', "");
        await page.selectOption('select[aria-label="agent filter"]', "carol");
        await page.waitForSelector(card("T-0002"), { state: "detached", ...WAIT });
        assertEquals(await ids(), ["T-0001", "T-0006"]);
        await page.selectOption('select[aria-label="agent filter"]', "");
        await page.selectOption('select[aria-label="priority filter"]', "critical");
        await page.waitForSelector(card("T-0001"), { state: "detached", ...WAIT });
        assertEquals(await ids(), ["T-0002"]);
        await page.selectOption('select[aria-label="priority filter"]', "");
        await page.selectOption('select[aria-label="label filter"]', "docs");
        await page.waitForSelector(card("T-0001"), { state: "detached", ...WAIT });
        assertEquals(await ids(), ["T-0003"]);
        await page.selectOption('select[aria-label="label filter"]', "");
        await page.waitForSelector(card("T-0001"), WAIT);

        // T-0003 depends on T-0001: the detail links to it.
        await page.click(card("T-0003"));
        await page.waitForSelector('.detail a.dep[href="#T-0001"]', WAIT);
        await page.click('.detail a.dep[href="#T-0001"]');
        await page.waitForSelector('.detail[aria-label="Ticket T-0001"] .detail-title', WAIT);
        assertStringIncludes(await page.locator(".detail-title").innerText(), "Set up CI");
        await page.keyboard.press("Escape");
        await page.waitForSelector(".detail", { state: "detached", ...WAIT });

        await page.waitForSelector('html[data-theme="light"]', { state: "attached", ...WAIT });
        await page.click("button.theme");
        await page.waitForSelector('html[data-theme="dark"]', { state: "attached", ...WAIT });
        await page.click("button.theme");
        await page.waitForSelector('html[data-theme="light"]', { state: "attached", ...WAIT });
      });
      await t.step(
        "agent-written XSS payloads stay text and leave the sentinel unset",
        async () => {
          const title = `<img src=x onerror="globalThis.xssSentinel=1">`;
          const body = "[click me](javascript:globalThis.xssSentinel=2)\n\n" +
            "<script>globalThis.xssSentinel=3</script>\n\n[data](data:text/html,<script>x</script>)";
          let r = await ts.track(["create", "--title", title, "--body", body]);
          assertEquals(r.code, 0, r.stderr);
          r = await ts.track(["register", "--agent", "mallory"]);
          assertEquals(r.code, 0, r.stderr);
          r = await ts.track(["claim", "T-0012", "--agent", "mallory"]);
          assertEquals(r.code, 0, r.stderr);
          r = await ts.track([
            "log",
            "T-0012",
            "--agent",
            "mallory",
            "-m",
            `</script><script>globalThis.xssSentinel=4</script><img src=x onerror="globalThis.xssSentinel=5">`,
          ]);
          assertEquals(r.code, 0, r.stderr);
          r = await ts.track([
            "board",
            "--agent",
            "mallory",
            "--tag",
            "note",
            "-m",
            `<img src=x onerror="globalThis.xssSentinel=6">`,
          ]);
          assertEquals(r.code, 0, r.stderr);
          await page.waitForSelector(card("T-0012"), WAIT);
          assertEquals(await page.locator(`${card("T-0012")} .card-title`).innerText(), title);
          await page.click(card("T-0012"));
          await page.waitForSelector(".detail .log li", WAIT);
          assertEquals(await page.locator(".detail-title").innerText(), title);
          assertStringIncludes(await page.locator(".detail .log").innerText(), "</script><script>");
          assertEquals(await page.locator(".detail .unsafe-link").count(), 2);
          await page.click(".detail .unsafe-link >> nth=0");
          assertEquals(
            await page.locator('a[href^="javascript:" i], a[href^="data:" i]').count(),
            0,
          );
          assertEquals(await page.locator("img, script:not([src])").count(), 0);
          assertEquals(
            await page.evaluate(() => (globalThis as { xssSentinel?: number }).xssSentinel),
            undefined,
          );
          await page.keyboard.press("Escape");
          await page.waitForSelector(".detail", { state: "detached", ...WAIT });
        },
      );

      await t.step("the page keeps working after track stop + track serve -d", async () => {
        const stop = await ts.track(["stop"]);
        assertEquals(stop.code, 0, stop.stderr);
        await page.waitForSelector(".conn-reconnecting", WAIT);
        const again = await ts.track(["serve", "-d", "--port", String(port)]);
        assertEquals(again.code, 0, again.stderr);
        await page.waitForSelector(".conn-live", WAIT);
        const r = await ts.track(["create", "--title", "After the restart"]);
        assertEquals(r.code, 0, r.stderr);
        await page.waitForSelector(card("T-0013"), WAIT);
        // Writes work too: the page picked up the new server's token. T-0008 is dave's, so
        // the page asks first.
        page.once("dialog", (d) => void d.accept());
        await page.dragAndDrop(card("T-0008"), '.column[data-status="review"]');
        await page.waitForSelector(`${inColumn("review", "T-0008")}:not(.pending)`, WAIT);
        assertMatch(ts.read("tickets/T-0008.md"), /^status: review$/m);
      });

      await t.step(
        "done forced past its verify commands is marked unverified; the cost panel shows",
        async () => {
          const id = "T-0014";
          for (
            const args of [
              ["create", "--title", "Needs checks", "--verify", "false"],
              ["claim", id, "--agent", "verifier"],
              ["update", id, "--status", "done", "--agent", "verifier", "--force"],
            ]
          ) assertEquals((await ts.track(args)).code, 0);
          await page.waitForSelector(`${inColumn("done", id)} .verify-mark.unverified`, WAIT);
          await page.waitForSelector("#cost h3", WAIT);
          assertStringIncludes((await page.locator("#cost").innerText()).toLowerCase(), "tokens");
        },
      );

      // Expected noise: the refused move (409) and the restart (connection refused).
      assertEquals(
        errors.filter((e) => !/status of 409|net::ERR_CONNECTION_REFUSED/.test(e)),
        [],
      );
    } finally {
      await ts.track(["stop"]);
    }
  },
});

/** Where a test's screenshot goes: TRACK_SCREENSHOT_DIR to keep it, else a temp file. */
async function screenshotPath(name: string): Promise<string> {
  const dir = Deno.env.get("TRACK_SCREENSHOT_DIR");
  return dir ? `${dir}/${name}.png` : await Deno.makeTempFile({ suffix: ".png" });
}

Deno.test({
  name: "dashboard in Chromium: a 300 KB post and a body of 10,000 nested > render, bounded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ts = await tempStore();
    const post = "x".repeat(300 * 1024);
    let r = await ts.track(["board", "--agent", "alice", "-m", "-"], { stdin: post });
    assertEquals(r.code, 0, r.stderr);
    r = await ts.track(["create", "--title", "Deep quotes", "--body", "-"], {
      stdin: ">".repeat(10_000) + " deep",
    });
    assertEquals(r.code, 0, r.stderr);
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("crash", () => errors.push("the tab crashed"));
      const entry = "#board .entries li:has(.tag-note) .entry-body";

      await t.step("the page loads with the post clipped and a Show all button", async () => {
        await page.goto(url);
        await page.waitForSelector(".conn-live", WAIT);
        await page.waitForSelector(entry, WAIT);
        const shown = await page.locator(entry).innerText();
        assert(shown.length <= 601, `${shown.length} characters laid out`);
        assert(shown.startsWith("xxxx") && shown.endsWith("…"));
        const more = page.locator("#board button.more-text");
        assertStringIncludes(await more.innerText(), "Show all (306,600 more characters)");
        await page.screenshot({ path: await screenshotPath("long-post") });
        await more.click();
        await page.waitForSelector('#board button.more-text:has-text("Show less")', WAIT);
        assertEquals((await page.locator(entry).innerText()).length, post.length);
        // Wrapped inside the panel: the page grows down, never sideways.
        const width = await page.evaluate<number>("document.documentElement.scrollWidth");
        assert(width <= 1440, `page is ${width} px wide`);
        await page.click("#board button.more-text");
        await page.waitForSelector('#board button.more-text:has-text("Show all")', WAIT);
      });

      await t.step("the ticket with 10,000 nested > opens, quotes nested 8 deep", async () => {
        await page.goto(url + "#T-0001");
        await page.waitForSelector(".detail .markdown blockquote", WAIT);
        // One blockquote per level, each inside the one before.
        const depth = await page.locator(".detail .markdown blockquote").count();
        assertEquals(
          await page.locator(`.detail .markdown ${"blockquote ".repeat(8)}`).count(),
          1,
        );
        assertEquals(depth, 8);
        assertStringIncludes(await page.locator(".detail .markdown").innerText(), ">>>> deep");
        await page.screenshot({ path: await screenshotPath("deep-quotes") });
      });
      assertEquals(errors, []);
    } finally {
      await ts.track(["stop"]);
    }
  },
});

Deno.test({
  name: "dashboard in Chromium: the filter box finds words in bodies and Work Logs, live",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    for (const args of [["-t", "Alpha", "-b", "mentions the quokka parser"], ["-t", "Beta"]]) {
      const r = await ts.track(["create", ...args]);
      assertEquals(r.code, 0, r.stderr);
    }
    await ts.track(["create", "-t", "Gamma quokka"]);
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const card = (id: string) => `.card[data-id="${id}"]`;
      await page.goto(url);
      await page.waitForSelector(".conn-live", WAIT);
      await page.waitForSelector(card("T-0003"), WAIT);
      await page.fill('input[aria-label="text filter"]', "quokka");
      // T-0001 by its body, T-0003 by its title; T-0002 not at all.
      await page.waitForSelector(`${card("T-0002")}`, { ...WAIT, state: "detached" });
      await page.waitForSelector(card("T-0001"), WAIT);
      assertEquals(await page.locator(card("T-0003")).count(), 1);
      // A Work Log entry written now: the card comes back with the next snapshot.
      const r = await ts.track(["log", "2", "--agent", "ann", "-m", "quokka found here"]);
      assertEquals(r.code, 0, r.stderr);
      await page.waitForSelector(card("T-0002"), WAIT);
      // A hand edit of a body alone (the card as it was): the filter asks again and T-0001 goes.
      const path = `${ts.dir}/tickets/T-0001.md`;
      Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("quokka", "wombat"));
      await page.waitForSelector(card("T-0001"), { ...WAIT, state: "detached" });
      await page.fill('input[aria-label="text filter"]', "");
      assertEquals(await page.locator(".card").count(), 3);
      assertEquals(errors, []);
    } finally {
      await ts.track(["stop"]);
    }
  },
});
