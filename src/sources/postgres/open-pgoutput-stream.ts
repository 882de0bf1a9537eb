import type { ClientConfig } from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import { formatLsn, parseLsn } from './lsn';
import type { OpenReplicationStream, ReplicationStream } from './replication-stream';

/** Options of {@link pgoutputStreamOpener}. */
export interface PgoutputStreamOptions {
  /** How to reach PostgreSQL (host, port, user, password, database, ssl). */
  readonly connection: ClientConfig;
  /** The logical replication slot (plugin `pgoutput`). */
  readonly slot: string;
  /** The publication naming the tables. */
  readonly publication: string;
}

// Column values stay text: the decoder turns them into Debezium's values itself (node-postgres' global
// type parsers would, for instance, make a `date` a local-midnight Date that depends on the time zone).
const keepText = (text: unknown) => text;

/** pgoutput, with every column's value left as PostgreSQL's text. */
class TextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    // The parser caches this relation object and reads later tuples through its columns' parsers.
    if (message.tag === 'relation') for (const column of message.columns) column.parser = keepText;
    return message;
  }
}

/**
 * Open logical replication streams with pg-logical-replication: protocol version 1 of `pgoutput`, from
 * the slot's confirmed position (`0/0` lets the server pick it), nothing acknowledged automatically.
 * The session is pinned to `DateStyle=ISO` and `TimeZone=UTC` so values' text never depends on settings.
 *
 * Streamed in-progress transactions (protocol 2, `streaming on`) are not requested: their changes may
 * still abort, so they could not be applied before the commit anyway, and the server spills a large
 * transaction to disk instead of the worker holding it in memory.
 *
 * @example
 * const open = pgoutputStreamOpener({ connection: { host: 'db' }, slot: 'cdc_cache', publication: 'cdc_cache' })
 * const stream = open({ onStart, onMessage, onKeepalive })
 */
export function pgoutputStreamOpener(options: PgoutputStreamOptions): OpenReplicationStream {
  return (handlers) => {
    const service = new LogicalReplicationService(
      {
        ...options.connection,
        application_name: options.connection.application_name ?? 'cdc-cache-worker',
        options: [options.connection.options, '-c DateStyle=ISO -c TimeZone=UTC'].filter(Boolean).join(' '),
      },
      // Acknowledge only when told: never automatically, never on a timer.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    let stopping = false;
    let failure: unknown;
    service.on('start', () => handlers.onStart());
    service.on('data', (lsn: string, message: Pgoutput.Message) =>
      handlers.onMessage(parseLsn(lsn), message),
    );
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) =>
      handlers.onKeepalive(parseLsn(lsn), shouldRespond),
    );
    // The client's own errors (a dropped socket) also fail the START_REPLICATION query below.
    service.on('error', (error: unknown) => {
      failure ??= error;
    });
    const plugin = new TextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication] });
    const done = service.subscribe(plugin, options.slot, '0/0').then(
      () => {
        if (!stopping) throw failure ?? new Error('the replication connection ended');
      },
      (error: unknown) => {
        if (!stopping) throw error;
      },
    );
    const stream: ReplicationStream = {
      done: done.finally(() => service.removeAllListeners()),
      confirm(lsn) {
        // The library reports its argument + 1 as written, flushed and applied; the server expects the
        // first byte not yet applied, which is `lsn` itself.
        // A position below the slot's (0 before anything was applied) is ignored by the server.
        void service.acknowledge(formatLsn(lsn > 0n ? lsn - 1n : 0n));
      },
      async stop() {
        stopping = true;
        await service.stop();
      },
    };
    return stream;
  };
}
