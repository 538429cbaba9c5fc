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
import serve from "../commands/serve.ts";
import stop from "../commands/stop.ts";

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
  serve,
  stop,
] as CommandSpec<never>[];
