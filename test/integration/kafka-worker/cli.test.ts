// The real `cdc-cache worker kafka` command line: --help and configuration errors (no services needed).
import { kafkaWorkerConfigSchema } from '../../../src/runtimes/kafka-worker/kafka-worker-config';
import { spawnWorker } from './kafka-chain';

jest.setTimeout(60_000);

async function runCli(args: string[], env: Record<string, string>) {
  const worker = spawnWorker(env, args);
  const code = await worker.exited;
  return { code, output: worker.output() };
}

describe('cdc-cache worker kafka (CLI)', () => {
  it('prints every option with its flag, env variable and default for --help, and exits 0', async () => {
    const { code, output } = await runCli(['--help'], {});
    expect(code).toBe(0);
    for (const option of Object.values(kafkaWorkerConfigSchema)) {
      expect(output).toContain(`--${option.flag}`);
      expect(output).toContain(option.env);
    }
  });

  it('exits 2 naming each bad option', async () => {
    const { code, output } = await runCli([], {
      CDC_CACHE_KAFKA_SASL_MECHANISM: 'gssapi',
      CDC_CACHE_KEYSPACE: '',
    });
    expect(code).toBe(2);
    expect(output).toContain('keyspace is required: set CDC_CACHE_KEYSPACE or --keyspace');
    expect(output).toContain('brokers is required');
    expect(output).toContain(
      "saslMechanism (CDC_CACHE_KAFKA_SASL_MECHANISM): expected one of plain, scram-sha-256, scram-sha-512, aws-msk-iam, got 'gssapi'",
    );
  });

  it('exits 2 when both or neither of the topic list and the topic pattern are set', async () => {
    const { code, output } = await runCli([], {
      CDC_CACHE_KEYSPACE: 'unused.json',
      CDC_CACHE_KAFKA_BROKERS: '127.0.0.1:1',
      CDC_CACHE_KAFKA_TOPICS: 'a',
      CDC_CACHE_KAFKA_TOPIC_PATTERN: '^a',
      CDC_CACHE_HTTP_PORT: '0',
    });
    expect(code).toBe(2);
    expect(output).toContain('set exactly one of CDC_CACHE_KAFKA_TOPICS');
  });
});
