// Acting from the page (issue 18) in a real browser: Debian's Chromium driven by playwright-core
// against a real `track serve -d` on the demo store; every result is read back with the real CLI.
// Create, edit, log, release and assign (held tickets only after the person confirms, the holder
// then fenced as by --force), the keyboard path, the agents panel at a glance, XSS in the forms.
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { exists, tempStore } from "./helpers.ts";
import { launchBrowser, seedDemo } from "./dashboard_helpers.ts";

const WAIT = { timeout: 20_000 };
const XSS = `<img src=x onerror="globalThis.xssSentinel=1">`;

interface Shown {
  ticket: {
    title: string;
    status: string;
    priority: string;
    labels: string[];
    claimed_by: string | null;
    created_by: string;
    description: string;
    log: Array<{ agent: string; message: string }>;
  };
}

Deno.test({
  name: "dashboard in Chromium: create, edit, log, release, assign as human; keyboard only",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using ts = await tempStore();
    await seedDemo(ts.dir);
    for (const agent of ["agent-10", "agent-2"]) {
      const r = await ts.track(["register", "--agent", agent]);
      assertEquals(r.code, 0, r.stderr);
    }
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
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
      const show = (id: string) => ts.json<Shown>(["show", id]);
      // Browser-side code as text: it runs in the page, not in Deno.
      const focused = () =>
        page.evaluate<string>(`(() => {
          const el = document.activeElement;
          return el?.id || el?.getAttribute("data-id") || el?.tagName || "";
        })()`);
      const step = (name: string, fn: () => Promise<void>) =>
        t.step(name, async () => {
          try {
            await fn();
          } catch (e) {
            // What the page showed, for the CI log (skipped while a confirm() blocks it).
            const path = await Deno.makeTempFile({ prefix: "track-actions-", suffix: ".png" });
            await page.screenshot({ path, timeout: 5_000 }).catch(() => {});
            throw new Error(`${(e as Error).message} (screenshot: ${path})`, { cause: e });
          }
        });
      // The person's answer to the next confirm(), given as it opens (a click that opens one
      // returns only once it is answered); resolves to its question.
      const answerDialog = (accept: boolean) =>
        new Promise<string>((resolve) =>
          page.once("dialog", async (d) => {
            const question = d.message();
            await (accept ? d.accept() : d.dismiss());
            resolve(question);
          })
        );
      await page.goto(url);
      await page.waitForSelector(".conn-live", WAIT);
      await page.waitForSelector(card("T-0010"), WAIT);

      await step(
        "agents: one row each, stale first, natural order, details on click",
        async () => {
          const order = await page.locator("#agents li.agent").evaluateAll((els) =>
            els.map((e) => e.getAttribute("data-agent"))
          );
          assertEquals(order, ["erin", "agent-2", "agent-10", "alice", "bob", "carol", "dave"]);
          const row = page.locator('#agents li[data-agent="alice"]');
          assertEquals(await row.locator(".agent-more").isVisible(), false);
          assertStringIncludes(await row.locator("summary").innerText(), "T-0002");
          await row.locator("summary").click();
          await page.waitForSelector('#agents li[data-agent="alice"] .agent-more a.tlink', WAIT);
          assertEquals(await row.locator(".agent-more a.tlink").count(), 1);
        },
      );

      await step("keyboard: / focuses the filter, n opens the form, Enter creates", async () => {
        await page.locator("body").press("/");
        assertEquals(await focused(), "filter-text");
        await page.keyboard.press("Escape");
        await page.evaluate("document.activeElement.blur()");
        await page.keyboard.press("n");
        await page.waitForSelector('[role="dialog"][aria-label="New ticket"]', WAIT);
        assertEquals(await focused(), "create-title");
        await page.keyboard.type("Typed on the keyboard");
        await page.keyboard.press("Tab"); // priority
        await page.keyboard.press("Tab"); // labels
        await page.keyboard.type("ui, kbd");
        // Tab stays inside the dialog: from its last control (Cancel) back to its first.
        await page.focus('form[aria-label="New ticket"] button[type="button"]');
        await page.keyboard.press("Tab");
        assertEquals(await focused(), "BUTTON");
        assertEquals(
          await page.evaluate<string>(`document.activeElement.getAttribute("aria-label")`),
          "Close",
        );
        await page.focus("#create-labels");
        await page.keyboard.press("Enter");
        // The new ticket opens in the detail.
        await page.waitForSelector('.detail[aria-label="Ticket T-0011"] .detail-title', WAIT);
        const s = await show("T-0011");
        assertEquals(
          [s.ticket.title, s.ticket.labels, s.ticket.created_by, s.ticket.status],
          ["Typed on the keyboard", ["kbd", "ui"], "human", "backlog"],
        );
        await page.keyboard.press("Escape");
        await page.waitForSelector(".detail", { state: "detached", ...WAIT });
      });

      await step(
        "keyboard: Shift+arrows move a card, focus follows, a refusal keeps it",
        async () => {
          await page.waitForSelector(inColumn("review", "T-0001"), WAIT);
          await page.focus(card("T-0001"));
          await page.keyboard.press("Shift+ArrowRight");
          await page.waitForSelector(`${inColumn("done", "T-0001")}:not(.pending)`, WAIT);
          assertEquals((await show("T-0001")).ticket.status, "done");
          // Done is most recent first: what just finished heads the column.
          await page.waitForSelector(
            '.column[data-status="done"] .cards > .card:first-child[data-id="T-0001"]',
            WAIT,
          );
          await page.waitForSelector(`${card("T-0001")}:focus`, WAIT);
          // done -> review is no legal step: the CLI's message, the card stays, focus on it.
          await page.keyboard.press("Shift+ArrowLeft");
          await page.waitForSelector("#toast", WAIT);
          assertStringIncludes(await page.locator("#toast").innerText(), "allowed next states");
          await page.waitForSelector(`${inColumn("done", "T-0001")}:not(.pending)`, WAIT);
          assertEquals(await focused(), "T-0001");
          // Arrows walk the cards (review is empty now: the next column with cards); Enter opens
          // one, Esc closes it and gives the focus back.
          await page.keyboard.press("ArrowLeft");
          assertEquals(
            await page.evaluate<string>(
              `document.activeElement?.closest(".column")?.getAttribute("data-status")`,
            ),
            "in-progress",
          );
          const there = await focused();
          await page.keyboard.press("Enter");
          await page.waitForSelector(`.detail[aria-label="Ticket ${there}"]`, WAIT);
          await page.keyboard.press("Escape");
          await page.waitForSelector(".detail", { state: "detached", ...WAIT });
          assertEquals(await focused(), there);
        },
      );

      await step(
        "edit: title, priority, labels, description (an image stays a link)",
        async () => {
          await page.click(card("T-0007"));
          await page.waitForSelector("#edit-ticket", WAIT);
          await page.click("#edit-ticket");
          await page.fill("#edit-title", `Flaky upload spec ${XSS}`);
          await page.selectOption("#edit-priority", "high");
          await page.fill("#edit-labels", "bug, flaky");
          await page.fill(
            "#edit-description",
            "Seen twice.\n\n![the failing run](https://ci.example.com/run.png)\n\n" + XSS,
          );
          await page.click('form[aria-label="Edit ticket"] button[type="submit"]');
          await page.waitForSelector(".detail .md-image", WAIT);
          const s = await show("T-0007");
          assertEquals(
            [s.ticket.title, s.ticket.priority, s.ticket.labels],
            [`Flaky upload spec ${XSS}`, "high", ["bug", "flaky"]],
          );
          assertStringIncludes(s.ticket.description, "![the failing run]");
          const img = page.locator(".detail .md-image");
          assertEquals(await img.innerText(), "Image: the failing run");
          assertEquals(await img.getAttribute("href"), "https://ci.example.com/run.png");
          assertEquals(await page.locator("img").count(), 0);
          assertEquals(await page.locator(".detail-title").innerText(), `Flaky upload spec ${XSS}`);
        },
      );

      await step("log: an entry as human, no agent record for human", async () => {
        await page.fill("#log-text", `Looked at it ${XSS}`);
        await page.click('.log-form button[type="submit"]');
        await page.waitForSelector(`.detail .log li:has-text("Looked at it")`, WAIT);
        const s = await show("T-0007");
        assertEquals(s.ticket.log.at(-1)!.agent, "human");
        assertEquals(s.ticket.log.at(-1)!.message, `Looked at it ${XSS}`);
        assert(!exists(`${ts.dir}/agents/human.json`));
        await page.keyboard.press("Escape");
        await page.waitForSelector(".detail", { state: "detached", ...WAIT });
      });

      await step(
        "release a held ticket: dismissed changes nothing; confirmed fences bob",
        async () => {
          // T-0004 is bob's (claimed).
          const before = ts.read("tickets/T-0004.md");
          await page.click(card("T-0004"));
          await page.waitForSelector("#release", WAIT);
          let asked = answerDialog(false);
          await page.click("#release");
          assertStringIncludes(await asked, '"bob" is working on T-0004');
          await page.waitForSelector(`${inColumn("claimed", "T-0004")}:not(.pending)`, WAIT);
          assertEquals(ts.read("tickets/T-0004.md"), before);

          asked = answerDialog(true);
          await page.click("#release");
          await asked;
          await page.waitForSelector(`${inColumn("backlog", "T-0004")}:not(.pending)`, WAIT);
          const s = await show("T-0004");
          assertEquals([s.ticket.status, s.ticket.claimed_by], ["backlog", null]);
          const late = await ts.track(["log", "T-0004", "--agent", "bob", "-m", "late"]);
          assertEquals(late.code, 3, late.stderr);
          const inbox = await ts.json<{ messages: Array<{ agent: string; message: string }> }>(
            ["inbox", "--agent", "bob"],
          );
          assertEquals(
            inbox.messages.at(-1)!.message,
            'T-0004: claimed -> backlog (taken from "bob" after confirming)',
          );
        },
      );

      await step(
        "assign: to carol at once; to dave only after confirming, carol fenced",
        async () => {
          // Preact sets an option's value as a property: the options are found by their text.
          await page.waitForSelector('#assign-to option:text-is("carol")', {
            state: "attached",
            ...WAIT,
          });
          await page.selectOption("#assign-to", "carol");
          await page.click("#assign");
          await page.waitForSelector(`${inColumn("claimed", "T-0004")}:not(.pending)`, WAIT);
          assertEquals((await show("T-0004")).ticket.claimed_by, "carol");
          await page.selectOption("#assign-to", "dave");
          const asked = answerDialog(true);
          await page.click("#assign");
          assertStringIncludes(await asked, '"carol" holds T-0004');
          await page.waitForSelector(`${card("T-0004")} .claimer:text-is("@dave")`, WAIT);
          assertEquals((await show("T-0004")).ticket.claimed_by, "dave");
          const late = await ts.track(["log", "T-0004", "--agent", "carol", "-m", "late"]);
          assertEquals(late.code, 3, late.stderr);
          const inbox = await ts.json<{ messages: Array<{ agent: string; message: string }> }>(
            ["inbox", "--agent", "dave"],
          );
          assertEquals(
            inbox.messages.at(-1)!.message,
            'Assigned T-0004 to dave (taken from "carol" after confirming)',
          );
          await page.keyboard.press("Escape");
          await page.waitForSelector(".detail", { state: "detached", ...WAIT });
        },
      );

      await step(
        "create through the form: XSS stays text; a refusal shows the CLI's message",
        async () => {
          await page.click("#new-ticket");
          await page.fill("#create-title", XSS);
          await page.fill("#create-deps", "T-0999");
          await page.click('form[aria-label="New ticket"] button[type="submit"]');
          await page.waitForSelector('form[aria-label="New ticket"] .error', WAIT);
          assertStringIncludes(
            await page.locator('form[aria-label="New ticket"] .error').innerText(),
            "T-0999",
          );
          await page.fill("#create-deps", "T-0001");
          await page.fill(
            "#create-description",
            `${XSS}\n\n[x](javascript:globalThis.xssSentinel=2)`,
          );
          await page.click('form[aria-label="New ticket"] button[type="submit"]');
          await page.waitForSelector('.detail[aria-label="Ticket T-0012"] .markdown', WAIT);
          assertEquals(await page.locator(".detail-title").innerText(), XSS);
          assertEquals(await page.locator(`${card("T-0012")} .card-title`).innerText(), XSS);
          assertEquals(await page.locator("img").count(), 0);
          assertEquals(
            await page.evaluate(() => (globalThis as { xssSentinel?: number }).xssSentinel),
            undefined,
          );
          assertEquals((await show("T-0012")).ticket.title, XSS);
        },
      );

      // Expected noise: the refused requests (409 and 404 answers).
      assertEquals(errors.filter((e) => !/status of (409|404)/.test(e)), []);
    } finally {
      await ts.track(["stop"]);
    }
  },
});
