import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CdcCacheError } from '../errors';
import { defineKeyspace } from './define-keyspace';
import type { EntityDefinitions, Keyspace } from './keyspace-types';

/**
 * Build a keyspace from plain data, as found in a JSON or YAML file: `{ prefix?, entities: { ... } }`.
 *
 * @example
 * keyspaceFromData({ entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] } } })
 */
export function keyspaceFromData(data: unknown, origin = 'keyspace'): Keyspace {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CdcCacheError(
      'CDC_INVALID_KEYSPACE',
      `${origin}: must be an object with 'entities' (and optional 'prefix')`,
    );
  }
  const { entities, prefix, ...rest } = data as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0 || entities === undefined) {
    throw new CdcCacheError(
      'CDC_INVALID_KEYSPACE',
      `${origin}: expected top-level fields 'entities' and optional 'prefix'${unknown.length ? `, found unknown: ${unknown.join(', ')}` : ", 'entities' is missing"}`,
    );
  }
  try {
    return defineKeyspace(
      entities as EntityDefinitions,
      prefix === undefined ? {} : { prefix: prefix as string },
    );
  } catch (error) {
    if (error instanceof CdcCacheError) {
      throw new CdcCacheError(error.code, `${origin}: ${error.message}`, {
        cause: error,
        details: error.details,
      });
    }
    throw error;
  }
}

/**
 * Load a keyspace from a file: `.json`, `.yaml`/`.yml` (data as in {@link keyspaceFromData}), or a
 * JavaScript module (`.js`, `.cjs`, or `.ts` when run under a TypeScript loader) whose default export is
 * the result of `defineKeyspace`.
 *
 * @example
 * const keyspace = await loadKeyspace('./keyspace.yaml')
 */
export async function loadKeyspace(path: string): Promise<Keyspace> {
  const absolute = resolve(path);
  const extension = extname(absolute).toLowerCase();
  if (extension === '.json' || extension === '.yaml' || extension === '.yml') {
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      throw new CdcCacheError(
        'CDC_INVALID_KEYSPACE',
        `Cannot read keyspace file ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    let data: unknown;
    try {
      data = extension === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new CdcCacheError(
        'CDC_INVALID_KEYSPACE',
        `${path}: not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return keyspaceFromData(data, path);
  }
  if (isKeyspaceModule(path)) {
    let loaded: { default?: unknown };
    try {
      loaded = require(absolute) as { default?: unknown };
    } catch (error) {
      if (error instanceof CdcCacheError) throw error;
      const hint = extension.endsWith('ts')
        ? ' (a .ts keyspace needs a TypeScript loader such as tsx; or use .json/.yaml)'
        : '';
      throw new CdcCacheError(
        'CDC_INVALID_KEYSPACE',
        `Cannot load keyspace module ${path}: ${(error as Error).message}${hint}`,
        {
          cause: error,
        },
      );
    }
    const keyspace = loaded.default ?? loaded;
    if (!isKeyspace(keyspace)) {
      throw new CdcCacheError(
        'CDC_INVALID_KEYSPACE',
        `${path}: the default export must be the result of defineKeyspace(...)`,
      );
    }
    return keyspace;
  }
  throw new CdcCacheError(
    'CDC_INVALID_KEYSPACE',
    `${path}: unsupported keyspace file type '${extension}' (use .json, .yaml, .yml, .js or .ts)`,
  );
}

function isKeyspace(value: unknown): value is Keyspace {
  return typeof value === 'object' && value !== null && (value as Keyspace).entities instanceof Map;
}

/**
 * True when `path` names a keyspace that is code (`.js`, `.cjs`, `.ts`, `.cts`): loading it runs it, with
 * the privileges of the process that loads it (the worker's Redis credentials included).
 *
 * @example
 * isKeyspaceModule('keyspace.ts') // true
 * isKeyspaceModule('keyspace.yaml') // false
 */
export function isKeyspaceModule(path: string): boolean {
  return ['.js', '.cjs', '.ts', '.cts'].includes(extname(path).toLowerCase());
}
