import { createPartitionLanes } from '../../../src/sources/kafka/partition-lanes';

/** Lanes whose batches finish only when the test says so. */
function controlledLanes(concurrency: number) {
  const started: { key: string; items: number[]; finish: () => void }[] = [];
  let settled = 0;
  const lanes = createPartitionLanes<number>({
    concurrency,
    run: (key, items) =>
      new Promise<void>((resolve) => {
        started.push({ key, items, finish: resolve });
      }),
    settled: () => {
      settled++;
    },
  });
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { lanes, started, settledCount: () => settled, flush };
}

describe('createPartitionLanes', () => {
  it("starts a lane's next batch when its own batch is done, while another lane's batch still runs", async () => {
    // Prepare
    const { lanes, started, flush } = controlledLanes(4);
    lanes.push('t:0', 1);
    lanes.push('t:1', 2);
    lanes.dispatch();
    lanes.push('t:1', 3);
    lanes.push('t:1', 4);

    // Act: lane 1's first batch finishes; lane 0's is still running
    started[1]!.finish();
    await flush();
    lanes.dispatch();

    // Assess
    expect(started.map(({ key, items }) => [key, items])).toEqual([
      ['t:0', [1]],
      ['t:1', [2]],
      ['t:1', [3, 4]],
    ]);
    expect(lanes.running).toBe(2);
  });

  it('runs one batch per lane at a time, keeping its items in order', async () => {
    // Prepare
    const { lanes, started, flush } = controlledLanes(4);
    lanes.push('t:0', 1);
    lanes.dispatch();
    lanes.push('t:0', 2);

    // Act
    lanes.dispatch();
    const whileRunning = started.length;
    started[0]!.finish();
    await flush();
    lanes.dispatch();

    // Assess
    expect(whileRunning).toBe(1);
    expect(started.map(({ items }) => items)).toEqual([[1], [2]]);
  });

  it('runs at most `concurrency` batches, the waiting lanes in the order they filled', async () => {
    // Prepare
    const { lanes, started, flush } = controlledLanes(2);
    for (const key of ['t:0', 't:1', 't:2', 't:3']) lanes.push(key, 0);

    // Act
    lanes.dispatch();
    const first = started.map(({ key }) => key);
    started[0]!.finish();
    await flush();
    lanes.dispatch();

    // Assess
    expect(first).toEqual(['t:0', 't:1']);
    expect(started.map(({ key }) => key)).toEqual(['t:0', 't:1', 't:2']);
  });

  it('counts the queued items, drops them on clear, and drains once no batch runs', async () => {
    // Prepare
    const { lanes, started, settledCount } = controlledLanes(1);
    lanes.push('t:0', 1);
    lanes.dispatch();
    lanes.push('t:0', 2);
    lanes.push('t:1', 3);
    const buffered = lanes.buffered;

    // Act
    lanes.clear();
    let drained = false;
    const draining = lanes.drain().then(() => {
      drained = true;
    });
    await Promise.resolve();
    const drainedEarly = drained;
    started[0]!.finish();
    await draining;
    lanes.dispatch();

    // Assess
    expect(buffered).toBe(2);
    expect(lanes.buffered).toBe(0);
    expect(drainedEarly).toBe(false);
    expect(settledCount()).toBe(1);
    expect(started).toHaveLength(1);
  });

  it('settles a batch whose run rejected', async () => {
    // Prepare
    let settled = 0;
    const lanes = createPartitionLanes<number>({
      concurrency: 1,
      run: async () => {
        throw new Error('boom');
      },
      settled: () => {
        settled++;
      },
    });
    lanes.push('t:0', 1);

    // Act
    lanes.dispatch();
    await lanes.drain();

    // Assess
    expect(settled).toBe(1);
    expect(lanes.running).toBe(0);
  });
});
