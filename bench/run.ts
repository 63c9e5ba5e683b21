import { availableParallelism, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { coreSections, formatNumber, type BenchFigure, type BenchSection } from './core.ts';
import { reportSection } from './report-bench.ts';
import { pagesSection } from './pages-bench.ts';
import { analyseSection } from './analyse-bench.ts';
import { importStallSection } from './import-bench.ts';
import { benchPostgresServer, ENGINE_NAMES, openBenchDatabase, type BenchEngine } from './bench-database.ts';
import { describeLocation } from '../server/db/database.ts';

/**
 * `npm run bench [-- --only KEY,KEY] [--quick] [--engine sqlite|postgres|both]`:
 * runs each benchmark section in turn (each prints its own figures as it goes),
 * then a table of every figure beside what it is compared with.
 *
 * Sections that use the database run on SQLite, and also on PostgreSQL when
 * `EIU_BENCH_PG` names a server (e.g. postgres://eiu@127.0.0.1:54329/postgres):
 * each run gets a scratch database there, dropped afterwards, and the table
 * shows the two engines side by side, each figure with its comparison measured
 * on the same engine. To add a benchmark, export a BenchSection (see
 * bench/core.ts) and add it to `sections`.
 */
export const sections: BenchSection[] = [...coreSections, reportSection, pagesSection, analyseSection, importStallSection];

const program = new Command()
  .name('npm run bench --')
  .description('Measure the platform on this machine')
  .option('--only <keys>', `comma-separated sections to run: ${sections.map((s) => s.key).join(', ')}`)
  .option('--quick', 'smaller counts: checks the benchmarks run, figures are rougher')
  .addOption(
    new Option('--engine <engine>', 'which database engines to measure (default: both when EIU_BENCH_PG is set, else sqlite)').choices(['sqlite', 'postgres', 'both']),
  )
  .showHelpAfterError();

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = program.parse(process.argv).opts<{ only?: string; quick?: boolean; engine?: 'sqlite' | 'postgres' | 'both' }>();
  const only = options.only?.split(',').map((k) => k.trim());
  const unknown = only?.filter((k) => !sections.some((s) => s.key === k)) ?? [];
  if (unknown.length) program.error(`Unknown section ${unknown.join(', ')}; choose from ${sections.map((s) => s.key).join(', ')}`);
  let server: string | undefined;
  try {
    server = benchPostgresServer();
  } catch (error) {
    program.error((error as Error).message);
  }
  const choice = options.engine ?? (server ? 'both' : 'sqlite');
  if (choice !== 'sqlite' && !server) program.error('Set EIU_BENCH_PG to a postgres:// server URL to measure on PostgreSQL.');
  const engines: BenchEngine[] = choice === 'both' ? ['sqlite', 'postgres'] : [choice];
  const chosen = only ? sections.filter((s) => only.includes(s.key)) : sections;
  process.exitCode = await runSections(chosen, { quick: options.quick ?? false, engines });
}

type Row = BenchFigure & { section: string; engine: BenchEngine | null };

/** Runs the sections on each engine, prints the summary table, and returns 1 if a section failed. */
export async function runSections(chosen: BenchSection[], options: { quick: boolean; engines?: BenchEngine[] }): Promise<number> {
  const engines = options.engines ?? ['sqlite'];
  console.log(`EIU platform benchmarks: Node ${process.version}, ${availableParallelism()} cores${options.quick ? ' (quick)' : ''}`);
  const server = benchPostgresServer();
  console.log(`Engines: ${engines.map((e) => (e === 'postgres' && server ? `${ENGINE_NAMES[e]} (scratch databases on ${describeLocation(server)})` : ENGINE_NAMES[e])).join(', ')}`);
  // Anything else running on the machine skews the figures; say how busy it was.
  console.log(`Load average before starting: ${loadavg().map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 minutes)\n`);
  const rows: Row[] = [];
  let failed = false;
  for (const section of chosen) {
    const runs: (BenchEngine | null)[] = section.usesDatabase === false ? [null] : engines;
    for (const engine of runs) {
      console.log(`${section.title}${engine ? ` [${ENGINE_NAMES[engine]}]` : ''}`);
      const started = performance.now();
      try {
        const figures = await section.run({
          log: (line) => console.log(line),
          quick: options.quick,
          engine: engine ?? 'sqlite',
          openDatabase: (label, databaseOptions) => openBenchDatabase(engine ?? 'sqlite', label, databaseOptions),
        });
        for (const figure of figures) {
          console.log(`  → ${figure.name}: ${show(figure)} (${figure.comparison})${figure.goal ? `, goal ${figure.goal.text}: ${figure.goal.met ? 'met' : 'NOT met'}` : ''}`);
          rows.push({ ...figure, section: section.key, engine });
        }
      } catch (error) {
        failed = true;
        console.log(`  ✗ failed: ${(error as Error).stack ?? error}`);
      }
      console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  }
  if (engines.length > 1) printSideBySide(rows, engines);
  else printTable(rows);
  console.log(`\nLoad average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  return failed ? 1 : 0;
}

function show(figure: BenchFigure): string {
  if (figure.unit === '/s') return `${formatNumber(figure.value)}/s`;
  if (figure.unit === '×') return `${figure.value.toFixed(2)}×`;
  if (figure.unit === 's') return `${figure.value.toFixed(2)} s`;
  return `${formatNumber(figure.value, 2)} ${figure.unit}`;
}

function goalMark(figure: BenchFigure | undefined) {
  return figure?.goal ? (figure.goal.met ? '✓' : '✗') : '';
}

function layOut(header: string[], table: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return { line, rule: line(widths.map((w) => '─'.repeat(w))) };
}

function printTable(rows: Row[]) {
  const table = rows.map((r) => [r.name, show(r), r.goal ? `${r.goal.text} ${goalMark(r)}` : '', r.comparison]);
  const header = ['figure', 'value', 'goal', 'compared with'];
  const { line, rule } = layOut(header, table);
  console.log('Summary');
  console.log(line(header));
  console.log(rule);
  for (const row of table) console.log(line(row));
}

/**
 * One line per figure with a value per engine (— where a run failed), and
 * under it each engine's comparison, measured on that engine.
 */
function printSideBySide(rows: Row[], engines: BenchEngine[]) {
  const figures: { section: string; name: string; byEngine: Map<BenchEngine | null, Row> }[] = [];
  for (const row of rows) {
    let entry = figures.find((f) => f.section === row.section && f.name === row.name);
    if (!entry) figures.push((entry = { section: row.section, name: row.name, byEngine: new Map() }));
    entry.byEngine.set(row.engine, row);
  }
  const header = ['figure', ...engines.map((e) => ENGINE_NAMES[e]), 'goal'];
  const table = figures.map((f) => {
    const shared = f.byEngine.get(null);
    const cell = (row: Row | undefined) => (row ? `${show(row)}${row.goal ? ` ${goalMark(row)}` : ''}` : '—');
    // A section without the database ran once: its figure stands in the first column.
    const values = shared ? engines.map((_, i) => (i === 0 ? cell(shared) : 'no database')) : engines.map((e) => cell(f.byEngine.get(e)));
    // One goal, or each engine's in turn where they differ (e.g. "≥ 0.7 / ≥ 0.5").
    const goal = [...new Set([...f.byEngine.values()].flatMap((r) => (r.goal ? [r.goal.text] : [])))].join(' / ');
    return [f.name, ...values, goal];
  });
  const { line, rule } = layOut(header, table);
  console.log('Summary (each figure compared with the same work on the same engine)');
  console.log(line(header));
  console.log(rule);
  figures.forEach((f, i) => {
    console.log(line(table[i]));
    const shared = f.byEngine.get(null);
    if (shared) console.log(`    compared with: ${shared.comparison}`);
    else for (const engine of engines) {
      const row = f.byEngine.get(engine);
      if (row) console.log(`    compared with, ${ENGINE_NAMES[engine]}: ${row.comparison}`);
    }
  });
}
