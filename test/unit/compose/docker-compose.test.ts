import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { STACK_PORT_DEFAULTS } from '../../support/stack-endpoints';

// README.md's services table is the promise; docker-compose.yml, test/stack/lib.sh (stack:up) and
// test/support/stack-endpoints.ts must keep it. Reading the table here means the four cannot drift apart.

const root = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
}

interface ServiceRow {
  service: string;
  ports: string[];
  portVariable: string | undefined;
  composeService: string | undefined;
  image: string | undefined;
  healthCheck: string | undefined;
}

const NONE = '—';
const code = (cell: string) => cell.match(/^`([^`]+)`$/)?.[1];

/** The rows of the first table under `## Services stack`. */
function readmeServiceRows(readme: string): ServiceRow[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Services stack'));
  if (!section) throw new Error('README.md has no "## Services stack" section');
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  const [header, , ...rows] = lines.map((line) =>
    line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim()),
  );
  expect(header).toEqual([
    'Service',
    'Port',
    'Port variable',
    '`npm run stack:up`',
    'Compose service',
    'Image',
    'Health check',
  ]);
  return rows.map((cells) => {
    const [service, ports, portVariable, , composeService, image, healthCheck] = cells as [
      string,
      ...string[],
    ];
    return {
      service,
      ports: ports === NONE ? [] : ports!.split(',').map((port) => port.trim()),
      portVariable: code(portVariable!),
      composeService: code(composeService!),
      image: image === NONE ? undefined : image,
      healthCheck: healthCheck === NONE ? undefined : healthCheck,
    };
  });
}

/** `${NAME:-default}` pairs in test/stack/lib.sh. */
function stackScriptDefaults(script: string): Record<string, string> {
  return Object.fromEntries(
    [...script.matchAll(/"\$\{(STACK_[A-Z_]+):-([^}]*)\}"/g)].map((m) => [m[1], m[2]]),
  );
}

const rows = readmeServiceRows(read('README.md'));
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
const composeRows = rows.filter((row) => row.composeService !== undefined);

describe('README services table', () => {
  it('lists every service of docker-compose.yml, and only those', () => {
    expect(composeRows.map((row) => row.composeService).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it.each(composeRows.map((row) => [row.composeService!, row] as const))(
    'compose service %s has the image, published port and health check the README promises',
    (name, row) => {
      const service = compose.services[name]!;
      const image = code(row.image ?? '');
      if (image) expect(service.image).toBe(image);
      else expect(service.build).toBe('.');
      const hostPorts = (service.ports ?? []).map((mapping) => mapping.split(':')[0]);
      for (const port of row.ports) expect(hostPorts).toContain(port);
      if (row.healthCheck) expect(service.healthcheck?.test?.length ?? 0).toBeGreaterThan(0);
    },
  );

  it.each(rows.filter((row) => row.portVariable).map((row) => [row.portVariable!, row] as const))(
    '%s defaults to the README port in stack:up (lib.sh) and in test/support/stack-endpoints.ts',
    (variable, row) => {
      const expected = row.ports.join(',');
      expect(stackScriptDefaults(read('test/stack/lib.sh'))[variable]).toBe(expected);
      expect(STACK_PORT_DEFAULTS[variable as keyof typeof STACK_PORT_DEFAULTS]).toBe(expected);
    },
  );

  it('documents every port variable that stack:up reads', () => {
    const documented = rows.map((row) => row.portVariable).filter(Boolean);
    expect(documented.sort()).toEqual(Object.keys(stackScriptDefaults(read('test/stack/lib.sh'))).sort());
    expect(documented.sort()).toEqual(Object.keys(STACK_PORT_DEFAULTS).sort());
  });
});

describe('docker-compose.yml worker', () => {
  const worker = compose.services.worker!;

  it('runs `worker kafka` from the repository Dockerfile against the compose Redis and Kafka', () => {
    expect(worker.build).toBe('.');
    expect(worker.command).toEqual(['worker', 'kafka']);
    expect(worker.environment).toMatchObject({
      CDC_CACHE_REDIS_URL: 'redis://redis:6379',
      CDC_CACHE_KAFKA_BROKERS: 'kafka:9092',
      CDC_CACHE_KEYSPACE: '/config/keyspace.yaml',
    });
  });

  it('starts only once the services it needs are healthy', () => {
    expect(worker.depends_on).toMatchObject({
      redis: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
    });
    for (const dependency of Object.keys(worker.depends_on ?? {})) {
      expect(compose.services[dependency]?.healthcheck).toBeDefined();
    }
  });
});
