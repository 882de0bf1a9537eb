import { kafkaAuditConfigSchema } from '../../../src/audit/kafka-audit-config';
import { runKafkaAudit } from '../../../src/audit/run-kafka-audit';
import { resolveConfig } from '../../../src/runtimes/shared/config-schema';

const base = {
  CDC_CACHE_KEYSPACE: 'keyspace.yaml',
  CDC_CACHE_KAFKA_BROKERS: 'b:9092',
  CDC_CACHE_KAFKA_TOPICS: 't',
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('cdc-cache audit kafka configuration', () => {
  it("takes the worker's configuration as is, with delays and a group of its own", () => {
    // Act
    const resolved = resolveConfig(kafkaAuditConfigSchema, {
      env: {
        ...base,
        CDC_CACHE_KAFKA_GROUP_ID: 'workers',
        CDC_CACHE_DLQ_TOPIC: 'dlq',
        CDC_CACHE_AUDIT_DELAYS: '500ms, 2s,1m',
      },
    });
    // Assess
    expect(resolved).toMatchObject({
      help: false,
      values: {
        groupId: 'workers',
        auditGroupId: 'cdc-cache-audit',
        auditFromBeginning: false,
        auditDelays: [500, 2_000, 60_000],
      },
    });
  });

  it.each([
    ['10s,1s', /auditDelays \(CDC_CACHE_AUDIT_DELAYS\): expected increasing delays/],
    ['1s,soon', /auditDelays \(CDC_CACHE_AUDIT_DELAYS\): "soon" is not a duration/],
  ])('names bad delays %s', (delays, message) => {
    expect(() =>
      resolveConfig(kafkaAuditConfigSchema, { env: { ...base, CDC_CACHE_AUDIT_DELAYS: delays } }),
    ).toThrow(message);
  });

  it("refuses to join the workers' consumer group", async () => {
    const resolved = resolveConfig(kafkaAuditConfigSchema, {
      env: { ...base, CDC_CACHE_KAFKA_GROUP_ID: 'shared', CDC_CACHE_AUDIT_GROUP_ID: 'shared' },
    });
    if (resolved.help) throw new Error('unexpected --help');
    await expect(runKafkaAudit(resolved.values, { logger: quiet })).rejects.toMatchObject({
      code: 'CDC_CONFIG_INVALID',
      message: expect.stringContaining("must not be the workers' group 'shared'"),
    });
  });
});
