import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdcCacheError } from '../../../src/errors';
import { kafkaWorkerConfigSchema } from '../../../src/runtimes/kafka-worker/kafka-worker-config';
import { formatConfigReference, formatHelp } from '../../../src/runtimes/shared/config-docs';
import {
  defineOption,
  parsers,
  redactConfig,
  resolveConfig,
} from '../../../src/runtimes/shared/config-schema';

const requiredEnv = { CDC_CACHE_KEYSPACE: 'keyspace.yaml', CDC_CACHE_KAFKA_BROKERS: 'a:9092, b:9092' };

function values(argv: string[], env: Record<string, string> = requiredEnv) {
  const resolved = resolveConfig(kafkaWorkerConfigSchema, { argv, env });
  if (resolved.help) throw new Error('unexpected help');
  return resolved.values;
}

function configError(argv: string[], env: Record<string, string>): CdcCacheError {
  try {
    resolveConfig(kafkaWorkerConfigSchema, { argv, env });
  } catch (error) {
    if (error instanceof CdcCacheError) return error;
    throw error;
  }
  throw new Error('expected CDC_CONFIG_INVALID');
}

describe('resolveConfig with the Kafka worker schema', () => {
  it('applies defaults and parses env variables', () => {
    const config = values([], { ...requiredEnv, CDC_CACHE_KAFKA_TOPICS: 'x.public.users,x.public.orders' });
    expect(config).toMatchObject({
      keyspace: 'keyspace.yaml',
      brokers: ['a:9092', 'b:9092'],
      topics: ['x.public.users', 'x.public.orders'],
      groupId: 'cdc-cache',
      deadLetterTopic: 'cdc-cache.dlq',
      httpPort: 9464,
      logLevel: 'info',
      ssl: false,
      redisUrl: 'redis://127.0.0.1:6379',
    });
    expect(config.topicPattern).toBeUndefined();
  });

  it('refuses an object in the config file instead of reading it as text', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'cdc-config-')), 'worker.yaml');
    writeFileSync(file, 'groupId: { name: workers }\ntopics: [a, { b: 1 }]\n');

    // Act
    const act = () => resolveConfig(kafkaWorkerConfigSchema, { argv: ['--config', file], env: requiredEnv });

    // Assess
    expect(act).toThrow(
      "groupId (config file 'groupId'): expected a value or a list of values, got an object",
    );
    expect(act).toThrow("topics (config file 'topics'): expected a value or a list of values");
  });

  it('lets flags override env variables, which override the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-config-'));
    const file = join(dir, 'worker.yaml');
    writeFileSync(file, 'groupId: from-file\nhttpPort: 1000\nconcurrency: 2\ntopics: [a, b]\n');
    const config = values(['--config', file, '--http-port=3000', '--kafka-ssl'], {
      ...requiredEnv,
      CDC_CACHE_HTTP_PORT: '2000',
      CDC_CACHE_KAFKA_GROUP_ID: 'from-env',
    });
    expect(config).toMatchObject({
      groupId: 'from-env',
      httpPort: 3000,
      concurrency: 2,
      topics: ['a', 'b'],
      ssl: true,
    });
  });

  it('reports every problem at once, naming the option, its env variable or flag', () => {
    const error = configError(['--kafka-sasl-mechanism', 'kerberos', '--nope'], {
      CDC_CACHE_HTTP_PORT: '70000',
    });
    expect(error.code).toBe('CDC_CONFIG_INVALID');
    expect(error.message).toContain('keyspace is required: set CDC_CACHE_KEYSPACE or --keyspace');
    expect(error.message).toContain('brokers is required');
    expect(error.message).toContain('httpPort (CDC_CACHE_HTTP_PORT): expected an integer from 0 to 65535');
    expect(error.message).toContain(
      "saslMechanism (--kafka-sasl-mechanism): expected one of plain, scram-sha-256, scram-sha-512, aws-msk-iam, got 'kerberos'",
    );
    expect(error.message).toContain('unknown flag --nope');
  });

  it('parses the topic pattern as a regex', () => {
    expect(
      values(['--kafka-topic-pattern', '^dbserver1\\.public\\..*']).topicPattern?.test(
        'dbserver1.public.users',
      ),
    ).toBe(true);
  });

  it('asks for help', () => {
    expect(resolveConfig(kafkaWorkerConfigSchema, { argv: ['--help'] })).toEqual({ help: true });
  });
});

describe('formatHelp and formatConfigReference', () => {
  it('list every option with its flag, env variable and default', () => {
    const help = formatHelp(kafkaWorkerConfigSchema, { usage: 'cdc-cache worker kafka [options]' });
    const reference = formatConfigReference(kafkaWorkerConfigSchema);
    for (const option of Object.values(kafkaWorkerConfigSchema)) {
      expect(help).toContain(`--${option.flag}`);
      expect(help).toContain(option.env);
      expect(reference).toContain(`\`${option.env}\``);
    }
    expect(help).toContain('default: cdc-cache.dlq');
    expect(help).toContain('CDC_CACHE_CONFIG');
  });
});

describe('redactConfig', () => {
  it('masks secrets and passwords in URLs', () => {
    const config = values(['--redis-password', 'hunter2', '--redis-url', 'rediss://app:s3cret@cache:6379']);
    const shown = redactConfig(kafkaWorkerConfigSchema, config);
    expect(shown['redisPassword']).toBe('***');
    expect(shown['redisUrl']).toBe('rediss://***@cache:6379');
    expect(JSON.stringify(shown)).not.toMatch(/hunter2|s3cret/);
  });
});

describe('secret options', () => {
  it('never echo a refused secret value, and say what the option is', () => {
    // Prepare
    const schema = {
      token: defineOption({
        env: 'CDC_CACHE_TEST_TOKEN',
        flag: 'token',
        description: 'a token',
        parse: parsers.oneOf(['a', 'b'] as const),
        secret: true,
      }),
    };

    // Act
    const act = () => resolveConfig(schema, { env: { CDC_CACHE_TEST_TOKEN: 'hunter2' } });

    // Assess
    expect(act).toThrow('token (CDC_CACHE_TEST_TOKEN): invalid value (a secret: not shown)');
    expect(act).not.toThrow(/hunter2/);
    expect(formatHelp(schema, { usage: 'x' })).toContain('a|b, secret');
  });
});

describe('docs/kafka-worker.md', () => {
  it('holds the configuration reference generated from the schema', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/kafka-worker.md'), 'utf8');
    expect(doc).toContain(formatConfigReference(kafkaWorkerConfigSchema));
  });
});
