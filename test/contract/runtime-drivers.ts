// The four runtimes, each driven through its own entry point with its own failure policy. The cache Redis
// (the one the suite breaks) is real; each transport is the runtime's port fed in memory (a Kafka
// partition, a Lambda invocation) or real (DynamoDB Local's stream for the poller, its shard store on the
// shared Redis so that breaking the cache Redis does not stop the poller from starting).
import type { DynamoDBRecord, MSKRecord } from 'aws-lambda';
import { Redis } from 'ioredis';
import pino from 'pino';
import { internalKey, keyspaceFromData } from '../../src/keyspace';
import { createKafkaHandler, createStreamHandler } from '../../src/lambda';
import {
  createDynamoDbWorker,
  createRedisDeadLetters,
  createShardStore,
} from '../../src/runtimes/dynamodb-worker';
import { createKafkaWorker } from '../../src/runtimes/kafka-worker/create-kafka-worker';
import { jsonMessageDecoder } from '../../src/sources/debezium';
import {
  type BatchHandler,
  type ConsumedMessage,
  KAFKA_DEAD_LETTER_HEADER_PREFIX,
  type KafkaConsumerPort,
  type KafkaProducerPort,
  kafkaDeadLetterMessage,
  type ProducedMessage,
} from '../../src/sources/kafka';
import { dynamodbStreamFixture } from '../integration/dynamodb/dynamodb-stream-fixture';
import { stackEndpoints } from '../support/stack-endpoints';
import { uniqueName } from '../support/unique-name';
import { dynamodbRecordFactory } from '../unit/dynamodb/dynamodb-record-factory';
import {
  type ContractChange,
  contractEntities,
  type RunContext,
  type RuntimeDriver,
  type RuntimeRun,
} from './runtime-contract-suite';

const TOPIC = 'dbserver1.public.items';
const KAFKA_SOURCE_FIELDS = ['topic', 'partition', 'offset', 'timestamp'];

/** A Kafka dead letter's `cdc-cache.dlq.*` headers, by field name. */
function kafkaDeadLetterFields(message: ProducedMessage): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of message.headers ?? []) {
    if (name.startsWith(KAFKA_DEAD_LETTER_HEADER_PREFIX))
      fields[name.slice(KAFKA_DEAD_LETTER_HEADER_PREFIX.length)] = String(value);
  }
  return fields;
}
const silent = pino({ level: 'silent' });

/** A Debezium PostgreSQL update envelope (JSON converter, no schemas) for one change. */
function debeziumValue(change: ContractChange, index: number): Buffer {
  if (change.poison) return Buffer.from('{not json');
  return Buffer.from(
    JSON.stringify({
      op: 'u',
      before: { id: change.id, name: change.from },
      after: { id: change.id, name: change.name },
      source: {
        connector: 'postgresql',
        name: 'dbserver1',
        schema: 'public',
        table: 'items',
        lsn: 1000 + index,
        txId: 7,
        ts_ms: Date.now(),
      },
      ts_ms: Date.now(),
    }),
  );
}

const debeziumKeyspace = async () =>
  keyspaceFromData({ entities: contractEntities([{ table: 'public.items' }]) });

/**
 * A Lambda invocation seen as a run: `invoke` resolves how many records it acknowledged, or throws (the
 * event source mapping then retries the batch, as `redeliver` does until it succeeds).
 */
async function lambdaRun(
  invoke: () => Promise<number>,
  deadLettered: () => number[],
  deadLetters: () => Record<string, string>[],
): Promise<RuntimeRun> {
  let failures = 0;
  let acknowledged = 0;
  const attempt = async () => {
    try {
      acknowledged = await invoke();
      return true;
    } catch {
      failures++;
      return false;
    }
  };
  await attempt();
  return {
    acknowledged: async () => acknowledged,
    deadLettered: async () => deadLettered(),
    deadLetters: async () => deadLetters(),
    failures: () => failures,
    async redeliver() {
      for (let tries = 0; tries < 200 && !(await attempt()); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => undefined,
  };
}

/**
 * One partition held in memory behind the {@link KafkaConsumerPort}: fetches from the committed position,
 * commits what the handler resolved, honours pause/resume and seek, as a consumer group member does.
 */
function memoryPartition(messages: readonly ConsumedMessage[]) {
  let committed = 0;
  let position = 0;
  let paused = false;
  let running = false;
  let loop: Promise<void> | undefined;
  const consumer: KafkaConsumerPort = {
    async run(handler: BatchHandler) {
      running = true;
      loop = (async () => {
        while (running) {
          if (paused || position >= messages.length) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
          }
          let resolved: number | undefined;
          await handler(
            {
              topic: TOPIC,
              partition: 0,
              messages: messages.slice(position),
            },
            {
              resolveOffset: (offset) => {
                resolved = Number(offset);
              },
              heartbeat: async () => undefined,
              isRunning: () => running,
              isStale: () => false,
              pause: () => {
                paused = true;
                return () => {
                  paused = false;
                };
              },
            },
          );
          if (resolved !== undefined) committed = resolved + 1;
          // What is not resolved is fetched again (after a seek, from the offset the worker names).
          if (!paused) position = committed;
        }
      })();
    },
    async stop() {
      running = false;
      await loop;
    },
    pause: () => undefined,
    resume: () => undefined,
    seek: ({ offset }) => {
      position = Number(offset);
    },
    status: () => ({ connected: true, joined: true, assignment: { [TOPIC]: [0] } }),
    onFatal: () => undefined,
    lag: async () => [{ topic: TOPIC, partition: 0, lag: messages.length - committed }],
  };
  return { consumer, committed: () => committed };
}

/** The Kafka worker: its batch handler, pause-and-backoff policy and dead-letter topic. */
export function kafkaWorkerDriver(): RuntimeDriver {
  return {
    name: 'Kafka worker',
    runtime: 'kafka-worker',
    sourceFields: KAFKA_SOURCE_FIELDS,
    keyspace: debeziumKeyspace,
    async run(changes, { engine }: RunContext): Promise<RuntimeRun> {
      const messages = changes.map(
        (change, index): ConsumedMessage => ({
          offset: String(index),
          key: Buffer.from(JSON.stringify({ id: change.id })),
          value: debeziumValue(change, index),
          timestamp: String(Date.now()),
        }),
      );
      const partition = memoryPartition(messages);
      const produced: ProducedMessage[] = [];
      // The dead-letter topic: what the worker produced.
      const producer: KafkaProducerPort = {
        async send(_topic, messages) {
          produced.push(...messages);
        },
        close: async () => undefined,
      };
      let failures = 0;
      const logger = {
        ...silent,
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        warn: (_context: object, message?: string) => {
          if (message?.startsWith('cannot apply')) failures++;
        },
      };
      const worker = createKafkaWorker({
        consumer: partition.consumer,
        producer,
        engine,
        decoder: jsonMessageDecoder,
        backoff: { initialDelayMs: 50, maxDelayMs: 200 },
        logger,
      });
      await worker.start();
      return {
        acknowledged: async () => partition.committed(),
        deadLettered: async () => produced.map((message) => Number(kafkaDeadLetterFields(message)['offset'])),
        deadLetters: async () => produced.map(kafkaDeadLetterFields),
        failures: () => failures,
        ready: () => worker.isReady(),
        redeliver: async () => undefined,
        stop: () => worker.stop(),
      };
    },
  };
}

function mskRecord(change: ContractChange, index: number): MSKRecord {
  return {
    topic: TOPIC,
    partition: 0,
    offset: index,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(JSON.stringify({ id: change.id })).toString('base64'),
    value: debeziumValue(change, index).toString('base64'),
    headers: [],
  };
}

/** The Kafka (MSK) Lambda handler: poison records to its dead-letter sink, an outage fails the invocation. */
export function kafkaLambdaDriver(): RuntimeDriver {
  return {
    name: 'Kafka Lambda',
    runtime: 'kafka-lambda',
    sourceFields: KAFKA_SOURCE_FIELDS,
    keyspace: debeziumKeyspace,
    async run(changes, { engine }: RunContext): Promise<RuntimeRun> {
      const records = changes.map(mskRecord);
      // What its dead-letter producer would write (the one message format of both Kafka runtimes).
      const produced: ProducedMessage[] = [];
      const handler = createKafkaHandler({
        engine,
        deadLetter: async (letters) => {
          for (const { letter } of letters)
            produced.push(kafkaDeadLetterMessage({ key: null, value: null, headers: [] }, letter));
        },
      });
      return lambdaRun(
        async () => {
          await handler({ eventSource: 'aws:kafka', records: { [`${TOPIC}-0`]: records } });
          return records.length;
        },
        () => produced.map((message) => Number(kafkaDeadLetterFields(message)['offset'])),
        () => produced.map(kafkaDeadLetterFields),
      );
    },
  };
}

function dynamodbKeyspace(table: string) {
  return keyspaceFromData({
    entities: contractEntities([{ dynamodb: table, fields: { id: 'pk' } }], [{ dynamodb: table }]),
  });
}

/** The DynamoDB Streams Lambda handler: the first poison record reported as a batch item failure. */
export function streamLambdaDriver(): RuntimeDriver {
  const table = uniqueName('ContractItems');
  return {
    name: 'DynamoDB Streams Lambda',
    runtime: 'dynamodb-lambda',
    sourceFields: ['table', 'sequenceNumber'],
    keyspace: async () => dynamodbKeyspace(table),
    async run(changes, { engine }: RunContext): Promise<RuntimeRun> {
      const records: DynamoDBRecord[] = changes.map((change, index) =>
        dynamodbRecordFactory({
          table,
          keys: { pk: String(change.id) },
          oldImage: { pk: String(change.id), name: change.from, v: index },
          newImage: { pk: String(change.id), name: change.name, v: change.poison ? 'abc' : index + 1 },
        }),
      );
      // Its dead letter is the `deadLetter` of its error log line (the record goes to the on-failure destination).
      const logged: Record<string, string>[] = [];
      const handler = createStreamHandler({
        dependencies: { engine, keyspace: await dynamodbKeyspace(table) },
        versionAttribute: 'v',
        logger: {
          ...silent,
          debug: () => undefined,
          info: () => undefined,
          warn: () => undefined,
          error: (context: { deadLetter?: Record<string, string> }) => {
            if (context.deadLetter) logged.push(context.deadLetter);
          },
        },
      });
      const deadLettered = new Set<number>();
      return lambdaRun(
        async () => {
          const { batchItemFailures } = await handler({ Records: records });
          const first = records.findIndex(
            (record) => record.dynamodb?.SequenceNumber === batchItemFailures[0]?.itemIdentifier,
          );
          if (first >= 0) deadLettered.add(first);
          return first < 0 ? records.length : first;
        },
        () => [...deadLettered],
        () => [...logged],
      );
    },
  };
}

/** The DynamoDB polling worker on DynamoDB Local: dead letters in its Redis stream, checkpoints per shard. */
export function dynamodbPollerDriver(): RuntimeDriver {
  const fixture = dynamodbStreamFixture();
  const control = new Redis(stackEndpoints().redis.url, { maxRetriesPerRequest: 1 });
  let table = '';
  return {
    name: 'DynamoDB poller',
    runtime: 'dynamodb-worker',
    sourceFields: ['table', 'shardId', 'sequenceNumber'],
    async keyspace() {
      table = await fixture.createTable('contract');
      return dynamodbKeyspace(table);
    },
    async run(changes, { engine, prefix }: RunContext): Promise<RuntimeRun> {
      // The rows as they were before the changes, then the changes: only the latter are counted.
      const initial = new Map(changes.map((change) => [change.id, change.from] as const));
      for (const [id, name] of [...initial].reverse())
        await fixture.put(table, { pk: String(id), name, v: 0 });
      const rows = await fixture.readStream(table);
      const before = rows.length;
      for (const [index, change] of changes.entries()) {
        await fixture.put(table, {
          pk: String(change.id),
          name: change.name,
          v: change.poison ? 'abc' : index + 1,
        });
      }
      const stream = (await fixture.readStream(table)).slice(before);
      const sequenceOf = stream.map((record) => BigInt(record.dynamodb!.SequenceNumber!));
      const store = createShardStore({
        redis: control,
        prefix,
        table,
        owner: uniqueName('w'),
        leaseMs: 5000,
      });
      // The worker starts after the rows' own inserts, as if it had checkpointed them earlier. A fresh
      // table of DynamoDB Local has one shard.
      const shards = (await fixture.reader.describe(table)).shards.map((shard) => shard.shardId);
      if (shards.length !== 1) throw new Error(`expected one shard, got ${shards.length}`);
      await store.claim(shards[0]!);
      await store.checkpoint(shards[0]!, rows.at(-1)!.dynamodb!.SequenceNumber!);
      await store.release(shards[0]!);
      let failures = 0;
      const logger = {
        ...silent,
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        warn: (_context: object, message?: string) => {
          if (message?.includes('unavailable, retrying')) failures++;
        },
      };
      const worker = createDynamoDbWorker({
        table,
        keyspace: await dynamodbKeyspace(table),
        engine,
        reader: fixture.reader,
        store,
        deadLetters: createRedisDeadLetters({ redis: control, prefix, table }),
        logger,
        versionAttribute: 'v',
        idleMs: 50,
        discoveryMs: 500,
        leaseMs: 5000,
        retryMaxMs: 200,
      });
      await worker.start();
      return {
        async acknowledged() {
          const checkpoints = [...(await store.checkpoints(shards)).values()].filter((seq) =>
            /^\d+$/.test(seq),
          );
          const newest = checkpoints.reduce((max, seq) => (BigInt(seq) > max ? BigInt(seq) : max), -1n);
          return sequenceOf.filter((seq) => seq <= newest).length;
        },
        async deadLettered() {
          const entries = await control.xrange(internalKey(prefix, 'dlq', table), '-', '+');
          return entries.map(([, fields]) => {
            const seq = BigInt(fields[fields.indexOf('sequenceNumber') + 1]!);
            return sequenceOf.indexOf(seq);
          });
        },
        async deadLetters() {
          const entries = await control.xrange(internalKey(prefix, 'dlq', table), '-', '+');
          return entries.map(([, fields]) => {
            const letter: Record<string, string> = {};
            for (let index = 0; index < fields.length; index += 2)
              letter[fields[index]!] = fields[index + 1]!;
            delete letter['record'];
            return letter;
          });
        },
        failures: () => failures,
        ready: () => worker.isReady(),
        redeliver: async () => undefined,
        stop: () => worker.stop(),
      };
    },
    async close() {
      control.disconnect();
      await fixture.close();
    },
  };
}
