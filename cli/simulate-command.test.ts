import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function runEiu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/eiu.mjs', ...args], { cwd: repoRoot }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('eiu simulate', () => {
  it('plans the trial from the uplift and reports power, coverage and weeks to a decision as JSON', async () => {
    const { code, stdout, stderr } = await runEiu(['simulate', '--baseline', '0.10', '--uplift', '0.06', '--per-week', '26', '--trials', '300', '--seed', '5', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    // eiu power --baseline 0.10 --target 0.16 --looks 20 plans 515 per arm: 20 weeks at 26 a week.
    expect(result.weeks).toBe(20);
    expect(result.plannedPerArm).toBe(515);
    expect(result.trials).toBe(300);
    expect(result.arms).toHaveLength(1);
    const [arm] = result.arms;
    expect(arm.trueRate).toBeCloseTo(0.16, 12);
    expect(arm.power).toBeGreaterThan(0.7);
    expect(arm.falsePositiveRate).toBeNull();
    expect(arm.better + arm.worse + arm.notEnoughEvidence).toBeCloseTo(1, 12);
    expect(arm.expectedWeeksToDecision).toBeGreaterThan(5);
    expect(arm.expectedWeeksToDecision).toBeLessThanOrEqual(20);
    expect(result.boundaries).toHaveLength(20);
  });

  it('gives the same answer for the same seed and a different one for another seed', async () => {
    const args = ['simulate', '--baseline', '0.2', '--uplift', '0', '--per-week', '20', '--looks', '8', '--trials', '200', '--json'];
    const first = JSON.parse((await runEiu([...args, '--seed', '3'])).stdout);
    const again = JSON.parse((await runEiu([...args, '--seed', '3'])).stdout);
    const other = JSON.parse((await runEiu([...args, '--seed', '4'])).stdout);
    expect(again).toEqual(first);
    expect(other.arms[0]).not.toEqual(first.arms[0]);
    expect(first.arms[0].falsePositiveRate).toBeLessThan(0.15);
    expect(first.anyFalsePositive).toBe(first.arms[0].falsePositiveRate);
  });

  it('simulates several arms with one uplift each, and prints sentences by default', async () => {
    const { code, stdout } = await runEiu([
      'simulate', '--baseline', '0.1', '--uplift', '0.08,0', '--arms', '3', '--per-week', '30', '--looks', '10', '--spending', 'pocock', '--trials', '100',
    ]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(
      '100 simulated trials: control rate 10%, 30 people per arm a week, 10 weekly looks, planned 300 per arm, Pocock-like spending of α = 0.05.',
    );
    expect(lines[1]).toMatch(/^arm 1 \(true rate 18%, uplift 8\.0 points\): power [\d.]+% \(correctly found better\); interval covers the truth in [\d.]+%; decided after [\d.]+ weeks on average\.$/);
    expect(lines[2]).toMatch(/^arm 2 \(true rate 10%, uplift 0\.0 points\): false-positive rate [\d.]+% \(better [\d.]+%, worse [\d.]+%\)/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['uplifts that do not match the arms', ['--baseline', '0.1', '--uplift', '0.05,0.02', '--arms', '4', '--per-week', '20'], /one value or one per non-control arm \(3\)/],
    ['a rate pushed past 1', ['--baseline', '0.9', '--uplift', '0.2', '--per-week', '20', '--looks', '4'], /strictly between 0 and 1/],
    ['no way to know how long an A/A trial runs', ['--baseline', '0.1', '--uplift', '0', '--per-week', '20'], /give --looks or --planned-per-arm/],
    ['an unknown spending shape', ['--baseline', '0.1', '--uplift', '0.05', '--per-week', '20', '--looks', '4', '--spending', 'linear'], /--spending must be one of obf, pocock/],
    ['a fractional --per-week', ['--baseline', '0.1', '--uplift', '0.05', '--per-week', '2.5', '--looks', '4'], /--per-week must be a whole number/],
    ['a missing --per-week', ['--baseline', '0.1', '--uplift', '0.05'], /--per-week/],
  ];
  for (const [name, args, message] of bad) {
    it(`exits non-zero with a message for ${name}`, async () => {
      const { code, stdout, stderr } = await runEiu(['simulate', ...args, '--json', '--trials', '10']);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    });
  }
});
