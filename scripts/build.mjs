// Build: tsc emits JavaScript and declarations; Lua scripts are copied beside the code that loads them.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});

function copyAssets(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) copyAssets(source, join(to, name));
    else if (name.endsWith('.lua')) cpSync(source, join(to, name));
  }
}
copyAssets('src', 'dist');
