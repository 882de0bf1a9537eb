// `npm run bench:all` (and `npm run bench`, after stack:up): every benchmark, one after the other, on the
// JavaScript scripts/build-bench.mjs compiled. Each benchmark's progress goes to stderr; its JSON line (the
// last line it prints) goes to stdout, so `npm run -s bench:all > bench.jsonl` keeps one JSON line per bench.
// BENCH_ONLY=core,sdk runs a subset.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ALL = ['sdk', 'core', 'dynamodb', 'dynamodb-e2e', 'audit', 'kafka', 'postgres', 'mariadb'];
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const benches = only ? ALL.filter((name) => only.includes(name)) : ALL;

function run(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join('.bench-build', 'bench', `${name}.js`)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = '';
    let pending = '';
    child.stdout.on('data', (chunk) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        process.stderr.write(`[${name}] ${line}\n`);
        if (line.startsWith('{')) last = line;
      }
    });
    child.on('exit', (code) => {
      if (pending.startsWith('{')) last = pending;
      resolve(code === 0 && last ? last : JSON.stringify({ bench: name, error: `exited with ${code}` }));
    });
  });
}

let failed = false;
for (const name of benches) {
  const line = await run(name);
  if (line.includes('"error"')) failed = true;
  process.stdout.write(`${line}\n`);
}
process.exitCode = failed ? 1 : 0;
