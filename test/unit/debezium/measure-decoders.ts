// CPU microseconds per message of the Debezium decoders on the captured fixtures, for two builds of the
// source tree in one process (rounds alternate between them, on the same bytes), next to JSON.parse of the
// same value bytes. Also says which path each message takes (projected byte scan, or JSON.parse).
// Run: npx tsx test/unit/debezium/measure-decoders.ts <build A> [<build B>], each the tsc output of a src/
// tree (what the package ships: tsx's own transform turns cross-module imports into getter calls and makes
// the byte scanner look slower than it is), e.g. of main and of this branch. MEASURE_ROUNDS and
// MEASURE_DECODES set the size.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Fixture = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
};
type DebeziumRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
};
type Decode = (record: DebeziumRecord) => unknown[];
interface Build {
  readonly name: string;
  readonly decode: Decode;
  readonly scan: (bytes: Buffer) => unknown;
}

const ROUNDS = Number(process.env['MEASURE_ROUNDS'] ?? 6);
const DECODES = Number(process.env['MEASURE_DECODES'] ?? 20_000);
/** The columns bench:postgres's keyspace reads (`user:{id}`). */
const COLUMNS = ['id'];

function load(srcDir: string): Build {
  const debezium = require(join(resolve(srcDir), 'sources/debezium/index'));
  const scanner = require(join(resolve(srcDir), 'sources/debezium/scan-debezium-envelope'));
  // Builds before the projection moved to its own file export it from the scanner.
  const projector = scanner.projectColumns
    ? scanner
    : require(join(resolve(srcDir), 'sources/debezium/row-projection'));
  const projection = projector.projectColumns(COLUMNS);
  return {
    name: srcDir,
    decode: debezium.createDebeziumDecoder({ columns: () => COLUMNS }),
    scan: (bytes) => scanner.scanDebeziumEnvelope(bytes, () => projection),
  };
}

function cpuUs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const spent = process.cpuUsage(before);
  return spent.user + spent.system;
}

function records(file: string): DebeziumRecord[] {
  const fixtures = JSON.parse(readFileSync(file, 'utf8')) as Fixture[];
  return fixtures
    .filter((fixture) => fixture.value?.includes('"op"'))
    .map((fixture) => ({
      topic: fixture.topic,
      partition: fixture.partition,
      offset: fixture.offset,
      key: fixture.key === null ? null : Buffer.from(fixture.key),
      value: Buffer.from(fixture.value!),
      headers: Object.fromEntries(
        Object.entries(fixture.headers ?? {}).map(([name, text]) => [name, Buffer.from(text)]),
      ),
    }));
}

function main(): void {
  const builds = process.argv.slice(2).map(load);
  if (builds.length === 0) throw new Error('usage: measure-decoders.ts <src dir> [<src dir>]');
  const dir = join(__dirname, 'fixtures');
  const files = readdirSync(dir).filter((file) => /envelope|flattened/.test(file));
  for (const file of files) {
    const batch = records(join(dir, file));
    if (batch.length === 0) continue;
    const totals = new Map<string, number[]>();
    const parse = () => {
      for (let n = 0; n < DECODES; n++) JSON.parse(batch[n % batch.length]!.value!.toString('utf8'));
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order too, so neither build always runs first.
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        const us = cpuUs(() => {
          for (let n = 0; n < DECODES; n++) build.decode(batch[n % batch.length]!);
        });
        totals.set(build.name, [...(totals.get(build.name) ?? []), us / DECODES]);
      }
      totals.set('JSON.parse', [...(totals.get('JSON.parse') ?? []), cpuUs(parse) / DECODES]);
    }
    const bytes = Math.round(batch.reduce((sum, record) => sum + record.value!.length, 0) / batch.length);
    console.log(`${file} (${batch.length} messages, ${bytes} bytes on average)`);
    for (const [name, samples] of totals) {
      const sorted = [...samples].sort((a, b) => a - b);
      const path =
        name === 'JSON.parse'
          ? ''
          : ` projected path: ${batch.filter((record) => builds.find((b) => b.name === name)!.scan(record.value!) !== undefined).length}/${batch.length}`;
      console.log(
        `  ${name}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs, min ${sorted[0]!.toFixed(2)} µs per message${path}`,
      );
    }
  }
}

main();
