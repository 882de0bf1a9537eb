// Build: tsc emits JavaScript and declarations; Lua scripts are copied beside the code that loads them.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { copyLua } from './copy-lua.mjs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
copyLua('src', 'dist');
