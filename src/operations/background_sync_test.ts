import { assertEquals } from "../../tests/assert.ts";
import { syncMode } from "./background_sync.ts";
import { syncSwitchedOff } from "./decide.ts";

Deno.test("TRACK_SYNC: auto-sync reads off exactly as the decisions do (decide.ts); manual; others warn", () => {
  const values = ["", "auto", "on", "1", "true", "YES", "off", "OFF", "0", "false", "No"];
  for (const v of values) {
    assertEquals(syncMode(v) === "off", syncSwitchedOff({ get: () => v }), v);
    assertEquals(syncMode(v) !== null, true, v);
  }
  assertEquals(syncMode(undefined), "auto");
  assertEquals(syncMode("manual"), "manual");
  assertEquals(syncSwitchedOff({ get: () => "manual" }), false); // decisions still sync
  assertEquals(syncMode("sometimes"), null);
});
