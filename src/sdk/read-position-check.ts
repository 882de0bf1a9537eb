import { CdcCacheError } from '../errors';
import { type EntitySpec, type ReadPosition, readPositionVersion } from '../keyspace';

/** What the key had reached when the lease was taken (see take-lease-2.lua). */
export interface LeaseFloor {
  /** The newest version the key had reached ('' if none). */
  readonly floor: string;
  /** Ms since the worker last applied a change to the key, -1 when none is remembered. */
  readonly since: number;
}

/** No floor: a value served from Redis, not loaded under a lease. */
export const NO_FLOOR: LeaseFloor = { floor: '', since: -1 };

/** Why a loaded read must not be cached. */
export type FillRefusal = 'behind' | 'replica-lag';

/**
 * A loader's read position in the worker's version encoding (the decoders' own functions). Throws
 * `CDC_INVALID_OPTION` for a position that does not fit the entity's source.
 *
 * @example
 * positionVersion(userSpec, '0/16B3748') // the LSN as the worker's PostgreSQL decoder encodes it
 */
export function positionVersion(entity: EntitySpec, position: ReadPosition): string {
  const kinds = new Set(entity.sources.map((source) => source.kind));
  if (kinds.size > 1) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `readPosition: ${entity.name} has sources of different kinds, whose positions are not one order`,
    );
  }
  return readPositionVersion(entity.sources[0]!, position);
}

/**
 * Why a fill must not be cached, or undefined when it may: its read position is older than the newest
 * version the key had reached when the lease was taken ('behind'), or, with no position to compare, the
 * lease came within the entity's maxReplicaLag after the worker applied a change ('replica-lag'). A change
 * applied after the lease was taken replaced the lease, so the fill script refuses that case itself.
 *
 * @example
 * fillRefusal(spec, { floor: '00000000016B3748', since: 5 }, '00000000016B3700') // 'behind'
 */
export function fillRefusal(
  entity: EntitySpec,
  lease: LeaseFloor,
  position: string | undefined,
): FillRefusal | undefined {
  if (position !== undefined && lease.floor !== '') return position < lease.floor ? 'behind' : undefined;
  const lag = entity.maxReplicaLagMs;
  return lag > 0 && lease.since >= 0 && lease.since < lag ? 'replica-lag' : undefined;
}
