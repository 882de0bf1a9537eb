import { DEMO_USAGE, parseDemoArgs } from '../../../scripts/demo/demo-args';
import { CdcCacheError } from '../../../src/errors';

describe('parseDemoArgs', () => {
  it('reads flags with or without =, switches, and defaults', () => {
    // Act
    const given = parseDemoArgs(['--duration', '10', '--source=postgres', '--json']);
    const defaults = parseDemoArgs([]);

    // Assess
    expect(given).toEqual({ durationS: 10, source: 'postgres', json: true, keepStack: false });
    expect(defaults).toEqual({ durationS: 30, source: 'debezium', json: false, keepStack: false });
    expect(parseDemoArgs(['--help'])).toBe('help');
  });

  it('refuses a bad argument with a coded error naming it, and lists every option in its usage', () => {
    // Act
    const act = () => parseDemoArgs(['--duration', '0', '--source', 'kafka', '--verbose']);

    // Assess
    expect(act).toThrow(CdcCacheError);
    expect(act).toThrow(/durationS \(--duration\): '0' is not a number of seconds/);
    expect(act).toThrow(/source \(--source\): expected one of debezium, postgres/);
    expect(act).toThrow(/unknown flag --verbose/);
    for (const flag of ['--duration', '--source', '--json', '--keep-stack'])
      expect(DEMO_USAGE).toContain(flag);
  });
});
