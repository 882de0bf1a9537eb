import { createLruStore } from '../../../../src/sdk/near-cache/lru-store';

function store(maxEntries: number, maxBytes = Number.POSITIVE_INFINITY) {
  const evicted: string[] = [];
  const lru = createLruStore<string>({
    maxEntries,
    maxBytes,
    onEvict: (key, reason) => evicted.push(`${key}:${reason}`),
  });
  return { lru, evicted };
}

describe('createLruStore', () => {
  it('evicts the least recently used entry past maxEntries', () => {
    // Prepare
    const { lru, evicted } = store(3);
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    // Act
    lru.get('a');
    lru.set('d', 'D', 1);
    // Assess
    expect(evicted).toEqual(['b:capacity']);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual(['A', undefined, 'C', 'D']);
  });

  it('evicts past maxBytes and keeps the byte count exact through replace and delete', () => {
    // Prepare
    const { lru, evicted } = store(100, 10);
    // Act
    lru.set('a', 'A', 4);
    lru.set('a', 'A2', 5);
    lru.set('b', 'B', 5);
    lru.set('c', 'C', 3);
    // Assess
    expect(evicted).toEqual(['a:capacity']);
    expect(lru.bytes).toBe(8);
    lru.delete('b');
    expect(lru.bytes).toBe(3);
    expect(lru.size).toBe(1);
  });

  it('counts an expiry as an eviction, a delete and a clear as none', () => {
    // Prepare
    const { lru, evicted } = store(10);
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    // Act
    lru.expire('a');
    lru.delete('b');
    lru.clear();
    // Assess
    expect(evicted).toEqual(['a:expired']);
    expect(lru.size).toBe(0);
    expect(lru.bytes).toBe(0);
  });

  it('moves a hit to the recent end only once it has drifted into the older half', () => {
    // Prepare
    const { lru, evicted } = store(4);
    for (const key of ['a', 'b', 'c', 'd']) lru.set(key, key.toUpperCase(), 1);
    // Act: 'd' is in the newer half (not moved), 'a' in the older half (moved)
    lru.get('d');
    lru.get('a');
    lru.set('e', 'E', 1);
    lru.set('f', 'F', 1);
    // Assess
    expect(evicted).toEqual(['b:capacity', 'c:capacity']);
  });
});
