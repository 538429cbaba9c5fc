/** track's version, from deno.json (`track --version`, the MCP server's handshake). */
import denoJson from "../../deno.json" with { type: "json" };

/** The version in deno.json. */
export const VERSION: string = denoJson.version;
