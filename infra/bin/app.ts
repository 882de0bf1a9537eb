#!/usr/bin/env node
// The CDK app: settings come from `-c cdc-cache:<key>=<value>` and/or the JSON file named by `cdc-cache:configFile`.
import { App } from 'aws-cdk-lib';
import { CdcCacheStack } from '../lib/cdc-cache-stack';
import { InfraConfigError, readRawConfig, resolveConfig } from '../lib/config';

const app = new App();
try {
  const config = resolveConfig(readRawConfig(app.node.getAllContext()));
  new CdcCacheStack(app, config.stackName, {
    config,
    // Both are unset when synthesizing offline: the template is then environment-agnostic.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: 'cdc-cache: cache-aside on ElastiCache kept fresh by change data capture',
  });
  app.synth();
} catch (error) {
  if (!(error instanceof InfraConfigError)) throw error;
  console.error(`cdc-cache infra: ${error.message}\nSee docs/infra.md for every setting.`);
  process.exit(1);
}
