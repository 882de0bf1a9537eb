/** A partition's offset to commit: the offset after its last resolved message. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
}

/** Options of {@link createOffsetCommitter}. */
export interface OffsetCommitterOptions {
  /** Sends one commit request. */
  readonly commit: (offsets: OffsetToCommit[]) => Promise<void>;
  /** Whether the member still owns a partition: offsets of a lost partition are never committed. */
  readonly owns: (topic: string, partition: number) => boolean;
  /** How long resolved offsets wait for a commit at most (unless flushed sooner). */
  readonly intervalMs: number;
  /** Told when a commit failed (its offsets are kept and sent with the next). */
  readonly failed: (error: unknown) => void;
}

/** Collects resolved offsets and commits them together. */
export interface OffsetCommitter {
  /** Record that every message of the partition before `offset` is resolved; a commit follows within the interval. */
  resolved(topic: string, partition: number, offset: bigint): void;
  /** Commit what is resolved now (after the commit in flight, if any); resolves once sent. */
  flush(): Promise<void>;
  /** Forget the resolved offsets of partitions the member no longer owns. */
  forgetUnowned(): void;
}

/**
 * Coalesced offset commits: the newest resolved offset of every partition goes out in one request at most
 * `intervalMs` after it was resolved, one request at a time, so a busy member sends a few commits a second
 * rather than one per batch. Only resolved offsets are ever sent, and only for owned partitions; `flush` (on
 * stop and before a new stream) sends at once; a failed commit is tried again an interval later. A crash loses
 * at most an interval of commits: those messages are applied again (idempotent).
 *
 * @example
 * const committer = createOffsetCommitter({ commit: (offsets) => consumer.commit({ offsets }), owns, intervalMs: 200, failed: warn })
 * committer.resolved('orders', 0, 42n)
 */
export function createOffsetCommitter(options: OffsetCommitterOptions): OffsetCommitter {
  const pending = new Map<string, OffsetToCommit>();
  let timer: NodeJS.Timeout | null = null;
  /** The commit being sent; and the one queued behind it, which takes the offsets resolved until it starts. */
  let sending: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  /** A commit within the interval, unless one is due already. */
  const schedule = () => {
    if (timer !== null || queued !== null) return;
    timer = setTimeout(() => void send(), options.intervalMs);
    timer.unref();
  };

  const commitPending = async () => {
    const offsets = [...pending.values()].filter((entry) => options.owns(entry.topic, entry.partition));
    pending.clear();
    if (offsets.length === 0) return;
    try {
      await options.commit(offsets);
    } catch (error) {
      for (const entry of offsets) {
        const key = `${entry.topic}:${entry.partition}`;
        // A newer offset resolved meanwhile supersedes the one that failed.
        if (!pending.has(key)) pending.set(key, entry);
      }
      options.failed(error);
      // Tried again within the interval even if nothing more is resolved (an idle partition).
      schedule();
    }
  };

  const send = (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (queued) return queued;
    if (sending) {
      queued = sending.then(() => {
        queued = null;
        return send();
      });
      return queued;
    }
    sending = commitPending().finally(() => {
      sending = null;
    });
    return sending;
  };

  return {
    resolved(topic, partition, offset) {
      const key = `${topic}:${partition}`;
      const current = pending.get(key);
      if (!current || current.offset < offset) {
        pending.set(key, { topic, partition, offset, leaderEpoch: -1 });
      }
      schedule();
    },
    flush: send,
    forgetUnowned() {
      for (const [key, entry] of pending) {
        if (!options.owns(entry.topic, entry.partition)) pending.delete(key);
      }
    },
  };
}
