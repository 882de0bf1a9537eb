import { CdcCacheError } from '../../../src/errors';
import { defineKeyspace } from '../../../src/keyspace';
import { createEmfMetrics, createStreamHandler } from '../../../src/lambda';
import { dynamodbRecordFactory } from '../dynamodb/dynamodb-record-factory';
import { fakeEngine, memoryLogger } from './fake-engine';

const keyspace = defineKeyspace({
  product: {
    key: 'product:{sku}',
    ttl: '5m',
    mode: 'refresh',
    sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }],
  },
});

function setup(decide?: Parameters<typeof fakeEngine>[0]) {
  const { engine, calls } = fakeEngine(decide);
  const { logger, lines } = memoryLogger();
  const emf: string[] = [];
  const metrics = createEmfMetrics({
    dimensions: { runtime: 'dynamodb-lambda' },
    write: (line) => emf.push(line),
  });
  const handler = createStreamHandler({ dependencies: { engine, keyspace }, logger, metrics });
  return { handler, calls, lines, emf };
}

describe('createStreamHandler', () => {
  it('applies a whole batch in one engine call and reports no failure', async () => {
    // Prepare
    const { handler, calls, emf } = setup();
    const records = [1, 2, 3].map((n) => dynamodbRecordFactory({ keys: { pk: `A${n}` } }));

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((event) => event.key)).toEqual([{ pk: 'A1' }, { pk: 'A2' }, { pk: 'A3' }]);
    const [counts, rest] = emf.map((line) => JSON.parse(line));
    expect(counts).toMatchObject({
      runtime: 'dynamodb-lambda',
      result: 'applied',
      cdc_cache_records_total: 3,
    });
    expect(counts._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'cdc-cache',
      Dimensions: [['runtime', 'result']],
      Metrics: [{ Name: 'cdc_cache_records_total', Unit: 'Count' }],
    });
    expect(rest).toMatchObject({ runtime: 'dynamodb-lambda', cdc_cache_engine_actions_total: 3 });
    expect(emf).toHaveLength(2);
  });

  it('reports the first undecodable record as the item failure, logged with its context', async () => {
    // Prepare
    const { handler, calls, lines } = setup();
    const records = [1, 2, 3, 4].map((n) => dynamodbRecordFactory({ keys: { pk: `A${n}` } }));
    (records[1] as { eventName?: string }).eventName = 'BOGUS';
    (records[3] as { eventName?: string }).eventName = 'BOGUS';

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }]);
    expect(calls[0]!.map((event) => event.position)).toEqual(
      [records[0], records[2]].map((r) => r!.dynamodb!.SequenceNumber),
    );
    const poison = lines.filter((line) => line.level === 'error');
    expect(poison.map((line) => line.context['sequenceNumber'])).toEqual(
      [1, 3].map((i) => records[i]!.dynamodb!.SequenceNumber),
    );
    expect(poison[0]!.context).toMatchObject({ code: 'CDC_DECODE_FAILED', eventName: 'BOGUS' });
    // Row data (keys, images) stays out of the logs.
    expect(JSON.stringify(poison)).not.toContain('A2');
  });

  it('reports the earliest failure when a plan failure comes before a decode failure', async () => {
    // Prepare
    const records = [1, 2, 3].map((n) => dynamodbRecordFactory({ keys: { pk: `A${n}` } }));
    (records[2] as { eventName?: string }).eventName = 'BOGUS';
    const { handler } = setup((event) =>
      (event.key as { pk: string }).pk === 'A2'
        ? { status: 'failed', error: new CdcCacheError('CDC_PLAN_FAILED', 'cannot serialize') }
        : { status: 'applied', actions: 1 },
    );

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }]);
  });

  it('fails the whole invocation when Redis is unavailable, so Lambda retries the batch', async () => {
    // Prepare
    const outage = new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'Redis down', { retriable: true });
    const { handler, emf } = setup(() => outage);

    // Act
    const invocation = handler({ Records: [dynamodbRecordFactory()] });

    // Assess
    await expect(invocation).rejects.toBe(outage);
    expect(JSON.parse(emf[0]!)).toMatchObject({ reason: 'redis', cdc_cache_retries_total: 1 });
  });

  it('fails loudly, once logged, when the stream view type cannot serve a refresh-mode entity', async () => {
    // Prepare
    const { handler, calls, lines } = setup();
    const event = { Records: [dynamodbRecordFactory({ viewType: 'KEYS_ONLY' })] };

    // Act
    const first = handler(event);
    await expect(first).rejects.toThrow(/refresh mode.*NEW_AND_OLD_IMAGES/);
    await expect(handler(event)).rejects.toThrow(/refresh mode/);

    // Assess
    expect(calls).toHaveLength(0);
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(lines[0]!.message).toMatch(/stream view type/);
  });

  it('counts TTL deletions apart', async () => {
    // Prepare
    const { handler, emf } = setup();

    // Act
    await handler({
      Records: [dynamodbRecordFactory({ eventName: 'REMOVE', ttl: true }), dynamodbRecordFactory()],
    });

    // Assess
    const lines = emf.map((line) => JSON.parse(line));
    expect(lines).toContainEqual(expect.objectContaining({ cdc_cache_records_total: 2, result: 'applied' }));
    expect(lines).toContainEqual(expect.objectContaining({ cdc_cache_dynamodb_ttl_deletes_total: 1 }));
  });

  it('resolves lazy dependencies once, and again after a failed resolution', async () => {
    // Prepare
    const { engine } = fakeEngine();
    let attempts = 0;
    const handler = createStreamHandler({
      dependencies: async () => {
        attempts++;
        if (attempts === 1) throw new Error('secret not readable yet');
        return { engine, keyspace };
      },
      metrics: createEmfMetrics({ write: () => undefined }),
    });
    const event = { Records: [dynamodbRecordFactory()] };

    // Act
    await expect(handler(event)).rejects.toThrow('secret not readable yet');
    await handler(event);
    await handler(event);

    // Assess
    expect(attempts).toBe(2);
  });

  it('names a bad option', () => {
    expect(() => createStreamHandler({} as never)).toThrow(/dependencies/);
  });
});
