import type { LuaScript } from './lua-script';

/** One argument of a Redis command. */
export type RedisArg = string | number;

/**
 * A reply in one shape whatever the client and protocol: RESP2's. RESP3 maps arrive as flat
 * `[key, value, ...]` arrays, sets as arrays, booleans as `1` and `0` (a plain Lua `false` is `null` in both), doubles that are not whole numbers as strings, binary strings as UTF-8 text.
 */
export type RedisReply = null | number | string | RedisReply[];

/** A script call: the declaration, its keys (all in one Cluster slot) and its arguments. */
export interface ScriptCall {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: readonly RedisArg[];
}

/**
 * One entry of a batch: a command (`['UNLINK', key, memoryKey]`; its key at index 1, every key of it in
 * one slot) or a script call.
 */
export type BatchEntry = readonly RedisArg[] | ScriptCall;

/** One primary of the deployment (the only one on standalone Redis), for commands without a key. */
export interface RedisNode {
  /** `host:port`, or '' on standalone Redis. */
  readonly address: string;
  /** Send a keyless command to this node (INFO, CONFIG GET, WAIT), on the connection that carries its writes. */
  command(args: readonly RedisArg[]): Promise<RedisReply>;
}

/** Which client library a port wraps. */
export type RedisClientKind = 'ioredis' | 'node-redis' | 'glide';

/**
 * The Redis that cdc-cache needs, whatever the client library: the one port the SDK, the engine, the
 * checkpoints, the auditor and the scripts call. Built by {@link toRedisPort} from an ioredis, node-redis
 * or Valkey GLIDE client (standalone or Cluster), or from a URL.
 *
 * @example
 * const port = toRedisPort(createClient({ url }))
 * await port.command(['SET', 'k', 'v'])
 * const [value, taken] = await port.batch([['GET', 'k'], scripts.fill.call(['k'], ['token', entry, 60000])])
 */
export interface RedisPort {
  /** The client library behind the port. */
  readonly kind: RedisClientKind;
  /** True on Redis Cluster: every command's (and script's) keys must share one slot (hash-tag them). */
  readonly cluster: boolean;
  /** Send one keyed command (its key at index 1), routed to the key's slot on Cluster. */
  command(args: readonly RedisArg[]): Promise<RedisReply>;
  /** Run a script by SHA; a server that lost it (NOSCRIPT: a restart, a failover, SCRIPT FLUSH) gets EVAL. */
  script(call: ScriptCall): Promise<RedisReply>;
  /**
   * Send many commands and script calls in one round trip per node (pipelined, not atomic); one reply or
   * error per entry, in order. Entries on one node run in order. After a NOSCRIPT reply the entries from the
   * first NOSCRIPT on are sent again with EVAL, so a batch holds idempotent entries (every cdc-cache batch
   * does): they may run twice, never zero times, and still in order.
   */
  batch(entries: readonly BatchEntry[]): Promise<(RedisReply | Error)[]>;
  /** The primaries (one on standalone Redis). */
  primaries(): Promise<readonly RedisNode[]>;
  /** Close the client, if the port created it (a client that was passed in is never closed). */
  close(): Promise<void>;
}
