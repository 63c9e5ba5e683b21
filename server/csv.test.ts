import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { csvStream, csvText, neutraliseCell } from './csv.ts';

describe('CSV cells a spreadsheet could run as formulas', () => {
  it('gets a leading apostrophe for =, +, -, @, tab and carriage return, and nothing else', () => {
    for (const risky of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tTab', '\rReturn']) expect(neutraliseCell(risky)).toBe(`'${risky}`);
    for (const safe of ['Warm text', '12', 'fewer than 10', '', ' =not first']) expect(neutraliseCell(safe)).toBe(safe);
  });

  it('is applied to every text cell of a whole document, while numbers stay numbers', () => {
    expect(csvText([['note', 'value'], ['=1+1', -5], ['ok', 10]])).toBe("note,value\n'=1+1,-5\nok,10\n");
  });

  it('is applied by the streaming writer the exports use', async () => {
    const chunks: string[] = [];
    const stream = Readable.from([{ arm: '@arm', n: 3 }]).pipe(csvStream({ header: true, columns: ['arm', 'n'] }));
    for await (const chunk of stream) chunks.push(String(chunk));
    expect(chunks.join('')).toBe("arm,n\n'@arm,3\n");
  });
});
