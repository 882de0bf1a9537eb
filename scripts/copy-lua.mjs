// Lua scripts are read at run time from beside the code that loads them: every build copies them along.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Copy every `.lua` file below `from` to the same place below `to`. */
export function copyLua(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) copyLua(source, join(to, name));
    else if (name.endsWith('.lua')) cpSync(source, join(to, name));
  }
}
