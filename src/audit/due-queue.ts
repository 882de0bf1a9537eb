/** An item with the time it is due, ms since the epoch. */
export interface Due {
  dueMs: number;
}

/** A bounded queue of items by due time. */
export interface DueQueue<T extends Due> {
  /** Add an item; false (and nothing added) when the queue is full. */
  push(item: T): boolean;
  /** Remove and return up to `limit` items due at `nowMs`, earliest first. */
  popDue(nowMs: number, limit: number): T[];
  /** The earliest due time, or undefined when empty. */
  nextDueMs(): number | undefined;
  readonly size: number;
}

/**
 * A binary min-heap by `dueMs`, holding at most `capacity` items, so an auditor that falls behind drops
 * (and counts) checks instead of growing without bound.
 *
 * @example
 * const queue = createDueQueue<{ dueMs: number }>(1000)
 * queue.push({ dueMs: Date.now() + 1000 })
 * queue.popDue(Date.now(), 100) // []
 */
export function createDueQueue<T extends Due>(capacity: number): DueQueue<T> {
  const heap: T[] = [];
  const swap = (a: number, b: number) => {
    const item = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = item;
  };
  const up = (at: number) => {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.dueMs <= heap[at]!.dueMs) return;
      swap(at, parent);
      at = parent;
    }
  };
  const down = (at: number) => {
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < heap.length && heap[left]!.dueMs < heap[least]!.dueMs) least = left;
      if (right < heap.length && heap[right]!.dueMs < heap[least]!.dueMs) least = right;
      if (least === at) return;
      swap(at, least);
      at = least;
    }
  };
  return {
    push(item) {
      if (heap.length >= capacity) return false;
      heap.push(item);
      up(heap.length - 1);
      return true;
    },
    popDue(nowMs, limit) {
      const out: T[] = [];
      while (out.length < limit && heap.length > 0 && heap[0]!.dueMs <= nowMs) {
        out.push(heap[0]!);
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          down(0);
        }
      }
      return out;
    },
    nextDueMs: () => heap[0]?.dueMs,
    get size() {
      return heap.length;
    },
  };
}
