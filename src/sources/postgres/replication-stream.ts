import type { Pgoutput } from 'pg-logical-replication';

/** What a {@link ReplicationStream} tells its consumer, in WAL order. */
export interface ReplicationHandlers {
  /** Streaming has started: this connection now holds the slot. */
  onStart(): void;
  /** One pgoutput message and the LSN of its WAL record. */
  onMessage(lsn: bigint, message: Pgoutput.Message): void;
  /** A server keepalive: everything before `lsn` has been sent; `replyRequested` wants a status update now. */
  onKeepalive(lsn: bigint, replyRequested: boolean): void;
}

/**
 * One logical replication connection on one slot (the port the worker uses; the adapter hides the
 * protocol library). Single use: open another after it ends.
 */
export interface ReplicationStream {
  /** Resolves when streaming ends after `stop()`; rejects when the connection fails or the slot is busy. */
  readonly done: Promise<void>;
  /** Report every change up to (not including) `lsn` as applied: the server may recycle WAL before it. */
  confirm(lsn: bigint): void;
  /** End the connection. */
  stop(): Promise<void>;
}

/** Opens a {@link ReplicationStream} that streams from the slot's confirmed position. */
export type OpenReplicationStream = (handlers: ReplicationHandlers) => ReplicationStream;
