import { createOffsetCommitter, type OffsetToCommit } from '../../../src/sources/kafka/offset-committer';

/** A committer whose commits wait for the test; `owned` partitions as `topic:partition`. */
function controlledCommitter(owned = new Set(['t:0', 't:1'])) {
  const commits: { offsets: [string, bigint][]; finish: (error?: Error) => void }[] = [];
  const failures: unknown[] = [];
  const committer = createOffsetCommitter({
    commit: (offsets: OffsetToCommit[]) =>
      new Promise<void>((resolve, reject) => {
        commits.push({
          offsets: offsets.map((entry) => [`${entry.topic}:${entry.partition}`, entry.offset]),
          finish: (error) => (error ? reject(error) : resolve()),
        });
      }),
    owns: (topic, partition) => owned.has(`${topic}:${partition}`),
    intervalMs: 200,
    failed: (error) => failures.push(error),
  });
  return { committer, commits, failures, owned };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createOffsetCommitter', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends the newest resolved offset of every partition in one commit after the interval', async () => {
    // Prepare
    const { committer, commits } = controlledCommitter();
    committer.resolved('t', 0, 5n);
    committer.resolved('t', 1, 3n);
    committer.resolved('t', 0, 9n);
    committer.resolved('t', 0, 7n);

    // Act
    jest.advanceTimersByTime(199);
    const early = commits.length;
    jest.advanceTimersByTime(1);

    // Assess
    expect(early).toBe(0);
    expect(commits.map(({ offsets }) => offsets)).toEqual([
      [
        ['t:0', 9n],
        ['t:1', 3n],
      ],
    ]);
  });

  it('keeps one commit in flight: what is resolved meanwhile goes in the next, once it returns', async () => {
    // Prepare
    const { committer, commits } = controlledCommitter();
    committer.resolved('t', 0, 1n);
    void committer.flush();
    committer.resolved('t', 0, 2n);
    const flushed = committer.flush();
    committer.resolved('t', 0, 3n);
    jest.advanceTimersByTime(1_000);
    const inFlight = commits.length;

    // Act
    commits[0]!.finish();
    await tick();
    commits[1]!.finish();
    await flushed;

    // Assess
    expect(inFlight).toBe(1);
    expect(commits.map(({ offsets }) => offsets)).toEqual([[['t:0', 1n]], [['t:0', 3n]]]);
  });

  it('commits nothing for a partition it no longer owns, even once owned again', async () => {
    // Prepare
    const { committer, commits, owned } = controlledCommitter();
    committer.resolved('t', 0, 4n);
    committer.resolved('t', 1, 4n);
    owned.delete('t:1');
    committer.forgetUnowned();
    owned.add('t:1');

    // Act
    void committer.flush();

    // Assess
    expect(commits.map(({ offsets }) => offsets)).toEqual([[['t:0', 4n]]]);
  });

  it('keeps the offsets of a failed commit for the next one, unless a newer one was resolved', async () => {
    // Prepare
    const { committer, commits, failures } = controlledCommitter();
    committer.resolved('t', 0, 4n);
    committer.resolved('t', 1, 4n);
    const first = committer.flush();
    committer.resolved('t', 1, 6n);

    // Act
    commits[0]!.finish(new Error('coordinator moved'));
    await first;
    const second = committer.flush();
    commits[1]!.finish();
    await second;

    // Assess
    expect(failures).toHaveLength(1);
    expect(commits[1]!.offsets).toEqual(
      expect.arrayContaining([
        ['t:0', 4n],
        ['t:1', 6n],
      ]),
    );
    expect(commits[1]!.offsets).toHaveLength(2);
  });

  it('tries a failed commit again an interval later, even when nothing more is resolved', async () => {
    // Prepare
    const { committer, commits } = controlledCommitter();
    committer.resolved('t', 0, 4n);
    const first = committer.flush();

    // Act
    commits[0]!.finish(new Error('coordinator moved'));
    await first;
    jest.advanceTimersByTime(200);

    // Assess
    expect(commits.map(({ offsets }) => offsets)).toEqual([[['t:0', 4n]], [['t:0', 4n]]]);
  });

  it('sends nothing when nothing was resolved', async () => {
    // Prepare
    const { committer, commits } = controlledCommitter();

    // Act
    await committer.flush();
    jest.advanceTimersByTime(1_000);

    // Assess
    expect(commits).toHaveLength(0);
  });
});
