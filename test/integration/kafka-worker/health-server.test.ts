import { Counter, Registry } from 'prom-client';
import { startHealthServer } from '../../../src/runtimes/shared/health-server';

describe('startHealthServer', () => {
  it('serves /healthz, /readyz following isReady, /metrics from the registry, and 404 elsewhere', async () => {
    // Prepare
    const registry = new Registry();
    new Counter({ name: 'health_test_total', help: 'test', registers: [registry] }).inc(3);
    let ready = false;
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => ready, registry });
    const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

    try {
      // Act + Assess
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/readyz')).status).toBe(503);
      ready = true;
      expect((await get('/readyz')).status).toBe(200);
      const metrics = await get('/metrics');
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(await metrics.text()).toContain('health_test_total 3');
      expect((await get('/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(get('/healthz')).rejects.toThrow();
  });
});
