import { type AnyRedisClient, toRedisPort } from './to-redis-port';

/** What {@link checkEvictionPolicy} found. */
export interface EvictionPolicyCheck {
  /** The `maxmemory-policy` of each node read (one entry on standalone Redis); empty when CONFIG is forbidden. */
  readonly policies: readonly string[];
  /** True when every node runs `noeviction`: no internal key can be evicted. */
  readonly safe: boolean;
  /** What the policy means for cdc-cache's guarantees (a warning when not safe). */
  readonly message: string;
}

/**
 * Read `maxmemory-policy` (on every master of a Cluster) and say what it means for cdc-cache. Only
 * `noeviction` keeps every guarantee: under `volatile-*` Redis may evict a version memory (the versioned
 * tombstone that refuses replays and lagging fills); under `allkeys-*` also a truncation key. A lost
 * generation key is safe under any policy (generations are random). Where CONFIG is forbidden (ElastiCache,
 * restrictive ACLs) the check cannot tell and says so; it never throws.
 *
 * @example
 * const { safe, message } = await checkEvictionPolicy(client)
 * if (!safe) logger.warn(message)
 */
export async function checkEvictionPolicy(
  client: AnyRedisClient,
  timeoutMs = 2000,
): Promise<EvictionPolicyCheck> {
  let policies: string[];
  let timer: NodeJS.Timeout | undefined;
  try {
    const read = toRedisPort(client)
      .primaries()
      .then((nodes) =>
        Promise.all(
          nodes.map(async (node) => {
            const reply = await node.command(['CONFIG', 'GET', 'maxmemory-policy']);
            return String((Array.isArray(reply) ? reply[1] : undefined) ?? 'unknown');
          }),
        ),
      );
    // Redis down at start must not hold the worker's first batch: the batch's own retries handle an outage.
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs}ms`)), timeoutMs);
    });
    read.catch(() => undefined); // a reply after the timeout is dropped
    policies = await Promise.race([read, late]);
  } catch (error) {
    return {
      policies: [],
      safe: false,
      message: `cannot read maxmemory-policy (${(error as Error).message}); cdc-cache's guarantees need 'noeviction' (see README, Guarantees): check it in your Redis configuration`,
    };
  } finally {
    clearTimeout(timer);
  }
  const unsafe = [...new Set(policies.filter((policy) => policy !== 'noeviction'))];
  if (unsafe.length === 0) return { policies, safe: true, message: "maxmemory-policy is 'noeviction'" };
  return {
    policies,
    safe: false,
    message: `maxmemory-policy is ${unsafe.map((policy) => `'${policy}'`).join(', ')}: Redis may evict cdc-cache's version memories${unsafe.some((policy) => policy.startsWith('allkeys')) ? ' and truncation keys' : ''} under memory pressure, and then a replayed change or a fill from a lagging replica can cache an older value until its TTL; set 'noeviction' (see README, Guarantees)`,
  };
}
