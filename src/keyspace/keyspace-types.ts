import type { ColumnType } from './column-type';
import type { KeyValue } from './encode-key-value';
import type { KeyTemplate, PlaceholderNames } from './key-template';
import type { Duration } from './parse-duration';

/** What the worker does to an entity's keys when a source row changes. */
export type EntityMode = 'delete' | 'refresh';

/** Where an entity's data comes from: a relational table via Debezium, or a DynamoDB table. */
export interface SourceDefinition {
  /** Debezium table as `<schema>.<table>` (PostgreSQL) or `<database>.<table>` (MySQL/MariaDB). */
  table?: string;
  /** DynamoDB table name. */
  dynamodb?: string;
  /** Placeholder name -> column or attribute name, where they differ. Unlisted placeholders use their own name. */
  fields?: Record<string, string>;
  /**
   * Column or attribute name -> its type, for key columns whose value alone is ambiguous: a `Date` (date,
   * timestamp or timestamptz), numeric text, or a Debezium event written without schemas (day counts,
   * micros, decimal bytes). One of `integer bigint numeric float boolean text uuid date time timestamp
   * timestamptz bytes`; `numeric(p,s)`, `time(p)` and `timestamp(p)` give what schemaless events need.
   */
  columns?: Record<string, string>;
}

/** One cached entity, as written in a keyspace file. */
export interface EntityDefinition<Template extends string = string> {
  /** Key template, e.g. `user:{id}`. Each placeholder fills a whole segment between separators `: / # |`. */
  key: Template;
  /** Time to live of a cached value. */
  ttl: Duration;
  /** Random extra TTL, as a fraction of `ttl` (0 to 1), so keys filled together do not expire together. Default 0.1. */
  ttlJitter?: number;
  /** TTL of a cached "not found" (a loader that returned null or undefined). Default: the smaller of `ttl` and 30s. */
  negativeTtl?: Duration;
  /** How long past its TTL a value may still be served while one caller refreshes it. Default 0 (no grace). */
  grace?: Duration;
  /** `delete` (default) drops keys on change; `refresh` writes the new image, version-guarded. */
  mode?: EntityMode;
  /** Tag templates filled from the same row, e.g. `tenant:{tenantId}`; the row's change invalidates each tag. */
  tags?: string[];
  /** For `refresh` mode: the columns of the after image to cache. Default: the whole image. */
  fields?: string[];
  /**
   * For loaders that read a replica and cannot report a read position (`ctx.readPosition`): how far behind
   * the worker's changes the replica may be. A fill whose lease was taken within this window after the
   * worker applied a change to its key is served but not cached. Correct only while the replica's real lag
   * stays below it. Default 0 (off). Not needed for DynamoDB `GetItem` with `ConsistentRead`.
   */
  maxReplicaLag?: Duration;
  /**
   * Whether readers with a near cache (`createCache({ nearCache })`) keep this entity's values in memory:
   * `false` opts it out; `true` opts it in when the near cache takes only opted-in entities. Default: in.
   */
  nearCache?: boolean;
  /** The tables whose changes make this entity stale. A `refresh` entity has exactly one. */
  sources: SourceDefinition[];
}

/** Keyspace-wide options. */
export interface KeyspaceOptions {
  /** Prepended to every key, e.g. `'shop-prod:'`; a runtime `prefix` option overrides it per deployment or tenant. */
  prefix?: string;
}

/** A source binding after validation. */
export interface SourceSpec {
  /** `table` for Debezium sources, `dynamodb` for DynamoDB tables. */
  readonly kind: 'table' | 'dynamodb';
  /** Table name as the change events name it. */
  readonly table: string;
  /** Placeholder name -> column name, for every placeholder of the entity and its tags. */
  readonly fields: Readonly<Record<string, string>>;
  /** Column name -> declared type, as given in `columns`. */
  readonly columns: Readonly<Record<string, ColumnType>>;
}

/** An entity after validation: durations in milliseconds, templates parsed. */
export interface EntitySpec {
  readonly name: string;
  readonly template: KeyTemplate;
  readonly ttlMs: number;
  readonly ttlJitter: number;
  readonly negativeTtlMs: number;
  readonly graceMs: number;
  /** See {@link EntityDefinition.maxReplicaLag}; 0 when off. */
  readonly maxReplicaLagMs: number;
  /** See {@link EntityDefinition.nearCache}; absent when not said. */
  readonly nearCache?: boolean;
  readonly mode: EntityMode;
  readonly tags: readonly KeyTemplate[];
  /** Placeholder name -> the type its sources declare for its column (undeclared placeholders are absent). */
  readonly types: Readonly<Record<string, ColumnType>>;
  readonly fields: readonly string[] | null;
  readonly sources: readonly SourceSpec[];
}

/** Key parameters of one entity definition, typed from its template. */
export type KeyParams<Definition> = Definition extends { key: infer Template extends string }
  ? string extends Template
    ? Record<string, KeyValue>
    : { [Name in PlaceholderNames<Template>]: KeyValue }
  : Record<string, KeyValue>;

/** Entity definitions by name. */
export type EntityDefinitions = Record<string, EntityDefinition>;

/** A validated keyspace, shared by the SDK and the worker. */
export interface Keyspace<Definitions extends EntityDefinitions = EntityDefinitions> {
  /** The prefix from the keyspace options ('' if none). */
  readonly prefix: string;
  /** Validated entities by name. */
  readonly entities: ReadonlyMap<string, EntitySpec>;
  /** The definitions as given, for typing; not used at run time. */
  readonly definitions: Definitions;
}
