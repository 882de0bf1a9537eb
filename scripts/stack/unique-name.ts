import { randomBytes } from 'node:crypto';

/**
 * A name no other test run uses, safe everywhere the stack needs one: lower-case letters, digits and `_`,
 * starting with a letter, at most 40 characters (fits a Postgres slot, a Kafka topic or group, a MariaDB or
 * DynamoDB table, a Redis key prefix).
 *
 * @example
 * const table = uniqueName('users') // 'users_m3x9k2_4f1a9c'
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^[^a-z]+/, '');
  const stem = (clean || 't').slice(0, 24);
  return `${stem}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}
