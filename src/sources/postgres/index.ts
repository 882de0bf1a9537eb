export {
  createPgoutputDecoder,
  type PgoutputDecoder,
  type PgoutputDecoderOptions,
  type PgoutputPosition,
} from './decode-pgoutput';
export { formatLsn, parseLsn } from './lsn';
export { type PgoutputStreamOptions, pgoutputStreamOpener } from './open-pgoutput-stream';
export { pgoutputValue } from './pgoutput-value';
export {
  type PrepareReplicationOptions,
  prepareReplication,
  type ReplicationSetup,
  type TableNeeds,
} from './prepare-replication';
export { readSlotStatus, type SlotStatus } from './read-slot-status';
export type { OpenReplicationStream, ReplicationHandlers, ReplicationStream } from './replication-stream';
