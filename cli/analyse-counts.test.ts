import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countTrialCsv, ExactIds, hashId, HashedIds } from './analyse-counts.ts';

const directory = mkdtempSync(join(tmpdir(), 'eiu-analyse-counts-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeCsv(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** Every id hashes the same, so every id after the first looks like a possible duplicate. */
const everyIdCollides = () =>
  new HashedIds((_id, out) => {
    out[0] = 7;
    out[1] = 7;
  });

const hashOf = (id: string) => {
  const out = new Uint32Array(2);
  hashId(id, out);
  return [...out];
};

describe('HashedIds', () => {
  it('accepts 300,000 different ids once each and refuses each of them a second time', () => {
    const ids = new HashedIds();
    const names = Array.from({ length: 300_000 }, (_, index) => `P${String(index).padStart(7, '0')}`);
    expect(names.every((name) => ids.add(name))).toBe(true);
    expect(names.filter((name, index) => index % 1000 === 0).some((name) => ids.add(name))).toBe(false);
  });

  it('tells apart ids that differ only in the order or case of their characters', () => {
    expect(hashOf('P12')).not.toEqual(hashOf('P21'));
    expect(hashOf('ab')).not.toEqual(hashOf('AB'));
    expect(hashOf('')).not.toEqual(hashOf(' '));
  });
});

describe('countTrialCsv', () => {
  it('counts people and successes per arm and per level of --by and --cluster, keeping arm names exactly as written', async () => {
    const file = writeCsv(
      'small.csv',
      'id,arm,coach,group,attended\nP1,control,WC01,a,1\nP2,text,WC01,,0\nP3,text ,WC02, a ,TRUE\nP4,control,WC02,b,false\n',
    );
    const counts = await countTrialCsv(file, { outcome: 'attended', arm: 'arm', by: 'group', cluster: 'coach' });
    expect(counts.arms).toEqual([
      { arm: 'control', n: 2, successes: 1 },
      { arm: 'text', n: 1, successes: 0 },
      { arm: 'text ', n: 1, successes: 1 },
    ]);
    expect(counts.by).toEqual([
      { level: 'a', arms: [{ arm: 'control', n: 1, successes: 1 }, { arm: 'text ', n: 1, successes: 1 }] },
      { level: '(not recorded)', arms: [{ arm: 'text', n: 1, successes: 0 }] },
      { level: 'b', arms: [{ arm: 'control', n: 1, successes: 0 }] },
    ]);
    expect(counts.cluster?.map((level) => level.level)).toEqual(['WC01', 'WC02']);
    expect(counts.idColumn).toBe('id');
  });

  it('counts exactly when different ids share a hash, by comparing the ids themselves', async () => {
    const rows = Array.from({ length: 500 }, (_, index) => `P${index},${index % 2 ? 'text' : 'control'},${index % 3 === 0 ? 1 : 0}`);
    const file = writeCsv('colliding.csv', `id,arm,attended\n${rows.join('\n')}\n`);
    const weak = await countTrialCsv(file, { outcome: 'attended', arm: 'arm' }, everyIdCollides);
    const exact = await countTrialCsv(file, { outcome: 'attended', arm: 'arm' }, () => new ExactIds());
    expect(weak).toEqual(exact);
    expect(weak.arms.reduce((total, arm) => total + arm.n, 0)).toBe(500);
  });

  it('still names both lines of a real duplicate when hashes collide', async () => {
    const file = writeCsv('colliding-duplicate.csv', 'id,arm,attended\nA,control,1\nB,text,0\nC,text,1\nB,control,0\n');
    await expect(countTrialCsv(file, { outcome: 'attended', arm: 'arm' }, everyIdCollides)).rejects.toThrow(
      'id "B" appears on line 3 and line 5',
    );
  });

  it('treats ids with surrounding spaces as the same person', async () => {
    const file = writeCsv('spaced-ids.csv', 'id,arm,attended\nP7,control,1\nP8,text,0\n" P7 ",text,1\n');
    await expect(countTrialCsv(file, { outcome: 'attended', arm: 'arm' })).rejects.toThrow('id "P7" appears on line 2 and line 4');
  });

  it('does not check duplicates when there is no id column and no --id', async () => {
    const file = writeCsv('no-id.csv', 'person,arm,attended\nP1,control,1\nP1,text,0\n');
    const counts = await countTrialCsv(file, { outcome: 'attended', arm: 'arm' });
    expect(counts.idColumn).toBeNull();
    expect(counts.arms.map((arm) => arm.n)).toEqual([1, 1]);
  });
});

describe('countTrialCsv --week', () => {
  it('counts each arm per reporting week, Monday to Sunday UTC, oldest week first whatever the row order', async () => {
    // 2025-03-09 is a Sunday, so it closes the week of Monday 3 March; 2025-03-10 starts the next.
    const file = writeCsv(
      'weeks-by-date.csv',
      'arm,entry,attended\ncontrol,2025-03-10,1\ntext,2025-03-09,1\ncontrol,2025-03-03,0\ntext,2025-03-16,0\ntext, 2025-03-11 ,1\ncontrol,2025-02-24,1\n',
    );
    const counts = await countTrialCsv(file, { outcome: 'attended', arm: 'arm', week: 'entry' });
    expect(counts.weeks).toEqual([
      { level: '2025-03-02', arms: [{ arm: 'control', n: 1, successes: 1 }] },
      { level: '2025-03-09', arms: [{ arm: 'control', n: 1, successes: 0 }, { arm: 'text', n: 1, successes: 1 }] },
      { level: '2025-03-16', arms: [{ arm: 'control', n: 1, successes: 1 }, { arm: 'text', n: 2, successes: 1 }] },
    ]);
  });

  it('orders week numbers as numbers, reading "03" as week 3', async () => {
    const file = writeCsv('weeks-by-number.csv', 'arm,week,attended\ncontrol,10,1\ntext,9,0\ncontrol,03,1\ntext,3,1\ncontrol,1,0\n');
    const counts = await countTrialCsv(file, { outcome: 'attended', arm: 'arm', week: 'week' });
    expect(counts.weeks?.map((week) => week.level)).toEqual(['1', '3', '9', '10']);
    expect(counts.weeks?.[1].arms).toEqual([{ arm: 'control', n: 1, successes: 1 }, { arm: 'text', n: 1, successes: 1 }]);
  });

  it('names the line of a week that is neither a date nor a whole number', async () => {
    const file = writeCsv('weeks-bad.csv', 'arm,week,attended\ncontrol,1,1\ntext,week 2,0\n');
    await expect(countTrialCsv(file, { outcome: 'attended', arm: 'arm', week: 'week' })).rejects.toThrow(
      'line 3: week column "week" has "week 2"; expected a date YYYY-MM-DD or a whole week number (1, 2, 3 …)',
    );
  });

  it('leaves weeks out when no --week column is asked for', async () => {
    const file = writeCsv('weeks-none.csv', 'arm,week,attended\ncontrol,1,1\ntext,2,0\n');
    expect((await countTrialCsv(file, { outcome: 'attended', arm: 'arm' })).weeks).toBeUndefined();
  });
});
