// SDK benchmark: hit-path throughput against raw ioredis GET + JSON.parse on the same Redis, in the same
// run and at the same concurrency; the hit and the miss path with `ctx.readPosition` in use against without
// (a loader on a replica reports its read position); then loader calls under 1000 concurrent misses across
// processes, for cdc-cache and for naive cache-aside. The last line of output is one JSON object.
import { randomBytes } from 'node:crypto';
import { GlideClient } from '@valkey/valkey-glide';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { defineKeyspace } from '../src/keyspace';
import { createCache } from '../src/sdk/create-cache';
import { cpuNow, cpuSince, machineFacts, parseCostUs, redisRoundTrip, round } from './support/limits';
import { measureNearInvalidation } from './support/near-cache-latency';
import { runStampede } from './support/sdk-stampede';

const REDIS_URL = process.env['CDC_CACHE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const STAMPEDE_PROCESSES = 4;
const STAMPEDE_CONCURRENCY = 250;
/** A standby's snapshot as `readPostgresPosition` returns it (`pg_current_snapshot()::text`). */
const READ_POSITION = { snapshot: '1000732:1000734:' };

const row = {
  id: 42,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  tenantId: 7,
  roles: ['admin', 'billing', 'support'],
  address: { street: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
  preferences: { locale: 'en-GB', timezone: 'Europe/London', newsletter: true, theme: 'dark' },
  createdAt: '2024-03-01T09:15:00.000Z',
  updatedAt: '2026-11-20T17:42:13.512Z',
  bio: 'Mathematician and writer, chiefly known for her work on the Analytical Engine.'.repeat(3),
};

/** CPU microseconds per operation of the last {@link throughput} call (this process: client and SDK). */
let lastCpuUsPerOp = 0;

/** Run `operation` from `concurrency` loops for `durationMs`; operations per second. */
async function throughput(
  operation: () => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const cpu = cpuNow();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        count += 1;
      }
    }),
  );
  lastCpuUsPerOp = cpuSince(cpu) / count;
  return count / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Throughput of `a` and of `b` in `rounds` pairs of adjacent rounds, in alternating order, so that noise on
 * a shared machine hits both alike; each pair gives a ratio b/a, and the median ratio is robust to the load
 * of other processes drifting during the run. `afterRound` runs untimed after each round (clean-up).
 */
async function pairedRounds(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  rounds: number,
  afterRound: () => Promise<void> = async () => undefined,
): Promise<{
  aRounds: number[];
  bRounds: number[];
  ratio: number;
  aCpuUs: number;
  bCpuUs: number;
  cpuRatio: number;
}> {
  const aRounds: number[] = [];
  const bRounds: number[] = [];
  const ratios: number[] = [];
  const aCpu: number[] = [];
  const bCpu: number[] = [];
  const cpuRatios: number[] = [];
  for (let index = 0; index < rounds; index++) {
    const aFirst = index % 2 === 0;
    const first = await throughput(aFirst ? a : b, CONCURRENCY, ROUND_MS);
    const firstCpu = lastCpuUsPerOp;
    await afterRound();
    const second = await throughput(aFirst ? b : a, CONCURRENCY, ROUND_MS);
    const secondCpu = lastCpuUsPerOp;
    await afterRound();
    const [aOps, bOps] = aFirst ? [first, second] : [second, first];
    const [aUs, bUs] = aFirst ? [firstCpu, secondCpu] : [secondCpu, firstCpu];
    aRounds.push(aOps);
    bRounds.push(bOps);
    ratios.push(bOps / aOps);
    aCpu.push(aUs);
    bCpu.push(bUs);
    cpuRatios.push(bUs / aUs);
  }
  return {
    aRounds,
    bRounds,
    ratio: median(ratios),
    aCpuUs: median(aCpu),
    bCpuUs: median(bCpu),
    cpuRatio: median(cpuRatios),
  };
}

/** A client library: open a client (its defaults), its own raw GET, and how to close it. */
interface BenchClient {
  readonly name: 'node_redis' | 'ioredis' | 'glide';
  /** Whether createCache runs a near cache on this library's clients. */
  readonly nearCache: boolean;
  open(): Promise<{ client: object; get(key: string): Promise<string | null>; close(): Promise<void> }>;
}

const BENCH_CLIENTS: readonly BenchClient[] = [
  {
    name: 'node_redis',
    nearCache: true,
    async open() {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      return { client, get: (key) => client.get(key), close: async () => void (await client.close()) };
    },
  },
  {
    name: 'ioredis',
    nearCache: true,
    async open() {
      const client = new Redis(REDIS_URL);
      return { client, get: (key) => client.get(key), close: async () => void (await client.quit()) };
    },
  },
  {
    name: 'glide',
    nearCache: false,
    async open() {
      const url = new URL(REDIS_URL);
      const client = await GlideClient.createClient({
        addresses: [{ host: url.hostname, port: Number(url.port || 6379) }],
      });
      return {
        client,
        get: async (key) => {
          const value = await client.get(key);
          return value === null ? null : String(value);
        },
        close: async () => client.close(),
      };
    },
  },
];

/**
 * Near cache hits through a client of one library against that library's raw GET + JSON.parse, in paired
 * rounds. Its own ttl outlasts the rounds: they measure hits, not refills.
 */
async function nearHitRatio(
  client: object,
  keyspace: Parameters<typeof createCache>[0]['keyspace'],
  prefix: string,
  readRaw: () => Promise<unknown>,
): Promise<number> {
  const cache = createCache({
    redis: client,
    keyspace,
    prefix,
    commandTimeout: '5s',
    nearCache: { maxEntries: 1000, ttl: '1h' },
  });
  try {
    while (!cache.nearCache!.stats().up) await new Promise((resolve) => setTimeout(resolve, 10));
    await cache.get('user', { id: 42 }, () => row);
    await cache.nearCache!.sync();
    await cache.get('user', { id: 42 }, () => row);
    const nearHit = () => cache.get('user', { id: 42 }, () => row);
    await throughput(nearHit, CONCURRENCY, 500);
    const { ratio } = await pairedRounds(readRaw, nearHit, ROUNDS);
    const stats = cache.nearCache!.stats();
    // A clear (a heartbeat missed on a loaded machine) costs a few misses, never a real share.
    if (stats.misses > stats.hits / 100)
      throw new Error(`the near cache missed ${stats.misses} times in ${stats.hits} hits`);
    return ratio;
  } finally {
    await cache.port.command(['UNLINK', cache.keyOf('user', { id: 42 })]);
    await cache.close();
  }
}

/**
 * For each client library: the SDK's hit path through a client of that library against that library's own
 * raw GET + JSON.parse, in paired rounds (issue 20's `hit_ratio_vs_raw_<client>` fields), and near cache
 * hits likewise where the library runs one (`l1_hit_ratio_vs_raw_<client>`; GLIDE is refused one).
 */
async function perClientHitRatios(
  prefix: string,
  keyspace: Parameters<typeof createCache>[0]['keyspace'],
): Promise<Record<string, number>> {
  const ratios: Record<string, number> = {};
  for (const library of BENCH_CLIENTS) {
    const [raw, sdk] = [await library.open(), await library.open()];
    // A generous command timeout: on a loaded machine a 250 ms timeout turns hits into fail-open loads,
    // which this ratio must not measure (they are counted and printed instead).
    const cache = createCache({
      redis: sdk.client,
      keyspace,
      prefix: `${prefix}${library.name}:`,
      commandTimeout: '5s',
    });
    let loads = 0;
    const rawKey = `${prefix}${library.name}:raw:user:42`;
    try {
      await cache.port.command(['SET', rawKey, JSON.stringify(row), 'EX', 3600]);
      await cache.get('user', { id: 42 }, () => row);
      const readRaw = () => raw.get(rawKey).then((text) => JSON.parse(text!));
      const readSdk = () =>
        cache.get('user', { id: 42 }, () => {
          loads += 1;
          return row;
        });
      await throughput(readRaw, CONCURRENCY, 500);
      await throughput(readSdk, CONCURRENCY, 500);
      const { ratio } = await pairedRounds(readRaw, readSdk, ROUNDS);
      ratios[`hit_ratio_vs_raw_${library.name}`] = Number(ratio.toFixed(3));
      console.log(
        `${library.name}: SDK hit path / raw GET+JSON.parse ${ratio.toFixed(3)} (loads during the hit rounds: ${loads})`,
      );
      if (library.nearCache) {
        const l1 = await nearHitRatio(sdk.client, keyspace, `${prefix}${library.name}:l1:`, readRaw);
        ratios[`l1_hit_ratio_vs_raw_${library.name}`] = Number(l1.toFixed(1));
        console.log(`${library.name}: near cache hits / raw GET+JSON.parse ${l1.toFixed(1)}`);
      }
    } finally {
      await cache.port.command(['UNLINK', rawKey, cache.keyOf('user', { id: 42 })]);
      await cache.close();
      await Promise.all([raw.close(), sdk.close()]);
    }
  }
  return ratios;
}

async function main(): Promise<void> {
  const prefix = `bench:sdk:${randomBytes(4).toString('hex')}:`;
  const rawClient = new Redis(REDIS_URL);
  const pipelinedClient = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const sdkClient = new Redis(REDIS_URL);
  const keyspace = defineKeyspace({
    user: { key: 'user:{id}', ttl: '1h', sources: [{ table: 'public.users' }] },
    miss: { key: 'miss:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  });
  const cache = createCache({ redis: sdkClient, keyspace, prefix });
  const rawKey = `${prefix}raw:user:42`;
  const machine = machineFacts();
  try {
    const rtt = await redisRoundTrip(rawClient);
    // JSON.parse of the row's bytes: the part of a raw read that is not Redis.
    const parseUs = parseCostUs(Array.from({ length: 2000 }, () => Buffer.from(JSON.stringify(row))));
    await rawClient.set(rawKey, JSON.stringify(row), 'EX', 3600);
    await cache.get('user', { id: 42 }, () => row);
    const loader = () => {
      throw new Error('the benchmark measures hits: the loader must not run');
    };
    const raw = () => rawClient.get(rawKey).then((text) => JSON.parse(text!));
    const rawPipelined = () => pipelinedClient.get(rawKey).then((text) => JSON.parse(text!));
    const sdk = () => cache.get('user', { id: 42 }, loader);
    // Warm up both paths, then alternate rounds so that noise on a shared machine hits both alike.
    await throughput(raw, CONCURRENCY, 500);
    await throughput(sdk, CONCURRENCY, 500);
    const {
      aRounds: rawRounds,
      bRounds: sdkRounds,
      ratio,
      aCpuUs: rawCpuUs,
      bCpuUs: hitCpuUs,
      cpuRatio,
    } = await pairedRounds(raw, sdk, ROUNDS);
    const rawOps = median(rawRounds);
    const hitOps = median(sdkRounds);
    // Context the required fields do not give: one read at a time (no coalescing possible), and raw
    // reads through an auto-pipelining client (the best a hand-written path gets at this concurrency).
    const sequentialRatios: number[] = [];
    for (let round = 0; round < 3; round++) {
      const rawSequential = await throughput(raw, 1, ROUND_MS / 2);
      const sdkSequential = await throughput(sdk, 1, ROUND_MS / 2);
      sequentialRatios.push(sdkSequential / rawSequential);
    }
    const pipelinedRatios: number[] = [];
    const pipelinedRounds: number[] = [];
    for (let round = 0; round < 3; round++) {
      const pipelined = await throughput(rawPipelined, CONCURRENCY, ROUND_MS);
      const hits = await throughput(sdk, CONCURRENCY, ROUND_MS);
      pipelinedRounds.push(pipelined);
      pipelinedRatios.push(hits / pipelined);
    }
    console.log(
      `hit path   ${hitOps.toFixed(0)} ops/s   rounds ${sdkRounds.map((ops) => ops.toFixed(0)).join(', ')}`,
    );

    // Near cache (L1): hits from memory against raw GET + JSON.parse, same concurrency, alternating rounds.
    // Its own ttl outlasts the rounds: they measure hits, not refills.
    const nearCache = createCache({
      redis: REDIS_URL,
      keyspace,
      prefix,
      commandTimeout: '2s',
      nearCache: { maxEntries: 1000, ttl: '1h' },
    });
    while (!nearCache.nearCache!.stats().up) await new Promise((resolve) => setTimeout(resolve, 10));
    await nearCache.get('user', { id: 42 }, loader);
    await nearCache.nearCache!.sync();
    await nearCache.get('user', { id: 42 }, loader);
    const nearHit = () => nearCache.get('user', { id: 42 }, loader);
    await throughput(nearHit, CONCURRENCY, 500);
    const near = await pairedRounds(raw, nearHit, ROUNDS);
    const nearStats = nearCache.nearCache!.stats();
    await nearCache.close();
    // A clear (a heartbeat missed on a loaded machine) costs a few misses, never a real share.
    if (nearStats.misses > nearStats.hits / 100)
      throw new Error(`the near cache missed ${nearStats.misses} times in ${nearStats.hits} hits`);
    const nearLatency = await measureNearInvalidation({ redisUrl: REDIS_URL, processes: 3, samples: 200 });
    console.log(
      `near cache hits ${median(near.bRounds).toFixed(0)} ops/s (${near.ratio.toFixed(1)}x raw); invalidation to eviction across processes p50 ${nearLatency.p50Ms.toFixed(2)} ms, p99 ${nearLatency.p99Ms.toFixed(2)} ms`,
    );

    // readPosition. Hits: an entry filled by a loader that reported its read position (a PostgreSQL snapshot,
    // parsed and checked against the key's remembered transaction) against one filled without. Misses (lease, loader, fill on a new key each time): a loader that reports a position
    // against one that does not. The loaders return at once, so the difference is the SDK's own cost.
    await cache.get('user', { id: 43 }, (context) => {
      context.readPosition(READ_POSITION);
      return row;
    });
    const positionedHit = () => cache.get('user', { id: 43 }, loader);
    const hitPosition = await pairedRounds(sdk, positionedHit, ROUNDS);
    let nextId = 0;
    let roundStart = 0;
    const miss = () => cache.get('miss', { id: nextId++ }, () => row);
    const positionedMiss = () =>
      cache.get('miss', { id: nextId++ }, (context) => {
        context.readPosition(READ_POSITION);
        return row;
      });
    // Each miss leaves an entry: delete a round's entries after it, so the shared Redis does not fill up.
    const dropRound = async () => {
      for (let id = roundStart; id < nextId; id += 1000) {
        const ids = Array.from({ length: Math.min(1000, nextId - id) }, (_, i) => id + i);
        await rawClient.unlink(...ids.map((each) => cache.keyOf('miss', { id: each })));
      }
      roundStart = nextId;
    };
    await throughput(miss, CONCURRENCY, 500);
    await dropRound();
    const missPosition = await pairedRounds(miss, positionedMiss, ROUNDS, dropRound);
    const missOps = median(missPosition.aRounds);
    console.log(
      `readPosition: hit ratio ${hitPosition.ratio.toFixed(3)}, miss ${missOps.toFixed(0)} ops/s, with position ratio ${missPosition.ratio.toFixed(3)}`,
    );
    console.log(
      `raw GET+JSON.parse   ${rawOps.toFixed(0)} ops/s   rounds ${rawRounds.map((ops) => ops.toFixed(0)).join(', ')}`,
    );

    const stampede = await runStampede({
      mode: 'cdc-cache',
      processes: STAMPEDE_PROCESSES,
      concurrency: STAMPEDE_CONCURRENCY,
      redisUrl: REDIS_URL,
    });
    const naive = await runStampede({
      mode: 'naive',
      processes: STAMPEDE_PROCESSES,
      concurrency: STAMPEDE_CONCURRENCY,
      redisUrl: REDIS_URL,
    });
    console.log(
      `stampede of ${stampede.reads} misses: cdc-cache loader calls ${stampede.loaderCalls}, naive ${naive.loaderCalls}`,
    );
    const perClient = await perClientHitRatios(prefix, keyspace);
    if (stampede.errors.length + naive.errors.length > 0) {
      console.log(`stampede read errors: ${[...stampede.errors, ...naive.errors].slice(0, 5).join('; ')}`);
    }
    console.log(
      JSON.stringify({
        bench: 'sdk',
        // Machine-independent: the hit path's CPU per read against raw GET + JSON.parse's, on the same client
        // kind and row, in the same paired rounds (lower is better), and against JSON.parse of the row alone.
        hit_cpu_vs_raw: round(cpuRatio, 3),
        hit_cpu_vs_parse: round(hitCpuUs / parseUs, 2),
        cpu_us_per_op: round(hitCpuUs, 2),
        raw_cpu_us_per_op: round(rawCpuUs, 2),
        parse_us_per_op: round(parseUs, 2),
        redis_rtt_p50_us: rtt.rtt_p50_us,
        redis_rtt_p99_us: rtt.rtt_p99_us,
        concurrency: CONCURRENCY,
        payload_bytes: JSON.stringify(row).length,
        round_ms: ROUND_MS,
        rounds: ROUNDS,
        hit_ops_per_s: Math.round(hitOps),
        raw_ops_per_s: Math.round(rawOps),
        hit_ratio_vs_raw: Number(ratio.toFixed(3)),
        hit_ratio_vs_raw_sequential: Number(median(sequentialRatios).toFixed(3)),
        raw_autopipelined_ops_per_s: Math.round(median(pipelinedRounds)),
        hit_ratio_vs_raw_autopipelined: Number(median(pipelinedRatios).toFixed(3)),
        ...perClient,
        l1_hit_ops_per_s: Math.round(median(near.bRounds)),
        l1_hit_ratio_vs_raw: Number(near.ratio.toFixed(1)),
        l1_invalidation_p50_ms: Number(nearLatency.p50Ms.toFixed(3)),
        l1_invalidation_p99_ms: Number(nearLatency.p99Ms.toFixed(3)),
        hit_position_ops_per_s: Math.round(median(hitPosition.bRounds)),
        hit_position_ratio: Number(hitPosition.ratio.toFixed(3)),
        miss_ops_per_s: Math.round(missOps),
        miss_position_ops_per_s: Math.round(median(missPosition.bRounds)),
        miss_position_ratio: Number(missPosition.ratio.toFixed(3)),
        stampede_processes: STAMPEDE_PROCESSES,
        stampede_concurrent_misses: stampede.reads,
        stampede_loader_calls: stampede.loaderCalls,
        stampede_errors: stampede.errors.length,
        naive_stampede_loader_calls: naive.loaderCalls,
        ...machine,
      }),
    );
  } finally {
    await rawClient.unlink(rawKey, cache.keyOf('user', { id: 42 }), cache.keyOf('user', { id: 43 }));
    await cache.close();
    await Promise.all([rawClient.quit(), pipelinedClient.quit(), sdkClient.quit()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
