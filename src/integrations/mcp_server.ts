/**
 * The MCP server over stdio, on the official TypeScript SDK. Imported only by `track mcp`
 * (dynamically), so the SDK's load cost never touches other commands.
 */
import process from "node:process";
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
  // Calls in flight: at end of input they still finish and answer before the server stops.
  const inFlight = new Set<Promise<unknown>>();
  server.setRequestHandler(
    CallToolRequestSchema,
    (req: { params: { name: string; arguments?: Record<string, unknown> } }) => {
      const p = callTool(req.params.name, req.params.arguments ?? {}, ctx);
      inFlight.add(p);
      p.finally(() => inFlight.delete(p)).catch(() => {});
      return p;
    },
  );
  const transport = new StdioServerTransport();
  // The SDK's stdio transport does not report end of input; watch stdin ourselves.
  const ended = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
    process.stdin.once("close", () => resolve());
  });
  await server.connect(transport);
  await ended;
  // Requests parsed from the last chunk of input are dispatched asynchronously: let them start.
  await new Promise((resolve) => setTimeout(resolve, 0));
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  // Let the answers of the last calls reach stdout before closing.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await server.close();
}
