import { CdcCacheError } from '../../../errors';

/** The npm package of each optional client library. */
const PACKAGE_OF = { 'node-redis': 'redis', glide: '@valkey/valkey-glide' } as const;

/**
 * Load an optional client library (a peer dependency the user installs) only when it is chosen, so that
 * `npm install cdc-cache` needs neither. Missing, it is a configuration error that names the package.
 *
 * @example
 * const glide = loadClientLibrary<typeof import('@valkey/valkey-glide')>('glide')
 */
export function loadClientLibrary<Library>(
  library: keyof typeof PACKAGE_OF,
  load: (name: string) => unknown = require,
): Library {
  const name = PACKAGE_OF[library];
  try {
    return load(name) as Library;
  } catch (error) {
    // Only the package itself missing; any other failure (its native binary, say) is its own error.
    const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    if (!missing || !String((error as Error).message).includes(`'${name}'`)) throw error;
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `CDC_CACHE_REDIS_CLIENT=${library}: the package ${name} is not installed (it is an optional peer dependency: npm install ${name})`,
      { cause: error },
    );
  }
}
