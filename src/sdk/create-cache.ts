import { ReplyError } from 'ioredis';
import { CdcCacheError } from '../errors';
import {
  type EntityDefinitions,
  type EntitySpec,
  generationKey,
  getEntity,
  type KeyParams,
  type Keyspace,
  type KeyTemplate,
  type KeyValue,
  newGeneration,
  parseKeyTemplate,
  type ReadPosition,
  readPositionVersion,
  renderKeyTemplate,
  tagKey,
  tagSetTtlMs,
  versionKey,
} from '../keyspace';
import { type Duration, parseDuration } from '../keyspace/parse-duration';
import { isCluster, type RedisClient, resolveRedis } from '../redis/create-redis-client';
import { registerScripts, scriptCommand } from '../redis/register-scripts';
import { type BypassReason, CacheEvents } from './cache-events';
import { type CacheOptions, type ResolvedCacheOptions, resolveCacheOptions } from './cache-options';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker';
import { type ReadEntry, readEntry, writeEntry } from './entry-codec';
import { createReadBatcher } from './read-batcher';
import { createTimeoutSweeper } from './timeout-sweeper';

/** Lets a loader that reads a replica say which snapshot it read. */
export interface ReadPositionReporter {
  /**
   * Report the position of the snapshot the loader read, in the source's own form (see {@link ReadPosition}):
   * PostgreSQL `pg_last_wal_replay_lsn()` read BEFORE the query, e.g. `'0/16B3748'`; MySQL `{ file, pos }`;
   * DynamoDB the item's version attribute. A fill older than the last change the worker applied to its key
   * is served but not cached (event `fill-refused`). Throws `CDC_INVALID_OPTION` for a position that does
   * not fit the entity's source.
   */
  readPosition(position: ReadPosition): void;
}

/** What a loader is called with. */
export interface LoaderContext<Params> extends ReadPositionReporter {
  /** The entity name. */
  readonly entity: string;
  /** The full Redis key. */
  readonly key: string;
  /** The key parameters given to `get`. */
  readonly params: Params;
}

/** Loads one value from the source of truth; `null` or `undefined` means not found (negatively cached). */
export type Loader<Params, Value> = (context: LoaderContext<Params>) => Promise<Value> | Value;

/** What a batch loader is called with besides its params: one position for the whole batch. */
export interface BatchLoaderContext extends ReadPositionReporter {
  /** The entity name. */
  readonly entity: string;
}

/** Loads a batch: one result per params, in the same order; `null` or `undefined` means not found. */
export type BatchLoader<Params, Value> = (
  paramsList: readonly Params[],
  context: BatchLoaderContext,
) => Promise<readonly Value[]> | readonly Value[];

/** Per-call options of `get`, `getMany` and `set`. */
export interface GetOptions {
  /** TTL of this value instead of the entity's. */
  ttl?: Duration;
  /** Values for tag placeholders that are not key parameters (e.g. `tenantId` of a `tenant:{tenantId}` tag). */
  tagParams?: Readonly<Record<string, KeyValue>>;
}

/** Per-call options of `get`. */
export interface GetOneOptions<Params = Record<string, KeyValue>, Value = unknown> extends GetOptions {
  /**
   * Reads a snapshot that is never behind the worker (the primary, a `ConsistentRead`). Called, once, only
   * when the loader's read was refused (older than the key's last applied change, or within the entity's
   * `maxReplicaLag`); its result is cached under the same lease, so the readers waiting on it get it too.
   * Without it a refused read is served uncached.
   */
  freshLoader?: Loader<Params, Value>;
}

type Found<Value> = NonNullable<Value> | null;

/** The read-side cache, typed by its keyspace. */
export interface Cache<Definitions extends EntityDefinitions = EntityDefinitions> {
  /** Typed events: hit, miss, stale, lease-wait, load, bypass, error, breaker. */
  readonly events: CacheEvents;
  /** The Redis client in use. */
  readonly redis: RedisClient;
  /** Get a value, or load it once (across processes), cache it and return it. Not found is `null`. */
  get<Entity extends keyof Definitions & string, Value>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
    loader: Loader<KeyParams<Definitions[Entity]>, Value>,
    options?: GetOneOptions<KeyParams<Definitions[Entity]>, Value>,
  ): Promise<Found<Value>>;
  /** Get many values of one entity in one round trip; the misses are loaded in one loader call. */
  getMany<Entity extends keyof Definitions & string, Value>(
    entity: Entity,
    paramsList: readonly KeyParams<Definitions[Entity]>[],
    loader: BatchLoader<KeyParams<Definitions[Entity]>, Value>,
    options?: GetOptions,
  ): Promise<Found<Value>[]>;
  /** The cached value without loading: `undefined` when nothing is cached, `null` for a cached not-found. */
  peek<Entity extends keyof Definitions & string, Value = unknown>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): Promise<Value | null | undefined>;
  /** Write a value you know is current (e.g. right after your own write). Cancels any fill in progress. */
  set<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
    value: unknown,
    options?: GetOptions,
  ): Promise<void>;
  /** Delete one entry (and cancel any fill in progress). Resolves true when something was deleted. */
  delete<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): Promise<boolean>;
  /** Delete every entry listed under a tag: a rendered tag (`'tenant:7'`), or a template with its params. */
  deleteByTag(tag: string, params?: Readonly<Record<string, KeyValue>>): Promise<number>;
  /** The Redis key of an entry (prefix included). */
  keyOf<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): string;
  /** Close the Redis client if the cache created it; a client you passed in stays open. */
  close(): Promise<void>;
}

interface EntityState {
  readonly spec: EntitySpec;
  readonly generationKey: string;
  /** Tag sets must outlive every entry listed in them. */
  readonly tagTtlMs: number;
}

type TakeLeaseReply = [
  outcome: 'lease' | 'fresh' | 'refresh' | 'stale' | 'wait',
  data: string | number,
  third?: string | number,
  since?: number,
];

/** Where a loader's reported read position lands (encoded as a version). */
interface ReadSink {
  position?: string;
}

/** A loader as the miss path calls it: with the sink its `readPosition` writes to. */
type Load = (sink: ReadSink) => unknown;

/** What the key had reached when the lease was taken (see take-lease-2.lua). */
interface LeaseFloor {
  /** The newest version the key had reached ('' if none). */
  readonly floor: string;
  /** Ms since the worker last applied a change to the key, -1 when none is remembered. */
  readonly since: number;
}

const NO_FLOOR: LeaseFloor = { floor: '', since: -1 };

interface ScriptCommands {
  [name: string]: (...args: (string | number)[]) => Promise<unknown>;
}

const SCRIPTS = {
  takeLease: 'take-lease-2.lua',
  ensureGeneration: 'ensure-generation-1.lua',
  fill: 'fill-1.lua',
  releaseLease: 'release-lease-1.lua',
  addTagMember: 'add-tag-member-1.lua',
  // The worker's own script (standalone only): pop tag members and delete their entries atomically.
  invalidateTag: 'invalidate-tag-1.lua',
} as const;
const TAKE_LEASE = scriptCommand('takeLease');
const ENSURE_GENERATION = scriptCommand('ensureGeneration');
const FILL = scriptCommand('fill');
const RELEASE_LEASE = scriptCommand('releaseLease');
const ADD_TAG_MEMBER = scriptCommand('addTagMember');
const INVALIDATE_TAG = scriptCommand('invalidateTag');
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;
const TAG_BATCH = 500;

const BREAKER_OPEN = new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'Redis circuit breaker is open', {
  retriable: true,
});

/** The generation in a generation key: null when missing (or, defensively, not a number): nothing matches it. */
function generationOf(text: string | null | undefined): number | null {
  if (!text) return null;
  const generation = Number(text);
  return Number.isSafeInteger(generation) ? generation : null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function redisError(operation: string, error: unknown): CdcCacheError {
  if (error instanceof CdcCacheError) return error;
  return new CdcCacheError(
    'CDC_REDIS_UNAVAILABLE',
    `Redis ${operation} failed: ${(error as Error)?.message ?? error}`,
    {
      cause: error,
      retriable: true,
    },
  );
}

/**
 * Create the read-side cache: cache-aside with cross-process leases, race-safe fills, negative caching,
 * grace, and fail-open reads. Options are validated once; a bad one throws `CDC_INVALID_OPTION` naming it.
 *
 * @example
 * const cache = createCache({ redis: process.env.CDC_CACHE_REDIS_URL!, keyspace })
 * const user = await cache.get('user', { id: 42 }, () => db.users.findById(42))
 */
export function createCache<Definitions extends EntityDefinitions>(
  options: CacheOptions<Definitions>,
): Cache<Definitions> {
  const settings: ResolvedCacheOptions = resolveCacheOptions(options as CacheOptions);
  const keyspace = options.keyspace as Keyspace;
  const { prefix, serializer } = settings;
  // Clients we create give up on a command quickly; our own timeout and breaker decide what a read does then.
  const { client, owned } = resolveRedis(options.redis, { maxRetriesPerRequest: 1 });
  registerScripts(client, SCRIPTS);
  const scripts = client as unknown as ScriptCommands;
  const cluster = isCluster(client);
  const events = new CacheEvents();
  const breaker: CircuitBreaker | undefined = settings.breaker
    ? createCircuitBreaker({
        failureThreshold: settings.breaker.failureThreshold,
        resetTimeoutMs: settings.breaker.resetTimeoutMs,
        onStateChange: (state) => events.emit('breaker', { state }),
      })
    : undefined;
  // A client we created has no other owner to listen: without a listener ioredis prints every reconnect error.
  if (owned) client.on('error', (error: unknown) => report('connection', error));
  const inflight = new Map<string, Promise<unknown>>();
  const entities = new Map<string, EntityState>();
  for (const spec of keyspace.entities.values()) {
    entities.set(spec.name, {
      spec,
      generationKey: generationKey(prefix, spec.name),
      tagTtlMs: tagSetTtlMs(spec, settings.leaseTtlMs),
    });
  }
  const tokenPrefix = Math.random().toString(36).slice(2, 10);
  let tokenCounter = 0;
  const newToken = () => `${tokenPrefix}${(tokenCounter++).toString(36)}`;

  function entityState(name: string): EntityState {
    return entities.get(name) ?? (getEntity(keyspace, name) as never);
  }

  function keyFor(entity: EntityState, params: Readonly<Record<string, unknown>>): string {
    const rendered = renderKeyTemplate(entity.spec.template, params);
    if ('key' in rendered) return prefix + rendered.key;
    throw new CdcCacheError(
      'CDC_INVALID_KEY_PARAMS',
      `${entity.spec.name}: key '${entity.spec.template.source}' needs a non-empty string, number, bigint, boolean or Date for: ${rendered.missing.join(', ')}`,
      { details: { entity: entity.spec.name, missing: rendered.missing } },
    );
  }

  /** A loader's read position in the worker's version encoding (the decoders' own functions). */
  function positionVersion(entity: EntityState, position: ReadPosition): string {
    const kinds = new Set(entity.spec.sources.map((source) => source.kind));
    if (kinds.size > 1) {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `readPosition: ${entity.spec.name} has sources of different kinds, whose positions are not one order`,
      );
    }
    return readPositionVersion(entity.spec.sources[0]!, position);
  }

  const sweeper = createTimeoutSweeper(settings.commandTimeoutMs);

  /** Run one Redis call under the per-command timeout and the breaker. */
  function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (breaker && !breaker.allow()) return Promise.reject(BREAKER_OPEN);
    return new Promise<T>((resolve, reject) => {
      const tracked = sweeper.track(() => {
        breaker?.failure();
        reject(
          new CdcCacheError(
            'CDC_REDIS_UNAVAILABLE',
            `Redis ${operation} timed out after ${settings.commandTimeoutMs}ms`,
            {
              retriable: true,
            },
          ),
        );
      });
      run().then(
        (value) => {
          if (tracked.settled) return;
          tracked.settled = true;
          breaker?.success();
          resolve(value);
        },
        (error: unknown) => {
          if (tracked.settled) return;
          tracked.settled = true;
          // A reply error (a wrong type, a script error) means Redis answered: it must not open the breaker.
          if (error instanceof ReplyError) breaker?.success();
          else breaker?.failure();
          reject(redisError(operation, error));
        },
      );
    });
  }

  function report(operation: string, error: unknown, entity?: string, key?: string): void {
    if (error === BREAKER_OPEN || !events.has('error')) return;
    const wrapped = redisError(operation, error);
    events.emit(
      'error',
      entity === undefined ? { operation, error: wrapped } : { operation, error: wrapped, entity, key },
    );
  }

  // Standalone: concurrent reads of one tick share one MGET (under one timeout). Cluster: the entry and the
  // generation key live in different slots, so two GETs sent together, each under the timeout.
  const batchedRead = createReadBatcher((keys) => guarded('get', () => client.mget(...keys)));
  function read(key: string, genKey: string): Promise<(string | null)[]> {
    return cluster
      ? guarded('get', () => Promise.all([client.get(key), client.get(genKey)]))
      : batchedRead(key, genKey);
  }

  function decode(entry: Extract<ReadEntry, { found: boolean }>): unknown {
    return entry.found ? serializer.deserialize(entry.payload) : null;
  }

  function ttlOf(entity: EntityState, options: GetOptions | undefined): number {
    if (options?.ttl === undefined) return entity.spec.ttlMs;
    const parsed = parseDuration(options.ttl);
    if ('error' in parsed || parsed.ms <= 0) {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `get: option 'ttl' is invalid: ${JSON.stringify(options.ttl)}`,
      );
    }
    return parsed.ms;
  }

  function callLoader<Value>(loader: () => Promise<Value> | Value): {
    readonly underlying: Promise<Value>;
    readonly bounded: Promise<Value>;
  } {
    const underlying = Promise.resolve().then(loader);
    const hardMs = settings.loaderHardTimeoutMs;
    if (hardMs <= 0) return { underlying, bounded: underlying };
    const bounded = new Promise<Value>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new CdcCacheError('CDC_LOADER_TIMEOUT', `Loader took longer than ${hardMs}ms`, {
              retriable: true,
            }),
          ),
        hardMs,
      );
      underlying.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    return { underlying, bounded };
  }

  function emitLoad(
    entity: string,
    key: string,
    started: number,
    found: boolean,
    cached: boolean,
    failed: boolean,
  ) {
    if (events.has('load')) {
      events.emit('load', { entity, key, durationMs: Date.now() - started, found, cached, failed });
    }
  }

  /** Serve from the loader without caching: Redis unavailable, or another reader's fill took too long. */
  async function loadUncached(
    entity: EntityState,
    key: string,
    loader: Load,
    bypass: BypassReason | undefined,
  ): Promise<unknown> {
    if (bypass && events.has('bypass'))
      events.emit('bypass', { entity: entity.spec.name, key, reason: bypass });
    const started = Date.now();
    try {
      const value = await callLoader(() => loader({})).bounded;
      emitLoad(entity.spec.name, key, started, value !== null && value !== undefined, false, false);
      return value ?? null;
    } catch (error) {
      emitLoad(entity.spec.name, key, started, false, false, true);
      throw error;
    }
  }

  function renderTags(
    entity: EntityState,
    values: Readonly<Record<string, unknown>>,
  ): { rendered: string[]; unresolved: KeyTemplate[] } {
    const rendered: string[] = [];
    const unresolved: KeyTemplate[] = [];
    for (const template of entity.spec.tags) {
      const result = renderKeyTemplate(template, values);
      if ('key' in result) rendered.push(result.key);
      else unresolved.push(template);
    }
    return { rendered, unresolved };
  }

  async function addTagMembers(entity: EntityState, key: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await guarded('tag', () =>
      Promise.all(tags.map((tag) => scripts[ADD_TAG_MEMBER]!(tagKey(prefix, tag), key, entity.tagTtlMs))),
    );
  }

  function release(entity: EntityState, key: string, token: string): void {
    guarded('release-lease', () => scripts[RELEASE_LEASE]!(key, token)).catch((error) =>
      report('release-lease', error, entity.spec.name, key),
    );
  }

  /** Write a loaded value under our lease (or refresh token). Resolves whether it was written. */
  async function fill(
    entity: EntityState,
    key: string,
    token: string,
    generation: number,
    version: string,
    value: unknown,
    late: { params: Readonly<Record<string, unknown>>; unresolved: readonly KeyTemplate[] },
    options: GetOptions | undefined,
  ): Promise<boolean> {
    const found = value !== null && value !== undefined;
    try {
      const payload = found ? serializer.serialize(value) : null;
      if (late.unresolved.length > 0 && found && typeof value === 'object') {
        // Tag placeholders that only the loaded row knows: listed now, before the fill (see docs/sdk.md).
        const values = { ...(value as Record<string, unknown>), ...late.params };
        const tags = late.unresolved.flatMap((template) => {
          const result = renderKeyTemplate(template, values);
          return 'key' in result ? [result.key] : [];
        });
        await addTagMembers(entity, key, tags);
      }
      const now = Date.now();
      const ttl = found ? ttlOf(entity, options) : entity.spec.negativeTtlMs;
      const lifetime = found ? ttl + Math.floor(Math.random() * ttl * entity.spec.ttlJitter) : ttl;
      const text = writeEntry({ generation, version, writtenAtMs: now, staleAtMs: now + lifetime, payload });
      const hardTtl = found ? lifetime + entity.spec.graceMs : lifetime;
      return (await guarded('fill', () => scripts[FILL]!(key, token, text, hardTtl))) === 1;
    } catch (error) {
      report('fill', error, entity.spec.name, key);
      release(entity, key, token);
      return false;
    }
  }

  /**
   * Why a fill must not be cached, or undefined when it may: its read position is older than the newest
   * version the key had reached when the lease was taken ('behind'), or, with no position to compare, the
   * lease came within the entity's maxReplicaLag after the worker applied a change ('replica-lag'). A change
   * applied after the lease was taken replaced the lease, so the fill script refuses that case itself.
   */
  function refusal(entity: EntityState, lease: LeaseFloor, position: string | undefined) {
    if (position !== undefined && lease.floor !== '') return position < lease.floor ? 'behind' : undefined;
    const lag = entity.spec.maxReplicaLagMs;
    return lag > 0 && lease.since >= 0 && lease.since < lag ? 'replica-lag' : undefined;
  }

  /** Settle a load under our lease: fill it, or, when the read was too old, serve it and try a fresh read. */
  async function settle(
    entity: EntityState,
    key: string,
    token: string,
    generation: number,
    lease: LeaseFloor,
    loaded: { value: unknown; position: string | undefined },
    late: { params: Readonly<Record<string, unknown>>; unresolved: readonly KeyTemplate[] },
    options: GetOneOptions | undefined,
    fresh: Load | undefined,
  ): Promise<{ value: unknown; cached: boolean }> {
    const reason = refusal(entity, lease, loaded.position);
    if (reason === undefined) {
      const cached = await fill(
        entity,
        key,
        token,
        generation,
        loaded.position ?? '',
        loaded.value,
        late,
        options,
      );
      return { value: loaded.value, cached };
    }
    if (events.has('fill-refused')) {
      events.emit('fill-refused', {
        entity: entity.spec.name,
        key,
        reason,
        position: loaded.position ?? '',
        floor: lease.floor,
        fresh: fresh !== undefined,
      });
    }
    if (fresh === undefined) {
      release(entity, key, token);
      return { value: loaded.value, cached: false };
    }
    // One fresh read under the same lease: the readers waiting on it get the cached result, not a DB read each.
    let value: unknown;
    try {
      value = await callLoader(() => fresh({})).bounded;
    } catch (error) {
      release(entity, key, token);
      throw error;
    }
    return { value, cached: await fill(entity, key, token, generation, '', value, late, options) };
  }

  /** We hold the lease (or refresh token): list tags, load, fill. */
  async function loadAndFill(
    entity: EntityState,
    key: string,
    params: Readonly<Record<string, unknown>>,
    loader: Load,
    token: string,
    generation: number,
    lease: LeaseFloor,
    options: GetOneOptions | undefined,
    fresh: Load | undefined,
  ): Promise<unknown> {
    const tagValues = options?.tagParams ? { ...params, ...options.tagParams } : params;
    const { rendered, unresolved } = renderTags(entity, tagValues);
    try {
      // Tags are listed BEFORE loading: a tag invalidation during the load then deletes our lease.
      await addTagMembers(entity, key, rendered);
    } catch (error) {
      report('tag', error, entity.spec.name, key);
      release(entity, key, token);
      return loadUncached(entity, key, loader, 'redis-error');
    }
    const started = Date.now();
    const late = { params: tagValues, unresolved };
    const sink: ReadSink = {};
    const { underlying, bounded } = callLoader(() => loader(sink));
    let value: unknown;
    try {
      value = await bounded;
    } catch (error) {
      if (error instanceof CdcCacheError && error.code === 'CDC_LOADER_TIMEOUT') {
        // The loader keeps running: let it still fill if nothing invalidated the entry meanwhile.
        underlying.then(
          (lateValue) =>
            settle(
              entity,
              key,
              token,
              generation,
              lease,
              { value: lateValue, position: sink.position },
              late,
              options,
              undefined,
            ),
          () => release(entity, key, token),
        );
      } else {
        release(entity, key, token);
      }
      emitLoad(entity.spec.name, key, started, false, false, true);
      throw error;
    }
    let settled: { value: unknown; cached: boolean };
    try {
      settled = await settle(
        entity,
        key,
        token,
        generation,
        lease,
        { value, position: sink.position },
        late,
        options,
        fresh,
      );
    } catch (error) {
      emitLoad(entity.spec.name, key, started, false, false, true);
      throw error;
    }
    const found = settled.value !== null && settled.value !== undefined;
    emitLoad(entity.spec.name, key, started, found, settled.cached, false);
    return settled.value ?? null;
  }

  function serveStale(entry: ReadEntry): unknown {
    return entry.state === 'fresh' || entry.state === 'stale' ? decode(entry) : null;
  }

  /** Count one read that reached Redis and found nothing fresh: a stale value in grace, or a miss. */
  function emitNotFresh(entity: EntityState, key: string, entry: ReadEntry): void {
    if (entry.state === 'stale' && entity.spec.graceMs > 0) {
      if (events.has('stale'))
        events.emit('stale', { entity: entity.spec.name, key, ageMs: Date.now() - entry.staleAtMs });
    } else if (events.has('miss')) {
      events.emit('miss', { entity: entity.spec.name, key });
    }
  }

  /** A miss (or a stale value): take the lease, wait for another's fill, or refresh within grace. */
  async function resolveMiss(
    entity: EntityState,
    key: string,
    params: Readonly<Record<string, unknown>>,
    loader: Load,
    observedGeneration: number | null,
    options: GetOneOptions | undefined,
    fresh: Load | undefined,
    onNotLoading?: () => void,
  ): Promise<unknown> {
    let generation = observedGeneration;
    const waitStarted = Date.now();
    const deadline = waitStarted + settings.leaseWaitMs;
    let waited = false;
    const leaseWait = (outcome: 'hit' | 'lease' | 'timeout') => {
      if (waited && events.has('lease-wait')) {
        events.emit('lease-wait', {
          entity: entity.spec.name,
          key,
          waitedMs: Date.now() - waitStarted,
          outcome,
        });
      }
    };
    for (;;) {
      const token = newToken();
      const refreshToken = entity.spec.graceMs > 0 ? `${token}.${Date.now() + settings.leaseTtlMs}` : '';
      let reply: TakeLeaseReply;
      try {
        // A missing generation key (never set, evicted, lost in a failover) gets a new random generation,
        // created in the same round trip as the lease (commands on one connection run in order).
        let created: Promise<unknown> | undefined;
        if (generation === null) {
          const candidate = newGeneration();
          created = guarded('generation', () => scripts[ENSURE_GENERATION]!(entity.generationKey, candidate));
          created.catch(() => undefined);
          generation = Number(candidate);
        }
        const leaseGeneration = generation;
        reply = (await guarded('take-lease', () =>
          scripts[TAKE_LEASE]!(
            key,
            versionKey(prefix, key),
            token,
            settings.leaseTtlMs,
            leaseGeneration,
            Date.now(),
            refreshToken,
            created ? '1' : '',
          ),
        )) as TakeLeaseReply;
        const current = created && generationOf(String(await created));
        if (current !== undefined && current !== leaseGeneration) {
          // Another reader created the generation first: what we leased is under a stale one; start over.
          if (reply[0] === 'lease') release(entity, key, token);
          generation = current;
          continue;
        }
      } catch (error) {
        report('take-lease', error, entity.spec.name, key);
        return loadUncached(entity, key, loader, error === BREAKER_OPEN ? 'breaker-open' : 'redis-error');
      }
      const [outcome, data] = reply;
      const leaseGeneration = generation ?? 0;
      // {'lease', floor, since} or {'refresh', raw, floor, since}
      const lease: LeaseFloor =
        outcome === 'lease'
          ? { floor: String(data ?? ''), since: Number(reply[2] ?? -1) }
          : outcome === 'refresh'
            ? { floor: String(reply[2] ?? ''), since: Number(reply[3] ?? -1) }
            : NO_FLOOR;
      if (outcome === 'lease') {
        leaseWait('lease');
        return loadAndFill(entity, key, params, loader, token, leaseGeneration, lease, options, fresh);
      }
      if (outcome === 'fresh' || outcome === 'stale') {
        leaseWait('hit');
        const entry = readEntry(
          String(data),
          leaseGeneration,
          outcome === 'fresh' ? 0 : Number.POSITIVE_INFINITY,
        );
        return serveStale(entry);
      }
      if (outcome === 'refresh') {
        const raw = String(data);
        const stale = serveStale(readEntry(raw, leaseGeneration, Number.POSITIVE_INFINITY));
        const refreshing = loadAndFill(
          entity,
          key,
          params,
          loader,
          refreshToken,
          leaseGeneration,
          lease,
          options,
          fresh,
        );
        // A failed refresh was reported by the 'load' event; the stale value is still the answer.
        refreshing.catch(() => undefined);
        if (settings.loaderSoftTimeoutMs <= 0) return stale;
        return Promise.race([
          refreshing.catch(() => stale),
          sleep(settings.loaderSoftTimeoutMs).then(() => stale),
        ]);
      }
      // Someone else holds the lease: poll for their fill, with a bounded backoff.
      onNotLoading?.();
      waited = true;
      let delay = FIRST_POLL_MS;
      let retake = false;
      while (!retake) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          leaseWait('timeout');
          return loadUncached(entity, key, loader, undefined);
        }
        await sleep(Math.min(delay, remaining));
        delay = Math.min(delay * 2, MAX_POLL_MS);
        let values: (string | null)[];
        try {
          values = await read(key, entity.generationKey);
        } catch (error) {
          report('get', error, entity.spec.name, key);
          return loadUncached(entity, key, loader, error === BREAKER_OPEN ? 'breaker-open' : 'redis-error');
        }
        generation = generationOf(values[1]);
        const entry = readEntry(values[0], generation, Date.now());
        if (entry.state === 'fresh' || (entry.state === 'stale' && entity.spec.graceMs > 0)) {
          leaseWait('hit');
          return serveStale(entry);
        }
        retake = entry.state !== 'leased';
      }
    }
  }

  function joinOrStart(key: string, start: () => Promise<unknown>): Promise<unknown> {
    const pending = inflight.get(key);
    if (pending) return pending;
    const flight = start().finally(() => inflight.delete(key));
    inflight.set(key, flight);
    return flight;
  }

  async function getOne(
    entityName: string,
    params: Readonly<Record<string, unknown>>,
    loader: Loader<never, unknown>,
    options: GetOneOptions | undefined,
  ): Promise<unknown> {
    const entity = entityState(entityName);
    const key = keyFor(entity, params);
    if (options?.ttl !== undefined) ttlOf(entity, options); // a bad per-call ttl fails the call, not the fill
    const pending = inflight.get(key);
    if (pending) {
      if (events.has('miss')) events.emit('miss', { entity: entityName, key });
      return pending;
    }
    const withContext =
      (use: Loader<never, unknown>): Load =>
      (sink) =>
        use({
          entity: entityName,
          key,
          params: params as never,
          readPosition: (position) => {
            sink.position = positionVersion(entity, position);
          },
        });
    const load = withContext(loader);
    const fresh = options?.freshLoader
      ? withContext(options.freshLoader as Loader<never, unknown>)
      : undefined;
    let values: (string | null)[];
    try {
      values = await read(key, entity.generationKey);
    } catch (error) {
      report('get', error, entityName, key);
      const reason = error === BREAKER_OPEN ? 'breaker-open' : 'redis-error';
      return joinOrStart(key, () => loadUncached(entity, key, load, reason));
    }
    const generation = generationOf(values[1]);
    const entry = readEntry(values[0], generation, Date.now());
    if (entry.state === 'fresh') {
      try {
        const value = decode(entry);
        if (events.has('hit')) events.emit('hit', { entity: entityName, key });
        return value;
      } catch (error) {
        report('deserialize', error, entityName, key);
      }
    }
    emitNotFresh(entity, key, entry);
    return joinOrStart(key, () => resolveMiss(entity, key, params, load, generation, options, fresh));
  }

  async function getMany(
    entityName: string,
    paramsList: readonly Readonly<Record<string, unknown>>[],
    loader: BatchLoader<never, unknown>,
    options: GetOptions | undefined,
  ): Promise<unknown[]> {
    const entity = entityState(entityName);
    const keys = paramsList.map((params) => keyFor(entity, params));
    if (options?.ttl !== undefined) ttlOf(entity, options);
    const results: unknown[] = new Array(keys.length).fill(null);
    if (keys.length === 0) return results;
    let values: (string | null)[];
    try {
      values = await guarded('get-many', () =>
        cluster
          ? Promise.all([...keys, entity.generationKey].map((key) => client.get(key)))
          : client.mget(...keys, entity.generationKey),
      );
    } catch (error) {
      report('get-many', error, entityName);
      values = [];
    }
    const generationText = values[keys.length];
    const generation = generationOf(generationText);
    const now = Date.now();
    const misses: number[] = [];
    keys.forEach((key, index) => {
      const entry = values.length > 0 ? readEntry(values[index], generation, now) : undefined;
      if (entry?.state === 'fresh') {
        try {
          results[index] = decode(entry);
          if (events.has('hit')) events.emit('hit', { entity: entityName, key });
          return;
        } catch (error) {
          report('deserialize', error, entityName, key);
        }
      }
      if (entry) emitNotFresh(entity, key, entry);
      misses.push(index);
    });
    if (misses.length === 0) return results;
    // One loader call for the misses. Each key goes through the same lease protocol as `get`, and the batch
    // starts only once every key has its lease and tags in place (or knows it will not load): a row read
    // before its key's lease existed could be filled after an invalidation that never saw the lease.
    const missParams = misses.map((index) => paramsList[index]!);
    let batch: Promise<readonly unknown[]> | undefined;
    const batchSink: ReadSink = {};
    const batchContext = (sink: ReadSink): BatchLoaderContext => ({
      entity: entityName,
      readPosition: (readAt) => {
        sink.position = positionVersion(entity, readAt);
      },
    });
    let unsettled = misses.length;
    let allSettled!: () => void;
    const settledBarrier = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    await Promise.all(
      misses.map(async (index, position) => {
        const key = keys[index]!;
        const params = paramsList[index]!;
        let settled = false;
        const settle = () => {
          if (settled) return;
          settled = true;
          unsettled -= 1;
          if (unsettled === 0) allSettled();
        };
        const load: Load = async (sink) => {
          if (batch === undefined) {
            settle();
            await settledBarrier;
            batch ??= Promise.resolve().then(() => loader(missParams as never, batchContext(batchSink)));
          } else if (settled) {
            // A key whose lease came after the batch had started (it waited on another's fill): load it alone.
            const single = await loader([params] as never, batchContext(sink));
            return Array.isArray(single) ? single[0] : undefined;
          }
          const loaded = await batch;
          // The whole batch was read at one position.
          if (batchSink.position !== undefined) sink.position = batchSink.position;
          if (!Array.isArray(loaded) || loaded.length !== missParams.length) {
            throw new CdcCacheError(
              'CDC_LOADER_FAILED',
              `getMany: the loader must return one result per params (${missParams.length}), got ${Array.isArray(loaded) ? loaded.length : typeof loaded}`,
            );
          }
          return loaded[position];
        };
        try {
          if (inflight.has(key)) settle();
          results[index] =
            values.length === 0
              ? await joinOrStart(key, () => loadUncached(entity, key, load, 'redis-error'))
              : await joinOrStart(key, () =>
                  resolveMiss(entity, key, params, load, generation, options, undefined, settle),
                );
        } finally {
          settle();
        }
      }),
    );
    return results;
  }

  async function write<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await guarded(operation, run);
    } catch (error) {
      throw redisError(operation, error);
    }
  }

  const cache: Cache<EntityDefinitions> = {
    events,
    redis: client,
    get: (entity, params, loader, options) =>
      getOne(entity, params, loader as Loader<never, unknown>, options) as Promise<never>,
    getMany: (entity, paramsList, loader, options) =>
      getMany(entity, paramsList, loader as BatchLoader<never, unknown>, options) as Promise<never>,
    async peek(entityName, params) {
      const entity = entityState(entityName);
      const key = keyFor(entity, params);
      const values = await read(key, entity.generationKey).catch((error) => {
        throw redisError('peek', error);
      });
      const entry = readEntry(values[0], generationOf(values[1]), Date.now());
      if (entry.state === 'fresh' || (entry.state === 'stale' && entity.spec.graceMs > 0))
        return decode(entry) as never;
      return undefined;
    },
    async set(entityName, params, value, options) {
      const entity = entityState(entityName);
      const key = keyFor(entity, params);
      const found = value !== null && value !== undefined;
      const payload = found ? serializer.serialize(value) : null;
      const values = {
        ...(found && typeof value === 'object' ? value : {}),
        ...params,
        ...options?.tagParams,
      };
      await addTagMembers(entity, key, renderTags(entity, values).rendered).catch((error) => {
        throw redisError('tag', error);
      });
      const generation =
        generationOf(await write('set', () => client.get(entity.generationKey))) ??
        generationOf(
          String(
            await write('set', () => scripts[ENSURE_GENERATION]!(entity.generationKey, newGeneration())),
          ),
        );
      const now = Date.now();
      const ttl = found ? ttlOf(entity, options) : entity.spec.negativeTtlMs;
      const lifetime = found ? ttl + Math.floor(Math.random() * ttl * entity.spec.ttlJitter) : ttl;
      const text = writeEntry({
        generation: generation ?? 0,
        version: '',
        writtenAtMs: now,
        staleAtMs: now + lifetime,
        payload,
      });
      await write('set', () =>
        client.set(key, text, 'PX', found ? lifetime + entity.spec.graceMs : lifetime),
      );
    },
    async delete(entityName, params) {
      const key = keyFor(entityState(entityName), params);
      return (await write('delete', () => client.unlink(key))) > 0;
    },
    async deleteByTag(tag, params) {
      let rendered = tag;
      if (params) {
        const parsed = parseKeyTemplate(tag);
        if ('error' in parsed)
          throw new CdcCacheError('CDC_INVALID_KEY_PARAMS', `deleteByTag: tag '${tag}' ${parsed.error}`);
        const result = renderKeyTemplate(parsed.template, params);
        if ('missing' in result) {
          throw new CdcCacheError(
            'CDC_INVALID_KEY_PARAMS',
            `deleteByTag: tag '${tag}' needs: ${result.missing.join(', ')}`,
          );
        }
        rendered = result.key;
      }
      const setKey = tagKey(prefix, rendered);
      // Members are popped BEFORE their entries are deleted (as the worker does): a reader that lists the
      // key again meanwhile keeps its membership, which SMEMBERS + UNLINK + SREM would remove.
      let deleted = 0;
      for (;;) {
        let handled: number;
        if (cluster) {
          const members = await write('delete-by-tag', () => client.spop(setKey, TAG_BATCH));
          if (members.length > 0) {
            await write('delete-by-tag', () => Promise.all(members.map((member) => client.unlink(member))));
          }
          handled = members.length;
        } else {
          handled = Number(await write('delete-by-tag', () => scripts[INVALIDATE_TAG]!(setKey, TAG_BATCH)));
        }
        deleted += handled;
        if (handled < TAG_BATCH) return deleted;
      }
    },
    keyOf: (entityName, params) => keyFor(entityState(entityName), params),
    async close() {
      sweeper.close();
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
  return cache as unknown as Cache<Definitions>;
}
