import fc from 'fast-check';
import { createDueQueue } from '../../../src/audit/due-queue';

describe('createDueQueue', () => {
  it('pops only what is due, earliest first, up to the limit', () => {
    // Prepare
    const queue = createDueQueue<{ dueMs: number; name: string }>(10);
    for (const [dueMs, name] of [
      [30, 'c'],
      [10, 'a'],
      [50, 'e'],
      [20, 'b'],
    ] as const)
      queue.push({ dueMs, name });
    // Act
    const first = queue.popDue(25, 10).map((item) => item.name);
    const second = queue.popDue(100, 1).map((item) => item.name);
    // Assess
    expect(first).toEqual(['a', 'b']);
    expect(second).toEqual(['c']);
    expect(queue.size).toBe(1);
    expect(queue.nextDueMs()).toBe(50);
  });

  it('refuses items beyond its capacity', () => {
    const queue = createDueQueue<{ dueMs: number }>(2);
    expect([queue.push({ dueMs: 1 }), queue.push({ dueMs: 2 }), queue.push({ dueMs: 0 })]).toEqual([
      true,
      true,
      false,
    ]);
    expect(queue.size).toBe(2);
  });

  it('returns any set of times in order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 })), (times) => {
        const queue = createDueQueue<{ dueMs: number }>(times.length + 1);
        for (const dueMs of times) queue.push({ dueMs });
        expect(queue.popDue(1000, times.length).map((item) => item.dueMs)).toEqual(
          [...times].sort((a, b) => a - b),
        );
      }),
    );
  });
});
