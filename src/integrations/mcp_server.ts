/**
 * The MCP server over stdio, on the official TypeScript SDK. Imported only by `track mcp`
 * (dynamically), so the SDK's load cost never touches other commands.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { callTool, type ToolContext, TOOLS } from "./mcp_tools.ts";

/** Serves `track`'s tools on stdin/stdout until the client closes the stream. */
export async function serveMcp(ctx: ToolContext, version: string): Promise<void> {
  const server = new Server(
    { name: "track", version },
    {
      capabilities: { tools: {} },
      instructions:
        "Ticket tracker and coordination for coding agents. Claim work with next/claim, " +
        "reserve files before editing, log progress, talk on the board.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...TOOLS] }));
  server.setRequestHandler(
    CallToolRequestSchema,
    async (req: { params: { name: string; arguments?: Record<string, unknown> } }) =>
      await callTool(req.params.name, req.params.arguments ?? {}, ctx),
  );
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice end of input on its own everywhere; watch it.
  await closed;
}
