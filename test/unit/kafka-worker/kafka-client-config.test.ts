import { kafkaClientConfig } from '../../../src/sources/kafka';

describe('kafkaClientConfig', () => {
  it('builds a plain client by default', () => {
    const config = kafkaClientConfig({ brokers: ['a:9092'], clientId: 'x' });
    expect(config).toMatchObject({ bootstrapBrokers: ['a:9092'], clientId: 'x' });
    expect(config.tls).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });

  it('configures TLS and SCRAM', () => {
    const config = kafkaClientConfig({
      brokers: ['a:9096'],
      clientId: 'x',
      ssl: true,
      saslMechanism: 'scram-sha-512',
      saslUsername: 'u',
      saslPassword: 'p',
    });
    expect(config.tls).toEqual({});
    expect(config.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' });
  });

  it('requires a username and password for PLAIN and SCRAM', () => {
    expect(() => kafkaClientConfig({ brokers: ['a:9092'], clientId: 'x', saslMechanism: 'plain' })).toThrow(
      /SASL plain: both a username and a password/,
    );
  });

  it('signs an MSK IAM OAUTHBEARER token with the AWS credential chain, over TLS', async () => {
    // Prepare: static credentials in the environment; signing is local, no network
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: '',
    });
    try {
      // Act
      const config = kafkaClientConfig({
        brokers: ['b-1.msk:9098'],
        clientId: 'x',
        saslMechanism: 'aws-msk-iam',
        awsRegion: 'eu-west-1',
      });
      const sasl = config.sasl!;
      const token = typeof sasl.token === 'function' ? await sasl.token() : sasl.token;

      // Assess
      expect(config.tls).toEqual({});
      expect(sasl.mechanism).toBe('OAUTHBEARER');
      const url = Buffer.from(token!, 'base64url').toString();
      expect(url).toContain('kafka.eu-west-1.amazonaws.com');
      expect(url).toContain('Action=kafka-cluster%3AConnect');
    } finally {
      process.env = saved;
    }
  });

  it('needs a region for MSK IAM', () => {
    const saved = process.env['AWS_REGION'];
    delete process.env['AWS_REGION'];
    try {
      expect(() =>
        kafkaClientConfig({ brokers: ['b:9098'], clientId: 'x', saslMechanism: 'aws-msk-iam' }),
      ).toThrow(/AWS_REGION/);
    } finally {
      if (saved !== undefined) process.env['AWS_REGION'] = saved;
    }
  });
});
