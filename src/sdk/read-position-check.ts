import { CdcCacheError } from '../errors';
import {
  type EntitySpec,
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
