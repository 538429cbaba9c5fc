/**
 * The delay/partition proxy of the sync test world (tests/sync_world.ts `Proxy`): listens on
 * 127.0.0.1 (an ephemeral port, printed as `ready <port>`) and forwards every connection to
 * 127.0.0.1:<target port> (argv[0]), normally `git daemon` in the same network namespace.
 *
 * Control lines on stdin, each answered by `ok <stats JSON>` once in force:
 *   delay <ms>    every chunk in either direction waits ms before it is forwarded (order kept)
 *   cut           close every open connection; close new ones as soon as they are accepted
 *   hold          accept new connections and never answer them (a black hole)
 *   heal          forward again (held connections are closed)
 *   stats         only the answer
 *   wait-open <n> answer once at least n connections are open
 * Loopback only: it never listens on or connects to anything else. Stdin closed: it exits.
 */
const target = Number(Deno.args[0]);
if (!Number.isInteger(target) || target <= 0) throw new Error("usage: sync_proxy.ts <port>");

type Mode = "pass" | "cut" | "hold";
const stats = {
  mode: "pass" as Mode,
  delayMs: 0,
  accepted: 0,
  open: 0,
  cut: 0,
  held: 0,
  bytesUp: 0,
  bytesDown: 0,
  delayed: 0,
};
/** Client connections open now, each with its upstream once connected. */
const clients = new Map<Deno.Conn, Deno.Conn | null>();
const held = new Set<Deno.Conn>();
let openWaiters: Array<{ n: number; resolve: () => void }> = [];
const enc = new TextEncoder();

function answer(): void {
  Deno.stdout.writeSync(enc.encode(`ok ${JSON.stringify({ ...stats, open: clients.size })}\n`));
}

function opened(conn: Deno.Conn): void {
  clients.set(conn, null);
  stats.accepted++;
  const ready = openWaiters.filter((w) => clients.size >= w.n);
  openWaiters = openWaiters.filter((w) => clients.size < w.n);
  for (const w of ready) w.resolve();
}

function closeQuietly(conn: Deno.Conn | null | undefined): void {
  try {
    conn?.close();
  } catch {
    // Already closed.
  }
}

/** Closes a client connection and its upstream. */
function close(client: Deno.Conn): void {
  const upstream = clients.get(client);
  clients.delete(client);
  held.delete(client);
  closeQuietly(client);
  closeQuietly(upstream);
}

async function pump(client: Deno.Conn, from: Deno.Conn, to: Deno.Conn, up: boolean) {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      if (stats.delayMs > 0) {
        // Latency, not ordering: this pump awaits each chunk in turn, so order is kept.
        await new Promise((r) => setTimeout(r, stats.delayMs));
        stats.delayed++;
      }
      if (!clients.has(client)) break;
      let off = 0;
      while (off < n) off += await to.write(buf.subarray(off, n));
      if (up) stats.bytesUp += n;
      else stats.bytesDown += n;
    }
    await to.closeWrite().catch(() => {});
  } catch {
    // A cut or a reset: both ends are closed below.
  }
}

async function serve(client: Deno.Conn): Promise<void> {
  opened(client);
  if (stats.mode === "cut") {
    stats.cut++;
    close(client);
    return;
  }
  if (stats.mode === "hold") {
    stats.held++;
    held.add(client);
    return;
  }
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
  } catch {
    close(client);
    return;
  }
  if (!clients.has(client)) {
    closeQuietly(upstream); // Cut while connecting.
    return;
  }
  clients.set(client, upstream);
  await Promise.all([pump(client, client, upstream, true), pump(client, upstream, client, false)]);
  close(client);
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
Deno.stdout.writeSync(enc.encode(`ready ${(listener.addr as Deno.NetAddr).port}\n`));

(async () => {
  for await (const conn of listener) serve(conn);
})();

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = "";
for await (const chunk of lines) {
  pending += chunk;
  let nl: number;
  while ((nl = pending.indexOf("\n")) !== -1) {
    const [cmd, arg] = pending.slice(0, nl).trim().split(/\s+/);
    pending = pending.slice(nl + 1);
    if (cmd === "delay") stats.delayMs = Number(arg);
    else if (cmd === "cut") {
      stats.mode = "cut";
      for (const c of [...clients.keys()]) {
        stats.cut++;
        close(c);
      }
    } else if (cmd === "hold") stats.mode = "hold";
    else if (cmd === "heal") {
      stats.mode = "pass";
      for (const c of [...held]) close(c);
    } else if (cmd === "wait-open") {
      const n = Number(arg);
      if (clients.size < n) {
        await new Promise<void>((resolve) => openWaiters.push({ n, resolve }));
      }
    } else if (cmd !== "stats") {
      Deno.stderr.writeSync(enc.encode(`sync proxy: unknown command ${cmd}\n`));
      continue;
    }
    answer();
  }
}
listener.close();
for (const c of [...clients.keys()]) close(c);
Deno.exit(0);
