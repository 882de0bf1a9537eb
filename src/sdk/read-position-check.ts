import { CdcCacheError } from '../errors';
import {
  type EntitySpec,
  laterTransactionId,
  type ReadPoint,
  type ReadPosition,
  readPoint,
  transactionsFinished,
} from '../keyspace';

/** What the key had reached when the lease was taken (see take-lease-2.lua). */
export interface LeaseFloor {
  /** The newest version the key had reached ('' if none). */
  readonly floor: string;
  /** Ms since the worker last applied a change to the key, -1 when none is remembered. */
  readonly since: number;
  /** The newest PostgreSQL transaction id among the changes the key's memory remembers ('' if none). */
  readonly transactionId: string;
}

/** No floor: a value served from Redis, not loaded under a lease. */
export const NO_FLOOR: LeaseFloor = { floor: '', since: -1, transactionId: '' };

/**
 * A lease's floor with the entity's last truncate merged in: a truncate changed every key of the entity, so a
 * fill must contain it as it must contain the key's own last change. `memory` is the entity's generation memory
 * as stored (`<version>|<appliedAtMs>|<xid>`, or `<version>|<appliedAtMs>` from before transaction ids; null when
 * none: no truncate within the window), read after the generation the lease is under (see
 * {@link LeaseProtocol.take}); `redisNowMs` is Redis's clock when the lease was taken. The truncate's version
 * raises the floor except for DynamoDB entities (their versions are per item, a truncate's are not of that order).
 *
 * @example
 * withGenerationMemory(spec, NO_FLOOR, '00000000000000000420|1700000000000|733', 1700000000040)
 * // { floor: '00000000000000000420', since: 40, transactionId: '733' }
 */
export function withGenerationMemory(
  entity: EntitySpec,
  lease: LeaseFloor,
  memory: string | null,
  redisNowMs: number,
): LeaseFloor {
  const match = memory === null ? null : /^([^|]*)\|(\d+)(?:\|(\d*))?$/.exec(memory);
  if (!match) return lease;
  const [, version = '', appliedAt = '0', transactionId = ''] = match;
  // No usable clock reads as "just now": the conservative side of maxReplicaLag.
  const ago = Number.isFinite(redisNowMs) ? Math.max(0, redisNowMs - Number(appliedAt)) : 0;
  const ranks = entity.sources.every((source) => source.kind !== 'dynamodb');
  return {
    floor: ranks && version > lease.floor ? version : lease.floor,
    since: lease.since < 0 ? ago : Math.min(lease.since, ago),
    transactionId: laterTransactionId(lease.transactionId, transactionId),
  };
}

/** Why a loaded read must not be cached. */
export type FillRefusal = 'behind' | 'invisible' | 'replica-lag';

/**
 * A loader's read position as the fill check needs it: a PostgreSQL snapshot parsed, anything else in the
 * worker's version encoding (the decoders' own functions). Throws `CDC_INVALID_OPTION` for a position that
 * does not fit the entity's source.
 *
 * @example
 * readPositionPoint(userSpec, { snapshot: '732:734:' }) // { version: '', snapshot: { xmin: 732n, ... } }
 * readPositionPoint(userSpec, '0/16B3748') // { version: the LSN as the worker's PostgreSQL decoder encodes it }
 */
export function readPositionPoint(entity: EntitySpec, position: ReadPosition): ReadPoint {
  const kinds = new Set(entity.sources.map((source) => source.kind));
  if (kinds.size > 1) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `readPosition: ${entity.name} has sources of different kinds, whose positions are not one order`,
    );
  }
  return readPoint(entity.sources[0]!, position);
}

/**
 * Why a fill must not be cached, or `undefined` when it may. A change applied after the lease was taken
 * replaced or cancelled the lease (a change that raises the remembered transaction id cancels it even at an
 * older version, see version-memory.lua), so the fill script refuses that case itself; this is the check
 * against what the key had reached when the lease was taken:
 * - `invisible`: the loader read a PostgreSQL snapshot in which a transaction up to the key's newest one had
 *   not finished (on a standby: not yet replayed up to its commit); or it reported only an LSN, or a snapshot
 *   against remembered changes that carried no transaction id, neither of which can show whether a
 *   transaction had committed where it read;
 * - `behind`: its position (a version: MySQL, DynamoDB) is older than the newest version the key had reached;
 * - `replica-lag`: it reported nothing to compare, and the lease came within the entity's `maxReplicaLag`
 *   after the worker applied a change.
 *
 * @example
 * fillRefusal(spec, { floor: '', since: 40, transactionId: '733' }, readPositionPoint(spec, { snapshot: '732:734:' })) // 'invisible'
 */
export function fillRefusal(
  entity: EntitySpec,
  lease: LeaseFloor,
  point: ReadPoint | undefined,
): FillRefusal | undefined {
  if (point?.snapshot) {
    if (lease.transactionId !== '') {
      return transactionsFinished(lease.transactionId, point.snapshot) ? undefined : 'invisible';
    }
    if (lease.since >= 0 && lease.floor !== '') return 'invisible';
  } else if (point !== undefined) {
    if (lease.transactionId !== '') return 'invisible';
    if (lease.floor !== '') return point.version < lease.floor ? 'behind' : undefined;
  }
  const lag = entity.maxReplicaLagMs;
  return lag > 0 && lease.since >= 0 && lease.since < lag ? 'replica-lag' : undefined;
}
