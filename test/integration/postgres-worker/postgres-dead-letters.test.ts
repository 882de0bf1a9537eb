import { Redis } from 'ioredis';
import { DEAD_LETTER_FIELDS } from '../../../src/core/dead-letter';
import { CdcCacheError } from '../../../src/errors';
import { internalKey } from '../../../src/keyspace';
import { createPostgresDeadLetters } from '../../../src/runtimes/postgres-worker/postgres-dead-letters';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

const redis = new Redis(stackEndpoints().redis.url);
afterAll(() => redis.disconnect());

describe('createPostgresDeadLetters', () => {
  it('writes the one dead-letter shape, then the event, to its Redis stream', async () => {
    // Prepare
    const prefix = `${uniqueName('pgdlq')}:`;
    const deadLetters = createPostgresDeadLetters({ redis, prefix, slot: 'cdc_slot' });
    const event = { table: 'public.users', op: 'update' };
    // Act
    await deadLetters([
      {
        lsn: '0/16B3748',
        table: 'public.users',
        event: event as never,
        error: new CdcCacheError('CDC_PLAN_FAILED', 'no key values'),
      },
    ]);
    // Assess
    const key = internalKey(prefix, 'dlq', 'postgres', 'cdc_slot');
    const [[, fields]] = (await redis.xrange(key, '-', '+')) as [[string, string[]]];
    const names = fields.filter((_, index) => index % 2 === 0);
    expect(names).toEqual(['slot', 'lsn', 'table', ...Object.values(DEAD_LETTER_FIELDS), 'event']);
    expect(fields).toEqual(
      expect.arrayContaining(['CDC_PLAN_FAILED', 'no key values', 'postgres-worker', JSON.stringify(event)]),
    );
    await redis.del(key);
  });
});
