// One set of delivery scenarios, run against every runtime (modelled on bentocache's driver test suite):
// each runtime brings only its transport (how records arrive and are acknowledged) and its failure policy
// (how a poison record is dead-lettered); the rules below hold for all of them.
import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../../src/core/create-invalidation-engine';
import { DEAD_LETTER_FIELDS } from '../../src/core/dead-letter';
import type { InvalidationEngine } from '../../src/core/ports';
import type { RuntimeName } from '../../src/core/runtime-name';
import type { Keyspace } from '../../src/keyspace';
import type { RedisPort } from '../../src/redis/redis-port';
import { createWorkerRedis } from '../../src/runtimes/shared/create-worker-redis';
import { type RedisProcess, startRedisProcess } from '../support/redis-process';
import { uniqueName } from '../support/unique-name';
import { waitFor } from '../support/wait-for';

/** One change of the `items` table/source: item `id` renamed from `from` to `name`. */
export interface ContractChange {
  readonly id: number;
  readonly name: string;
  readonly from: string;
  /** A record that cannot be decoded. */
  readonly poison?: boolean;
}

/** A batch handed to a runtime, observed from outside. */
export interface RuntimeRun {
  /** How many records, from the first, the runtime acknowledged (offset, checkpoint, Lambda success). */
  acknowledged(): Promise<number>;
  /** Indexes of the records dead-lettered, in that runtime's way. */
  deadLettered(): Promise<number[]>;
  /**
   * The dead letters' fields by name, as that runtime writes them (`cdc-cache.dlq.<name>` headers, Redis
   * stream fields, the `deadLetter` of a log line), without the record itself.
   */
  deadLetters(): Promise<Record<string, string>[]>;
  /** How many times the runtime reported that it could not apply (paused, retried, failed the invocation). */
  failures(): number;
  /** A long-running worker's readiness (its /readyz); absent for a Lambda, which has none. */
  ready?(): boolean;
  /** Deliver again what is not acknowledged, as the transport would (a Lambda retry; workers retry alone). */
  redeliver(): Promise<void>;
  stop(): Promise<void>;
}

/** What a runtime brings to the suite. */
export interface RuntimeDriver {
  readonly name: string;
  /** The `runtime` its dead letters and metrics name. */
  readonly runtime: RuntimeName;
  /** The names of the source coordinates its dead letters carry besides {@link DEAD_LETTER_FIELDS}. */
  readonly sourceFields: readonly string[];
  /** The contract keyspace for this transport's sources (see {@link contractEntities}), once per run. */
  keyspace(): Promise<Keyspace>;
  /** Hand `changes` to the runtime as one partition/shard, in order. */
  run(changes: readonly ContractChange[], context: RunContext): Promise<RuntimeRun>;
  close?(): Promise<void>;
}

/** What the suite gives a run. */
export interface RunContext {
  readonly engine: InvalidationEngine;
  /** The runtime's own Redis client (stores, dead letters), on the suite's redis-server. */
  readonly redis: RedisPort;
  readonly prefix: string;
}

/** The contract's entities: two keys per row (one from a non-key column) and a refresh-mode view. */
export function contractEntities(sources: readonly object[], byNameSources = sources) {
  return {
    item: { key: 'item:{id}', ttl: '5m', sources },
    itemByName: { key: 'item-by-name:{name}', ttl: '5m', sources: byNameSources },
    itemView: { key: 'item-view:{id}', ttl: '5m', mode: 'refresh', sources },
  };
}

/** Make the engine throw something unexpected for the record renaming an item to this name. */
export const BUG_NAME = 'engine-bug';

const PASSWORD = 'contract-old';

/**
 * Register the contract scenarios for one runtime.
 *
 * @example
 * registerRuntimeContractSuite(kafkaWorkerDriver())
 */
export function registerRuntimeContractSuite(driver: RuntimeDriver): void {
  describe(`${driver.name} runtime contract`, () => {
    let server: RedisProcess;
    let admin: Redis;
    const open: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      server = await startRedisProcess(['--requirepass', PASSWORD]);
      admin = new Redis(server.url, { password: PASSWORD, maxRetriesPerRequest: null });
    });
    afterEach(async () => {
      for (const close of open.splice(0).reverse()) await close();
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'requirepass', PASSWORD);
      await admin.acl('SETUSER', 'default', '+@all');
    });
    afterAll(async () => {
      admin.disconnect();
      await server.stop();
      await driver.close?.();
    });

    /** A fresh prefix, an engine (optionally failing on {@link BUG_NAME}) and the runtime's client. */
    async function start(
      changes: readonly ContractChange[],
      { engineBug = false, fault }: { engineBug?: boolean; fault?: () => Promise<void> } = {},
    ) {
      const prefix = `${uniqueName('contract')}:`;
      const keyspace = await driver.keyspace();
      // The workers' own client: fails fast while Redis is unusable, times out, reconnects on its own.
      const workerRedis = await createWorkerRedis({
        redisUrl: server.url,
        redisPassword: PASSWORD,
        redisCluster: false,
        redisCommandTimeoutMs: 500,
        redisWaitTimeoutMs: 200,
      });
      const redis = workerRedis.port;
      const real = createInvalidationEngine({
        keyspace,
        redis,
        prefix,
        retry: { retries: 1, initialDelayMs: 20, maxDelayMs: 50 },
      });
      const engine: InvalidationEngine = engineBug
        ? {
            apply: async (events) => {
              if (events.some((event) => event.after?.['name'] === BUG_NAME)) throw new TypeError('a bug');
              return real.apply(events);
            },
            close: () => real.close(),
          }
        : real;
      for (const change of changes) {
        await admin.set(`${prefix}item:${change.id}`, 'stale');
        await admin.set(`${prefix}item-by-name:${change.from}`, 'stale');
      }
      await fault?.();
      const run = await driver.run(changes, { engine, redis, prefix });
      open.push(async () => {
        await run.stop();
        await workerRedis.close();
      });
      return { run, prefix };
    }

    const cached = async (key: string) => (await admin.exists(key)) === 1;
    const settled = (run: RuntimeRun, count: number, description: string) =>
      waitFor(async () => (await run.acknowledged()) === count || undefined, {
        description: `${driver.name}: ${description}`,
        timeoutMs: 20_000,
        intervalMs: 50,
      });

    it('dead-letters a poison record while the rest are applied and acknowledged', async () => {
      // Prepare
      const changes = [
        { id: 1, from: 'a', name: 'b' },
        { id: 2, from: 'c', name: 'd', poison: true },
        { id: 3, from: 'e', name: 'f' },
      ];
      // Act
      const { run, prefix } = await start(changes);
      await waitFor(async () => (await run.deadLettered()).length > 0 || undefined, {
        description: `${driver.name}: the poison record dead-lettered`,
        timeoutMs: 20_000,
      });
      // Assess
      expect(await run.deadLettered()).toEqual([1]);
      expect(await cached(`${prefix}item:1`)).toBe(false);
      expect(await cached(`${prefix}item:3`)).toBe(false);
      expect(await cached(`${prefix}item:2`)).toBe(true);
    });

    it('writes the one dead-letter shape: error code and message, time, runtime, source coordinates', async () => {
      // Prepare
      const changes = [
        { id: 1, from: 'a', name: 'b' },
        { id: 2, from: 'c', name: 'd', poison: true },
      ];
      // Act
      const { run } = await start(changes);
      await waitFor(async () => (await run.deadLetters()).length > 0 || undefined, {
        description: `${driver.name}: the dead letter written`,
        timeoutMs: 20_000,
      });
      // Assess
      const [letter] = await run.deadLetters();
      expect(Object.keys(letter!).sort()).toEqual(
        [...driver.sourceFields, ...Object.values(DEAD_LETTER_FIELDS)].sort(),
      );
      expect(letter).toMatchObject({
        [DEAD_LETTER_FIELDS.errorCode]: 'CDC_DECODE_FAILED',
        [DEAD_LETTER_FIELDS.errorMessage]: expect.stringMatching(/./),
        [DEAD_LETTER_FIELDS.failedAt]: expect.stringMatching(/^\d{13}$/),
        [DEAD_LETTER_FIELDS.runtime]: driver.runtime,
      });
      for (const field of driver.sourceFields) expect(letter![field]).toMatch(/./);
    });

    it('isolates an unexpected engine error to the record that causes it', async () => {
      // Prepare
      const changes = [
        { id: 1, from: 'a', name: 'b' },
        { id: 2, from: 'c', name: BUG_NAME },
        { id: 3, from: 'e', name: 'f' },
      ];
      // Act
      const { run, prefix } = await start(changes, { engineBug: true });
      await waitFor(async () => (await run.deadLettered()).length > 0 || undefined, {
        description: `${driver.name}: the record behind the engine error dead-lettered`,
        timeoutMs: 20_000,
      });
      // Assess
      expect(await run.deadLettered()).toEqual([1]);
      expect(await cached(`${prefix}item:1`)).toBe(false);
      expect(await cached(`${prefix}item:3`)).toBe(false);
    });

    it('invalidates every key one record carries (both images, several entities) before acknowledging it', async () => {
      // Prepare
      const changes = [{ id: 5, from: 'old-name', name: 'new-name' }];
      // Act
      const { run, prefix } = await start(changes);
      await settled(run, 1, 'the record acknowledged');
      // Assess
      expect(await cached(`${prefix}item:5`)).toBe(false);
      expect(await cached(`${prefix}item-by-name:old-name`)).toBe(false);
      expect(await admin.get(`${prefix}item-view:5`)).toMatch(/new-name/);
    });

    it('keeps the order within a partition or shard: the last change of a row is the one that stays', async () => {
      // Prepare
      const changes = ['v1', 'v2', 'v3', 'v4'].map((name, index) => ({
        id: 9,
        from: index === 0 ? 'v0' : `v${index}`,
        name,
      }));
      // Act
      const { run, prefix } = await start(changes);
      await settled(run, changes.length, 'every record acknowledged');
      // Assess
      expect(await admin.get(`${prefix}item-view:9`)).toMatch(/v4/);
      expect(await run.deadLettered()).toEqual([]);
    });

    it('acknowledges nothing while Redis is down, and applies everything once it is back', async () => {
      // Prepare
      const changes = [
        { id: 1, from: 'a', name: 'b' },
        { id: 2, from: 'c', name: 'd' },
      ];
      // Act
      const { run } = await start(changes, {
        fault: async () => {
          admin.disconnect();
          await server.stop();
        },
      });
      await waitFor(() => run.failures() > 0 || undefined, {
        description: `${driver.name}: the outage noticed`,
        timeoutMs: 20_000,
      });
      const whileDown = await run.acknowledged().catch(() => 0);
      await server.start();
      await admin.connect().catch(() => undefined);
      await admin.config('SET', 'requirepass', PASSWORD).catch(() => undefined);
      await run.redeliver();
      await settled(run, 2, 'both records acknowledged after the outage');
      // Assess
      expect(whileDown).toBe(0);
      expect(await run.deadLettered()).toEqual([]);
    });

    const faults: [string, () => Promise<void>, () => Promise<void>][] = [
      [
        'OOM (maxmemory reached under noeviction)',
        async () => {
          await admin.config('SET', 'maxmemory-policy', 'noeviction');
          await admin.config('SET', 'maxmemory', '1');
        },
        async () => {
          await admin.config('SET', 'maxmemory', '0');
        },
      ],
      [
        'WRONGPASS (the password rotated, connections dropped)',
        async () => {
          await admin.config('SET', 'requirepass', 'contract-new');
          await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        },
        async () => {
          await admin.config('SET', 'requirepass', PASSWORD);
        },
      ],
      [
        'NOPERM (an ACL change revoked scripting)',
        async () => {
          await admin.acl('SETUSER', 'default', '-@scripting');
        },
        async () => {
          await admin.acl('SETUSER', 'default', '+@all');
        },
      ],
    ];
    it.each(faults)(
      'treats %s as an infrastructure fault: nothing dead-lettered or acknowledged, nothing lost once lifted',
      async (_fault, inject, lift) => {
        // Prepare
        const changes = [
          { id: 1, from: 'a', name: 'b' },
          { id: 2, from: 'c', name: 'd' },
        ];
        // Act
        const { run, prefix } = await start(changes, { fault: inject });
        await waitFor(() => run.failures() > 0 || undefined, {
          description: `${driver.name}: the fault noticed`,
          timeoutMs: 20_000,
        });
        const whileFaulty = await run.acknowledged().catch(() => 0);
        const deadWhileFaulty = await run.deadLettered().catch(() => [] as number[]);
        // A worker reports the fault on /readyz while it lasts, and is ready again once it is lifted.
        const readyWhileFaulty = run.ready?.();
        await lift();
        await run.redeliver();
        await settled(run, 2, 'both records acknowledged once the fault is lifted');
        if (run.ready) {
          await waitFor(() => run.ready?.() || undefined, {
            description: `${driver.name}: ready again after the fault`,
            timeoutMs: 20_000,
          });
        }
        // Assess
        expect(whileFaulty).toBe(0);
        expect(deadWhileFaulty).toEqual([]);
        if (run.ready) expect(readyWhileFaulty).toBe(false);
        expect(await run.deadLettered()).toEqual([]);
        expect(await cached(`${prefix}item:1`)).toBe(false);
        expect(await admin.get(`${prefix}item-view:2`)).toMatch(/"name":"d"/);
      },
    );
  });
}
