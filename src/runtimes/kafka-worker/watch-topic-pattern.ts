import type { WorkerLogger } from './worker-logger';

/** Options of {@link watchTopicPattern}. */
export interface TopicPatternWatchOptions {
  /** Every topic of the cluster (e.g. the Kafka admin client's `listTopics`). */
  readonly listTopics: () => Promise<string[]>;
  readonly pattern: RegExp;
  /** How often to look (ms). */
  readonly intervalMs: number;
  /** Called, one call at a time, when topics matching the pattern appeared since the last look. */
  readonly onNewTopics: (added: readonly string[]) => Promise<void>;
  readonly logger?: WorkerLogger;
}

/** A running watch. */
export interface TopicPatternWatch {
  /** Stop looking; resolves once a call of `onNewTopics` in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Watch the cluster for new topics matching a pattern. the consumer matches the pattern once, when it
 * starts; with this, a table added to a Debezium connector is picked up without a restart.
 *
 * @example
 * const watch = await watchTopicPattern({ listTopics: () => admin.listTopics(), pattern: /^dbserver1\.public\./, intervalMs: 60_000, onNewTopics: resubscribe })
 * await watch.stop()
 */
export async function watchTopicPattern(options: TopicPatternWatchOptions): Promise<TopicPatternWatch> {
  const matching = async () => (await options.listTopics()).filter((topic) => options.pattern.test(topic));
  let known = new Set(await matching());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const look = async (): Promise<void> => {
    try {
      const now = await matching();
      const added = now.filter((topic) => !known.has(topic));
      if (added.length > 0 && !stopped) {
        await options.onNewTopics(added);
        known = new Set(now);
      }
    } catch (error) {
      options.logger?.warn({ err: error }, 'cannot look for new topics matching the pattern; will retry');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = look().finally(schedule);
    }, options.intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
