// Benchmarks run tsc's JavaScript, as the package ships it, not a development loader's transform (tsx turns
// every cross-module import into a getter call, which costs the byte-level decoder a third of its speed).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { copyLua } from './copy-lua.mjs';

const OUT = '.bench-build';
rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], {
  stdio: 'inherit',
});
copyLua('src', join(OUT, 'src'));
