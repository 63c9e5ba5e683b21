import { availableParallelism, loadavg } from 'node:os';
import { Command } from 'commander';
import { coreSections, formatNumber, type BenchFigure, type BenchSection } from './core.ts';
import { reportSection } from './report-bench.ts';
import { pagesSection } from './pages-bench.ts';
import { analyseSection } from './analyse-bench.ts';
import { importStallSection } from './import-bench.ts';

/**
 * `npm run bench [-- --only KEY,KEY] [--quick]`: runs each benchmark section in
 * turn (each prints its own figures as it goes), then a table of every figure
 * beside what it is compared with. To add a benchmark, export a BenchSection
 * (see bench/core.ts) and add it to `sections`.
 */
export const sections: BenchSection[] = [...coreSections, reportSection, pagesSection, analyseSection, importStallSection];

const program = new Command()
  .name('npm run bench --')
  .description('Measure the platform on this machine')
  .option('--only <keys>', `comma-separated sections to run: ${sections.map((s) => s.key).join(', ')}`)
  .option('--quick', 'smaller counts: checks the benchmarks run, figures are rougher')
  .showHelpAfterError();

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = program.parse(process.argv).opts<{ only?: string; quick?: boolean }>();
  const only = options.only?.split(',').map((k) => k.trim());
  const unknown = only?.filter((k) => !sections.some((s) => s.key === k)) ?? [];
  if (unknown.length) program.error(`Unknown section ${unknown.join(', ')}; choose from ${sections.map((s) => s.key).join(', ')}`);
  const chosen = only ? sections.filter((s) => only.includes(s.key)) : sections;
  process.exitCode = await runSections(chosen, { quick: options.quick ?? false });
}

/** Runs the sections, prints the summary table, and returns 1 if a section failed. */
export async function runSections(chosen: BenchSection[], options: { quick: boolean }): Promise<number> {
  console.log(`EIU platform benchmarks: Node ${process.version}, ${availableParallelism()} cores${options.quick ? ' (quick)' : ''}`);
  // Anything else running on the machine skews the figures; say how busy it was.
  console.log(`Load average before starting: ${loadavg().map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 minutes)\n`);
  const rows: (BenchFigure & { section: string })[] = [];
  let failed = false;
  for (const section of chosen) {
    console.log(`${section.title}`);
    const started = performance.now();
    try {
      const figures = await section.run({ log: (line) => console.log(line), quick: options.quick });
      for (const figure of figures) {
        console.log(`  → ${figure.name}: ${show(figure)} (${figure.comparison})${figure.goal ? `, goal ${figure.goal.text}: ${figure.goal.met ? 'met' : 'NOT met'}` : ''}`);
        rows.push({ ...figure, section: section.key });
      }
    } catch (error) {
      failed = true;
      console.log(`  ✗ failed: ${(error as Error).stack ?? error}`);
    }
    console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  printTable(rows);
  console.log(`\nLoad average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  return failed ? 1 : 0;
}

function show(figure: BenchFigure): string {
  if (figure.unit === '/s') return `${formatNumber(figure.value)}/s`;
  if (figure.unit === '×') return `${figure.value.toFixed(2)}×`;
  if (figure.unit === 's') return `${figure.value.toFixed(2)} s`;
  return `${formatNumber(figure.value, 2)} ${figure.unit}`;
}

function printTable(rows: (BenchFigure & { section: string })[]) {
  const table = rows.map((r) => [r.name, show(r), r.goal ? `${r.goal.text} ${r.goal.met ? '✓' : '✗'}` : '', r.comparison]);
  const header = ['figure', 'value', 'goal', 'compared with'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  console.log('Summary');
  console.log(line(header));
  console.log(line(widths.map((w) => '─'.repeat(w))));
  for (const row of table) console.log(line(row));
}
