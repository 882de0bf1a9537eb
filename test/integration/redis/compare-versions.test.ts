import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';

// compare_versions (lua/includes/compare-versions.lua) is how every script orders two versions: it must give
// the bytes' order, whatever the lengths, the shared prefix or the bytes, in real Redis.

const COMPARE = `${readFileSync(join(__dirname, '../../../src/redis/lua/includes/compare-versions.lua'), 'utf8')}
local results = {}
for i = 1, #ARGV, 2 do results[#results + 1] = compare_versions(ARGV[i], ARGV[i + 1]) end
return results`;

/** A version-like string: digits mostly, any byte sometimes, a shared stem so that long prefixes are common. */
const version = fc.oneof(
  fc.stringMatching(/^\d{0,40}$/),
  fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc
    .tuple(fc.constantFrom('', '0000000000', '00000000000023803'), fc.stringMatching(/^[0-9a-f]{0,12}$/))
    .map(([stem, tail]) => stem + tail),
);

/** Two strings that share a prefix of any length: one byte of the first changed, or one cut short. */
const nearPair = fc
  .tuple(version, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
  .map(([a, at, code, cut]): [string, string] => {
    const where = a.length === 0 ? 0 : at % a.length;
    return [a, cut ? a.slice(0, where) : a.slice(0, where) + String.fromCharCode(code) + a.slice(where + 1)];
  });

describe('compare_versions', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  afterAll(async () => {
    await redis.quit();
  });

  it("orders any two strings as their bytes compare, in Redis' Lua (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.tuple(version, version), nearPair), { minLength: 1, maxLength: 50 }),
        async (pairs) => {
          // latin1 keeps one byte per character, so Redis receives exactly these bytes.
          const args = pairs.flatMap(([a, b]) => [Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')]);
          const results = (await redis.eval(COMPARE, 0, ...args)) as number[];
          const expected = pairs.map(([a, b]) =>
            Math.sign(Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'))),
          );
          expect(results).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('compares versions that differ anywhere in 40 digits, and prefixes of each other', async () => {
    const base = '1234567890123456789012345678901234567890';
    const pairs: [string, string][] = [];
    for (let at = 0; at < base.length; at++) {
      const bumped = base.slice(0, at) + String((Number(base[at]) + 1) % 10) + base.slice(at + 1);
      pairs.push([base, bumped]);
    }
    pairs.push([base, base], [base, base.slice(0, 17)], [base.slice(0, 8), base], ['', base], [base, '']);
    const results = (await redis.eval(COMPARE, 0, ...pairs.flat())) as number[];
    expect(results).toEqual(pairs.map(([a, b]) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))));
  });
});
