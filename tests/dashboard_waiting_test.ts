// The "waiting for you" lane in a real browser (Chromium via playwright-core, as
// dashboard_browser_test.ts): an agent entering "waiting" through the real Claude Code hooks
// appears in the lane through the live update (no reload, no timed assertion: we wait for the
// element), with the count in the tab title; busy shows as a badge; a prompt clears it.
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { tempStore } from "./helpers.ts";
import { launchBrowser } from "./dashboard_helpers.ts";

const WAIT = { timeout: 20_000 };
const SESSION = "9e4b2d1c-6a3f-4b7e-8d2c-1f0a9b8c7d6e";
const AGENT = "claude-9e4b2d1c";

Deno.test({
  name: "dashboard: an agent entering 'waiting' appears in the lane live; the title counts it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using ts = await tempStore();
    const hook = async (event: string, name: string, extra: Record<string, unknown> = {}) => {
      const r = await ts.track(["hook", "claude", event], {
        stdin: JSON.stringify({
          session_id: SESSION,
          transcript_path: `${ts.root}/t.jsonl`,
          cwd: ts.root,
          permission_mode: "default",
          hook_event_name: name,
          ...extra,
        }),
      });
      assertEquals(r.code, 0, r.stderr);
    };
    await hook("session-start", "SessionStart", { source: "startup" });
    const serve = await ts.track(["serve", "-d", "--port", "0"]);
    assertEquals(serve.code, 0, serve.stderr);
    const url = serve.stdout.trim();
    try {
      await using browser = await launchBrowser();
      const page = browser.page;
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForSelector(".conn-live", WAIT);
      await page.waitForSelector("#waiting", WAIT);
      assertEquals(await page.locator("#waiting .waiting-card").count(), 0);
      assertEquals(await page.title(), "track dashboard");
      // The page never asks for notifications by itself: only after a click.
      assertEquals(await page.evaluate("Notification.permission"), "default");

      // A long Bash call: the agents panel shows the busy badge.
      await hook("pre-tool-use", "PreToolUse", {
        tool_name: "Bash",
        tool_input: { command: "npm run build" },
        tool_use_id: "toolu_1",
      });
      await page.waitForSelector("#agents .badge.busy", WAIT);
      assertStringIncludes(await page.locator("#agents .badge.busy").innerText(), "busy Bash");

      // Claude Code asks for permission: the lane shows it, live.
      await hook("permission-request", "PermissionRequest", {
        tool_name: "Bash",
        tool_input: { command: "rm -rf dist/" },
      });
      const card = `#waiting .waiting-card[data-agent="${AGENT}"]`;
      await page.waitForSelector(card, WAIT);
      assertStringIncludes(
        await page.locator(card).innerText(),
        "permission for Bash: rm -rf dist/",
      );
      await page.waitForFunction('document.title === "(1) track dashboard"', null, WAIT);

      // A message to the agent from the lane: a post addressed to it, in its inbox.
      await page.locator(`${card} .answer input`).fill("Do not delete dist/, use make clean");
      await page.locator(`${card} .answer button`).click();
      await page.waitForSelector(`${card} .answer .note:has-text("sent to its inbox")`, WAIT);
      const inbox = await ts.json<{ messages: Array<{ agent: string; message: string }> }>([
        "inbox",
        "--agent",
        AGENT,
      ]);
      assert(
        inbox.messages.some((m) =>
          m.agent === "human" && m.message === "Do not delete dist/, use make clean"
        ),
        JSON.stringify(inbox.messages),
      );

      // The person answers: the card leaves the lane, the title goes back.
      await hook("user-prompt-submit", "UserPromptSubmit", { prompt: "yes" });
      await page.waitForSelector(card, { state: "detached", ...WAIT });
      await page.waitForFunction('document.title === "track dashboard"', null, WAIT);
      assert(errors.length === 0, errors.join("\n"));
    } finally {
      await ts.track(["stop"]);
    }
  },
});
