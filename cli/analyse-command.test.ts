import { mulberry32 } from '../seed/mulberry32.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseBinaryMetric } from '../analysis/analyse-binary-metric.ts';
import { robustIntervalAt } from '../analysis/clustering.ts';
import { alwaysValidPValue, confidenceSequenceDifference } from '../analysis/confidence-sequence.ts';
import { decideComparison } from '../analysis/decision-rule.ts';
import { expectClose, expectIntervalClose } from '../analysis/expect-close.ts';
import { scoreDifferenceInterval, scoreDifferenceTest } from '../analysis/score-difference-interval.ts';
import type { BinaryArmStats } from '../analysis/types.ts';
import { analyseCsv } from './analyse-command.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'eiu-analyse-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function runEiu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/eiu.mjs', ...args], { cwd: repoRoot }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function writeCsv(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** One row per person: `count` people in `arm`, the first `successes` of them reached the stage. */
function people(arm: string, count: number, successes: number, successText = '1', failureText = '0'): string[] {
  return Array.from({ length: count }, (_, index) => `${arm},${index < successes ? successText : failureText}`);
}

// letter 12/120, text 21/118, phone 27/122, interleaved so arms first appear letter, text, phone,
// with outcomes spelled several ways (1, true, TRUE with spaces, 0, false).
const threeArmRows = (() => {
  const letter = people('letter', 120, 12);
  const text = people('text', 118, 21, ' TRUE ', 'false');
  const phone = people('phone', 122, 27, 'true', ' 0');
  const rows: string[] = [];
  for (let index = 0; index < 122; index++) {
    if (index < letter.length) rows.push(letter[index]);
    if (index < text.length) rows.push(text[index]);
    rows.push(phone[index]);
  }
  return rows;
})();
const threeArmFile = writeCsv('three-arms.csv', `arm,attended\n${threeArmRows.join('\n')}\n`);

describe('eiu analyse --json', () => {
  it('prints one JSON object matching the R and statsmodels reference values', async () => {
    const { code, stdout, stderr } = await runEiu([
      'analyse', threeArmFile, '--outcome', 'attended', '--control', 'letter', '--weights', 'letter=1,text=1,phone=1', '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.outcome).toBe('attended');
    expect(result.control).toBe('letter');
    // Control first, then the others by name, whatever order the rows are in.
    expect(result.arms.map((arm: { arm: string }) => arm.arm)).toEqual(['letter', 'phone', 'text']);
    expect(result.arms[2]).toMatchObject({ arm: 'text', n: 118, successes: 21 });
    expect(result.arms[1]).toMatchObject({ arm: 'phone', n: 122, successes: 27 });
    expectClose(result.arms[0].rate, 0.1);
    expectIntervalClose(result.arms[0].ci, [0.055032047929437562, 0.171629715641382796]); // R: prop.test(12, 120, correct = TRUE)$conf.int
    expectIntervalClose(result.arms[1].ci, [0.15328566204018185, 0.30727766388381739]); // R: prop.test(27, 122, correct = TRUE)$conf.int

    expect(result.comparisons.map((comparison: { arm: string }) => comparison.arm)).toEqual(['phone', 'text']);
    const [phone, text] = result.comparisons;
    expect(text.arm).toBe('text');
    expectClose(text.difference, 21 / 118 - 0.1);
    // R reference functions mnz, mnci and rrci: analysis/score-difference-interval.test.ts, analysis/risk-ratio-score-interval.test.ts
    expectIntervalClose(text.differenceCi, [-0.014756143670724697, 0.17338212056944172]); // R: mnci(21, 118, 12, 120)
    expectIntervalClose(text.relativeUpliftCi, [0.90217747690644956 - 1, 3.630742186023598 - 1]); // R: rrci(21, 118, 12, 120) - 1
    expect(text.test).toBe('score');
    expectClose(text.pValue, 0.10056180488914221); // R: 2 * pnorm(-abs(mnz(21, 118, 12, 120, 0)))
    expectClose(text.pValueHolm, 0.10056180488914221); // R: p.adjust(c(0.10056180488914221, 0.013398912049812587), 'holm')[1]
    expectClose(text.probabilityBeatsControl, 0.95763454584793073, 1e-9); // R: integrate(function(x) dbeta(x, 22, 98) * pbeta(x, 13, 109), 0, 1, rel.tol = 1e-12)$value
    expectClose(phone.pValue, 0.013398912049812587); // R: 2 * pnorm(-abs(mnz(27, 122, 12, 120, 0)))
    expectClose(phone.pValueHolm, 0.026797824099625174); // R: p.adjust(c(0.10056180488914221, 0.013398912049812587), 'holm')[2]
    expectIntervalClose(phone.differenceCi, [0.025136570833456207, 0.21929763164309299]); // R: mnci(27, 122, 12, 120)

    // R: chisq.test(matrix(c(12, 21, 27, 108, 97, 95), ncol = 2), correct = FALSE)
    expectClose(result.omnibus.statistic, 6.5714253959433186);
    expect(result.omnibus.df).toBe(2);
    expectClose(result.omnibus.pValue, 0.037413910770850385);
    // R: chisq.test(x = c(120, 118, 122), p = c(1, 1, 1) / 3)$p.value
    expectClose(result.srm.pValue, 0.9672161004820059);
    expect(result.srm.flagged).toBe(false);
  });

  it('leaves out the sample-ratio check when no weights are given', async () => {
    const { stdout } = await runEiu(['analyse', threeArmFile, '--outcome', 'attended', '--control', 'letter', '--json']);
    const result = JSON.parse(stdout);
    expect(result.srm).toBeUndefined();
    expect(result.control).toBe('letter');
  });

  it('defaults the control to the arm named "control" and reads a custom arm column', async () => {
    const file = writeCsv(
      'named-control.csv',
      `person_ref,group,went\n${[...people('text', 20, 6), ...people('control', 20, 2)].map((row, index) => `P${index},${row}`).join('\n')}\n`,
    );
    const { code, stdout } = await runEiu(['analyse', file, '--outcome', 'went', '--arm', 'group', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.control).toBe('control');
    expect(result.arms.map((arm: { arm: string }) => arm.arm)).toEqual(['control', 'text']);
    // the score test its interval inverts, whatever the counts; R: 2 * pnorm(-abs(mnz(6, 20, 2, 20, 0)))
    expect(result.comparisons[0].test).toBe('score');
    expectClose(result.comparisons[0].pValue, 0.17190967716601427);
    // expected successes 20 × 8 / 40 = 4 < 5 → exact omnibus; R: fisher.test(matrix(c(6, 2, 14, 18), 2))$p.value
    expect(result.omnibus.test).toBe('fisher-freeman-halton');
    expectClose(result.omnibus.pValue, 0.23511623511623519);
  });

  it('withholds a small subgroup and the next-smallest, so neither can be worked out from the totals', async () => {
    const rows: string[] = [];
    for (let person = 0; person < 200; person++) {
      const arm = person % 2 === 0 ? 'letter' : 'text';
      const group = person < 12 ? 'sensory' : person < 60 ? 'neurological' : 'mental health';
      rows.push(`${arm},${group},${person % 3 === 0 ? 1 : 0}`);
    }
    const file = writeCsv('small-subgroup.csv', `arm,health_group,went\n${rows.join('\n')}\n`);
    const { code, stdout } = await runEiu(['analyse', file, '--outcome', 'went', '--by', 'health_group', '--control', 'letter']);
    expect(code).toBe(0);
    const line = (name: string) => stdout.split('\n').filter((text) => text.trimStart().startsWith(name));
    expect(line('sensory')).toHaveLength(1);
    expect(line('sensory')[0]).toContain('too few people to show');
    expect(line('neurological')).toHaveLength(1);
    expect(line('neurological')[0]).toContain('withheld: would reveal a smaller group');
    expect(line('mental health')).toHaveLength(2);
  });

  it('adds subgroup and clustering results when --by and --cluster are given', async () => {
    const rows: string[] = [];
    for (let person = 0; person < 240; person++) {
      const arm = person % 2 === 0 ? 'letter' : 'text';
      const coach = `coach_${String((person % 6) + 1).padStart(2, '0')}`;
      const group = person % 3 === 0 ? 'mental health' : 'musculoskeletal';
      const attended = (person * 7) % 10 < (arm === 'text' ? 3 : 2) ? 1 : 0;
      rows.push(`${arm},${coach},${group},${attended}`);
    }
    const file = writeCsv('by-and-cluster.csv', `arm,coach,health_group,attended\n${rows.join('\n')}\n`);
    const { code, stdout, stderr } = await runEiu([
      'analyse', file, '--outcome', 'attended', '--control', 'letter', '--by', 'health_group', '--cluster', 'coach', '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.by).toBe('health_group');
    expect(result.subgroups.subgroups.map((group: { subgroup: string }) => group.subgroup)).toEqual(['mental health', 'musculoskeletal']);
    expect(result.subgroups.heterogeneity[0].arm).toBe('text');
    expect(result.cluster).toBe('coach');
    expect(result.clustering.clusters).toBe(6);
    expect(result.clustering.comparisons[0].arm).toBe('text');
    expectClose(result.clustering.comparisons[0].difference, result.comparisons[0].difference, 1e-12);
  });
});

describe('eiu analyse (readable output)', () => {
  it('prints aligned tables with the control first and a plain-English omnibus line', async () => {
    const { code, stdout } = await runEiu(['analyse', threeArmFile, '--outcome', 'attended', '--control', 'text', '--weights', 'text=1,letter=1,phone=1']);
    expect(code).toBe(0);
    expect(stdout).toContain('attended by arm (control: text; 95% intervals)');
    const armLines = stdout.split('\n').filter((line) => /^ {2}(letter|text|phone) /.test(line));
    expect(armLines[0]).toMatch(/^ {2}text /);
    expect(stdout).toContain('Compared with text:');
    expect(stdout).toContain('All arms the same? Chi-square 6.57 on 2 df, p = 0.037');
    expect(stdout).toContain('Arm sizes fit the planned weights (sample-ratio check p = 0.967).');
  });

  it('analyses the committed example file', async () => {
    const { code, stdout } = await runEiu(['analyse', 'seed/examples/first-contact-channel.csv', '--outcome', 'attended', '--control', 'letter']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/letter\s+200\s+\d+/);
    expect(stdout).toContain('Compared with letter:');
  });
});

describe('eiu analyse reads the arms by name, not by the order of rows', () => {
  const rows = [...people('text', 30, 9), ...people('control', 30, 3), ...people('email', 30, 6)];
  const header = 'arm,attended\n';

  it('takes the arm named "control" as the control even when other arms come first', async () => {
    const { code, stdout } = await runEiu(['analyse', writeCsv('control-last.csv', header + rows.join('\n')), '--outcome', 'attended', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.control).toBe('control');
    expect(result.arms.map((arm: { arm: string }) => arm.arm)).toEqual(['control', 'email', 'text']);
    expect(result.comparisons.map((comparison: { arm: string }) => comparison.arm)).toEqual(['email', 'text']);
  });

  it('prints the same report whatever order the rows are in', async () => {
    const reversed = writeCsv('reversed.csv', header + [...rows].reverse().join('\n'));
    const interleaved = writeCsv('interleaved.csv', header + rows.map((_, index) => rows[(index * 7) % rows.length]).join('\n'));
    const outputs = await Promise.all(
      [reversed, interleaved].map((file) => runEiu(['analyse', file, '--outcome', 'attended', '--weights', 'text=1,control=1,email=1'])),
    );
    expect(outputs[0].code).toBe(0);
    expect(outputs[0].stdout).toContain('Compared with control:');
    expect(outputs[1].stdout).toBe(outputs[0].stdout);
  });

  it('matches --weights to arms by name, in any order, for the sample-ratio check', async () => {
    const run = (weights: string) => runEiu(['analyse', threeArmFile, '--outcome', 'attended', '--control', 'letter', '--weights', weights, '--json']);
    const [first, second] = await Promise.all([run('letter=1,phone=2,text=1'), run('text=1, phone=2, letter=1')]);
    expect(first.stderr).toBe('');
    const result = JSON.parse(first.stdout);
    expectClose(result.srm.pValue, 7.5629841182651401e-9, 1e-6); // R: chisq.test(x = c(120, 122, 118), p = c(1, 2, 1) / 4)$p.value
    expect(result.srm.flagged).toBe(true);
    expect(JSON.parse(second.stdout).srm).toEqual(result.srm);
  });

  it('warns on stderr about arm names that differ only in case or spaces, and keeps them as separate arms', async () => {
    const file = writeCsv(
      'case-variants.csv',
      `arm,attended\n${[...people('control', 10, 2), ...people('Control', 10, 3), ...people(' control', 10, 1), ...people('text', 10, 4), ...people('warm text', 10, 5), ...people('Warm Text', 10, 5)].join('\n')}\n`,
    );
    const { code, stdout, stderr } = await runEiu(['analyse', file, '--outcome', 'attended', '--json']);
    expect(code).toBe(0);
    expect(stderr).toContain('warning: arms " control", "Control", "control" differ only in case or spaces; they are analysed as separate arms');
    expect(stderr).toContain('warning: arms "Warm Text", "warm text" differ only in case or spaces');
    const result = JSON.parse(stdout);
    expect(result.arms.map((arm: { arm: string; n: number }) => [arm.arm, arm.n])).toEqual([
      ['control', 10],
      [' control', 10],
      ['Control', 10],
      ['Warm Text', 10],
      ['text', 10],
      ['warm text', 10],
    ]);
    expect(result.warnings).toHaveLength(2);
  });

  it('says in the text whether ids were checked for duplicates', async () => {
    const withIds = writeCsv('with-ids.csv', `id,arm,attended\n${rows.map((row, index) => `P${index},${row}`).join('\n')}\n`);
    const checked = await runEiu(['analyse', withIds, '--outcome', 'attended']);
    expect(checked.stdout).toContain('Each id in column "id" appears once.');
    const unchecked = await runEiu(['analyse', writeCsv('no-ids.csv', header + rows.join('\n')), '--outcome', 'attended']);
    expect(unchecked.stdout).toContain('Duplicate people not checked: the file has no "id" column (name one with --id COLUMN).');
  });
});

describe('eiu analyse on a large file', () => {
  it('gives 200,000 rows the same counts and results as analysing the counts directly', async () => {
    const arms = ['control', 'letter', 'phone', 'text'];
    const groups = ['mental health', 'musculoskeletal', 'neurological', ''];
    const expected = new Map(arms.map((arm) => [arm, { arm, n: 0, successes: 0 }]));
    const expectedByGroup = new Map<string, Map<string, number>>();
    const coaches = new Set<string>();
    const lines = ['id,arm,coach,health_group,attended'];
    let state = 12345;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let person = 0; person < 200_000; person++) {
      const arm = arms[Math.floor(random() * arms.length)];
      const group = groups[Math.floor(random() * groups.length)];
      const coach = `coach_${Math.floor(random() * 25)}`;
      const success = random() < 0.05 + 0.01 * arms.indexOf(arm);
      // Outcomes and fields written several ways, so records cross read-chunk boundaries in every form.
      const outcome = success ? (person % 3 === 0 ? '1' : person % 3 === 1 ? ' TRUE ' : '"true"') : person % 2 ? '0' : 'false';
      lines.push(`P${person},${person % 5 === 0 ? `"${arm}"` : arm},${coach},${group},${outcome}`);
      expected.get(arm)!.n++;
      expected.get(arm)!.successes += success ? 1 : 0;
      const groupName = group || '(not recorded)';
      if (!expectedByGroup.has(groupName)) expectedByGroup.set(groupName, new Map());
      expectedByGroup.get(groupName)!.set(arm, (expectedByGroup.get(groupName)!.get(arm) ?? 0) + 1);
      coaches.add(coach);
    }
    const file = writeCsv('large.csv', `${lines.join('\r\n')}\r\n`);

    const { code, stdout, stderr } = await runEiu(['analyse', file, '--outcome', 'attended', '--by', 'health_group', '--cluster', 'coach', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const direct = analyseBinaryMetric({ arms: arms.map((arm) => expected.get(arm)!), control: 'control' });
    expect(result.arms).toEqual(direct.arms);
    // The comparisons add the verdict fields to what analyseBinaryMetric returns.
    expect(result.comparisons).toMatchObject(direct.comparisons);
    expect(result.omnibus).toEqual(direct.omnibus);
    expect(result.idColumn).toBe('id');
    for (const subgroup of result.subgroups.subgroups) {
      expect(Object.fromEntries(subgroup.arms.map((arm: { arm: string; n: number }) => [arm.arm, arm.n]))).toEqual(
        Object.fromEntries(expectedByGroup.get(subgroup.subgroup)!),
      );
    }
    expect(result.subgroups.subgroups.map((group: { subgroup: string }) => group.subgroup)).toEqual([
      'mental health',
      'musculoskeletal',
      'neurological',
      '(not recorded)',
    ]);
    expect(result.clustering.clusters).toBe(coaches.size);
    expect(result.clustering.people).toBe(200_000);
  }, 30_000);
});

describe('eiu analyse with malformed input', () => {
  const failing: Array<{ name: string; file?: string; contents?: string; args: string[]; message: RegExp }> = [
    { name: 'a missing file', args: ['--outcome', 'attended'], file: 'does-not-exist.csv', message: /cannot read .*does-not-exist\.csv: no such file/ },
    {
      name: 'a missing outcome column, listing the columns found',
      contents: 'arm,responded\nletter,1\ntext,0\n',
      args: ['--outcome', 'attended'],
      message: /column "attended" \(--outcome\) is not in the file; columns found: arm, responded/,
    },
    {
      name: 'a missing arm column',
      contents: 'group,attended\nletter,1\ntext,0\n',
      args: ['--outcome', 'attended'],
      message: /column "arm" \(--arm\) is not in the file; columns found: group, attended/,
    },
    {
      name: 'a missing cluster column',
      contents: 'arm,attended\nletter,1\ntext,0\n',
      args: ['--outcome', 'attended', '--cluster', 'coach'],
      message: /column "coach" \(--cluster\) is not in the file/,
    },
    {
      name: 'a missing --by column',
      contents: 'arm,attended\nletter,1\ntext,0\n',
      args: ['--outcome', 'attended', '--by', 'age_band'],
      message: /column "age_band" \(--by\) is not in the file/,
    },
    {
      name: 'an outcome that is not 0/1, with its line and value',
      contents: 'arm,attended\nletter,1\ntext,0\ntext,yes\n',
      args: ['--outcome', 'attended'],
      message: /line 4: outcome column "attended" has "yes"/,
    },
    {
      name: 'a blank outcome, with its line',
      contents: 'arm,attended\nletter,1\ntext,\n',
      args: ['--outcome', 'attended'],
      message: /line 3: outcome column "attended" has ""/,
    },
    {
      name: 'an empty arm value, with its line',
      contents: 'arm,attended\nletter,1\n  ,0\ntext,0\n',
      args: ['--outcome', 'attended'],
      message: /line 3: the arm \(column "arm"\) is empty/,
    },
    {
      name: 'only one arm',
      contents: 'arm,attended\nletter,1\nletter,0\n',
      args: ['--outcome', 'attended'],
      message: /only one arm \("letter"\)/,
    },
    {
      name: 'an unknown control, naming the arms found',
      contents: 'arm,attended\ntext,1\nletter,0\n',
      args: ['--outcome', 'attended', '--control', 'email'],
      message: /control arm "email" is not in the file; arms found: "letter", "text"/,
    },
    {
      name: 'no arm named "control" and no --control, naming the arms found',
      contents: 'arm,attended\ntext,1\nletter,0\n',
      args: ['--outcome', 'attended'],
      message: /no arm is named exactly "control"; say which arm is the control with --control ARM; arms found: "letter", "text"/,
    },
    {
      name: 'a control spelled "Control", pointing at it',
      contents: 'arm,attended\ntext,1\nControl,0\n',
      args: ['--outcome', 'attended'],
      message: /no arm is named exactly "control" \(found "Control"\)/,
    },
    {
      name: 'weights given by position instead of by name',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', '1,1'],
      message: /--weights names each arm with its weight, e.g. --weights control=1,text=1 \(got "1"\)/,
    },
    {
      name: 'a weight for an arm that is not in the file',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=1,text=1,email=1'],
      message: /--weights names "email", which is not an arm in the file; arms found: "control", "text"/,
    },
    {
      name: 'an arm with no weight',
      contents: 'arm,attended\ncontrol,1\ntext,0\nphone,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=1,text=1'],
      message: /--weights has no weight for "phone"; give every arm exactly once/,
    },
    {
      name: 'an arm weighted twice',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=1,text=1,text=2'],
      message: /--weights names "text" more than once/,
    },
    {
      name: 'a negative weight',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=1,text=-2'],
      message: /--weights: the weight for "text" must be a positive number \(got "-2"\)/,
    },
    {
      name: 'a zero weight',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=0,text=1'],
      message: /--weights: the weight for "control" must be a positive number \(got "0"\)/,
    },
    {
      name: 'a weight that is not a number',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--weights', 'control=1,text=two'],
      message: /--weights: the weight for "text" must be a positive number \(got "two"\)/,
    },
    {
      name: 'an id that appears twice, naming both lines',
      contents: 'id,arm,attended\nP0001,control,1\nP0042,text,0\nP0003,text,1\nP0042,control,0\n',
      args: ['--outcome', 'attended'],
      message: /id "P0042" appears on line 3 and line 5/,
    },
    {
      name: 'a duplicate id in a column named with --id, counting lines inside quoted fields',
      contents: 'person_ref,arm,attended,note\nP1,control,1,"two\nlines"\n\nP2,text,0,\nP1,text,1,\n',
      args: ['--outcome', 'attended', '--id', 'person_ref'],
      message: /id "P1" appears on line 2 and line 6; each person should have one row \(column "person_ref"\)/,
    },
    {
      name: 'a blank id, with its line',
      contents: 'id,arm,attended\nP1,control,1\n ,text,0\n',
      args: ['--outcome', 'attended'],
      message: /line 3: the id \(column "id"\) is empty/,
    },
    {
      name: 'an --id column that is not in the file',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--id', 'person_ref'],
      message: /column "person_ref" \(--id\) is not in the file/,
    },
    {
      name: 'a bad outcome after a field spanning two lines, with the line it is on',
      contents: 'arm,attended,note\ncontrol,1,"two\nlines"\ntext,yes,\n',
      args: ['--outcome', 'attended'],
      message: /line 4: outcome column "attended" has "yes"/,
    },
    {
      name: 'a row with too few fields, with its line',
      contents: 'arm,attended\nletter,1\ntext\n',
      args: ['--outcome', 'attended'],
      message: /line 3/,
    },
    {
      name: 'a header with no people',
      contents: 'arm,attended\n',
      args: ['--outcome', 'attended'],
      message: /no people/,
    },
    ...[
      { option: ['--planned', '0'], message: /--planned must be a positive whole number of people across all arms \(got "0"\)/ },
      { option: ['--planned', '250.5'], message: /--planned must be a positive whole number of people across all arms \(got "250.5"\)/ },
      { option: ['--planned', 'lots'], message: /--planned must be a positive whole number/ },
      { option: ['--planned', '400', '--spending', 'linear'], message: /--spending must be obf or pocock \(got "linear"\)/ },
      { option: ['--rule', 'bayesian'], message: /--rule must be group_sequential or confidence_sequence \(got "bayesian"\)/ },
      { option: ['--rule', 'group_sequential'], message: /--rule group_sequential needs --planned N/ },
      { option: ['--spending', 'pocock'], message: /--spending is for the group-sequential rule, which needs --planned N/ },
      { option: ['--looks', '0'], message: /--looks must be a whole number from 1 to 200 \(got "0"\)/ },
      { option: ['--looks', '201'], message: /--looks must be a whole number from 1 to 200 \(got "201"\)/ },
      { option: ['--looks', '2.5'], message: /--looks must be a whole number from 1 to 200/ },
      { option: ['--alpha', '0'], message: /--alpha must be a number above 0 and at most 0.5/ },
      { option: ['--alpha', '5%'], message: /--alpha must be a number above 0 and at most 0.5/ },
      { option: ['--looks', '4', '--week', 'week'], message: /give --week COLUMN or --looks K, not both/ },
    ].map(({ option, message }) => ({
      name: `the verdict option ${option.join(' ')}`,
      contents: 'arm,week,attended\ncontrol,1,1\ntext,1,0\n',
      args: ['--outcome', 'attended', ...option],
      message,
    })),
    {
      name: 'a missing --week column',
      contents: 'arm,attended\ncontrol,1\ntext,0\n',
      args: ['--outcome', 'attended', '--week', 'entry_date'],
      message: /column "entry_date" \(--week\) is not in the file/,
    },
    {
      name: 'a week that is neither a date nor a whole number, with its line',
      contents: 'arm,entry,attended\ncontrol,2025-03-03,1\ntext,3 March,0\n',
      args: ['--outcome', 'attended', '--week', 'entry'],
      message: /line 3: week column "entry" has "3 March"; expected a date YYYY-MM-DD or a whole week number/,
    },
    {
      name: 'a week date that does not exist, with its line',
      contents: 'arm,entry,attended\ncontrol,2025-03-03,1\ntext,2025-02-29,0\n',
      args: ['--outcome', 'attended', '--week', 'entry'],
      message: /line 3: week column "entry" has "2025-02-29", which is not a real date/,
    },
    {
      name: 'a week column mixing week numbers and dates, with its line',
      contents: 'arm,entry,attended\ncontrol,1,1\ntext,2,0\ntext,2025-03-03,0\n',
      args: ['--outcome', 'attended', '--week', 'entry'],
      message: /line 4: week column "entry" has "2025-03-03", a date, but earlier rows have week numbers/,
    },
    {
      name: 'a blank week, with its line',
      contents: 'arm,entry,attended\ncontrol,1,1\ntext, ,0\n',
      args: ['--outcome', 'attended', '--week', 'entry'],
      message: /line 3: the week \(column "entry"\) is empty/,
    },
  ];

  for (const [index, testCase] of failing.entries()) {
    it(`exits non-zero with a message for ${testCase.name}`, async () => {
      const file = testCase.contents === undefined ? join(directory, testCase.file!) : writeCsv(`bad-${index}.csv`, testCase.contents);
      const { code, stdout, stderr } = await runEiu(['analyse', file, ...testCase.args, '--json']);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toMatch(testCase.message);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('exits non-zero when --outcome is not given', async () => {
    const { code, stderr } = await runEiu(['analyse', threeArmFile]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--outcome/);
  });
});


/** Control and text rows with exactly the successes asked for, interleaved. */
function twoArmFile(name: string, control: [number, number], text: [number, number]): string {
  const rows = [...people('control', ...control), ...people('text', ...text)];
  return writeCsv(name, `arm,attended\n${rows.join('\n')}\n`);
}

const unpooledSe = (arm: BinaryArmStats, control: BinaryArmStats) => {
  const rate = (stats: BinaryArmStats) => stats.successes / stats.n;
  return Math.sqrt((rate(arm) * (1 - rate(arm))) / arm.n + (rate(control) * (1 - rate(control))) / control.n);
};

const excludesZero = (interval: [number, number] | null) => interval !== null && (interval[0] > 0 || interval[1] < 0);

interface VerdictJson {
  verdict: string;
  verdictRule: string;
  verdictInterval: [number, number] | null;
  verdictConfidence: number | null;
  verdictPValue: number | null;
  verdictThreshold: number | null;
  verdictAllowsForClusters: boolean;
  look: { number: number; informationFraction: number; zBoundary: number; alphaSpent: number } | null;
}

describe('eiu analyse gives the platform verdict', () => {
  // control 20/200 (10%), text 50/200 (25%): far beyond any boundary.
  const clearFile = twoArmFile('clear-effect.csv', [200, 20], [200, 50]);
  // 20/200 in both arms.
  const nullFile = twoArmFile('no-effect.csv', [200, 20], [200, 20]);

  it('finds a clear effect better, with the p-value below the threshold and an interval that leaves out 0', async () => {
    for (const args of [['--planned', '800'], []]) {
      const { code, stdout, stderr } = await runEiu(['analyse', clearFile, '--outcome', 'attended', ...args, '--json']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const text: VerdictJson = JSON.parse(stdout).comparisons[0];
      expect(text.verdict).toBe('better');
      expect(text.verdictRule).toBe(args.length ? 'group_sequential' : 'confidence_sequence');
      expect(text.verdictPValue!).toBeLessThan(text.verdictThreshold!);
      expect(text.verdictInterval![0]).toBeGreaterThan(0);
    }
  });

  it('calls the same effect worse when the outcome is a harm (--lower-is-better)', async () => {
    const { stdout } = await runEiu(['analyse', clearFile, '--outcome', 'attended', '--planned', '800', '--lower-is-better', '--json']);
    const result = JSON.parse(stdout);
    expect(result.comparisons[0].verdict).toBe('worse');
    expect(result.decisionPlan.higherIsBetter).toBe(false);
  });

  it('finds not enough evidence in a file with no effect, with an interval that includes 0', async () => {
    for (const args of [['--planned', '800'], []]) {
      const { stdout } = await runEiu(['analyse', nullFile, '--outcome', 'attended', ...args, '--json']);
      const text: VerdictJson = JSON.parse(stdout).comparisons[0];
      expect(text.verdict).toBe('not_enough_evidence');
      expect(text.verdictInterval![0]).toBeLessThan(0);
      expect(text.verdictInterval![1]).toBeGreaterThan(0);
      expect(text.verdictPValue!).toBeGreaterThanOrEqual(text.verdictThreshold!);
    }
  });

  it('says too early, with no interval or p-value, while an arm has fewer than 10 people', async () => {
    const file = twoArmFile('too-early.csv', [9, 0], [9, 9]);
    const result = await analyseCsv(file, { outcome: 'attended', arm: 'arm', planned: '100' });
    expect(result.comparisons[0]).toMatchObject({ verdict: 'too_early', verdictInterval: null, verdictPValue: null, verdictThreshold: null, look: null });
  });

  it('calls a comparison better or worse exactly when its p-value is below the threshold and exactly when its interval leaves out 0, over a grid of files', async () => {
    const seen = new Set<string>();
    let file = 0;
    for (const perArm of [8, 40, 150]) {
      for (const textRate of [0, 0.05, 0.1, 0.17, 0.25, 0.4]) {
        const path = twoArmFile(`grid-${file++}.csv`, [perArm, Math.round(perArm * 0.1)], [perArm, Math.round(perArm * textRate)]);
        for (const plan of [{ planned: String(4 * perArm) }, { planned: String(4 * perArm), spending: 'pocock' }, {}, { planned: String(2 * perArm), rule: 'confidence_sequence' }]) {
          for (const looks of [undefined, '5']) {
            for (const lowerIsBetter of [false, true]) {
              const result = await analyseCsv(path, { outcome: 'attended', arm: 'arm', ...plan, looks, lowerIsBetter });
              const comparison: VerdictJson = result.comparisons[0];
              const decided = comparison.verdict === 'better' || comparison.verdict === 'worse';
              const pBelow = comparison.verdictPValue !== null && comparison.verdictThreshold !== null && comparison.verdictPValue < comparison.verdictThreshold;
              expect(pBelow, JSON.stringify({ perArm, textRate, plan, looks, comparison })).toBe(decided);
              expect(excludesZero(comparison.verdictInterval), JSON.stringify({ perArm, textRate, plan, looks, comparison })).toBe(decided);
              if (decided) expect(comparison.verdict === 'better').toBe(lowerIsBetter ? comparison.verdictInterval![1] < 0 : comparison.verdictInterval![0] > 0);
              seen.add(comparison.verdict);
            }
          }
        }
      }
    }
    // The grid reaches every verdict, so the agreement above is not vacuous.
    expect([...seen].sort()).toEqual(['better', 'not_enough_evidence', 'too_early', 'worse']);
  }, 60_000);

  it('with a week column, looks once a week and reaches the verdict decideComparison reaches on the weekly counts', async () => {
    // Six reporting weeks from Monday 3 March 2025; entry dates anywhere Monday to Sunday, rows shuffled.
    const random = mulberry32(20250303);
    const entries: { arm: 'control' | 'text'; week: number; day: number; attended: number }[] = [];
    for (let week = 0; week < 6; week++) {
      for (const arm of ['control', 'text'] as const) {
        for (let person = 0; person < 30 + week * 4; person++) {
          entries.push({ arm, week, day: person % 7, attended: random() < (arm === 'text' ? 0.24 : 0.12) ? 1 : 0 });
        }
      }
    }
    for (let index = entries.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [entries[index], entries[other]] = [entries[other], entries[index]];
    }
    const monday = Date.UTC(2025, 2, 3);
    const dateOf = (week: number, day: number) => new Date(monday + (week * 7 + day) * 86_400_000).toISOString().slice(0, 10);
    const rows = entries.map((entry, index) => `P${index},${entry.arm},${dateOf(entry.week, entry.day)},${entry.attended}`);
    const file = writeCsv('six-weeks.csv', `id,arm,entry_date,attended\n${rows.join('\n')}\n`);

    const { code, stdout, stderr } = await runEiu(['analyse', file, '--outcome', 'attended', '--planned', '700', '--week', 'entry_date', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.decisionPlan.looks).toEqual({
      from: 'week',
      count: 6,
      weekColumn: 'entry_date',
      weeks: ['2025-03-09', '2025-03-16', '2025-03-23', '2025-03-30', '2025-04-06', '2025-04-13'],
    });

    const cumulative = (arm: string, throughWeek: number) => entries.filter((entry) => entry.arm === arm && entry.week <= throughWeek).length;
    const stats = (arm: string): BinaryArmStats => ({
      arm,
      n: cumulative(arm, 5),
      successes: entries.filter((entry) => entry.arm === arm && entry.attended).length,
    });
    const [text, control] = [stats('text'), stats('control')];
    const expected = decideComparison({
      plan: { rule: 'group_sequential', spending: 'obf', planned: { armN: 350, controlN: 350 } },
      looks: [0, 1, 2, 3, 4, 5].map((week) => ({ armN: cumulative('text', week), controlN: cumulative('control', week) })),
      higherIsBetter: true,
      estimate: text.successes / text.n - control.successes / control.n,
      intervalAt: (confidence) => scoreDifferenceInterval(text, control, confidence).interval,
      pValue: scoreDifferenceTest(text, control).pValue,
      standardError: unpooledSe(text, control),
    });
    const comparison: VerdictJson = result.comparisons[0];
    expect(comparison.look!.number).toBe(6);
    expect(comparison.verdict).toBe(expected.verdict);
    expect(comparison.verdictRule).toBe('group_sequential');
    expectIntervalClose(comparison.verdictInterval, expected.interval!, 1e-12);
    expectClose(comparison.verdictPValue, expected.pValue!, 1e-12);
    expectClose(comparison.verdictThreshold, expected.threshold!, 1e-12);
    expectClose(comparison.verdictConfidence, expected.confidence!, 1e-12);
    expect(comparison.look).toEqual(expected.look);
    // Information fraction (1/350 + 1/350) ÷ (1/n_text + 1/n_control) at the last look.
    expectClose(comparison.look!.informationFraction, (2 / 350) / (1 / text.n + 1 / control.n), 1e-12);
  });

  it('reads week numbers in number order, whatever order the rows are in', async () => {
    const rows: string[] = [];
    for (const week of [10, 2, 1, 9, 3, 4, 5, 6, 7, 8]) for (const arm of ['control', 'text']) for (let person = 0; person < 12; person++) rows.push(`${arm},${week},${person < (arm === 'text' ? 5 : 2) ? 1 : 0}`);
    const file = writeCsv('week-numbers.csv', `arm,week,attended\n${rows.join('\n')}\n`);
    const result = await analyseCsv(file, { outcome: 'attended', arm: 'arm', planned: '400', week: 'week' });
    expect(result.decisionPlan.looks.weeks).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(result.comparisons[0].look!.number).toBe(10);
  });

  it('with --looks K and no week column, takes the file as the last of K equally spaced looks', async () => {
    const file = twoArmFile('four-looks.csv', [151, 16], [149, 33]);
    const result = await analyseCsv(file, { outcome: 'attended', arm: 'arm', planned: '600', looks: '4' });
    const text = { arm: 'text', n: 149, successes: 33 };
    const control = { arm: 'control', n: 151, successes: 16 };
    const expected = decideComparison({
      plan: { rule: 'group_sequential', spending: 'obf', planned: { armN: 300, controlN: 300 } },
      looks: [1, 2, 3, 4].map((k) => ({ armN: Math.round((149 * k) / 4), controlN: Math.round((151 * k) / 4) })),
      higherIsBetter: true,
      estimate: 33 / 149 - 16 / 151,
      intervalAt: (confidence) => scoreDifferenceInterval(text, control, confidence).interval,
      pValue: scoreDifferenceTest(text, control).pValue,
      standardError: unpooledSe(text, control),
    });
    expect(result.decisionPlan.looks).toMatchObject({ from: 'equally_spaced', count: 4 });
    expect(result.comparisons[0].look).toEqual(expected.look);
    expect(result.comparisons[0].look!.number).toBe(4);
    expect(result.comparisons[0].verdict).toBe(expected.verdict);
    expectIntervalClose(result.comparisons[0].verdictInterval, expected.interval!, 1e-12);
  });

  it('with --rule confidence_sequence, decides on confidenceSequenceDifference and alwaysValidPValue of the counts', async () => {
    const text = { arm: 'text', n: 200, successes: 44 };
    const control = { arm: 'control', n: 200, successes: 22 };
    const file = twoArmFile('sequence.csv', [200, 22], [200, 44]);
    // With --planned the sequence is tuned to the comparison's share of it: planned × (w_text + w_control) ÷ Σw, all 600 with two arms.
    const planned = await analyseCsv(file, { outcome: 'attended', arm: 'arm', planned: '600', rule: 'confidence_sequence' });
    expect(planned.comparisons[0].verdictRule).toBe('confidence_sequence');
    expect(planned.comparisons[0].look).toBeNull();
    expectIntervalClose(planned.comparisons[0].verdictInterval, confidenceSequenceDifference(text, control, { alpha: 0.05, plannedTotal: 600 })!, 1e-12);
    expectClose(planned.comparisons[0].verdictPValue, alwaysValidPValue(text, control, { plannedTotal: 600 })!, 1e-12);
    expect(planned.comparisons[0].verdictThreshold).toBe(0.05);
    // Open-ended (no --planned): tuned to 1000 people per comparison, as the dashboard does.
    const open = await analyseCsv(file, { outcome: 'attended', arm: 'arm', alpha: '0.1' });
    expect(open.comparisons[0].verdictRule).toBe('confidence_sequence');
    expectIntervalClose(open.comparisons[0].verdictInterval, confidenceSequenceDifference(text, control, { alpha: 0.1, plannedTotal: 1000 })!, 1e-12);
    expectClose(open.comparisons[0].verdictPValue, alwaysValidPValue(text, control, { plannedTotal: 1000 })!, 1e-12);
    expect(open.comparisons[0].verdictThreshold).toBe(0.1);
    expectClose(open.comparisons[0].verdictConfidence, 0.9, 1e-12);
  });

  it('plans each arm its weight share of --planned', async () => {
    const file = twoArmFile('weighted.csv', [100, 10], [200, 40]);
    const result = await analyseCsv(file, { outcome: 'attended', arm: 'arm', planned: '900', weights: 'control=1,text=2' });
    // 300 planned in control, 600 in text: fraction (1/600 + 1/300) ÷ (1/200 + 1/100) = 1/3.
    expectClose(result.comparisons[0].look!.informationFraction, 1 / 3, 1e-12);
  });

  it('decides on the cluster-robust test when --cluster has at least 4 clusters, as the dashboard does with coaches', async () => {
    const rows: string[] = [];
    for (let person = 0; person < 400; person++) {
      const arm = person % 2 === 0 ? 'control' : 'text';
      const coach = `coach_${(person % 8) + 1}`;
      rows.push(`${arm},${coach},${(person * 7) % 10 < (arm === 'text' ? 3 : 1) + (person % 8 < 2 ? 1 : 0) ? 1 : 0}`);
    }
    const file = writeCsv('clustered-verdict.csv', `arm,coach,attended\n${rows.join('\n')}\n`);
    const result = await analyseCsv(file, { outcome: 'attended', arm: 'arm', cluster: 'coach', planned: '800' });
    const comparison = result.comparisons[0];
    const robust = result.clustering!.comparisons[0];
    expect(comparison.verdictAllowsForClusters).toBe(true);
    expectIntervalClose(comparison.verdictInterval, robustIntervalAt(robust, comparison.verdictConfidence!), 1e-12);
    expectClose(comparison.verdictPValue, robust.pValue, 1e-12);
  });

  it('prints the verdict, the deciding interval by name and the rule that decided', async () => {
    const sequential = await runEiu(['analyse', clearFile, '--outcome', 'attended', '--planned', '800', '--looks', '3']);
    expect(sequential.code).toBe(0);
    expect(sequential.stdout).toContain('decided by the group-sequential rule, O’Brien–Fleming spending, α = 0.05 over all looks, 800 people planned');
    expect(sequential.stdout).toContain('Interval adjusted for weekly looks');
    expect(sequential.stdout).toMatch(/^ {2}text +better +3 /m);
    expect(sequential.stdout).toContain('look 3 of 3 equally spaced looks (an approximation');
    const sequence = await runEiu(['analyse', nullFile, '--outcome', 'attended']);
    expect(sequence.stdout).toContain('decided by the confidence-sequence rule');
    expect(sequence.stdout).toContain('Always-valid interval');
    expect(sequence.stdout).toMatch(/^ {2}text +not enough evidence /m);
  });

  it('documents --looks in --help as an approximation for files with no week column', async () => {
    const { stdout } = await runEiu(['analyse', '--help']);
    expect(stdout).toMatch(/--looks <k>[\s\S]*approximation/);
    expect(stdout).toContain('--lower-is-better');
  });
});
