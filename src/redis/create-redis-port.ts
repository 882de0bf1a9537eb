import type { DriverCommand, PortDriver } from './adapters/port-driver';
import { isNoScriptError } from './lua-script';
import { normalizeReply } from './normalize-reply';
import type { BatchEntry, RedisArg, RedisPort, RedisReply, ScriptCall } from './redis-port';

/**
 * Build a {@link RedisPort} on an adapter's driver: scripts go by EVALSHA and fall back to EVAL on NOSCRIPT
 * (which also loads them again); every reply is normalised to the RESP2 shape. `owned`: close the client
 * on {@link RedisPort.close} (only for a client the port created).
 */
export function createRedisPort(driver: PortDriver, owned: boolean): RedisPort {
  const send = async (command: DriverCommand) => normalizeReply(await driver.send(command));
  return {
    kind: driver.kind,
    cluster: driver.cluster,
    command: (args) => send(toCommand(args)),
    async script(call) {
      try {
        return await send(scriptCommand(call, 'EVALSHA'));
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return send(scriptCommand(call, 'EVAL'));
      }
    },
    async batch(entries) {
      if (entries.length === 0) return [];
      const replies = await driver.pipeline(entries.map((entry) => toEntryCommand(entry, 'EVALSHA')));
      const first = replies.findIndex(isNoScriptError);
      if (first >= 0) {
        // Entries after the first NOSCRIPT already ran; sending them again keeps their order (see batch).
        const again = await driver.pipeline(
          entries.slice(first).map((entry) => toEntryCommand(entry, 'EVAL')),
        );
        replies.splice(first, again.length, ...again);
      }
      return replies.map((reply) => (reply instanceof Error ? reply : normalizeReply(reply)));
    },
    async primaries() {
      return (await driver.primaries()).map((node) => ({
        address: node.address,
        command: async (args: readonly RedisArg[]) => normalizeReply(await node.send(args.map(String))),
      }));
    },
    async close() {
      if (owned) await driver.close();
    },
  };
}

/** A keyed command: its key at index 1. */
function toCommand(args: readonly RedisArg[]): DriverCommand {
  return { key: args.length > 1 ? String(args[1]) : undefined, args: args.map(String) };
}

function isScriptCall(entry: BatchEntry): entry is ScriptCall {
  return !Array.isArray(entry);
}

function toEntryCommand(entry: BatchEntry, how: 'EVALSHA' | 'EVAL'): DriverCommand {
  return isScriptCall(entry) ? scriptCommand(entry, how) : toCommand(entry as readonly RedisArg[]);
}

/** `EVALSHA`/`EVAL` of a script call, its arguments written once into one array of the exact size. */
function scriptCommand(call: ScriptCall, how: 'EVALSHA' | 'EVAL'): DriverCommand {
  const { keys, args } = call;
  const command = new Array<string>(3 + keys.length + args.length);
  command[0] = how;
  command[1] = how === 'EVALSHA' ? call.script.sha : call.script.lua;
  command[2] = String(keys.length);
  let at = 3;
  for (const key of keys) command[at++] = key;
  for (const arg of args) command[at++] = String(arg);
  return { key: keys[0], args: command };
}

/** Read a reply that must not be an error (a batch's entry). */
export function replyOrThrow(reply: RedisReply | Error): RedisReply {
  if (reply instanceof Error) throw reply;
  return reply;
}
