import { readFileSync } from 'node:fs';
import type { KafkaConfig, logCreator, SASLOptions } from 'kafkajs';
import { logLevel as KafkaLogLevel } from 'kafkajs';
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
  /** Where kafkajs logs go (default: nowhere). */
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: object) => void;
}

/**
 * Build the kafkajs client configuration: brokers, TLS, SASL PLAIN/SCRAM, or MSK IAM through the AWS-maintained
 * `aws-msk-iam-sasl-signer-js` (an OAUTHBEARER token signed with the default AWS credential chain).
 *
 * @example
 * new Kafka(kafkaClientConfig({ brokers: ['b-1.msk:9098'], clientId: 'cdc-cache', saslMechanism: 'aws-msk-iam', awsRegion: 'eu-west-1' }))
 */
export function kafkaClientConfig(options: KafkaConnectionOptions): KafkaConfig {
  if (options.brokers.length === 0) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'brokers: at least one broker is required');
  }
  const config: {
    -readonly [K in keyof KafkaConfig]: KafkaConfig[K];
  } = {
    brokers: [...options.brokers],
    clientId: options.clientId,
    logCreator: logCreatorFor(options.log),
    logLevel: KafkaLogLevel.INFO,
  };
  if (options.ssl || options.sslCaFile || options.saslMechanism === 'aws-msk-iam') {
    config.ssl = options.sslCaFile ? { ca: [readCa(options.sslCaFile)] } : true;
  }
  if (options.saslMechanism) config.sasl = saslOptions(options);
  return config;
}

function saslOptions(options: KafkaConnectionOptions): SASLOptions {
  const mechanism = options.saslMechanism!;
  if (mechanism === 'aws-msk-iam') {
    const region = options.awsRegion ?? process.env['AWS_REGION'];
    if (!region) {
      throw new CdcCacheError('CDC_INVALID_OPTION', 'aws-msk-iam: set AWS_REGION to the MSK cluster region');
    }
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        // Loaded only for MSK IAM: it pulls in the AWS credential chain.
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    };
  }
  if (!options.saslUsername || !options.saslPassword) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `SASL ${mechanism}: both a username and a password are required`,
    );
  }
  return { mechanism, username: options.saslUsername, password: options.saslPassword };
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

const LEVELS = {
  [KafkaLogLevel.NOTHING]: null,
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
} as const;

function logCreatorFor(log: KafkaConnectionOptions['log']): logCreator {
  return () =>
    ({ level, label, log: entry }) => {
      const mapped = LEVELS[level];
      if (!log || mapped === null || mapped === undefined) return;
      const { message, ...extra } = entry;
      log(mapped, `kafkajs ${label.toLowerCase()}: ${message}`, extra);
    };
}
