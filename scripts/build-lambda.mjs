// Bundle the Lambda handlers (src/lambda/index.ts) into dist-lambda/index.js for the nodejs22.x runtime.
//
// - The AWS SDK (@aws-sdk/*, @smithy/*) is left out: the nodejs22.x runtime provides SDK v3, and leaving it
//   out keeps the artifact small and cold starts fast. @aws-sdk/util-dynamodb (tiny, on the hot path) is
//   bundled so its version is ours. Pass --bundle-aws-sdk to bundle the whole SDK instead.
// - The Kafka dead-letter producer (@platformatic/kafka, the MSK IAM signer) is a second file, loaded only when
//   CDC_CACHE_DLQ_TOPIC is set, so the DynamoDB handler never parses it.
// - Valkey GLIDE (an optional peer dependency with a native binary) is left out: the Redis port loads it only
//   when given a GLIDE client, so a function that uses GLIDE ships the package beside the bundle (a layer).
// - The Lua scripts are copied beside the bundle: the engine reads them from `<bundle dir>/lua` at startup.
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist-lambda';
const bundleAwsSdk = process.argv.includes('--bundle-aws-sdk');

const externals = {
  name: 'cdc-cache-lambda-externals',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/kafka-dead-letter-producer\.js$/ }, () => ({
      path: './kafka-dead-letter-producer.js',
      external: true,
    }));
    if (bundleAwsSdk) return;
    pluginBuild.onResolve({ filter: /^@(aws-sdk|smithy)\// }, (args) =>
      args.path === '@aws-sdk/util-dynamodb' ? undefined : { path: args.path, external: true },
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['@valkey/valkey-glide'],
  plugins: [externals],
  // loadKeyspace requires a user's .js keyspace at run time by path; that require stays dynamic on purpose.
  logOverride: { 'unsupported-require-call': 'silent' },
  // @platformatic/kafka is an ES module that calls createRequire(import.meta.url); a CommonJS bundle has no
  // import.meta, so give it the bundle's own URL. Its WebAssembly helper reads native.wasm beside itself:
  // bundle the variant that embeds it.
  alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
  define: { 'import.meta.url': '__cdcCacheImportMetaUrl' },
  banner: { js: "const __cdcCacheImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({ ...common, entryPoints: ['src/lambda/index.ts'], outfile: join(outdir, 'index.js') });
await build({
  ...common,
  entryPoints: ['src/lambda/kafka-dead-letter-producer.ts'],
  outfile: join(outdir, 'kafka-dead-letter-producer.js'),
});
cpSync('src/redis/lua', join(outdir, 'lua'), { recursive: true });

const kib = (file) => statSync(join(outdir, file)).size / 1024;
console.log(
  `dist-lambda/index.js: ${kib('index.js').toFixed(1)} KiB; kafka-dead-letter-producer.js (loaded only with a DLQ topic): ${kib('kafka-dead-letter-producer.js').toFixed(1)} KiB; AWS SDK ${bundleAwsSdk ? 'bundled' : 'from the runtime'}`,
);
