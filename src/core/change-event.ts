/** A row image: column or attribute name -> decoded value. */
export type Row = Readonly<Record<string, unknown>>;

/** Which kind of source a change came from. */
export type SourceKind = 'postgres' | 'mysql' | 'dynamodb';

/** What happened to the row. `read` is a snapshot read; `truncate` empties the whole table. */
export type ChangeOp = 'create' | 'update' | 'delete' | 'read' | 'truncate';

/**
 * One change, source-neutral. Sources decode their records into this; the core plans and applies it.
 *
 * `version` orders changes of the same row: a string whose byte-wise (lexicographic) order is the
 * source's commit order, e.g. a zero-padded PostgreSQL LSN or MySQL binlog file index and position, or a
 * zero-padded DynamoDB sequence number; `''` when unknown. Refreshes are guarded by it.
 *
 * @example
 * const event: ChangeEvent<{ offset: string }> = {
 *   source: 'postgres', table: 'public.users', op: 'update',
 *   before: { id: 42, email: 'old@example.com' }, after: { id: 42, email: 'new@example.com' },
 *   key: { id: 42 }, version: '00000000000023A4F1C8', committedAt: 1732360000000,
 *   position: { offset: '17' },
 * }
 */
export interface ChangeEvent<Position = unknown> {
  /** The kind of source. */
  readonly source: SourceKind;
  /** `<schema>.<table>` or `<database>.<table>` for Debezium; the table name for DynamoDB. */
  readonly table: string;
  /** The operation. */
  readonly op: ChangeOp;
  /** The row before the change (null for creates, truncates, and when the source does not send it). */
  readonly before: Row | null;
  /** The row after the change (null for deletes and truncates). */
  readonly after: Row | null;
  /** The primary key columns, when known. */
  readonly key: Row | null;
  /** Comparable version, see above; `''` when unknown. */
  readonly version: string;
  /**
   * PostgreSQL: the id of the change's transaction (32-bit xid, decimal text). A fill read from a standby is
   * cached only if this transaction is visible in the snapshot it read (the version, the change's own LSN,
   * cannot tell: a standby can have replayed the change but not yet its commit). Absent for other sources.
   */
  readonly transactionId?: string;
  /** Commit time at the source, in ms since the epoch, when known. */
  readonly committedAt: number | null;
  /** The position to acknowledge once this event is applied (an offset, a sequence number, ...). */
  readonly position: Position;
}
