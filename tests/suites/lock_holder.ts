/** Lock-suite helper: takes the store lock at argv[0], says "held", releases on one stdin byte. */
import { acquireLock } from "../../src/store/lock.ts";

const lock = await acquireLock(Deno.args[0], { timeoutMs: 10_000, command: "lock_holder" });
await Deno.stdout.write(new TextEncoder().encode("held\n"));
await Deno.stdin.read(new Uint8Array(1));
lock.release();
