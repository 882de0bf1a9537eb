import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import { CdcCacheError } from '../../errors';

/** The SASL mechanisms the worker supports. */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws-msk-iam'] as const;

/** A supported SASL mechanism. */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How to reach and authenticate to the Kafka cluster. */
export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS to the brokers (implied by `aws-msk-iam`). */
  readonly ssl?: boolean;
  /** PEM file of the CA that signed the brokers' certificates (default: the system's CAs). */
  readonly sslCaFile?: string;
  readonly saslMechanism?: SaslMechanism;
  readonly saslUsername?: string;
  readonly saslPassword?: string;
  /** AWS region of the MSK cluster, for `aws-msk-iam` (default `AWS_REGION`). */
  readonly awsRegion?: string;
}

/** The connection options every `@platformatic/kafka` client (consumer, producer, admin) is built from. */
export type KafkaClientOptions = Pick<
  BaseOptions,
  'clientId' | 'bootstrapBrokers' | 'tls' | 'sasl' | 'connectTimeout' | 'requestTimeout' | 'retries'
>;

const SASL_NAMES = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

/**
 * Build the Kafka client options: brokers, TLS, SASL PLAIN/SCRAM, or MSK IAM through the AWS-maintained
 * `aws-msk-iam-sasl-signer-js` (an OAUTHBEARER token signed with the default AWS credential chain, asked for
 * again at each (re)authentication).
 *
 * @example
 * new Consumer({ ...kafkaClientConfig({ brokers: ['b-1.msk:9098'], clientId: 'cdc-cache', saslMechanism: 'aws-msk-iam', awsRegion: 'eu-west-1' }), groupId: 'cdc-cache' })
 */
export function kafkaClientConfig(options: KafkaConnectionOptions): KafkaClientOptions {
  if (options.brokers.length === 0) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'brokers: at least one broker is required');
  }
  let tls: TlsOptions | undefined;
  if (options.ssl || options.sslCaFile || options.saslMechanism === 'aws-msk-iam') {
    tls = options.sslCaFile ? { ca: [readCa(options.sslCaFile)] } : {};
  }
  return {
    bootstrapBrokers: [...options.brokers],
    clientId: options.clientId,
    ...(tls ? { tls } : {}),
    ...(options.saslMechanism ? { sasl: saslOptions(options) } : {}),
  };
}

function saslOptions(options: KafkaConnectionOptions): SASLOptions {
  const mechanism = options.saslMechanism!;
  if (mechanism === 'aws-msk-iam') {
    const region = options.awsRegion ?? process.env['AWS_REGION'];
    if (!region) {
      throw new CdcCacheError('CDC_INVALID_OPTION', 'aws-msk-iam: set AWS_REGION to the MSK cluster region');
    }
    return {
      mechanism: 'OAUTHBEARER',
      token: async () => {
        // Loaded only for MSK IAM: it pulls in the AWS credential chain.
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        return (await generateAuthToken({ region })).token;
      },
    };
  }
  if (!options.saslUsername || !options.saslPassword) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `SASL ${mechanism}: both a username and a password are required`,
    );
  }
  return { mechanism: SASL_NAMES[mechanism], username: options.saslUsername, password: options.saslPassword };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `sslCaFile: cannot read ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
