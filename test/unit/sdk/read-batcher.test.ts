import { createReadBatcher } from '../../../src/sdk/read-batcher';

function fakeRedis(store: Record<string, string>) {
  const calls: string[][] = [];
  const send = async (keys: string[]) => {
    calls.push(keys);
    return keys.map((key) => store[key] ?? null);
  };
  return { calls, send };
}

describe('createReadBatcher', () => {
  it('sends the reads of one tick as one MGET, reading each shared key once', async () => {
    // Prepare
    const { calls, send } = fakeRedis({ 'user:1': 'a', 'user:2': 'b', 'gen:user': '3' });
    const read = createReadBatcher(send);
    // Act
    const values = await Promise.all([
      read('user:1', 'gen:user'),
      read('user:2', 'gen:user'),
      read('user:1', 'gen:user'),
    ]);
    // Assess
    expect(calls).toEqual([['user:1', 'gen:user', 'user:2']]);
    expect(values).toEqual([
      ['a', '3'],
      ['b', '3'],
      ['a', '3'],
    ]);
  });

  it('sends a lone read as MGET <entry> <generation>, and reads of later ticks separately', async () => {
    // Prepare
    const { calls, send } = fakeRedis({});
    const read = createReadBatcher(send);
    // Act
    await read('user:1', 'gen:user');
    await read('user:2', 'gen:user');
    // Assess
    expect(calls).toEqual([
      ['user:1', 'gen:user'],
      ['user:2', 'gen:user'],
    ]);
  });

  it('splits a large batch into several MGETs of at most 512 keys', async () => {
    // Prepare
    const { calls, send } = fakeRedis({});
    const read = createReadBatcher(send);
    // Act
    await Promise.all(Array.from({ length: 1000 }, (_, index) => read(`user:${index}`, 'gen:user')));
    // Assess
    expect(calls.map((keys) => keys.length)).toEqual([512, 490]);
  });

  it('rejects every read of a failed batch', async () => {
    // Prepare
    const failure = new Error('connection lost');
    const read = createReadBatcher(() => Promise.reject(failure));
    // Act
    const results = await Promise.allSettled([read('a', 'g'), read('b', 'g')]);
    // Assess
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
  });
});
