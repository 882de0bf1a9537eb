// Audit benchmark: what `cdc-cache audit` costs per change (planning + enqueue, then one check of its keys
// against Redis), and the SDK hit path's throughput with `verify` at 0.1% against without, in the same run,
// alternating rounds. The last line of output is one JSON object.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createAuditor } from '../src/audit/create-auditor';
import type { ChangeEvent } from '../src/core/change-event';
import { defineKeyspace } from '../src/keyspace';
import { createCache } from '../src/sdk/create-cache';
import {
  cpuNow,
  cpuSince,
  deleteKeysWithPrefix,
  machineFacts,
  parseCostUs,
  rawPipelined,
  redisRoundTrip,
  round,
} from './support/limits';

const REDIS_URL = process.env['CDC_CACHE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CHANGES = Number(process.env['BENCH_CHANGES'] ?? 20_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const VERIFY_RATE = 0.001;

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '1h', sources: [{ table: 'public.users' }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '1h', sources: [{ table: 'public.users' }] },
});
const row = { id: 42, email: 'ada@example.com', name: 'Ada Lovelace', roles: ['admin', 'billing'] };

/** CPU microseconds per operation of the last {@link throughput} call. */
let lastCpuUsPerOp = 0;

async function throughput(operation: () => Promise<unknown>, concurrency: number, durationMs: number) {
  let count = 0;
  const cpu = cpuNow();
  const started = performance.now();
  const deadline = started + durationMs;
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

/** Auditor cost: observe CHANGES user updates (two keys each), then run their one check on a fake clock. */
async function auditorCost(redis: Redis, prefix: string) {
  // Half the keys hold an entry (so classification parses real envelopes), half are absent.
  const cache = createCache({ redis, keyspace, prefix });
  for (let id = 0; id < Math.min(CHANGES, 5_000); id += 2)
    await cache.get('user', { id }, () => ({ ...row, id }));
  await cache.close();
  const clock = { now: 0 };
  const auditor = createAuditor({
    keyspace,
    prefix,
    redis,
    delaysMs: [1_000],
    maxPending: CHANGES,
    now: () => clock.now,
  });
  const events: ChangeEvent[] = Array.from({ length: CHANGES }, (_, id) => ({
    source: 'postgres',
    table: 'public.users',
    op: 'update',
    before: { id, email: `u${id}@example.com` },
    after: { id, email: `u${id}@example.org` },
    key: { id },
    version: String(id).padStart(20, '0'),
    committedAt: Date.now(),
    position: id,
  }));
  const observeCpu = cpuNow();
  const observeStarted = performance.now();
  const receivedAt = Date.now();
  for (let at = 0; at < events.length; at += 500) auditor.observe(events.slice(at, at + 500), receivedAt);
  const observeMs = performance.now() - observeStarted;
  const observeCpuUs = cpuSince(observeCpu) / CHANGES;
  clock.now = Number.MAX_SAFE_INTEGER;
  const checkCpu = cpuNow();
  const checkStarted = performance.now();
  const checked = await auditor.runDue();
  const checkMs = performance.now() - checkStarted;
  const checkCpuUs = cpuSince(checkCpu) / checked;
  const stats = auditor.stats();
  // Limits on the same changes (measured after them: a change observed over a second after its commit is
  // too late for the check): JSON.parse of each change as JSON (the floor for reading it at all), and a
  // raw pipelined GET of its three keys, 500 changes per pipeline (the floor for the check).
  const parseUs = parseCostUs(events.slice(0, 20_000).map((event) => Buffer.from(JSON.stringify(event))));
  const keysOf = (id: number) => [
    `${prefix}user:${id}`,
    `${prefix}user-by-email:u${id}@example.com`,
    `${prefix}user-by-email:u${id}@example.org`,
  ];
  const rawGet = await rawPipelined(
    redis,
    events.map((_event, id) => keysOf(id)),
    500,
    1,
    (pipeline, keys) => {
      for (const key of keys) pipeline.get(key);
    },
  );
  return {
    observe_cpu_vs_parse: round(observeCpuUs / parseUs, 2),
    check_vs_raw_get: round((checkMs * 1000) / checked / rawGet.us_per_event, 2),
    check_cpu_vs_raw_get: round(checkCpuUs / rawGet.cpu_us_per_event, 2),
    observe_cpu_us_per_change: round(observeCpuUs, 2),
    check_cpu_us_per_change: round(checkCpuUs, 2),
    parse_us_per_change: round(parseUs, 2),
    raw_get_us_per_change: rawGet.us_per_event,
    raw_get_cpu_us_per_change: rawGet.cpu_us_per_event,
    changes: CHANGES,
    keys_per_change: 3, // user and two user-by-email keys (plus the generation key, shared by all)
    observe_us_per_change: Number(((observeMs * 1000) / CHANGES).toFixed(2)),
    check_us_per_change: Number(((checkMs * 1000) / checked).toFixed(2)),
    checked,
    inconsistent: stats.delays[0]!.inconsistent,
  };
}

async function main(): Promise<void> {
  const prefix = `bench:audit:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(REDIS_URL);
  const plainClient = new Redis(REDIS_URL);
  const verifyClient = new Redis(REDIS_URL);
  const plain = createCache({ redis: plainClient, keyspace, prefix });
  const verifying = createCache({
    redis: verifyClient,
    keyspace,
    prefix,
    verify: { rate: VERIFY_RATE, delay: '1s' },
  });
  let verified = 0;
  verifying.events.on('verify', () => {
    verified += 1;
  });
  const machine = machineFacts();
  try {
    const rtt = await redisRoundTrip(redis);
    const auditor = await auditorCost(redis, prefix);
    console.log(
      `auditor: ${auditor.changes} changes, observe ${auditor.observe_us_per_change} µs/change, one check ${auditor.check_us_per_change} µs/change`,
    );

    await plain.get('user', { id: 42 }, () => row);
    const loader = () => row;
    const withoutVerify = () => plain.get('user', { id: 42 }, loader);
    const withVerify = () => verifying.get('user', { id: 42 }, loader);
    await throughput(withoutVerify, CONCURRENCY, 500);
    await throughput(withVerify, CONCURRENCY, 500);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const plainRounds: number[] = [];
    const verifyRounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const plainFirst = round % 2 === 0;
      const first = await throughput(plainFirst ? withoutVerify : withVerify, CONCURRENCY, ROUND_MS);
      const firstCpu = lastCpuUsPerOp;
      const second = await throughput(plainFirst ? withVerify : withoutVerify, CONCURRENCY, ROUND_MS);
      const secondCpu = lastCpuUsPerOp;
      const [plainOps, verifyOps] = plainFirst ? [first, second] : [second, first];
      const [plainCpu, verifyCpu] = plainFirst ? [firstCpu, secondCpu] : [secondCpu, firstCpu];
      cpuRatios.push(verifyCpu / plainCpu);
      plainRounds.push(plainOps);
      verifyRounds.push(verifyOps);
      ratios.push(verifyOps / plainOps);
    }
    console.log(
      `hit path without verify ${median(plainRounds).toFixed(0)} ops/s, with verify at ${VERIFY_RATE * 100}% ${median(verifyRounds).toFixed(0)} ops/s (median ratio ${median(ratios).toFixed(3)})`,
    );
    console.log(
      JSON.stringify({
        bench: 'audit',
        // Machine-independent: CPU per hit with verify against without, in the same paired rounds.
        verify_cpu_ratio: round(median(cpuRatios), 3),
        redis_rtt_p50_us: rtt.rtt_p50_us,
        redis_rtt_p99_us: rtt.rtt_p99_us,
        auditor,
        concurrency: CONCURRENCY,
        round_ms: ROUND_MS,
        rounds: ROUNDS,
        verify_rate: VERIFY_RATE,
        hit_ops_per_s: Math.round(median(plainRounds)),
        hit_ops_per_s_with_verify: Math.round(median(verifyRounds)),
        verify_ratio: Number(median(ratios).toFixed(3)),
        verifications_done: verified,
        ...machine,
      }),
    );
  } finally {
    await plain.close();
    await verifying.close();
    await deleteKeysWithPrefix(redis, prefix);
    await Promise.all([redis.quit(), plainClient.quit(), verifyClient.quit()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
