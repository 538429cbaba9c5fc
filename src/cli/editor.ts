/**
 * Running the person's editor on a file, on the terminal track runs in (`track edit`). The
 * editor string is run by the shell, as git runs `core.editor`, so `code --wait` works.
 */
import { TrackError } from "../model/errors.ts";

/** Runs `editor path` with the terminal attached; its exit status. */
export async function runEditor(editor: string, path: string): Promise<number> {
  try {
    const child = new Deno.Command("sh", {
      args: ["-c", `${editor} "$1"`, "sh", path],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } catch (e) {
    throw new TrackError(
      "io",
      `Cannot run the editor ${JSON.stringify(editor)}: ${
        (e as Error).message
      }; nothing was changed`,
      { hint: "check $VISUAL / $EDITOR (or open the file yourself: track path T-NNNN)" },
    );
  }
}
