import { CdcCacheError } from '../../../src/errors';
import { CacheEvents } from '../../../src/sdk/cache-events';

describe('CacheEvents', () => {
  it('delivers typed payloads to listeners until they are removed', () => {
    // Prepare
    const events = new CacheEvents();
    const keys: string[] = [];
    const off = events.on('hit', ({ key }) => keys.push(key));
    // Act
    events.emit('hit', { entity: 'user', key: 'user:1' });
    off();
    events.emit('hit', { entity: 'user', key: 'user:2' });
    // Assess
    expect(keys).toEqual(['user:1']);
    expect(events.has('hit')).toBe(false);
  });

  it('never lets a throwing listener break the emitter', () => {
    // Prepare
    const events = new CacheEvents();
    const seen: string[] = [];
    events.on('error', () => {
      throw new Error('listener bug');
    });
    events.on('error', ({ operation }) => seen.push(operation));
    // Act
    const emit = () =>
      events.emit('error', { operation: 'get', error: new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down') });
    // Assess
    expect(emit).not.toThrow();
    expect(seen).toEqual(['get']);
  });
});
