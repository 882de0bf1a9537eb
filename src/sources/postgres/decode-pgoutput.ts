import type { Pgoutput } from 'pg-logical-replication';
import type { ChangeEvent, Row } from '../../core/change-event';
import { CdcCacheError } from '../../errors';
import { postgresTransactionId } from '../../keyspace/postgres-snapshot';
import { postgresVersion } from '../../keyspace/source-version';
import { formatLsn } from './lsn';
import { pgoutputValue } from './pgoutput-value';

/** Where a pgoutput change sits in the WAL: the change's own LSN (text form). */
export interface PgoutputPosition {
  readonly lsn: string;
}

/** Options of {@link createPgoutputDecoder}. */
export interface PgoutputDecoderOptions {
  /** Primary key columns by `<schema>.<table>`, for the events' `key` (replica identity may be FULL). */
  readonly primaryKeys?: ReadonlyMap<string, readonly string[]>;
}

/** A stateful pgoutput decoder: it remembers the open transaction's commit time and id. */
export type PgoutputDecoder = (lsn: bigint, message: Pgoutput.Message) => ChangeEvent<PgoutputPosition>[];

/** A column a tuple leaves out: an unchanged TOASTed value the old image could not supply. */
const UNAVAILABLE = undefined;

/**
 * Decode pgoutput messages (as parsed by pg-logical-replication, with column values left as text) into
 * the same `ChangeEvent`s the Debezium decoder makes for the same rows: table `<schema>.<table>`, images
 * with Debezium's values (see `pgoutputValue`), the change's LSN as the version in the same encoding
 * (`postgresVersion`, the Debezium path's encoding), the transaction's id (BEGIN's xid, as Debezium's
 * `source.txId`) and commit time. A truncate yields one event per table. Begin,
 * commit, relation, type, origin and logical messages yield nothing.
 *
 * The change's own LSN, not its commit LSN, is the version, as on the Debezium path: two writes of a row
 * in one transaction then still have increasing versions, so a refresh of the second is not refused as
 * "not newer" than the first.
 *
 * @example
 * const decode = createPgoutputDecoder()
 * const events = decode(0x16b3748n, message) // [{ source: 'postgres', table: 'public.users', op: 'update', ... }]
 */
export function createPgoutputDecoder(options: PgoutputDecoderOptions = {}): PgoutputDecoder {
  let committedAt: number | null = null;
  let transactionId: string | undefined;
  const tableOf = (relation: Pgoutput.MessageRelation) => `${relation.schema}.${relation.name}`;
  const keyOf = (relation: Pgoutput.MessageRelation, row: Row | null): Row | null => {
    if (row === null) return null;
    const table = tableOf(relation);
    const columns =
      options.primaryKeys?.get(table) ?? (relation.replicaIdentity === 'full' ? [] : relation.keyColumns);
    if (columns.length === 0) return null;
    const key: Record<string, unknown> = {};
    for (const column of columns) key[column] = row[column];
    return key;
  };
  return (lsn, message) => {
    const event = (
      relation: Pgoutput.MessageRelation,
      op: ChangeEvent['op'],
      before: Row | null,
      after: Row | null,
    ): ChangeEvent<PgoutputPosition> => ({
      source: 'postgres',
      table: tableOf(relation),
      op,
      before,
      after,
      key: keyOf(relation, after ?? before),
      version: postgresVersion(lsn)!,
      ...(transactionId === undefined ? {} : { transactionId }),
      committedAt,
      position: { lsn: formatLsn(lsn) },
    });
    switch (message.tag) {
      case 'begin':
        committedAt = Number(BigInt(message.commitTime as bigint) / 1000n);
        transactionId = postgresTransactionId(message.xid);
        return [];
      case 'insert':
        return [event(message.relation, 'create', null, row(message.relation, message.new))];
      case 'update': {
        const old = message.old ?? message.key;
        return [
          event(
            message.relation,
            'update',
            old ? row(message.relation, old) : null,
            row(message.relation, message.new),
          ),
        ];
      }
      case 'delete': {
        const old = message.old ?? message.key;
        if (!old)
          throw decodeError(`delete on ${tableOf(message.relation)} at ${formatLsn(lsn)} without an old row`);
        return [event(message.relation, 'delete', row(message.relation, old), null)];
      }
      case 'truncate':
        return message.relations.map((relation) => {
          if (!relation) throw decodeError(`truncate at ${formatLsn(lsn)} names a relation never described`);
          return event(relation, 'truncate', null, null);
        });
      default:
        return [];
    }
  };
}

/** A tuple of text values -> a row of Debezium-like values; columns the tuple lacks are left out. */
function row(relation: Pgoutput.MessageRelation, tuple: Record<string, unknown>): Row {
  const result: Record<string, unknown> = {};
  for (const column of relation.columns) {
    const text = tuple[column.name];
    if (text === UNAVAILABLE) continue;
    result[column.name] = text === null ? null : pgoutputValue(column.typeOid, text as string);
  }
  return result;
}

function decodeError(message: string): CdcCacheError {
  return new CdcCacheError('CDC_DECODE_FAILED', message);
}
