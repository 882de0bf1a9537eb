import { CONTEXT_KEYS } from '../../../infra/lib/config';
import { DEPLOYED_RUNTIMES, type Deployment } from '../../../infra/lib/runtime-settings';
import type { ConfigSchema } from '../../../src/runtimes/shared/config-schema';
import { resourcesOfType, synthesizeRaw } from './infra-factories';

type Runtime = keyof typeof DEPLOYED_RUNTIMES;
const runtimes = Object.entries(DEPLOYED_RUNTIMES) as Array<
  [Runtime, { schema: ConfigSchema; deployment: Record<string, Deployment> }]
>;

/** Environment and secret names the synthesized stack gives each deployed runtime. */
function variablesByRuntime(): Record<Runtime, string[]> {
  const { template } = synthesizeRaw({
    keyPrefix: 'tenant-a:',
    versionAttribute: 'rev',
    kafkaAuth: 'scram',
    kafkaScramSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_cdc-AbCdEf',
    postgresUrl: 'postgres://cdc_cache@shop.cluster-abc.eu-west-1.rds.amazonaws.com:5432/shop',
    postgresPasswordSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop-db-AbCdEf',
    postgresTables: 'public.users',
    postgresImage: 'example.org/cdc-cache:test',
  });
  const lambda = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
    .map(
      (fn) =>
        (fn.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables,
    )
    .find((variables) => variables?.['CDC_CACHE_KEYSPACE'] !== undefined);
  const containers = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition')).flatMap(
    (task) => (task.Properties?.['ContainerDefinitions'] as Record<string, unknown>[]) ?? [],
  );
  const worker = (name: string) => {
    const container = containers.find(
      (candidate) => JSON.stringify(candidate['Command']) === JSON.stringify(['worker', name]),
    );
    return [
      ...((container?.['Environment'] as { Name: string }[] | undefined) ?? []),
      ...((container?.['Secrets'] as { Name: string }[] | undefined) ?? []),
    ].map(({ Name }) => Name);
  };
  return {
    'worker kafka': worker('kafka'),
    'worker postgres': worker('postgres'),
    lambda: Object.keys(lambda ?? {}),
  };
}

describe('the CDK app and the runtimes share one list of options', () => {
  it.each(runtimes)('%s: every option is mapped by the app or marked not deployable', (_name, runtime) => {
    // Prepare
    const options = Object.keys(runtime.schema);

    // Act
    const undecided = options.filter((name) => runtime.deployment[name] === undefined);
    const unknownSettings = Object.values(runtime.deployment).flatMap((decision) =>
      'setting' in decision && !(CONTEXT_KEYS as readonly string[]).includes(decision.setting)
        ? [decision.setting]
        : [],
    );

    // Assess
    expect(undecided).toEqual([]);
    expect(unknownSettings).toEqual([]);
  });

  it('sets exactly the variables the app maps, each one an option of that runtime', () => {
    // Prepare
    const variables = variablesByRuntime();

    for (const [name, runtime] of runtimes) {
      // Act
      const declared = new Map(
        Object.entries(runtime.schema).map(([option, spec]) => [spec.env, runtime.deployment[option]!]),
      );
      const undeclared = variables[name].filter(
        (variable) => variable.startsWith('CDC_CACHE_') && !declared.has(variable),
      );
      const mapped = [...declared.entries()]
        .filter(([, decision]) => !('notDeployable' in decision))
        .map(([env]) => env!);
      const notDeployable = [...declared.entries()]
        .filter(([, decision]) => 'notDeployable' in decision)
        .map(([env]) => env!);

      // Assess
      expect({ name, undeclared }).toEqual({ name, undeclared: [] });
      expect({ name, missing: mapped.filter((env) => !variables[name].includes(env)) }).toEqual({
        name,
        missing: [],
      });
      expect({ name, unexpected: notDeployable.filter((env) => variables[name].includes(env)) }).toEqual({
        name,
        unexpected: [],
      });
    }
  });
});
