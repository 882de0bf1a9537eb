import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  /** TCP port; 0 picks a free one (see the returned `port`). */
  readonly port: number;
  /** Interface to listen on. Default `0.0.0.0`, so a container's probes reach it. */
  readonly host?: string;
  /** `/readyz` answers 200 while this returns true, 503 otherwise. */
  readonly isReady: () => boolean;
  /** `/healthz` answers 200 while this returns true (default: always; the process answering is the proof). */
  readonly isAlive?: () => boolean;
  /** Served at `/metrics` in the Prometheus text format. */
  readonly registry: Registry;
}

/** A running health server. */
export interface HealthServer {
  /** Stop listening and close open connections. */
  close(): Promise<void>;
  /** The port it listens on. */
  readonly port: number;
}

/**
 * Serve `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus) over plain HTTP.
 *
 * @example
 * const health = await startHealthServer({ port: 9464, isReady: () => worker.isReady(), registry })
 * await health.close()
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? (options.isAlive?.() ?? true) : options.isReady();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
