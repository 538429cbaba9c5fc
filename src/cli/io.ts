/**
 * The only place that writes to the console. stdout carries data; stderr carries status,
 * warnings and hints. Tests construct a {@linkcode MemoryIo} instead.
 */

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
}

const encoder = new TextEncoder();

function writeAll(target: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text.endsWith("\n") ? text : text + "\n");
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
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of Deno.stdin.readable) {
        chunks.push(chunk);
        size += chunk.length;
      }
      const all = new Uint8Array(size);
      let off = 0;
      for (const c of chunks) {
        all.set(c, off);
        off += c.length;
      }
      return all;
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
    this.stdout += text.endsWith("\n") ? text : text + "\n";
  }
  err(text: string): void {
    this.stderr += text.endsWith("\n") ? text : text + "\n";
  }
  readStdin(): Promise<Uint8Array> {
    return Promise.resolve(this.#stdin ?? new Uint8Array());
  }
}
