// Three projects: `unit` never touches the network; `integration` and `contract` (one set of delivery
// scenarios run against every runtime) talk to the real services of `npm run stack:up`.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  // @platformatic/kafka ships ES modules only: Node 22 require()s them, Jest's CommonJS loader needs them compiled.
  '/node_modules/@platformatic/.+\\.js$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' } },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!@platformatic/)'];
// The stack's data lives in .stack/ (the PostgreSQL standby's pg_logical/snapshots/*.snap files look like Jest
// snapshots, and with --ci obsolete snapshots fail the run): keep Jest's file map out of it.
const modulePathIgnorePatterns = ['<rootDir>/.stack/'];

// Dynamic imports carry a '.js' extension (node16 resolution); map them back to the TypeScript sources.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };

/** @type {import('jest').Config} */
module.exports = {
  // A leftover handle keeps Jest alive after a full run (seen again after the Redis client port, whose
  // GLIDE and node-redis clients joined the suites; not yet identified): exit once every test has finished
  // rather than hang CI. The results are complete by then.
  forceExit: true,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testEnvironment: 'node',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
    {
      // One set of delivery scenarios run against every runtime, on real Redis (and DynamoDB Local).
      displayName: 'contract',
      testMatch: ['<rootDir>/test/contract/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testEnvironment: 'node',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
