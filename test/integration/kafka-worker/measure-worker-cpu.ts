// CPU microseconds per change of `cdc-cache worker kafka` on real Debezium PostgreSQL messages (the stack's
// connector, schemas on, bench:postgres's table and keyspace), for one or more builds at once: each build's
// worker consumes the same topic in its own group, and its CPU (Linux /proc) is read before and after
// CHANGES row updates. The last build named is profiled (--cpu-prof into PROF_DIR) unless NOPROF is set.
// Build with `node scripts/build-bench.mjs` (tsc output in .bench-build; another tree's tsc output with its
// Lua files beside it can be compared). Run:
// PROF_DIR=/tmp/prof npx tsx test/integration/kafka-worker/measure-worker-cpu.ts <build dir>... (e.g. .bench-build)
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import { stackKafkaClient } from '../../../scripts/stack/kafka-topics';
import {
  BROKERS,
  pgQuery,
  REDIS_URL,
  startPostgresConnector,
  uniqueName,
  waitFor,
  waitForTopic,
} from './kafka-chain';

const CHANGES = Number(process.env['CHANGES'] ?? 20000);

import { readFileSync } from 'node:fs';

function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}
async function main() {
  const table = uniqueName('prof_pg');
  await pgQuery(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL)`);
  await pgQuery(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  await pgQuery(
    `INSERT INTO ${table} SELECT i, 'u' || i || '@example.com', 'User ' || i FROM generate_series(0, ${CHANGES}) i`,
  );
  const connector = await startPostgresConnector([table]);
  const topic = connector.topic(table);
  const admin = new Admin(stackKafkaClient({ brokers: BROKERS }));
  const workers: { name: string; child: ReturnType<typeof spawn>; group: string }[] = [];
  try {
    await pgQuery(`UPDATE ${table} SET name = 'probe' WHERE id = 0`);
    await waitForTopic(topic);
    const dir = mkdtempSync(join(tmpdir(), 'prof-'));
    const keyspace = join(dir, 'keyspace.json');
    writeFileSync(
      keyspace,
      JSON.stringify({
        entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: `public.${table}` }] } },
      }),
    );
    for (const build of process.argv.slice(2)) {
      const group = uniqueName('prof_group');
      const profile =
        !process.env['NOPROF'] && build === process.argv[process.argv.length - 1]
          ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', process.env['PROF_DIR']!]
          : [];
      const child = spawn(
        process.execPath,
        [
          ...profile,
          `${build}/src/cli/main.js`,
          'worker',
          'kafka',
          '--http-port',
          '0',
          '--log-level',
          'error',
        ],
        {
          env: {
            ...process.env,
            CDC_CACHE_KEYSPACE: keyspace,
            CDC_CACHE_REDIS_URL: REDIS_URL,
            CDC_CACHE_REDIS_WAIT_REPLICAS: 'off',
            CDC_CACHE_KEY_PREFIX: `${uniqueName('prof')}:`,
            CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
            CDC_CACHE_KAFKA_TOPICS: topic,
            CDC_CACHE_KAFKA_GROUP_ID: group,
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      workers.push({ name: build, child, group });
    }
    const caughtUp = async (group: string) => {
      const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] });
      const partitions = (await admin.metadata({ topics: [topic] })).topics.get(topic)!.partitions;
      const [high] = await admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: partitions.map((_, partitionIndex) => ({
              partitionIndex,
              timestamp: ListOffsetTimestamps.LATEST,
            })),
          },
        ],
      });
      const offsets = committed!.topics.find((each) => each.name === topic)?.partitions ?? [];
      const done = offsets.reduce((s, p) => s + Math.max(0, Number(p.committedOffset)), 0);
      return done >= high!.partitions.reduce((s, p) => s + Number(p.offset), 0);
    };
    for (const w of workers)
      await waitFor(() => caughtUp(w.group), {
        timeoutMs: 120_000,
        intervalMs: 200,
        description: `${w.name} on the probe`,
      });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = workers.map((w) => cpuUs(w.child.pid!));
    for (let start = 1; start <= CHANGES; start += 100) {
      await pgQuery(`UPDATE ${table} SET name = name || 'x' WHERE id >= ${start} AND id < ${start + 100}`);
    }
    for (const w of workers)
      await waitFor(() => caughtUp(w.group), {
        timeoutMs: 300_000,
        intervalMs: 200,
        description: `${w.name} caught up`,
      });
    workers.forEach((w, i) => {
      const perChange = (cpuUs(w.child.pid!) - before[i]!) / CHANGES;
      console.log(`${w.name}: ${perChange.toFixed(1)} µs CPU per change over ${CHANGES} changes`);
    });
  } finally {
    for (const w of workers) {
      w.child.kill('SIGTERM');
      await new Promise((resolve) => w.child.once('exit', resolve));
    }
    await admin.close();
    await connector.remove();
    await pgQuery(`DROP TABLE ${table}`);
  }
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
