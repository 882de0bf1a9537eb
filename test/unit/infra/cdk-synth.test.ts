import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../../infra/lib/config';

const run = promisify(execFile);

// The real CLI, as CI and a platform team run it: offline (no credentials, no lookups), no Docker, local esbuild.
describe('npx cdk synth', () => {
  let output: string;

  beforeAll(() => {
    output = mkdtempSync(join(tmpdir(), 'cdc-cache-synth-'));
  });

  afterAll(() => {
    rmSync(output, { recursive: true, force: true });
  });

  it('synthesizes the example configuration and bundles the Lambda with its keyspace and Lua scripts', async () => {
    // Prepare
    const environment: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? output,
      CI: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      // No Docker: bundling must happen with the local esbuild, and image assets are only staged.
      CDK_DOCKER: 'docker-is-not-used-by-synth',
    };
    const args = [
      'cdk',
      'synth',
      '--quiet',
      '--no-notices',
      '--no-lookups',
      '--no-version-reporting',
      '-c',
      'cdc-cache:configFile=infra/examples/example.config.json',
      '-o',
      output,
    ];

    // Act
    const { stderr } = await run('npx', args, {
      cwd: join(REPO_ROOT, 'infra'),
      env: environment,
      timeout: 170_000,
    });

    // Assess
    const template = JSON.parse(readFileSync(join(output, 'CdcCacheExample.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::ElastiCache::ServerlessCache',
        'AWS::Lambda::EventSourceMapping',
        'AWS::ECS::Service',
        'AWS::SQS::Queue',
      ]),
    );
    const handler = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Handler === 'index.handler',
    );
    const code = handler?.Properties?.Code as { S3Key: string };
    const bundle = join(output, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(bundle).sort()).toEqual(['index.js', 'index.js.map', 'keyspace.json', 'lua']);
    expect(existsSync(join(bundle, 'lua', 'includes'))).toBe(true);
    expect(stderr).toContain('Bundling asset');
  }, 180_000);
});
