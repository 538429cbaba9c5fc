// The dashboard's sync panel in a real browser (docs/dashboard.md "Sync"): Debian's Chromium
// driven by playwright-core against a real `track serve -d` in a clone of a real bare repository
// (tests/sync_world.ts). The panel shows the remote, fetch, push and what is pending; a claim not
// confirmed yet is marked on its card; agents are grouped by the machine (clone) hosting them;
// the Sync button publishes; an unreachable remote brings the "offline since" banner; a change
// another clone pushed shows up without a click (the server's git ls-remote poll).
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { launchBrowser } from "./dashboard_helpers.ts";
import { SyncWorld } from "./sync_world.ts";

const WAIT = { timeout: 30_000 };

Deno.test({
  name:
    "dashboard sync in Chromium: panel, unconfirmed card, machines, Sync button, offline banner, remote changes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using world = await SyncWorld.create();
    const [a, b] = await world.syncedClones(["a", "b"]);
    await a.ok(["create", "--title", "Parser for the wire format"]);
    await a.ok(["create", "--title", "Retry with backoff"]);
    await a.ok(["register", "--agent", "alice"]);
    await a.ok(["register", "--agent", "ann"]);
    await a.ok(["sync"]);
    await b.ok(["sync"]);
    await b.ok(["register", "--agent", "bob"]);
    await b.ok(["sync"]);
    await a.ok(["sync"]);
    // Provisional (exit 9): granted here, not published, so its card is marked unconfirmed.
    assertEquals((await a.track(["claim", "T-0001", "--agent", "alice", "--offline"])).code, 9);
    const env = { TRACK_SYNC: "auto", TRACK_SYNC_POLL_MS: "300" };
    const serve = await a.track(["serve", "-d", "--port", "0"], { env });
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const text = (sel: string) => page.textContent(sel, WAIT).then((s) => s ?? "");
      const shot = async (name: string) => {
        // TRACK_TEST_SCREENSHOT_DIR keeps it, to be looked at (a test knob: helpers.ts leaves
        // TRACK_TEST_* in the environment); otherwise it goes with the world's directory.
        const dir = Deno.env.get("TRACK_TEST_SCREENSHOT_DIR");
        const path = `${dir || world.root}/sync-${name}.png`;
        await page.screenshot({ path });
      };
      await page.goto(url);
      await page.waitForSelector("#sync", WAIT);

      await t.step(
        "the panel: remote, fetch, push, pending; the unconfirmed claim on its card",
        async () => {
          assertStringIncludes(await text("#sync .sync-remote"), world.bare);
          assertStringIncludes(await text("#sync .sync-remote"), "refs/track/state");
          assert(!(await text("#sync .sync-fetch")).includes("never"));
          assert(!(await text("#sync .sync-push")).includes("never"));
          assertStringIncludes(await text("#sync .sync-pending"), "1 change");
          assertStringIncludes(await text("#sync .sync-pending"), "1 decision");
          await page.waitForSelector('.card[data-id="T-0001"] .unconfirmed', WAIT);
          assertEquals(await page.$('.card[data-id="T-0002"] .unconfirmed'), null);
        },
      );

      await t.step("agents grouped by machine, this machine first", async () => {
        const groups = await page.$$eval(
          "#agents .machine",
          (els) =>
            els.map((e) => [
              e.querySelector(".machine-name")?.textContent ?? "",
              [...e.querySelectorAll("[data-agent]")].map((x) => x.getAttribute("data-agent")),
            ]),
        );
        assertEquals(groups.length, 2, JSON.stringify(groups));
        assertStringIncludes(groups[0][0] as string, "This machine");
        assertEquals(groups[0][1], ["alice", "ann"]);
        assertEquals(groups[1][1], ["bob"]);
        await shot("panel");
      });

      await t.step("the Sync button publishes: the mark goes, nothing pending", async () => {
        await page.click("#sync-now");
        await page.waitForSelector('.card[data-id="T-0001"] .unconfirmed', {
          ...WAIT,
          state: "detached",
        });
        await page.waitForFunction(
          `document.querySelector("#sync .sync-pending")?.textContent.startsWith("0 changes")`,
          undefined,
          WAIT,
        );
        await b.ok(["sync"]);
        const onB = await b.json<{ ticket: { claimed_by: string } }>(["show", "T-0001"]);
        assertEquals(onB.ticket.claimed_by, "alice");
      });

      await t.step(
        "the remote unreachable: the offline banner, until a sync completes",
        async () => {
          await Deno.rename(world.bare, `${world.bare}.away`);
          await a.ok(["log", "T-0001", "--agent", "alice", "-m", "offline work"]);
          await page.click("#sync-now");
          await page.waitForSelector("#offline-banner", WAIT);
          assertStringIncludes(await text("#offline-banner"), "Offline since");
          assertStringIncludes(await text("#sync h3"), "offline");
          await shot("offline");
          await Deno.rename(`${world.bare}.away`, world.bare);
          await page.click("#sync-now");
          await page.waitForSelector("#offline-banner", { ...WAIT, state: "detached" });
        },
      );

      await t.step("a change pushed by another clone shows up without a click", async () => {
        // Numbered from b's own id block (docs/sync.md "Ticket numbers").
        const made = await b.json<{ ticket: { id: string } }>([
          "create",
          "--title",
          "Made on machine b",
        ]);
        await b.ok(["sync"]);
        const card = `.card[data-id="${made.ticket.id}"]`;
        await page.waitForSelector(card, WAIT);
        assertStringIncludes(await text(card), "Made on machine b");
      });
      assertEquals(errors, []);
    } finally {
      await a.track(["stop"]);
    }
  },
});
