import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../analysis/expect-close.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function runEiu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/eiu.mjs', ...args], { cwd: repoRoot }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('eiu power', () => {
  it('prints the people needed per arm as JSON, matching R power.prop.test rounded up', async () => {
    const { code, stdout, stderr } = await runEiu(['power', '--baseline', '0.10', '--target', '0.15', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // R: ceiling(power.prop.test(p1 = 0.10, p2 = 0.15, power = 0.8)$n) = 686
    expect(JSON.parse(stdout)).toEqual({ perArm: 686 });
  });

  it('uses the given alpha and power', async () => {
    const { stdout } = await runEiu(['power', '--baseline', '0.08', '--target', '0.12', '--alpha', '0.01', '--power', '0.9', '--json']);
    // R: ceiling(power.prop.test(p1 = 0.08, p2 = 0.12, sig.level = 0.01, power = 0.9)$n) = 1672
    expect(JSON.parse(stdout)).toEqual({ perArm: 1672 });
  });

  it('prints a readable sentence by default', async () => {
    const { code, stdout } = await runEiu(['power', '--baseline', '0.10', '--target', '0.15']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'To detect a change from 10% to 15% with 80% power at the 5% significance level (two-sided), you need 686 people in each arm (1,372 for a two-arm trial).\n',
    );
  });

  it('gives the minimum detectable increase for a number of people per arm', async () => {
    const { code, stdout } = await runEiu(['power', '--baseline', '0.1', '--per-arm', '200', '--json']);
    expect(code).toBe(0);
    // R: power.prop.test(n = 200, p1 = 0.1, power = 0.8, tol = 1e-12)$p2 - 0.1
    expectClose(JSON.parse(stdout).minimumDetectableEffect, 0.099701115000458196, 1e-8);
  });

  it('with --looks gives the group-sequential maximum per arm and the boundaries, matching rpact', async () => {
    const { code, stdout, stderr } = await runEiu(['power', '--baseline', '0.10', '--target', '0.16', '--looks', '4', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['perArm', 'fixedPerArm', 'inflation', 'looks']);
    // R: design <- getDesignGroupSequential(typeOfDesign = "asOF", kMax = 4, alpha = 0.05, beta = 0.2, sided = 2)
    //    ceiling(getSampleSizeRates(design, pi1 = 0.16, pi2 = 0.10)$maxNumberOfSubjects / 2) = 502
    expect(result.perArm).toBe(502);
    // R: ceiling(power.prop.test(p1 = 0.10, p2 = 0.16, power = 0.8)$n) = 492
    expect(result.fixedPerArm).toBe(492);
    expectClose(result.inflation, 1.01963733045673, 1e-6); // R: getDesignCharacteristics(design)$inflationFactor
    expect(result.looks.map((look: { informationFraction: number }) => look.informationFraction)).toEqual([0.25, 0.5, 0.75, 1]);
    // R: design$criticalValues
    [4.33263364604956, 2.96313159912825, 2.35904429107904, 2.01409014314413].forEach((boundary, index) =>
      expectClose(result.looks[index].zBoundary, boundary, 1e-6),
    );
    expect(Object.keys(result.looks[0])).toEqual(['informationFraction', 'zBoundary', 'alphaSpent']);
    expect(result.looks[3].alphaSpent).toBe(0.05);
  });

  it('with --spending pocock uses Pocock-like spending', async () => {
    const { stdout } = await runEiu(['power', '--baseline', '0.10', '--target', '0.16', '--looks', '20', '--spending', 'pocock', '--json']);
    // R: ceiling(getSampleSizeRates(getDesignGroupSequential(typeOfDesign = "asP", kMax = 20, alpha = 0.05, beta = 0.2, sided = 2),
    //            pi1 = 0.16, pi2 = 0.10)$maxNumberOfSubjects / 2) = 624
    expect(JSON.parse(stdout).perArm).toBe(624);
  });

  it('prints a sentence and a boundary table with --looks', async () => {
    const { code, stdout } = await runEiu(['power', '--baseline', '0.10', '--target', '0.16', '--looks', '4']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'To detect a change from 10% to 16% with 80% power at the 5% significance level (two-sided), looking at the results 4 times ' +
        '(O’Brien–Fleming-like alpha spending), you need at most 502 people in each arm (1,004 for a two-arm trial). ' +
        'A single look at the end would need 492 (the looks add 2.0%).\n\n' +
        'Look  People per arm  Stop if |z| at least  or p below  Alpha spent\n' +
        '   1             126                 4.333    < 0.0001       0.0000\n' +
        '   2             251                 2.963      0.0030       0.0031\n' +
        '   3             377                 2.359      0.0183       0.0193\n' +
        '   4             502                 2.014      0.0440       0.0500\n',
    );
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['--looks with --per-arm', ['--baseline', '0.1', '--per-arm', '200', '--looks', '4'], /work with --target/],
    ['a fractional --looks', ['--baseline', '0.1', '--target', '0.15', '--looks', '2.5'], /--looks must be a whole number/],
    ['an unknown --spending', ['--baseline', '0.1', '--target', '0.15', '--looks', '4', '--spending', 'haybittle'], /--spending must be one of obf, pocock/],
    ['--spending without --looks', ['--baseline', '0.1', '--target', '0.15', '--spending', 'pocock'], /--spending needs --looks/],
    ['a baseline that is not a number', ['--baseline', 'ten', '--target', '0.15'], /--baseline must be a number/],
    ['a baseline given as a percentage', ['--baseline', '10', '--target', '0.15'], /--baseline must be a proportion strictly between 0 and 1/],
    ['a target of exactly 1', ['--baseline', '0.1', '--target', '1'], /--target must be a proportion/],
    ['an alpha outside (0, 1)', ['--baseline', '0.1', '--target', '0.15', '--alpha', '5'], /--alpha/],
    ['a power of 0', ['--baseline', '0.1', '--target', '0.15', '--power', '0'], /--power/],
    ['a target equal to the baseline', ['--baseline', '0.1', '--target', '0.1'], /--target must differ from --baseline/],
    ['neither --target nor --per-arm', ['--baseline', '0.1'], /exactly one of --target/],
    ['a fractional --per-arm', ['--baseline', '0.1', '--per-arm', '20.5'], /--per-arm must be a whole number/],
    ['too few people to reach the power', ['--baseline', '0.5', '--per-arm', '5', '--power', '0.99'], /more people are needed/],
    ['a missing --baseline', ['--target', '0.15'], /--baseline/],
  ];
  for (const [name, args, message] of bad) {
    it(`exits non-zero with a message for ${name}`, async () => {
      const { code, stdout, stderr } = await runEiu(['power', ...args, '--json']);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    });
  }
});
