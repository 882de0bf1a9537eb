import { createLruStore } from '../../../../src/sdk/near-cache/lru-store';

// One value larger than maxBytes used to be stored and evicted only after it pushed every other entry out:
// a single big read emptied the whole near cache (every reader then went back to Redis at once).
describe('createLruStore with an entry larger than maxBytes', () => {
  it('drops only the oversized entry, keeping what fits', () => {
    // Prepare
    const evicted: string[] = [];
    const lru = createLruStore<string>({
      maxEntries: 100,
      maxBytes: 100,
      onEvict: (key, reason) => evicted.push(`${key}:${reason}`),
    });
    lru.set('a', 'A', 30);
    lru.set('b', 'B', 30);
    // Act
    lru.set('huge', 'H', 1_000);
    // Assess
    expect([lru.get('a'), lru.get('b'), lru.get('huge')]).toEqual(['A', 'B', undefined]);
    expect(lru.bytes).toBe(60);
    expect(evicted).toEqual(['huge:capacity']);
  });

  it('drops the previous value of a key replaced by an oversized one', () => {
    // Prepare
    const lru = createLruStore<string>({ maxEntries: 100, maxBytes: 100, onEvict: () => {} });
    lru.set('a', 'A', 30);
    lru.set('b', 'B', 30);
    // Act
    lru.set('a', 'A2', 1_000);
    // Assess
    expect([lru.get('a'), lru.get('b')]).toEqual([undefined, 'B']);
    expect(lru.bytes).toBe(30);
  });
});
