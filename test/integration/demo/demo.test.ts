import { spawn } from 'node:child_process';

/** Run `npm run demo` as a user would, and return its exit code and output lines. */
function runDemo(args: readonly string[]): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, lines: output.trim().split('\n') }));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it('invalidates through both workers, leaves nothing stale, and stops every process it started', async () => {
    // Act
    const { code, lines } = await runDemo(['--duration', '8', '--json']);

    // Assess
    const summary = JSON.parse(lines.at(-1)!) as {
      writes: number;
      reads: number;
      invalidations_applied: number;
      invalidations_observed: number;
      missed_invalidations: number;
      stale_count: number;
      cached_entries_checked: number;
      audit: {
        changes_audited: number;
        delays: Record<string, { checked: number; inconsistent: number; nines: string }>;
      };
      verify: { verified: number; mismatches: number };
      processes: Array<{ name: string; pid: number }>;
    };
    expect({ code, summary }).toMatchObject({ code: 0 });
    expect(summary.writes).toBeGreaterThan(0);
    expect(summary.invalidations_observed).toBeGreaterThan(0);
    expect(summary.invalidations_applied).toBeGreaterThan(0);
    expect(summary.missed_invalidations).toBe(0);
    expect(summary.cached_entries_checked).toBeGreaterThan(0);
    expect(summary.stale_count).toBe(0);
    // Both auditors measured the changes, and the last check found every key consistent.
    expect(summary.audit.changes_audited).toBeGreaterThan(0);
    expect(summary.audit.delays['5s']!.checked).toBeGreaterThan(0);
    expect(summary.audit.delays['5s']!.inconsistent).toBe(0);
    expect(summary.verify.mismatches).toBe(0);
    expect(
      lines.some((line) => /^\[demo\] audit: \d+ changes audited; consistent within 1s/.test(line)),
    ).toBe(true);
    expect(
      lines.some((line) => /^\[demo\] verify: \d+ sampled hits re-loaded, 0 mismatches/.test(line)),
    ).toBe(true);
    expect(summary.processes.map((process) => process.name).sort()).toEqual([
      'dynamodb-audit',
      'dynamodb-worker',
      'kafka-audit',
      'kafka-worker',
      'read-service',
    ]);
    expect(summary.processes.filter((process) => isAlive(process.pid))).toEqual([]);
  }, 300_000);
});
