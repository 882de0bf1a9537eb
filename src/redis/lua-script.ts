import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CdcCacheError } from '../errors';
import type { RedisArg, RedisPort, RedisReply, ScriptCall } from './redis-port';

const LUA_DIR = join(__dirname, 'lua');

/** Read a script and expand its includes: a line `--@include <fragment>` becomes `lua/includes/<fragment>.lua`. */
export function readLuaScript(fileName: string): string {
  return readFileSync(join(LUA_DIR, fileName), 'utf8').replace(
    /^--@include (\S+)\s*$/gm,
    (_line, fragment: string) => readFileSync(join(LUA_DIR, 'includes', `${fragment}.lua`), 'utf8'),
  );
}

/** A script call that knows how to read its own reply. */
export interface TypedScriptCall<TReply> extends ScriptCall {
  /** Read the reply of this call (from {@link RedisPort.batch}). */
  readonly decode: (reply: RedisReply) => TReply;
}

/**
 * One Lua script, declared once: its file, its keys and arguments (as tuple types) and how its reply
 * reads. The source is read and its SHA computed once, on first use; calls go by SHA (EVALSHA), so two
 * cdc-cache versions sharing a server never run each other's scripts (the SHA is the script's text).
 */
export interface LuaScript<
  TKeys extends readonly string[] = readonly string[],
  TArgs extends readonly RedisArg[] = readonly RedisArg[],
  TReply = unknown,
> {
  /** camelCase name, for errors and metrics. */
  readonly name: string;
  /** `<kebab-name>-<numKeys>.lua`, or `-n.lua` for a variable number of keys. */
  readonly file: string;
  /** The source with its includes expanded. */
  readonly lua: string;
  /** SHA1 of {@link lua}, as EVALSHA wants it. */
  readonly sha: string;
  /** A batch entry calling the script (see {@link RedisPort.batch}). */
  call(keys: TKeys, args: TArgs): TypedScriptCall<TReply>;
  /** Run the script on its own and read its reply. */
  run(port: RedisPort, keys: TKeys, args: TArgs): Promise<TReply>;
  /** Read a reply of this script; a reply of another shape throws `CDC_REDIS_SCRIPT_FAILED`. */
  decode(reply: RedisReply): TReply;
}

/**
 * Declare a Lua script. The file name carries the number of keys (`take-lease-2.lua`: 2; `-n.lua`: any),
 * checked against every call.
 *
 * @example
 * const fill = defineScript<[entry: string], [token: string, entry: string, ttlMs: number], number>(
 *   'fill', 'fill-1.lua', asInteger,
 * )
 * const written = await fill.run(port, [key], [token, raw, 60_000])
 */
export function defineScript<TKeys extends readonly string[], TArgs extends readonly RedisArg[], TReply>(
  name: string,
  file: string,
  read: (reply: RedisReply) => TReply,
): LuaScript<TKeys, TArgs, TReply> {
  const count = /-(\d+|n)\.lua$/.exec(file)?.[1];
  if (count === undefined)
    throw new Error(`Lua script file '${file}' must be named <name>-<numKeys>.lua or <name>-n.lua`);
  const numberOfKeys = count === 'n' ? undefined : Number(count);
  let source: { lua: string; sha: string } | undefined;
  const load = () => {
    if (!source) {
      const lua = readLuaScript(file);
      source = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    }
    return source;
  };
  const decode = (reply: RedisReply): TReply => {
    try {
      return read(reply);
    } catch (error) {
      throw new CdcCacheError(
        'CDC_REDIS_SCRIPT_FAILED',
        `script ${name} replied ${JSON.stringify(reply)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  const script: LuaScript<TKeys, TArgs, TReply> = {
    name,
    file,
    get lua() {
      return load().lua;
    },
    get sha() {
      return load().sha;
    },
    call(keys, args) {
      if (numberOfKeys !== undefined && keys.length !== numberOfKeys)
        throw new Error(`script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
      return { script: script as unknown as LuaScript, keys, args, decode };
    },
    async run(port, keys, args) {
      return decode(await port.script(script.call(keys, args)));
    },
    decode,
  };
  return script;
}

/** An integer reply. */
export function asInteger(reply: RedisReply): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) return Number(reply);
  throw new Error('expected an integer');
}

/** A string reply (a number reads as its text). */
export function asString(reply: RedisReply): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return String(reply);
  throw new Error('expected a string');
}

/** An array reply. */
export function asArray(reply: RedisReply): RedisReply[] {
  if (Array.isArray(reply)) return reply;
  throw new Error('expected an array');
}

/** True for the error Redis gives EVALSHA when it does not hold the script. */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && /NOSCRIPT/.test(error.message);
}
