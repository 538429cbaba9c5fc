/**
 * The ordered command registry. `--help`, `help --json`, the README command table and shell
 * completions are generated from it.
 */
import type { CommandSpec } from "./command.ts";
import init from "../commands/init.ts";
import create from "../commands/create.ts";
import list from "../commands/list.ts";
import show from "../commands/show.ts";
import claim from "../commands/claim.ts";
import next from "../commands/next.ts";
import update from "../commands/update.ts";
import log from "../commands/log.ts";
import { blocked, ready } from "../commands/ready.ts";
import board from "../commands/board.ts";
import register from "../commands/register.ts";
import heartbeat from "../commands/heartbeat.ts";
import agents from "../commands/agents.ts";
import deregister from "../commands/deregister.ts";
import stale from "../commands/stale.ts";
import files from "../commands/files.ts";
import protocol from "../commands/protocol.ts";
import prime from "../commands/prime.ts";
import hooks from "../commands/hooks.ts";
import hook from "../commands/hook.ts";
import mcp from "../commands/mcp.ts";
import completions from "../commands/completions.ts";

/** Every command, in help order. */
export const COMMANDS: readonly CommandSpec<never>[] = [
  init,
  create,
  list,
  show,
  ready,
  blocked,
  next,
  claim,
  update,
  log,
  board,
  register,
  heartbeat,
  agents,
  deregister,
  stale,
  files,
  protocol,
  prime,
  hooks,
  mcp,
  completions,
  hook,
] as CommandSpec<never>[];
