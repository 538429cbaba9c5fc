/**
 * The sync test world itself (tests/sync_world.ts): a bare repository and clones with a clean
 * git environment, `git daemon` on loopback inside a network namespace that nothing outside can
 * reach, and the delay/partition proxy in front of it. The sync suites trust these pieces.
 */
import { assert, assertEquals } from "./assert.ts";
import { testCommand } from "./helpers.ts";
import { DAEMON_PORT, netnsUnavailable, type Proxy, SyncWorld } from "./sync_world.ts";

const noNetns = await netnsUnavailable();
const CI = Deno.env.get("CI") === "true";

Deno.test("a path world: bare repository, clones that push and fetch, and a clean git config", async () => {
  await using world = await SyncWorld.create();
  const a = await world.clone("a", { init: false });
  const b = await world.clone("b", { init: false });
  // The world HOME's gitconfig is the only one git reads: identity and default branch from it.
  assertEquals((await a.git(["config", "user.name"])).stdout.trim(), "Track Test");
  assertEquals((await a.git(["symbolic-ref", "--short", "HEAD"])).stdout.trim(), "main");
  const show = await a.git(["config", "--show-origin", "--list"]);
  for (const line of show.stdout.trim().split("\n")) {
    assert(
      line.startsWith(`file:${world.home}/.gitconfig`) || line.startsWith("file:.git/config"),
      `git read a config file outside the world: ${line}`,
    );
  }
  const oid = (await a.git(["rev-parse", "HEAD"])).stdout.trim();
  assertEquals((await a.git(["push", "-q", "origin", "HEAD:refs/track/probe"])).code, 0);
  assertEquals(await world.remoteRef("refs/track/probe"), oid);
  assertEquals((await b.git(["fetch", "-q", "origin", "refs/track/probe"])).code, 0);
  assertEquals(await b.ref("FETCH_HEAD"), oid);
  // track runs in a clone with the world's environment (its store still in .track/).
  await a.ok(["init"]);
  const made = await a.json<{ ticket: { id: string } }>(["create", "-t", "in the world"]);
  assertEquals(made.ticket.id, "T-0001");
  assertEquals(a.storeDir, `${a.dir}/.track`);
});

Deno.test("a copied world points its clones at the copy's bare repository", async () => {
  await using world = await SyncWorld.create();
  const a = await world.clone("a", { init: false });
  await using copy = await world.copy();
  const url = (await copy.clones[0].git(["config", "remote.origin.url"])).stdout.trim();
  assertEquals(url, copy.bare);
  assertEquals((await copy.clones[0].git(["push", "-q", "origin", "HEAD:refs/track/c"])).code, 0);
  assertEquals(await world.remoteRef("refs/track/c"), null, "the original is untouched");
  assert((await copy.remoteRef("refs/track/c")) !== null);
  assertEquals(a.dir.startsWith(world.root), true);
});

Deno.test({
  name:
    "git daemon in a network namespace: clones push and fetch on 127.0.0.1, outside cannot connect",
  ignore: noNetns !== null && !CI,
  async fn() {
    if (noNetns !== null) throw new Error(`CI must be able to make a netns: ${noNetns}`);
    await using world = await SyncWorld.create({ remote: "daemon" });
    const a = await world.clone("a", { init: false });
    const b = await world.clone("b", { init: false });
    assertEquals(
      (await a.git(["config", "remote.origin.url"])).stdout.trim(),
      `git://127.0.0.1:${DAEMON_PORT}/remote.git`,
    );
    const oid = (await a.git(["rev-parse", "HEAD"])).stdout.trim();
    const push = await a.git(["push", "-q", "origin", "HEAD:refs/track/probe"]);
    assertEquals(push.code, 0, push.stderr);
    assertEquals(await world.remoteRef("refs/track/probe"), oid);
    assertEquals((await b.git(["fetch", "-q", "origin", "refs/track/probe"])).code, 0);
    assertEquals(await b.ref("FETCH_HEAD"), oid);
    // From this process's own network namespace the daemon is not there.
    const outside = await testCommand("git", {
      args: ["ls-remote", `git://127.0.0.1:${DAEMON_PORT}/remote.git`],
      env: { HOME: world.home, GIT_CONFIG_NOSYSTEM: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(
      !new TextDecoder().decode(outside.stdout).includes("refs/track/probe"),
      "the world's daemon is reachable from outside its namespace",
    );
  },
});

Deno.test({
  name: "the proxy forwards, delays, cuts (fails fast), holds (a black hole) and heals",
  ignore: noNetns !== null && !CI,
  async fn() {
    if (noNetns !== null) throw new Error(`CI must be able to make a netns: ${noNetns}`);
    await using world = await SyncWorld.create({ remote: "proxy" });
    const proxy = world.proxy as Proxy;
    const a = await world.clone("a", { init: false });
    assertEquals(
      (await a.git(["config", "remote.origin.url"])).stdout.trim(),
      `git://127.0.0.1:${proxy.port}/remote.git`,
    );
    let s = await proxy.stats();
    assert(
      s.accepted >= 1 && s.bytesDown > 0,
      `the clone went through the proxy: ${JSON.stringify(s)}`,
    );

    s = await proxy.delay(5);
    const slow = await a.git(["ls-remote", "origin"]);
    assertEquals(slow.code, 0, slow.stderr);
    assert(slow.stdout.includes("refs/heads/main"));
    s = await proxy.delay(0);
    assert(s.delayed > 0, "chunks were delayed");

    s = await proxy.cut();
    const cut = await a.git(["ls-remote", "origin"]);
    assert(cut.code !== 0, "ls-remote through a cut proxy failed");
    s = await proxy.stats();
    assert(s.cut >= 1, JSON.stringify(s));

    await proxy.hold();
    const hung = world.spawn(["git", "ls-remote", "origin"], { cwd: a.dir });
    s = await proxy.waitOpen(1); // git is connected and waiting for an answer that never comes
    assert(s.held >= 1, JSON.stringify(s));
    hung.kill("SIGKILL");
    const killed = await hung.output();
    assertEquals(killed.signal, "SIGKILL", "git was still waiting when it was killed");

    await proxy.heal();
    const healed = await a.git(["ls-remote", "origin"]);
    assertEquals(healed.code, 0, healed.stderr);
  },
});
