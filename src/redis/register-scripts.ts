import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './create-redis-client';

/**
 * Lua scripts live in `src/redis/lua/<name>-<numKeys>.lua`, each opening with a contract header.
 * A line `--@include <fragment>` is replaced by `lua/includes/<fragment>.lua`, so shared fragments
 * are included, not copied. Scripts are registered once per client with `defineCommand`, under a
 * versioned name, so two cdc-cache versions on one client never run each other's scripts.
 */
const SCRIPT_VERSION = 'v2';
const LUA_DIR = join(__dirname, 'lua');
const registered = new WeakMap<RedisClient, Set<string>>();

/** Read a script and expand its includes. */
export function readLuaScript(fileName: string): string {
  return readFileSync(join(LUA_DIR, fileName), 'utf8').replace(
    /^--@include (\S+)\s*$/gm,
    (_line, fragment: string) => readFileSync(join(LUA_DIR, 'includes', `${fragment}.lua`), 'utf8'),
  );
}

/** The command name a script is registered under, e.g. `cdcCache_v2_takeLease`. */
export function scriptCommand(name: string): string {
  return `cdcCache_${SCRIPT_VERSION}_${name}`;
}

/**
 * Register scripts (by camelCase name -> file `<kebab-name>-<numKeys>.lua`, or `-n.lua` for a variable
 * number of keys, passed first by the caller) once on a client and return it.
 *
 * @example
 * registerScripts(client, { takeLease: 'take-lease-2.lua' })
 * await (client as any)[scriptCommand('takeLease')](key, genKey, token, ttlMs)
 */
export function registerScripts<C extends RedisClient>(
  client: C,
  scripts: Readonly<Record<string, string>>,
): C {
  const done = registered.get(client) ?? new Set<string>();
  registered.set(client, done);
  for (const [name, fileName] of Object.entries(scripts)) {
    const command = scriptCommand(name);
    if (done.has(command)) continue;
    // `<name>-n.lua` takes a variable number of keys: the caller passes the count first.
    const count = /-(\d+|n)\.lua$/.exec(fileName)?.[1];
    const numberOfKeys = count === 'n' ? undefined : Number(count);
    if (count === undefined)
      throw new Error(`Lua script file '${fileName}' must be named <name>-<numKeys>.lua or <name>-n.lua`);
    client.defineCommand(
      command,
      numberOfKeys === undefined
        ? { lua: readLuaScript(fileName) }
        : { numberOfKeys, lua: readLuaScript(fileName) },
    );
    done.add(command);
  }
  return client;
}
