import { CONFIG_DEFAULTS, CONTEXT_KEYS } from '../../../infra/lib/config';
import { formatInfraSettings, INFRA_SETTINGS } from '../../../infra/lib/settings';

describe('the CDK app settings, as data', () => {
  it('read every key the app validates, and give each a default or say why it has none', () => {
    // Prepare
    const table = formatInfraSettings(CONFIG_DEFAULTS);
    // Each of these switches a consumer on: absent means that consumer is not deployed.
    const enabling = ['tableName', 'tableStreamArn', 'kafkaBrokers', 'kafkaTopics'];

    // Act
    const defaultsWithoutSetting = Object.keys(CONFIG_DEFAULTS).filter((key) => !(key in INFRA_SETTINGS));
    const silent = Object.keys(INFRA_SETTINGS).filter(
      (key) => !enabling.includes(key) && table.includes(`| \`${key}\` |  |`),
    );

    // Assess
    expect(CONTEXT_KEYS).toEqual(['configFile', ...Object.keys(INFRA_SETTINGS)]);
    expect(defaultsWithoutSetting).toEqual([]);
    expect(silent).toEqual([]);
    expect(table).toContain(`| \`kafkaDlqTopic\` | \`${CONFIG_DEFAULTS.kafkaDlqTopic}\` |`);
  });
});
