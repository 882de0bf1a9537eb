import { asArray, asInteger, asString, defineScript } from './lua-script';
import type { RedisReply } from './redis-port';

/**
 * Every Lua script of cdc-cache, declared once with its keys, arguments and reply (the contract header of
 * each file in `lua/` says what they mean). Callers go through these declarations only.
 */

/** take-lease's reply: see the contract header of `lua/take-lease-2.lua`. */
export type TakeLeaseReply =
  | readonly ['lease', floor: string, since: number, xid: string, nowMs: number]
  | readonly ['fresh', raw: string]
  | readonly ['refresh', raw: string, floor: string, since: number, xid: string, nowMs: number]
  | readonly ['stale', raw: string]
  | readonly ['wait', pttl: number];

function readTakeLease(reply: RedisReply): TakeLeaseReply {
  const [kind, ...rest] = asArray(reply);
  switch (kind) {
    case 'lease':
      return [
        'lease',
        asString(rest[0] ?? ''),
        asInteger(rest[1] ?? -1),
        asString(rest[2] ?? ''),
        asInteger(rest[3] ?? null),
      ];
    case 'fresh':
      return ['fresh', asString(rest[0] ?? null)];
    case 'refresh':
      return [
        'refresh',
        asString(rest[0] ?? null),
        asString(rest[1] ?? ''),
        asInteger(rest[2] ?? -1),
        asString(rest[3] ?? ''),
        asInteger(rest[4] ?? null),
      ];
    case 'stale':
      return ['stale', asString(rest[0] ?? null)];
    case 'wait':
      return ['wait', asInteger(rest[0] ?? null)];
    default:
      throw new Error(`unknown outcome ${JSON.stringify(kind)}`);
  }
}

/** What shard-lease-claim tells: claimed or not, and the checkpoint ('' when never read). */
function readClaim(reply: RedisReply): readonly [claimed: number, checkpoint: string] {
  const [claimed, checkpoint] = asArray(reply);
  return [
    asInteger(claimed ?? null),
    checkpoint === null || checkpoint === undefined ? '' : asString(checkpoint),
  ];
}

/** The scripts, by name. */
export const scripts = {
  /** SDK miss: take the fill lease before reading the database. */
  takeLease: defineScript<
    [entry: string, memory: string],
    [
      token: string,
      leaseTtlMs: number,
      generation: string,
      nowMs: number,
      refreshToken: string,
      creating: '' | '1',
    ],
    TakeLeaseReply
  >('takeLease', 'take-lease-2.lua', readTakeLease),
  /** SDK fill: write only while the entry holds the caller's lease or refresh token (1 written, 0 cancelled). */
  fill: defineScript<[entry: string], [token: string, entry: string, ttlMs: number], number>(
    'fill',
    'fill-1.lua',
    asInteger,
  ),
  /** SDK: give a lease or refresh token up (1 released, 0 no longer held). */
  releaseLease: defineScript<[entry: string], [token: string], number>(
    'releaseLease',
    'release-lease-1.lua',
    asInteger,
  ),
  /** SDK and worker: list an entry under a tag (1 new, 0 listed already). */
  addTagMember: defineScript<[tagSet: string], [entry: string, minTtlMs: number], number>(
    'addTagMember',
    'add-tag-member-1.lua',
    asInteger,
  ),
  /** The generation of an entity, created if missing. */
  ensureGeneration: defineScript<[generationKey: string], [fresh: string], string>(
    'ensureGeneration',
    'ensure-generation-1.lua',
    asString,
  ),
  /** Standalone tag invalidation: pop and delete up to ARGV[1] members; call again while it returns that many. */
  invalidateTag: defineScript<[tagSet: string], [batchSize: number], number>(
    'invalidateTag',
    'invalidate-tag-1.lua',
    asInteger,
  ),
  /**
   * Worker truncate: raise the entity's truncation version (unless the version is ''), remember the truncate
   * in the generation memory (version, time, transaction), then set the new generation. Replies 1.
   */
  bumpGeneration: defineScript<
    [generationKey: string, truncationKey: string, generationMemory: string],
    [version: string, generation: string, memoryTtlMs: number, transactionId: string],
    number
  >('bumpGeneration', 'bump-generation-3.lua', asInteger),
  /** Worker refresh: 1 written, 0 kept (newer there), 2 deleted instead. */
  refreshEntry: defineScript<
    [entry: string, memory: string],
    [
      generation: string,
      version: string,
      nowMs: number,
      staleAtMs: number,
      ttlMs: number,
      payload: string,
      memoryTtlMs: number,
      transactionId: string,
    ],
    number
  >('refreshEntry', 'refresh-entry-2.lua', asInteger),
  /**
   * Worker: versioned deletes, one call per pipeline on standalone Redis and per slot on Cluster (every key
   * of a call in one slot). Keys: entry, memory, entry, memory, ...; one argument: the runs, one per run of
   * consecutive entries sharing a change, each written by {@link tombstoneRun} and concatenated. Replies the
   * number of entries deleted.
   */
  writeTombstones: defineScript<readonly string[], readonly [runs: string], number>(
    'writeTombstones',
    'write-tombstones-n.lua',
    asInteger,
  ),
  /** DynamoDB poller: claim a shard lease; [1 or 0, checkpoint]. */
  shardLeaseClaim: defineScript<
    [shardState: string],
    [owner: string, leaseMs: number],
    ReturnType<typeof readClaim>
  >('shardLeaseClaim', 'shard-lease-claim-1.lua', readClaim),
  /** DynamoDB poller: renew (and checkpoint) while owning the lease (1) or not (0). */
  shardLeaseRenew: defineScript<
    [shardState: string],
    [owner: string, leaseMs: number, checkpoint: string, expireAfterMs: string | number],
    number
  >('shardLeaseRenew', 'shard-lease-renew-1.lua', asInteger),
  /** DynamoDB poller: give the lease up, keeping the checkpoint (1 released, 0 not the owner). */
  shardLeaseRelease: defineScript<[shardState: string], [owner: string], number>(
    'shardLeaseRelease',
    'shard-lease-release-1.lua',
    asInteger,
  ),
} as const;

/**
 * One run of {@link scripts}`.writeTombstones`' runs argument: `entries` consecutive entries (pairs of keys)
 * that share a change's memory ttl, transaction id ('' when none) and version ('' = forget the versions, keep
 * the time), written `<ttl>,<entries>,<transaction>,<byte length>:<version>`: the numbers are digits, so one
 * Lua pattern reads a run's head, and the version after its length may hold any text. The runs of a call
 * travel as one argument because the client encodes a command argument by argument, and a batch of deletes
 * held four per change.
 *
 * @example
 * scripts.writeTombstones.call([entry, memory], [tombstoneRun('00000000000000000042', 300000, '', 1)])
 * // runs: '300000,' + '1,' + '' + ',20:' + '00000000000000000042'
 */
export function tombstoneRun(version: string, ttlMs: number, transactionId: string, entries: number): string {
  const pieces: string[] = [];
  pushTombstoneRun(pieces, version, ttlMs, transactionId, entries);
  return pieces.join('');
}

/**
 * Append the pieces of one {@link tombstoneRun} to `pieces`, to be joined once with the other runs of a call:
 * joining builds one flat string, where concatenating each run builds several short strings per change. Five
 * strings per run, the common number fields and length heads made once: a batch of changes each with its own
 * version joins thousands of runs.
 *
 * @example
 * const pieces: string[] = []
 * pushTombstoneRun(pieces, '00000000000000000042', 300000, '', 1)
 * pieces.join('') // '300000,1,,20:00000000000000000042'
 */
export function pushTombstoneRun(
  pieces: string[],
  version: string,
  ttlMs: number,
  transactionId: string,
  entries: number,
): void {
  pieces.push(
    numberField(ttlMs),
    numberField(entries),
    transactionId,
    lengthHead(byteLength(version)),
    version,
  );
}

/** `,<length>:` (ending the transaction id, heading the version) for lengths below 128, made once each. */
const LENGTH_HEADS = Array.from({ length: 128 }, (_unused, length) => `,${length}:`);
/** `<n>,` for numbers below 128, made once each. */
const SMALL_NUMBER_FIELDS = Array.from({ length: 128 }, (_unused, n) => `${n},`);
/** The last number field made that was not small: a worker's memory ttls are one or a few values. */
let lastNumber: number | undefined;
let lastNumberField = '';

function lengthHead(length: number): string {
  return LENGTH_HEADS[length] ?? `,${length}:`;
}

/** A number as a field: its digits and a comma. */
function numberField(value: number): string {
  const small = Number.isInteger(value) && value >= 0 ? SMALL_NUMBER_FIELDS[value] : undefined;
  if (small !== undefined) return small;
  if (value !== lastNumber) {
    lastNumber = value;
    lastNumberField = `${value},`;
  }
  return lastNumberField;
}

/** UTF-8 byte length (Lua counts bytes); versions and transaction ids are ASCII digits, checked cheaply first. */
function byteLength(text: string): number {
  for (let at = 0; at < text.length; at++) if (text.charCodeAt(at) > 0x7f) return Buffer.byteLength(text);
  return text.length;
}
