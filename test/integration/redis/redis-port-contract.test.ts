// The Redis port's contract, run against every client library it adapts (node-redis 5 and 6, ioredis 5
// and 6, Valkey GLIDE 2), on RESP2 and RESP3 (ioredis 5 speaks RESP2 only): every Lua script reads the same
// through every client and protocol, a script survives SCRIPT FLUSH (NOSCRIPT -> EVAL), batches keep order
// and per-entry errors, commands route to their slot on the stack's Redis Cluster, an ACL user works, and
// a refused command or a lost server is classified the same way whatever the client.
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { redisFault } from '../../../src/core/retry';
import type { LuaScript } from '../../../src/redis/lua-script';
import { redisAclRules } from '../../../src/redis/redis-acl-rules';
import type { RedisPort, RedisReply, ScriptCall } from '../../../src/redis/redis-port';
import { scripts, tombstoneRun } from '../../../src/redis/scripts';
import { REDIS_CLIENTS, type RedisClientFactory, type RedisTarget } from '../../support/redis-clients';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

jest.setTimeout(60_000);

const ACL_PREFIX = `${uniqueName('acl')}:`;
const ACL_USER = { username: 'cdc_worker', password: uniqueName('pw') };
let server: RedisProcess;

beforeAll(async () => {
  // A private server: SCRIPT FLUSH and ACL SETUSER must not touch the shared Redis.
  server = await startRedisProcess();
  const setup = await REDIS_CLIENTS[0]!.open(standalone(2));
  await setup.port.command([
    'ACL',
    'SETUSER',
    ACL_USER.username,
    'reset',
    `>${ACL_USER.password}`,
    ...redisAclRules('worker', ACL_PREFIX),
  ] as unknown as readonly string[]);
  await setup.close();
});
afterAll(async () => server.stop());

function standalone(resp: 2 | 3, user?: { username: string; password: string }): RedisTarget {
  return { nodes: [{ host: '127.0.0.1', port: server.port }], cluster: false, resp, ...user };
}

/** Run every script through `port` and return what each call read (the same for every client and protocol). */
async function runEveryScript(port: RedisPort, base: string): Promise<Record<string, unknown>> {
  const key = (name: string) => `${base}{${base}}:${name}`;
  const out: Record<string, unknown> = {};
  out.ensureGeneration = [
    await scripts.ensureGeneration.run(port, [key('gen')], ['777']),
    await scripts.ensureGeneration.run(port, [key('gen')], ['888']),
  ];
  out.addTagMember = [
    await scripts.addTagMember.run(port, [key('tag')], [key('a'), 60_000]),
    await scripts.addTagMember.run(port, [key('tag')], [key('a'), 60_000]),
  ];
  const lease = await scripts.takeLease.run(
    port,
    [key('e'), key('m')],
    ['t1', 5_000, '777', Date.now(), '', ''],
  );
  const waited = await scripts.takeLease.run(
    port,
    [key('e'), key('m')],
    ['t2', 5_000, '777', Date.now(), '', ''],
  );
  out.takeLease = [
    [...lease.slice(0, 4), typeof lease[4]],
    [waited[0], typeof waited[1]],
  ];
  out.fill = [
    await scripts.fill.run(port, [key('e')], ['t2', 'x', 60_000]),
    await scripts.fill.run(port, [key('e')], ['t1', 'x', 60_000]),
  ];
  await scripts.takeLease.run(port, [key('f'), key('fm')], ['t3', 5_000, '777', Date.now(), '', '']);
  out.releaseLease = [
    await scripts.releaseLease.run(port, [key('f')], ['t3']),
    await scripts.releaseLease.run(port, [key('f')], ['t3']),
  ];
  const gen = key('gen');
  out.bumpGeneration = [
    await scripts.bumpGeneration.run(port, [gen, key('trunc'), key('genm')], ['5', '778', 60_000, '']),
    await port.command(['MGET', gen, key('trunc')]),
  ];
  out.writeTombstone = await scripts.writeTombstones.run(
    port,
    [key('r'), key('rm')],
    [tombstoneRun('10', 60_000, '', 1)],
  );
  const refresh = (version: string) =>
    scripts.refreshEntry.run(
      port,
      [key('r'), key('rm')],
      ['777', version, Date.now(), Date.now() + 60_000, 60_000, 'payload', 60_000, ''],
    );
  // Versions compare byte-wise (sources encode them fixed-width).
  out.refreshEntry = [await refresh('09'), await refresh('11'), await refresh('11')];
  out.writeTombstones = await scripts.writeTombstones.run(
    port,
    [key('t1'), key('t1m'), key('t2'), key('t2m')],
    [tombstoneRun('3', 60_000, '', 1) + tombstoneRun('4', 60_000, '', 1)],
  );
  await scripts.addTagMember.run(port, [key('tag')], [key('b'), 60_000]);
  out.invalidateTag = [
    await scripts.invalidateTag.run(port, [key('tag')], [10]),
    await scripts.invalidateTag.run(port, [key('tag')], [10]),
  ];
  const shard = key('shard');
  out.shardLease = [
    await scripts.shardLeaseClaim.run(port, [shard], ['me', 60_000]),
    await scripts.shardLeaseClaim.run(port, [shard], ['other', 60_000]),
    await scripts.shardLeaseRenew.run(port, [shard], ['me', 60_000, '42', '']),
    await scripts.shardLeaseRenew.run(port, [shard], ['other', 60_000, '43', '']),
    await scripts.shardLeaseClaim.run(port, [shard], ['me', 60_000]),
    await scripts.shardLeaseRelease.run(port, [shard], ['other']),
    await scripts.shardLeaseRelease.run(port, [shard], ['me']),
  ];
  return out;
}

const EVERY_SCRIPT_READS = {
  ensureGeneration: ['777', '777'],
  addTagMember: [1, 0],
  takeLease: [
    ['lease', '', -1, '', 'number'],
    ['wait', 'number'],
  ],
  fill: [0, 1],
  releaseLease: [1, 0],
  bumpGeneration: [1, ['778', '5']],
  writeTombstone: 1,
  refreshEntry: [0, 1, 0],
  writeTombstones: 2,
  invalidateTag: [2, 0],
  shardLease: [[1, ''], [0, ''], 1, 0, [1, '42'], 0, 1],
};

/** Raw replies whose shape differs between RESP2 and RESP3 on the wire. */
async function rawShapes(port: RedisPort, base: string): Promise<(RedisReply | string)[]> {
  const key = (name: string) => `${base}{${base}}:${name}`;
  const replies = await port.batch([
    ['HSET', key('h'), 'a', '1', 'b', '2'],
    ['HGETALL', key('h')],
    ['ZADD', key('z'), '1.5', 'm'],
    ['ZSCORE', key('z'), 'm'],
    ['SET', key('s'), 'v'],
    ['MGET', key('s'), key('missing')],
    ['EVAL', 'return true', '0'],
    ['EVAL', 'return false', '0'],
    ['EVAL', "return redis.call('HGETALL', KEYS[1])", '1', key('h')],
    // A script that asks for RESP3 replies sends real RESP3 booleans, maps and doubles to a RESP3 client.
    ['EVAL', 'redis.setresp(3); return true', '0'],
    ['EVAL', 'redis.setresp(3); return false', '0'],
    ['EVAL', "redis.setresp(3); return redis.call('HGETALL', KEYS[1])", '1', key('h')],
    ['EVAL', 'redis.setresp(3); return {double=1.5}', '0'],
    ['UNLINK', key('s'), key('h')],
  ]);
  return replies.map((reply) => (reply instanceof Error ? `error: ${reply.message}` : reply));
}

const RAW_SHAPES = [
  2,
  ['a', '1', 'b', '2'],
  1,
  '1.5',
  'OK',
  ['v', null],
  1,
  null,
  ['a', '1', 'b', '2'],
  1,
  0,
  ['a', '1', 'b', '2'],
  '1.5',
  2,
];

/** A script that reads back its keys then its arguments, for long calls (hundreds of arguments). */
const ECHO_LUA = [
  'local out = {}',
  'for _, key in ipairs(KEYS) do out[#out + 1] = key end',
  'for _, arg in ipairs(ARGV) do out[#out + 1] = arg end',
  'return out',
].join('\n');
const ECHO_SCRIPT = {
  name: 'echo',
  file: 'echo-n.lua',
  lua: ECHO_LUA,
  sha: createHash('sha1').update(ECHO_LUA).digest('hex'),
} as unknown as LuaScript;

/**
 * A long script call on one slot whose text is not plain ASCII (RESP counts bytes, not characters): 150
 * keys and 150 arguments with accents, CJK, an astral emoji, CR LF, `$`, and empty text.
 */
function longCall(base: string): ScriptCall {
  const texts = ['é', '日本語', '😀', 'a\r\nb', '$3', '', 'plain'];
  return {
    script: ECHO_SCRIPT,
    keys: Array.from({ length: 150 }, (_unused, at) => `${base}{${base}}:${at}:${texts[at % texts.length]}`),
    args: Array.from(
      { length: 150 },
      (_unused, at) => `${texts[at % texts.length]}${at % 3 === 0 ? '' : at}`,
    ),
  };
}

const echoed = (call: ScriptCall) => [...call.keys, ...call.args];

const protocols = (factory: RedisClientFactory): (2 | 3)[] => (factory.resp3 ? [2, 3] : [2]);

describe.each(REDIS_CLIENTS)('Redis port through $name', (factory) => {
  describe.each(protocols(factory))('standalone, RESP%s', (resp) => {
    let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
    beforeAll(async () => {
      opened = await factory.open(standalone(resp));
    });
    afterAll(async () => opened.close());

    it('reads every script the same way', async () => {
      // Act
      const reads = await runEveryScript(opened.port, uniqueName('s'));
      // Assess
      expect(reads).toEqual(EVERY_SCRIPT_READS);
    });

    it('normalises replies to the RESP2 shape', async () => {
      expect(await rawShapes(opened.port, uniqueName('raw'))).toEqual(RAW_SHAPES);
    });

    it('runs a script again after SCRIPT FLUSH, alone and in a batch (NOSCRIPT -> EVAL)', async () => {
      // Prepare
      const base = uniqueName('flush');
      const tags = `${base}:tags`;
      await scripts.addTagMember.run(opened.port, [tags], ['a', 60_000]);
      await opened.port.command(['SCRIPT', 'FLUSH']);
      // Act
      const alone = await scripts.addTagMember.run(opened.port, [tags], ['b', 60_000]);
      await opened.port.command(['SCRIPT', 'FLUSH']);
      const batch = await opened.port.batch([
        ['SET', `${base}:before`, '1'],
        scripts.addTagMember.call([tags], ['c', 60_000]),
        ['INCR', `${base}:after`],
        scripts.addTagMember.call([tags], ['c', 60_000]),
      ]);
      // Assess: each entry ran (the INCR after the NOSCRIPT ran again: entries of a batch are idempotent)
      expect(alone).toBe(1);
      expect(batch[0]).toBe('OK');
      expect(scripts.addTagMember.decode(batch[1] as RedisReply)).toBe(1);
      expect(typeof batch[2]).toBe('number');
      expect(scripts.addTagMember.decode(batch[3] as RedisReply)).toBe(0);
      expect(await opened.port.command(['SCARD', tags])).toBe(3);
    });

    it('carries a long command byte for byte, alone, in a batch and after SCRIPT FLUSH (NOSCRIPT -> EVAL)', async () => {
      // Prepare
      const call = longCall(uniqueName('long'));
      const values = call.args.map(String);
      // Act
      const alone = await opened.port.command(['EVAL', 'return ARGV', '0', ...values]);
      await opened.port.command(['SCRIPT', 'FLUSH']);
      const flushed = await opened.port.script(call);
      const again = await opened.port.script(call);
      await opened.port.command(['SCRIPT', 'FLUSH']);
      const batch = await opened.port.batch([
        ['SET', `${call.keys[0]}:k`, 'é'],
        call,
        call,
        ['GET', `${call.keys[0]}:k`],
      ]);
      // Assess
      expect(alone).toEqual(values);
      expect([flushed, again]).toEqual([echoed(call), echoed(call)]);
      expect(batch).toEqual(['OK', echoed(call), echoed(call), 'é']);
    });

    it('keeps order in a batch and reports an error per entry', async () => {
      const base = uniqueName('order');
      const replies = await opened.port.batch([
        ['SET', `${base}:k`, 'text'],
        ['INCR', `${base}:k`],
        ['APPEND', `${base}:k`, '!'],
        ['GET', `${base}:k`],
      ]);
      expect(replies[0]).toBe('OK');
      expect(replies[1]).toBeInstanceOf(Error);
      expect((replies[1] as Error).message).toMatch(/^ERR value is not an integer/);
      expect(replies.slice(2)).toEqual([5, 'text!']);
      expect(redisFault(replies[1])).toBeUndefined();
    });

    it('reaches the one primary for keyless commands', async () => {
      const primaries = await opened.port.primaries();
      expect(primaries.map((node) => node.address)).toEqual(['']);
      expect(await primaries[0]!.command(['WAIT', 0, 100])).toBe(0);
      expect(await primaries[0]!.command(['CONFIG', 'GET', 'maxmemory-policy'])).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
    });
  });

  describe.each(protocols(factory))('ACL user (the worker role), RESP%s', (resp) => {
    it('runs scripts and batches under its prefix, and a key outside it is a permission fault', async () => {
      // Prepare
      const opened = await factory.open(standalone(resp, ACL_USER));
      try {
        // Act
        const reads = await runEveryScript(opened.port, `${ACL_PREFIX}${uniqueName('s')}`);
        const denied = await opened.port.command(['GET', 'outside:key']).catch((error: unknown) => error);
        // Assess
        expect(reads).toEqual(EVERY_SCRIPT_READS);
        expect(denied).toBeInstanceOf(Error);
        expect(redisFault(denied)).toBe('permission');
      } finally {
        await opened.close();
      }
    });
  });

  it('reports a stopped server as a connection fault (client set to fail fast, as the workers are)', async () => {
    // Prepare
    const own = await startRedisProcess();
    const target: RedisTarget = { nodes: [{ host: '127.0.0.1', port: own.port }], cluster: false, resp: 2 };
    const opened = await factory.open(target);
    try {
      await opened.port.command(['SET', 'k', '1']);
      await own.stop();
      // Act
      const error = await opened.port.command(['GET', 'k']).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      // Assess
      expect(redisFault(error)).toBe('connection');
    } finally {
      void opened.close().catch(() => undefined);
      await own.stop();
    }
  });

  describe.each(protocols(factory))("the stack's Redis Cluster, RESP%s", (resp) => {
    const target: RedisTarget = { nodes: stackEndpoints().redisCluster.nodes, cluster: true, resp };
    let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
    beforeAll(async () => {
      opened = await factory.open(target);
    });
    afterAll(async () => opened.close());

    it('routes each command of a batch to its slot, in order per key', async () => {
      // Prepare: keys spread over every node
      const base = uniqueName('route');
      const keys = Array.from({ length: 30 }, (_unused, at) => `${base}:${at}`);
      // Act
      const written = await opened.port.batch(
        keys.flatMap((key, at) => [
          ['SET', key, String(at)],
          ['INCR', key],
        ]),
      );
      const read = await opened.port.batch(keys.map((key) => ['GET', key]));
      await opened.port.batch(keys.map((key) => ['UNLINK', key]));
      // Assess
      expect(written).toEqual(keys.flatMap((_key, at) => ['OK', at + 1]));
      expect(read).toEqual(keys.map((_key, at) => String(at + 1)));
    });

    it('runs scripts whose keys share a slot, and MGET within a slot', async () => {
      const base = uniqueName('slot');
      const [entry, memory] = [`${base}:{${base}}:e`, `${base}:_cc:ver:{${base}}:e`];
      expect(
        await scripts.writeTombstones.run(opened.port, [entry, memory], [tombstoneRun('7', 60_000, '', 1)]),
      ).toBe(1);
      await opened.port.command(['SET', entry, 'x']);
      expect(await opened.port.command(['MGET', entry, memory])).toEqual(['x', expect.any(String)]);
      await opened.port.command(['UNLINK', entry, memory]);
    });

    it('runs a long script call on its slot, alone and in a batch', async () => {
      const call = longCall(uniqueName('long'));
      expect(await opened.port.script(call)).toEqual(echoed(call));
      expect(await opened.port.batch([call, ['GET', call.keys[0]!], call])).toEqual([
        echoed(call),
        null,
        echoed(call),
      ]);
    });

    if (factory.name.startsWith('ioredis'))
      it('follows MOVED with a long script call when its slot map is stale', async () => {
        // Prepare: the client believes another primary serves the call's slot
        const call = longCall(uniqueName('moved'));
        const slots = (opened.client as { slots: string[][] }).slots;
        const slot = calculateSlot(call.keys[0]!);
        const owner = slots[slot]![0]!;
        const other = slots.map((nodes) => nodes[0]!).find((node) => node !== owner)!;
        slots[slot] = [other];
        // Act
        const reply = await opened.port.script(call);
        // Assess: the client sent the same bytes to the owner
        expect(reply).toEqual(echoed(call));
        expect(slots[slot]![0]).toBe(owner);
      });

    it('lists the three primaries and sends WAIT to each', async () => {
      const primaries = await opened.port.primaries();
      expect(primaries.map((node) => node.address).sort()).toEqual(
        stackEndpoints()
          .redisCluster.nodes.map((node) => `${node.host}:${node.port}`)
          .sort(),
      );
      expect(await Promise.all(primaries.map((node) => node.command(['WAIT', 0, 100])))).toEqual([0, 0, 0]);
    });
  });
});
