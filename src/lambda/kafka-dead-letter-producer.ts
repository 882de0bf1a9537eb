import { Kafka, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import { CdcCacheError } from '../errors';
import type { KafkaDeadLetterSink } from './create-kafka-handler';
import { type LambdaLogger, silentLogger } from './lambda-logger';

/** A dead-letter sink with a producer to disconnect (a Lambda never needs to; tests and other hosts do). */
export type ClosableKafkaDeadLetterSink = KafkaDeadLetterSink & { close(): Promise<void> };

/** Options of {@link createKafkaDeadLetterProducer}. */
export interface KafkaDeadLetterProducerOptions {
  /** The dead-letter topic. */
  topic: string;
  /** Bootstrap brokers. */
  brokers: readonly string[];
  /** TLS, SASL and client id; default: from `CDC_CACHE_KAFKA_SSL`, `CDC_CACHE_KAFKA_SASL_*`, `CDC_CACHE_KAFKA_CLIENT_ID`. */
  kafka?: Partial<KafkaConfig>;
  /** Logger. */
  logger?: LambdaLogger;
}

/**
 * A dead-letter sink that produces each poison record, unchanged (key, value, headers), to a Kafka topic,
 * with the failure in `cdc-cache.*` headers. The producer connects once and is reused across invocations;
 * `send` resolves only once the brokers acknowledged (acks = all), so the batch is acknowledged after it.
 *
 * @example
 * const deadLetter = createKafkaDeadLetterProducer({ topic: 'cdc-cache.dlq', brokers: ['b-1.msk:9098'] })
 */
export function createKafkaDeadLetterProducer(
  options: KafkaDeadLetterProducerOptions,
): ClosableKafkaDeadLetterSink {
  if (!options.topic) throw new CdcCacheError('CDC_INVALID_OPTION', 'topic: required, the dead-letter topic');
  if (!options.brokers?.length)
    throw new CdcCacheError('CDC_INVALID_OPTION', 'brokers: required, at least one broker');
  const logger = options.logger ?? silentLogger;
  let connected: Promise<Producer> | undefined;
  const producer = (): Promise<Producer> => {
    connected ??= (async () => {
      const kafka = new Kafka({ ...kafkaConfigFromEnv(), ...options.kafka, brokers: [...options.brokers] });
      const created = kafka.producer({ allowAutoTopicCreation: false });
      await created.connect();
      return created;
    })().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  const sink = async (letters: Parameters<KafkaDeadLetterSink>[0]) => {
    const messages = letters.map(({ record, error }) => ({
      key: record.key ? Buffer.from(record.key, 'base64') : null,
      value: record.value ? Buffer.from(record.value, 'base64') : null,
      headers: {
        ...Object.fromEntries(
          (record.headers ?? []).flatMap((header) =>
            Object.entries(header).map(([name, bytes]) => [name, Buffer.from(bytes)]),
          ),
        ),
        'cdc-cache.error.code': error.code,
        'cdc-cache.error.message': error.message,
        'cdc-cache.source.topic': record.topic,
        'cdc-cache.source.partition': String(record.partition),
        'cdc-cache.source.offset': String(record.offset),
      },
    }));
    try {
      await (await producer()).send({ topic: options.topic, acks: -1, messages });
    } catch (error) {
      throw new CdcCacheError(
        'CDC_SOURCE_UNAVAILABLE',
        `cannot write ${letters.length} dead letters to ${options.topic}: ${(error as Error).message}`,
        {
          cause: error,
          retriable: true,
        },
      );
    }
    logger.warn(
      { topic: options.topic, count: letters.length },
      'cdc-cache: poison Kafka records sent to the dead-letter topic',
    );
  };
  return Object.assign(sink, {
    async close() {
      const pending = connected;
      connected = undefined;
      if (pending) await (await pending.catch(() => undefined))?.disconnect();
    },
  });
}

function kafkaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<KafkaConfig, 'brokers'> {
  const mechanism = env['CDC_CACHE_KAFKA_SASL_MECHANISM']?.trim();
  const username = env['CDC_CACHE_KAFKA_SASL_USERNAME'] ?? '';
  const password = env['CDC_CACHE_KAFKA_SASL_PASSWORD'] ?? '';
  let sasl: SASLOptions | undefined;
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    sasl = { mechanism, username, password } as SASLOptions;
  } else if (mechanism === 'aws-msk-iam') {
    const region = env['AWS_REGION'] ?? '';
    sasl = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        // Loaded only when MSK IAM is used, so other deployments do not pay for the signer.
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    };
  } else if (mechanism) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `CDC_CACHE_KAFKA_SASL_MECHANISM: '${mechanism}' is not plain, scram-sha-256, scram-sha-512 or aws-msk-iam`,
    );
  }
  return {
    clientId: env['CDC_CACHE_KAFKA_CLIENT_ID'] || 'cdc-cache-lambda',
    ssl: env['CDC_CACHE_KAFKA_SSL'] === 'true' || mechanism === 'aws-msk-iam',
    ...(sasl ? { sasl } : {}),
  };
}
