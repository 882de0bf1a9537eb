import { watchTopicPattern } from '../../../src/runtimes/kafka-worker/watch-topic-pattern';

describe('watchTopicPattern', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports only topics that match and appeared since the last look, once each', async () => {
    // Prepare
    const topics = ['db.public.users', 'db.transaction', 'other.public.x'];
    const seen: string[][] = [];
    const watch = await watchTopicPattern({
      listTopics: async () => [...topics],
      pattern: /^db\.public\./,
      intervalMs: 1000,
      onNewTopics: async (added) => {
        seen.push([...added]);
      },
    });

    // Act
    await jest.advanceTimersByTimeAsync(1000);
    topics.push('db.public.orders', 'other.public.y');
    await jest.advanceTimersByTimeAsync(1000);
    await jest.advanceTimersByTimeAsync(1000);

    // Assess
    expect(seen).toEqual([['db.public.orders']]);
    await watch.stop();
  });

  it('keeps looking after a failed look and stops cleanly', async () => {
    let calls = 0;
    const warnings: unknown[] = [];
    const watch = await watchTopicPattern({
      listTopics: async () => {
        calls++;
        if (calls === 2) throw new Error('broker down');
        return calls >= 3 ? ['db.public.new'] : [];
      },
      pattern: /^db\./,
      intervalMs: 500,
      onNewTopics: async () => undefined,
      logger: {
        warn: (object: unknown) => warnings.push(object),
        info: () => undefined,
        debug: () => undefined,
        error: () => undefined,
      } as never,
    });

    await jest.advanceTimersByTimeAsync(1500);
    await watch.stop();
    const after = calls;
    await jest.advanceTimersByTimeAsync(5000);

    expect(warnings).toHaveLength(1);
    expect(after).toBe(4);
    expect(calls).toBe(after);
  });
});
