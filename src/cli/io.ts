/**
 * The only place that writes to the console. stdout carries data; stderr carries status,
 * warnings and hints. Tests construct a {@linkcode MemoryIo} instead. Everything written passes
 * through {@linkcode escapeControls}: titles, bodies and board posts (even hand-edited ones) can
 * hold escape sequences, and no output may drive the terminal; JSON stays exact.
 */
import { escapeControls } from "../model/text.ts";

/** Console streams as seen by commands. */
export interface Io {
  /** Writes data (a line is added when missing) to stdout. */
  out(text: string): void;
  /** Writes a status line, warning or hint to stderr. */
  err(text: string): void;
  /** Whether stdout is a terminal (human tables, no JSON). */
  readonly isTty: boolean;
  /** Whether stdin is a terminal (then it is never read for a body). */
  readonly stdinIsTty: boolean;
  /** Reads all of stdin as bytes. */
  readStdin(): Promise<Uint8Array>;
  /**
   * Reads all of stdin, but gives up (null) when nothing, not even end-of-file, arrives within
   * `ms`: a pipe that a harness left open and never writes must not hang a command.
   */
  readStdinWithin(ms: number): Promise<Uint8Array | null>;
}

const encoder = new TextEncoder();

function writeAll(target: { writeSync(p: Uint8Array): number }, text: string): void {
  const safe = escapeControls(text);
  const bytes = encoder.encode(safe.endsWith("\n") ? safe : safe + "\n");
  let off = 0;
  while (off < bytes.length) off += target.writeSync(bytes.subarray(off));
}

/**
 * Writes to a stream whose reader may leave early (`track list | head -1`): once the pipe is
 * closed, the rest is dropped quietly, as git and ripgrep do; it is not an error of the command.
 */
function stream(target: { writeSync(p: Uint8Array): number }): (text: string) => void {
  let closed = false;
  return (text) => {
    if (closed) return;
    try {
      writeAll(target, text);
    } catch (e) {
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
      closed = true;
    }
  };
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunks: Uint8Array[],
): Promise<Uint8Array> {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/** The real console. */
export function denoIo(): Io {
  return {
    out: stream(Deno.stdout),
    err: stream(Deno.stderr),
    get isTty() {
      return Deno.stdout.isTerminal();
    },
    get stdinIsTty() {
      return Deno.stdin.isTerminal();
    },
    async readStdin() {
      return await readAll(Deno.stdin.readable.getReader(), []);
    },
    async readStdinWithin(ms: number) {
      const reader = Deno.stdin.readable.getReader();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const first = await Promise.race([
        reader.read(),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), ms);
        }),
      ]);
      clearTimeout(timer);
      // Nothing came: leave the read pending; the process exits without waiting for it.
      if (first === null) return null;
      return first.done ? new Uint8Array() : await readAll(reader, [first.value]);
    },
  };
}

/** An in-memory console for tests and for the dashboard/MCP server. */
export class MemoryIo implements Io {
  stdout = "";
  stderr = "";
  #stdin: Uint8Array | null;
  readonly isTty = false;
  readonly stdinIsTty: boolean;

  constructor(stdin: string | null = null) {
    this.#stdin = stdin === null ? null : encoder.encode(stdin);
    this.stdinIsTty = stdin === null;
  }
  out(text: string): void {
    const safe = escapeControls(text);
    this.stdout += safe.endsWith("\n") ? safe : safe + "\n";
  }
  err(text: string): void {
    const safe = escapeControls(text);
    this.stderr += safe.endsWith("\n") ? safe : safe + "\n";
  }
  readStdin(): Promise<Uint8Array> {
    return Promise.resolve(this.#stdin ?? new Uint8Array());
  }
  readStdinWithin(_ms: number): Promise<Uint8Array | null> {
    return this.readStdin();
  }
}
