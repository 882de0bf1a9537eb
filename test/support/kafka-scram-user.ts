import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { alterUserScramCredentialsV0, Connection } from '@platformatic/kafka';

// SCRAM-SHA-512 in the AlterUserScramCredentials API (1 is SCRAM-SHA-256).
const SCRAM_SHA_512 = 2;
const ITERATIONS = 4096;

/**
 * Create (or replace) a SCRAM-SHA-512 user in the cluster metadata through the admin API
 * (AlterUserScramCredentials, what `kafka-configs --alter --entity-type users` sends), over `broker`.
 *
 * @example
 * await createScramUser(stackEndpoints().kafka.brokers[0]!, 'worker', 's3cret')
 */
export async function createScramUser(broker: string, name: string, password: string): Promise<void> {
  const [host, port] = broker.split(':') as [string, string];
  const connection = new Connection('cdc-cache-tests');
  await connection.connect(host, Number(port));
  try {
    const salt = randomBytes(32);
    // SCRAM's SaltedPassword is PBKDF2 with the mechanism's HMAC (RFC 5802, Hi()).
    const saltedPassword = pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512');
    const response = await alterUserScramCredentialsV0.api.async(
      connection,
      [],
      [{ name, mechanism: SCRAM_SHA_512, iterations: ITERATIONS, salt, saltedPassword }],
    );
    const failed = response.results.find((result) => result.errorCode !== 0);
    if (failed)
      throw new Error(`cannot create SCRAM user ${name}: ${failed.errorMessage ?? failed.errorCode}`);
  } finally {
    await connection.close();
  }
}
