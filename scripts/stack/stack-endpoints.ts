/** Where the services of `npm run stack:up` listen: ports from the STACK_* variables, with their defaults. */
export interface StackEndpoints {
  /** The machine's Redis (standalone). */
  readonly redis: { readonly host: string; readonly port: number; readonly url: string };
  /** The three Redis Cluster masters (seed nodes for `new Redis.Cluster(nodes)`). */
  readonly redisCluster: { readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }> };
  /** PostgreSQL (wal_level=logical), trust auth, the tests' database. */
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
  };
  /**
   * A hot standby of `postgres` (streaming replication, each commit applied a few hundred ms late): a read
   * replica that really lags. Read-only; same user and database.
   */
  readonly postgresStandby: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
  };
  /** MariaDB (row binlog), root without password, the tests' database. */
  readonly mariadb: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly database: string;
  };
  /** The Kafka broker (KRaft, single node); `saslBrokers` is its SASL/SCRAM-SHA-512 listener. */
  readonly kafka: { readonly brokers: readonly string[]; readonly saslBrokers: readonly string[] };
  /** The Kafka Connect REST API, e.g. `http://127.0.0.1:8083`. */
  readonly connect: { readonly url: string };
  /** DynamoDB Local (-sharedDb: any credentials and region see the same tables). */
  readonly dynamodb: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
}

/** The environment variables that move a service off its default port (the same names as test/stack/up.sh). */
export const STACK_PORT_DEFAULTS = {
  STACK_REDIS_PORT: '6379',
  STACK_REDIS_CLUSTER_PORTS: '7001,7002,7003',
  STACK_PG_PORT: '5432',
  STACK_PG_STANDBY_PORT: '5433',
  STACK_MARIADB_PORT: '3306',
  STACK_KAFKA_PORT: '9092',
  STACK_KAFKA_CONTROLLER_PORT: '9093',
  STACK_KAFKA_SASL_PORT: '9094',
  STACK_CONNECT_PORT: '8083',
  STACK_DYNAMODB_PORT: '8000',
} as const;

/** The database that stack:up creates in PostgreSQL and in MariaDB for tests. */
export const TEST_DATABASE = 'cdc_cache_test';

const HOST = '127.0.0.1';

function port(env: NodeJS.ProcessEnv, name: keyof typeof STACK_PORT_DEFAULTS): number {
  const raw = env[name] ?? STACK_PORT_DEFAULTS[name];
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535)
    throw new Error(`${name}=${raw} is not a TCP port`);
  return value;
}

/**
 * The stack's endpoints, read from `env` (default `process.env`).
 *
 * @example
 * const { kafka, connect } = stackEndpoints()
 * const client = new Kafka({ brokers: [...kafka.brokers] })
 */
export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  const clusterPorts = (env.STACK_REDIS_CLUSTER_PORTS ?? STACK_PORT_DEFAULTS.STACK_REDIS_CLUSTER_PORTS)
    .split(',')
    .map((raw) => port({ STACK_REDIS_CLUSTER_PORTS: raw.trim() }, 'STACK_REDIS_CLUSTER_PORTS'));
  const redisPort = port(env, 'STACK_REDIS_PORT');
  return {
    redis: { host: HOST, port: redisPort, url: `redis://${HOST}:${redisPort}` },
    redisCluster: { nodes: clusterPorts.map((p) => ({ host: HOST, port: p })) },
    postgres: { host: HOST, port: port(env, 'STACK_PG_PORT'), user: 'postgres', database: TEST_DATABASE },
    postgresStandby: {
      host: HOST,
      port: port(env, 'STACK_PG_STANDBY_PORT'),
      user: 'postgres',
      database: TEST_DATABASE,
    },
    mariadb: {
      host: HOST,
      port: port(env, 'STACK_MARIADB_PORT'),
      user: 'root',
      password: '',
      database: TEST_DATABASE,
    },
    kafka: {
      brokers: [`${HOST}:${port(env, 'STACK_KAFKA_PORT')}`],
      saslBrokers: [`${HOST}:${port(env, 'STACK_KAFKA_SASL_PORT')}`],
    },
    connect: { url: `http://${HOST}:${port(env, 'STACK_CONNECT_PORT')}` },
    dynamodb: {
      endpoint: `http://${HOST}:${port(env, 'STACK_DYNAMODB_PORT')}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'cdccache', secretAccessKey: 'cdccache' },
    },
  };
}
