import { createNearCache, MISS } from '../../../../src/sdk/near-cache/create-near-cache';
import type {
  InvalidationListener,
  InvalidationStream,
} from '../../../../src/sdk/near-cache/invalidation-stream';

const GEN = 'p:_cc:gen:user';
const KEY = 'p:user:1';

/** A stream the test drives by hand: no network. */
function fakeStream() {
  let listener!: InvalidationListener;
  const stream: InvalidationStream = {
    start: (given) => {
      listener = given;
    },
    sync: async () => undefined,
    clientIds: async () => [],
    close: async () => undefined,
  };
  return { stream, listener: () => listener };
}

function nearCache(ttlMs = 10_000) {
  const fake = fakeStream();
  const cleared: string[] = [];
  const near = createNearCache({
    maxEntries: 100,
    maxBytes: Number.POSITIVE_INFINITY,
    ttlMs,
    deserialize: (payload) => JSON.parse(payload.slice(1)),
    stream: fake.stream,
    observer: {
      eviction: () => undefined,
      invalidation: () => undefined,
      clear: (reason) => cleared.push(reason),
      error: () => undefined,
    },
  });
  fake.listener().up();
  return { near, stream: fake.listener(), cleared };
}

const read = (value: unknown, generation = 7, staleAtMs = 1e15) => ({
  generation,
  value,
  frozen: true,
  payload: `j${JSON.stringify(value)}`,
  staleAtMs,
});

describe('createNearCache', () => {
  it('serves a fill until its key is invalidated', () => {
    // Prepare
    const { near, stream } = nearCache();
    const ticket = near.ticket(KEY, GEN)!;
    near.fill(ticket, read({ name: 'old' }), 0);
    // Act
    const before = near.lookup(KEY, GEN, 1);
    stream.invalidated([KEY]);
    const after = near.lookup(KEY, GEN, 2);
    // Assess
    expect(before).toEqual({ name: 'old' });
    expect(after).toBe(MISS);
  });

  it('does not keep a read whose invalidation overtook its reply (the REDIRECT race)', () => {
    // Prepare: the GET is sent, Redis answers the OLD value, then the key changes; the invalidation
    // (another connection) is handled before the reply (this one).
    const { near, stream } = nearCache();
    const ticket = near.ticket(KEY, GEN)!;
    // Act
    stream.invalidated([KEY]);
    near.fill(ticket, read({ name: 'old' }), 0);
    // Assess
    expect(near.lookup(KEY, GEN, 1)).toBe(MISS);
    expect(near.stats().entries).toBe(0);
  });

  it('drops every entry of an entity when its generation key changes (a truncate), and refuses a raced read of it', () => {
    // Prepare
    const { near, stream } = nearCache();
    near.fill(near.ticket(KEY, GEN)!, read('one'), 0);
    near.fill(near.ticket('p:user:2', GEN)!, read('two'), 0);
    const racing = near.ticket('p:user:3', GEN)!;
    // Act
    stream.invalidated([GEN]);
    near.fill(racing, read('three'), 0);
    // Assess
    expect([
      near.lookup(KEY, GEN, 1),
      near.lookup('p:user:2', GEN, 1),
      near.lookup('p:user:3', GEN, 1),
    ]).toEqual([MISS, MISS, MISS]);
  });

  it('serves only entries of the generation it last read', () => {
    // Prepare
    const { near } = nearCache();
    near.fill(near.ticket(KEY, GEN)!, read('old generation', 7), 0);
    // Act: a later read (after the generation-key invalidation was applied) learns generation 8
    near.fill(near.ticket('p:user:2', GEN)!, read('new generation', 8), 0);
    // Assess
    expect(near.lookup(KEY, GEN, 1)).toBe(MISS);
    expect(near.lookup('p:user:2', GEN, 1)).toBe('new generation');
  });

  it('empties itself when the stream may have a gap, and refuses reads ticketed before it', () => {
    // Prepare
    const { near, stream, cleared } = nearCache();
    near.fill(near.ticket(KEY, GEN)!, read('held'), 0);
    const beforeGap = near.ticket('p:user:2', GEN)!;
    // Act
    stream.down('connection-closed');
    const duringGap = near.ticket('p:user:3', GEN);
    const servedDuringGap = near.lookup(KEY, GEN, 1);
    stream.up();
    near.fill(beforeGap, read('ticketed before the gap'), 2);
    // Assess
    expect(cleared).toEqual(['connection-closed']);
    expect(duringGap).toBeUndefined();
    expect(servedDuringGap).toBe(MISS);
    expect(near.lookup(KEY, GEN, 3)).toBe(MISS);
    expect(near.lookup('p:user:2', GEN, 3)).toBe(MISS);
    expect(near.stats()).toMatchObject({ clears: 1, entries: 0, up: true });
  });

  it('empties itself on a FLUSH (a null invalidation)', () => {
    // Prepare
    const { near, stream } = nearCache();
    near.fill(near.ticket(KEY, GEN)!, read('held'), 0);
    // Act
    stream.invalidated(null);
    // Assess
    expect(near.lookup(KEY, GEN, 1)).toBe(MISS);
  });

  it("serves an entry no longer than its own ttl, nor past the entry's soft expiry in Redis", () => {
    // Prepare
    const { near } = nearCache(1_000);
    near.fill(near.ticket(KEY, GEN)!, read('ttl-bound'), 0);
    near.fill(near.ticket('p:user:2', GEN)!, read('stale-bound', 7, 500), 0);
    // Act
    const results = [
      near.lookup(KEY, GEN, 999),
      near.lookup(KEY, GEN, 1_000),
      near.lookup('p:user:2', GEN, 499),
      near.lookup('p:user:2', GEN, 500),
    ];
    // Assess
    expect(results).toEqual(['ttl-bound', MISS, 'stale-bound', MISS]);
  });

  it('decodes a value it could not freeze on every hit, so each caller gets its own copy', () => {
    // Prepare
    const { near } = nearCache();
    near.fill(near.ticket(KEY, GEN)!, { ...read({ n: 1 }), frozen: false }, 0);
    // Act
    const first = near.lookup(KEY, GEN, 1) as { n: number };
    first.n = 2;
    const second = near.lookup(KEY, GEN, 1);
    // Assess
    expect(second).toEqual({ n: 1 });
  });

  it('forgets released tickets', () => {
    // Prepare
    const { near, stream } = nearCache();
    const ticket = near.ticket(KEY, GEN)!;
    // Act
    near.release(ticket);
    stream.invalidated([KEY]);
    // Assess
    expect(ticket.spoiled).toBe(false);
  });
});
