// Benchmarks run tsc's JavaScript, as the package ships it, not a development loader's transform (tsx turns
// every cross-module import into a getter call, which costs the byte-level decoder a third of its speed).
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUT = '.bench-build';
rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], {
  stdio: 'inherit',
});

function copyLua(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) copyLua(source, join(to, name));
    else if (name.endsWith('.lua')) cpSync(source, join(to, name));
  }
}
copyLua('src', join(OUT, 'src'));
