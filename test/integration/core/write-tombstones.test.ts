import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { readLuaScript } from '../../../src/redis/lua-script';
import { tombstoneRun } from '../../../src/redis/scripts';
import { deletePrefix, uniquePrefix } from './core-test-support';

// write-tombstones-n.lua reads every entry and memory with one MGET and deletes with one DEL: each key must
// end exactly as tombstone() (includes/version-memory.lua), applied key by key, leaves it.

const LUA = join(__dirname, '../../../src/redis/lua');
/** The reference: tombstone() once per key, in order, as the script did before it batched its calls. */
const ONE_BY_ONE = `${['entry-header', 'compare-versions', 'version-memory']
  .map((name) => readFileSync(join(LUA, 'includes', `${name}.lua`), 'utf8'))
  .join('\n')}
local now_ms = redis_now_ms()
local deleted = 0
for i = 1, #KEYS / 2 do
  deleted = deleted + tombstone(KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 * i - 2], ARGV[3 * i - 1], now_ms, ARGV[3 * i])
end
return deleted`;

const v = (n: number) => String(n).padStart(20, '0');

/**
 * Per-entry (version, ttl, xid) triples as the script takes them: runs of (version, ttl, xid, count) of equal
 * neighbours, written by tombstoneRun into its one argument.
 */
function runsOf(triples: readonly (string | number)[]): string {
  const runs: [string, number, string, number][] = [];
  for (let at = 0; at < triples.length; at += 3) {
    const last = runs[runs.length - 1];
    if (last && last[0] === triples[at] && last[1] === triples[at + 1] && last[2] === triples[at + 2])
      last[3]++;
    else runs.push([String(triples[at]), Number(triples[at + 1]), String(triples[at + 2]), 1]);
  }
  return runs.map((run) => tombstoneRun(...run)).join('');
}

/** One key's state before the tombstone, and the version the tombstone carries. */
interface Case {
  readonly entry?: string | 'hash';
  readonly memory?: string | 'hash';
  readonly incoming: string;
  /** The change's transaction id ('' when none). */
  readonly xid?: string;
}

const CASES: Record<string, Case> = {
  missing: { incoming: v(5) },
  'older value': { entry: `v|1|${v(3)}|1|2||j{}`, incoming: v(5) },
  'newer value': { entry: `v|1|${v(7)}|1|2||j{}`, incoming: v(5) },
  'same-version value': { entry: `v|1|${v(5)}|1|2||j{}`, incoming: v(5) },
  'newer lease': { entry: `l|1|${v(7)}|token`, incoming: v(5) },
  'newer not-found': { entry: `n|1|${v(7)}|1|2||`, incoming: v(5) },
  'newer tombstone entry': { entry: `t|1|${v(7)}`, incoming: v(5) },
  'value of unknown version': { entry: 'v|0||1|2||j{}', incoming: v(5) },
  'newer memory': { entry: `v|1|${v(3)}|1|2||j{}`, memory: `${v(9)}|1`, incoming: v(5) },
  'older memory': { memory: `${v(2)}|1`, incoming: v(5) },
  'memory without a version': { memory: '|1', incoming: v(5) },
  'unversioned change': { entry: `v|1|${v(7)}|1|2||j{}`, memory: `${v(9)}|1`, incoming: '' },
  'entry of another type': { entry: 'hash', incoming: v(5) },
  'memory of another type': { memory: 'hash', incoming: v(5) },
  'not a cdc-cache entry': { entry: 'plain text', incoming: v(5) },
  'malformed memory': { memory: 'garbage', incoming: v(5) },
  'memory with a transaction, none incoming': { memory: `${v(2)}|1|700`, incoming: v(5) },
  'newer value, transaction already counted': {
    entry: `v|1|${v(7)}|1|2||j{}`,
    memory: `${v(3)}|1|700`,
    incoming: v(5),
    xid: '650',
  },
  'newer value, new transaction': {
    entry: `v|1|${v(7)}|1|2||j{}`,
    memory: `${v(3)}|1|700`,
    incoming: v(5),
    xid: '800',
  },
  'newer lease, first transaction': { entry: `l|1|${v(7)}|token`, incoming: v(5), xid: '42' },
  'transaction past wraparound': { memory: `${v(3)}|1|4294967290`, incoming: v(5), xid: '5' },
};

describe('write-tombstones-n.lua', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
  });

  /** Lay out the cases under a prefix; the keys and arguments of one call covering `order`. */
  async function prepare(
    prefix: string,
    order: readonly string[],
    incoming?: readonly string[],
    xids?: readonly string[],
  ) {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const name of new Set(order)) {
      const { entry, memory } = CASES[name]!;
      const entryKey = `${prefix}${name}`;
      const memoryKey = `${prefix}_cc:ver:{${entryKey}}`;
      if (entry === 'hash') await redis.hset(entryKey, 'field', 'value');
      else if (entry !== undefined) await redis.set(entryKey, entry);
      if (memory === 'hash') await redis.hset(memoryKey, 'field', 'value');
      else if (memory !== undefined) await redis.set(memoryKey, memory);
    }
    for (const [at, name] of order.entries()) {
      const entryKey = `${prefix}${name}`;
      keys.push(entryKey, `${prefix}_cc:ver:{${entryKey}}`);
      args.push(incoming?.[at] ?? CASES[name]!.incoming, 60_000, xids?.[at] ?? CASES[name]!.xid ?? '');
    }
    return { keys, args };
  }

  /** Every key's type and value, the memory's time cut off (each call reads Redis's clock). */
  async function snapshot(prefix: string, order: readonly string[]) {
    const state: Record<string, unknown> = {};
    for (const name of new Set(order)) {
      const entryKey = `${prefix}${name}`;
      for (const [label, key] of [
        ['entry', entryKey],
        ['memory', `${prefix}_cc:ver:{${entryKey}}`],
      ] as const) {
        const type = await redis.type(key);
        const value = type === 'string' ? await redis.get(key) : type;
        state[`${name} ${label}`] = label === 'memory' ? value?.replace(/^([^|]*)\|\d+/, '$1|<time>') : value;
      }
    }
    return state;
  }

  /**
   * Run both on the same cases; `incoming` overrides each key's version and `xids` its transaction, by
   * position in `order`.
   */
  async function compare(order: readonly string[], incoming?: readonly string[], xids?: readonly string[]) {
    // Prepare
    const reference = uniquePrefix('tombstones-reference');
    const batched = uniquePrefix('tombstones-batched');
    prefixes.push(reference, batched);
    const one = await prepare(reference, order, incoming, xids);
    const many = await prepare(batched, order, incoming, xids);

    // Act
    const expected = await redis.eval(ONE_BY_ONE, one.keys.length, ...one.keys, ...one.args);
    const actual = await redis.eval(
      readLuaScript('write-tombstones-n.lua'),
      many.keys.length,
      ...many.keys,
      runsOf(many.args),
    );

    // Assess
    expect(actual).toBe(expected);
    expect(await snapshot(batched, order)).toEqual(await snapshot(reference, order));
    return expected;
  }

  it('leaves every key as tombstones written one by one do', async () => {
    const deleted = await compare(Object.keys(CASES));
    // The newer value, lease and not-found and the same-version value are kept, and the newer value whose
    // change's transaction the memory had counted; a transaction it had not counted deletes even a newer one.
    expect(deleted).toBe(Object.keys(CASES).length - 5);
  });

  it('takes the versions of consecutive entries from one run', async () => {
    // Three entries at v5 (one run), then one at v6, then two at v5 again (a run of their own).
    const deleted = await compare(
      ['older value', 'missing', 'older memory', 'newer value', 'same-version value', 'newer lease'],
      [v(5), v(5), v(5), v(8), v(5), v(5)],
    );
    // The newer value is stale against v8 and deleted; the same-version value and the newer lease are kept.
    expect(deleted).toBe(4);
  });

  it('refuses runs that do not cover the keys, before writing anything', async () => {
    // Prepare
    const prefix = uniquePrefix('tombstones-runs');
    prefixes.push(prefix);
    const { keys } = await prepare(prefix, ['older value', 'missing']);

    // Act
    const call = redis.eval(
      readLuaScript('write-tombstones-n.lua'),
      keys.length,
      ...keys,
      tombstoneRun(v(5), 60_000, '', 1),
    );

    // Assess
    await expect(call).rejects.toThrow(/the runs cover 1 entries, KEYS hold 4 keys/);
    expect(await redis.get(`${prefix}older value`)).toBe(CASES['older value']!.entry);
    expect(await redis.exists(`${prefix}_cc:ver:{${prefix}older value}`)).toBe(0);
  });

  it('reads any version text from the runs: colons, digits after the length, multi-byte characters', async () => {
    const deleted = await compare(
      ['older value', 'missing', 'older memory', 'newer value'],
      ['2:é:0', '2:é:0', `${v(9)}:`, '9é'],
    );
    expect(deleted).toBeGreaterThan(0);
  });

  it.each([
    ['a letter in the ttl', '60x00,1,,20:' + v(5)],
    ['a version longer than the runs', '60000,1,,21:' + v(5)],
    ['the earlier length-prefixed layout', `20:${v(5)}5:600000:1:1`],
  ])('refuses malformed runs (%s), before writing anything', async (_case, runs) => {
    // Prepare
    const prefix = uniquePrefix('tombstones-malformed');
    prefixes.push(prefix);
    const { keys } = await prepare(prefix, ['older value']);

    // Act
    const call = redis.eval(readLuaScript('write-tombstones-n.lua'), keys.length, ...keys, runs);

    // Assess
    await expect(call).rejects.toThrow(/malformed runs at byte 1/);
    expect(await redis.get(`${prefix}older value`)).toBe(CASES['older value']!.entry);
    expect(await redis.exists(`${prefix}_cc:ver:{${prefix}older value}`)).toBe(0);
  });

  it('refuses runs in more than one argument (the earlier layout), before writing anything', async () => {
    // Prepare
    const prefix = uniquePrefix('tombstones-layout');
    prefixes.push(prefix);
    const { keys } = await prepare(prefix, ['older value']);

    // Act
    const call = redis.eval(
      readLuaScript('write-tombstones-n.lua'),
      keys.length,
      ...keys,
      v(5),
      60_000,
      '',
      1,
    );

    // Assess
    await expect(call).rejects.toThrow(/the runs come in one argument, got 4/);
    expect(await redis.get(`${prefix}older value`)).toBe(CASES['older value']!.entry);
  });

  it('leaves every key as one by one do, for any sequence of cases, versions and transactions (property)', async () => {
    // Neighbours often share a version or a transaction, or differ in only one of them: the memory a key
    // without one gets is made once per change, and must never be another change's.
    const step = fc.record({
      name: fc.constantFrom(...Object.keys(CASES)),
      version: fc.constantFrom('', v(4), v(5), v(6), v(8)),
      xid: fc.constantFrom('', '650', '700', '800'),
    });
    await fc.assert(
      // Each case once: a key named twice takes the one-at-a-time path, which the test below covers.
      fc.asyncProperty(
        fc.uniqueArray(step, { minLength: 1, maxLength: 12, selector: (each) => each.name }),
        async (steps) => {
          await compare(
            steps.map((each) => each.name),
            steps.map((each) => each.version),
            steps.map((each) => each.xid),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("writes each key's memory with its own change's version and transaction, when neighbours share one of them", async () => {
    // Prepare: four keys without a memory; neighbours share the version or the transaction, not both.
    const prefix = uniquePrefix('tombstones-memories');
    prefixes.push(prefix);
    const changes: [string, string][] = [
      [v(5), '650'],
      [v(5), '700'],
      [v(6), '700'],
      [v(6), ''],
    ];
    const keys = changes.flatMap((_change, at) => [`${prefix}${at}`, `${prefix}_cc:ver:{${prefix}${at}}`]);

    // Act
    await redis.eval(
      readLuaScript('write-tombstones-n.lua'),
      keys.length,
      ...keys,
      changes.map(([version, xid]) => tombstoneRun(version, 60_000, xid, 1)).join(''),
    );

    // Assess
    const memories = await redis.mget(...changes.map((_change, at) => `${prefix}_cc:ver:{${prefix}${at}}`));
    expect(memories.map((memory) => memory?.replace(/\|\d+\|/, '|<time>|'))).toEqual(
      changes.map(([version, xid]) => `${version}|<time>|${xid}`),
    );
  });

  it('applies a key named twice in one call in order (the second sees the first)', async () => {
    // The memory keeps the newer of the two versions; a value at v6 stops the second, older tombstone.
    const deleted = await compare(
      ['older memory', 'missing', 'older memory', 'older value', 'older value'],
      [v(6), v(5), v(4), v(6), v(4)],
    );
    expect(deleted).toBe(5);
  });
});
