/** Options of {@link createPartitionLanes}. */
export interface PartitionLanesOptions<T> {
  /** Most lanes running a batch at once. */
  readonly concurrency: number;
  /** Runs one batch: the items queued on lane `key` since its previous batch was taken. */
  readonly run: (key: string, items: T[]) => Promise<void>;
  /** Called once a batch has finished (its promise settled either way). */
  readonly settled: () => void;
}

/** Per-partition queues, each running one batch at a time. */
export interface PartitionLanes<T> {
  /** Queue an item on lane `key` (it runs on a later {@link dispatch}). */
  push(key: string, item: T): void;
  /** Start the waiting lanes, oldest first, while fewer than `concurrency` run. */
  dispatch(): void;
  /** Wait until no batch runs (nothing new starts unless {@link dispatch} is called). */
  drain(): Promise<void>;
  /** Drop every queued item (the running batches go on). */
  clear(): void;
  /** Items queued and not yet handed to a batch. */
  readonly buffered: number;
  /** Batches running. */
  readonly running: number;
}

interface Lane<T> {
  queue: T[];
  busy: boolean;
  waiting: boolean;
}

/**
 * Per-partition lanes: a lane's next batch (everything queued on it meanwhile) starts as soon as its own
 * previous batch is done, not when every other lane's is. One batch per lane at a time keeps each partition in
 * order; `concurrency` bounds the batches running at once, and lanes waiting for a turn get it in order.
 *
 * @example
 * const lanes = createPartitionLanes({ concurrency: 4, run: (key, messages) => handle(key, messages), settled: wakeReader })
 * lanes.push('orders:0', message)
 * lanes.dispatch()
 */
export function createPartitionLanes<T>(options: PartitionLanesOptions<T>): PartitionLanes<T> {
  const lanes = new Map<string, Lane<T>>();
  /** Lanes with items queued and no batch running, in the order they became so. */
  const waiting: string[] = [];
  let buffered = 0;
  let running = 0;
  let drained: (() => void)[] = [];

  const wait = (key: string, lane: Lane<T>) => {
    if (lane.waiting || lane.busy || lane.queue.length === 0) return;
    lane.waiting = true;
    waiting.push(key);
  };

  const start = (key: string, lane: Lane<T>) => {
    const items = lane.queue;
    lane.queue = [];
    buffered -= items.length;
    lane.busy = true;
    running++;
    const done = () => {
      lane.busy = false;
      running--;
      wait(key, lane);
      if (running === 0) {
        const resolvers = drained;
        drained = [];
        for (const resolve of resolvers) resolve();
      }
      options.settled();
    };
    options.run(key, items).then(done, done);
  };

  return {
    push(key, item) {
      let lane = lanes.get(key);
      if (!lane) {
        lane = { queue: [], busy: false, waiting: false };
        lanes.set(key, lane);
      }
      lane.queue.push(item);
      buffered++;
      wait(key, lane);
    },
    dispatch() {
      while (running < options.concurrency && waiting.length > 0) {
        const key = waiting.shift()!;
        const lane = lanes.get(key)!;
        lane.waiting = false;
        if (lane.queue.length > 0) start(key, lane);
      }
    },
    drain() {
      if (running === 0) return Promise.resolve();
      return new Promise((resolve) => drained.push(resolve));
    },
    clear() {
      for (const lane of lanes.values()) {
        lane.queue = [];
        lane.waiting = false;
      }
      waiting.length = 0;
      buffered = 0;
    },
    get buffered() {
      return buffered;
    },
    get running() {
      return running;
    },
  };
}
