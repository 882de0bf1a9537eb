import { Writable } from 'node:stream';
import type { MSKRecord } from 'aws-lambda';
import { createDeadLetter } from '../../../src/core/dead-letter';
import { CdcCacheError } from '../../../src/errors';
import { logDeadLetters } from '../../../src/lambda/create-kafka-handler';
import { createLogger, MAX_LOGGED_STRING } from '../../../src/observability/create-logger';
import { maskUrlCredentials } from '../../../src/observability/mask-url-credentials';
import { kafkaWorkerConfigSchema } from '../../../src/runtimes/kafka-worker/kafka-worker-config';
import { redactConfig, resolveConfig } from '../../../src/runtimes/shared/config-schema';

// One test per way a secret or row data could reach a log line or an error message.

const PASSWORDS = ['Xq7@Zk9w', 'Xq7/Zk9w', 'Xq7:Zk9w', 'Xq7#Zk?9w', 'Xq@7Z/k:9#w'];

/** Neither the password nor any piece of it between its special characters is in `text`. */
function expectNoPiece(text: string, password: string): void {
  expect(text).not.toContain(password);
  for (const piece of password.split(/[@/:#?]/)) if (piece.length >= 3) expect(text).not.toContain(piece);
}

/** A logger writing into an array of parsed lines. */
function capture(): {
  lines: Record<string, unknown>[];
  text: () => string;
  logger: ReturnType<typeof createLogger>;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return {
    lines: chunks as unknown as Record<string, unknown>[],
    text: () => chunks.join(''),
    logger: Object.assign(logger, {}),
  };
}

describe('maskUrlCredentials', () => {
  it.each(PASSWORDS)('masks the whole userinfo when the password is %s', (password) => {
    for (const url of [`redis://worker:${password}@cache:6379/0`, `rediss://:${password}@cache:6380`]) {
      const masked = maskUrlCredentials(url);
      expectNoPiece(masked, password);
      expect(masked).not.toContain('worker');
      expect(masked).toMatch(/^rediss?:\/\/\*\*\*@cache:63\d\d/);
    }
  });

  it('masks URLs inside a message and leaves URLs without credentials alone', () => {
    expect(maskUrlCredentials("cannot reach 'redis://u:s3cret@h:1' or redis://h:2 (x@y)")).toBe(
      "cannot reach 'redis://***@h:1' or redis://h:2 (x@y)",
    );
  });

  it('masks a password holding a space or a quote when the text is one URL', () => {
    expect(maskUrlCredentials(`redis://u:a b'c@h:1`, { whole: true })).toBe('redis://***@h:1');
  });
});

describe('configuration', () => {
  const env = { CDC_CACHE_KEYSPACE: 'k.yaml', CDC_CACHE_KAFKA_BROKERS: 'a:9092' };

  // Each makes the URL below unparsable (its port is not a number, or the password's '/' or '#' ends the host
  // early and leaves a port that is not a number).
  it.each(PASSWORDS.slice(0, 4))(
    'never prints a Redis password (%s) in a configuration error',
    (password) => {
      // A password with an unencoded '/' or '#' makes the URL unparsable: the error must still mask it.
      let message = '';
      try {
        resolveConfig(kafkaWorkerConfigSchema, {
          argv: ['--redis-url', `redis://worker:${password}@cache:abc`],
          env,
        });
      } catch (error) {
        message = (error as CdcCacheError).message;
      }
      expect(message).toContain('redis-url');
      expect(message).not.toContain(password);
    },
  );

  it.each(PASSWORDS)('masks the Redis URL (password %s) in the startup configuration line', (password) => {
    const resolved = resolveConfig(kafkaWorkerConfigSchema, {
      argv: [
        '--redis-url',
        `redis://worker:${encodeURIComponent(password)}@cache:6379`,
        '--redis-password',
        password,
      ],
      env,
    });
    if (resolved.help) throw new Error('unexpected help');
    const shown = JSON.stringify(redactConfig(kafkaWorkerConfigSchema, resolved.values));
    expectNoPiece(shown, password);
    expect(shown).not.toContain(encodeURIComponent(password));
    expect(shown).toContain('redis://***@cache:6379');
  });
});

describe('createLogger', () => {
  it('censors password, secret, token and authorization fields at any of three depths', () => {
    const { logger, text } = capture();
    logger.info({ password: 'S1', redis: { password: 'S2' }, a: { b: { token: 'S3' } }, secret: 'S4' }, 'x');
    logger.info(
      { headers: { authorization: 'Bearer S5' }, sasl: { password: 'S6' }, kafkaSaslPassword: 'S7' },
      'y',
    );
    for (const secret of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7']) expect(text()).not.toContain(secret);
    expect(text()).toContain('[redacted]');
  });

  it('masks credentials of URLs in fields, messages and errors', () => {
    const { logger, text } = capture();
    logger.info({ config: { redisUrl: 'redis://u:p@ss@h:1' } }, 'starting');
    logger.error({ err: new Error('cannot connect to redis://u:p@ss@h:1') }, 'failed');
    expect(text()).not.toContain('p@ss');
    expect(text()).toContain('redis://***@h:1');
  });

  it('cuts long strings, error messages and stacks: a 1 MB field is not a 1 MB line', () => {
    const { logger, text } = capture();
    const huge = 'x'.repeat(1_000_000);
    logger.warn({ value: huge, nested: { value: huge } }, 'poison record');
    logger.warn({ err: new CdcCacheError('CDC_DECODE_FAILED', huge) }, 'poison record');
    for (const line of text().trim().split('\n'))
      expect(line.length).toBeLessThan(4 * MAX_LOGGED_STRING + 2_000);
  });
});

describe('the Kafka Lambda default dead-letter sink', () => {
  it('logs where the record is and why, not its key or value', async () => {
    const { logger, text } = capture();
    const record = {
      topic: 'dbserver1.public.users',
      partition: 3,
      offset: 42,
      key: Buffer.from('{"id":"ROW-KEY"}').toString('base64'),
      value: Buffer.from('{"after":{"email":"ROW-VALUE"}}').toString('base64'),
    } as MSKRecord;
    const error = new CdcCacheError('CDC_DECODE_FAILED', 'bad');
    const letter = createDeadLetter(error, 'kafka-lambda', {
      topic: record.topic,
      partition: '3',
      offset: '42',
    });
    await logDeadLetters(logger)([{ record, error, letter }]);
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line['deadLetter']).toMatchObject({
      topic: record.topic,
      partition: '3',
      offset: '42',
      'error.code': 'CDC_DECODE_FAILED',
      runtime: 'kafka-lambda',
    });
    expect(text()).not.toContain(record.key);
    expect(text()).not.toContain(record.value);
    expect(line['valueBytes']).toBe(Buffer.from(record.value!, 'base64').length);
  });
});
