import { execFile, fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, type BenchSection } from './core.ts';
import type { AnalyseChildResult } from './analyse-child.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

/**
 * `eiu analyse` on a generated CSV of a million people (id, arm, coach, health
 * group, outcome), timed beside csv-parse streaming the same file with nothing
 * done per row, each in its own `node --import tsx` process so the peak RSS is
 * the command's own; and beside base R (read.csv + table + prop.test) when
 * Rscript is installed.
 */

const ARMS = ['control', 'letter', 'phone', 'text'];
const GROUPS = ['mental health', 'musculoskeletal', 'neurological', 'multiple conditions', 'other', ''];

async function writeTrialCsv(file: string, people: number): Promise<void> {
  const out = createWriteStream(file);
  const random = mulberry32(20260601);
  out.write('id,arm,coach,health_group,attended\n');
  for (let start = 0; start < people; start += 10_000) {
    const rows: string[] = [];
    for (let person = start; person < Math.min(start + 10_000, people); person++) {
      const arm = Math.floor(random() * ARMS.length);
      const coach = `WC${String(1 + Math.floor(random() * 25)).padStart(2, '0')}`;
      const group = GROUPS[Math.floor(random() * GROUPS.length)];
      rows.push(`P${String(person).padStart(7, '0')},${ARMS[arm]},${coach},${group},${random() < 0.05 + 0.01 * arm ? 1 : 0}`);
    }
    if (!out.write(`${rows.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs bench/analyse-child.ts; returns its own figures, the wall time of the whole process and its stdout. */
async function runChild(args: string[]): Promise<AnalyseChildResult & { wallSeconds: number; stdout: string }> {
  const started = performance.now();
  const child = fork(fileURLToPath(new URL('./analyse-child.ts', import.meta.url)), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [message] = (await once(child, 'message')) as [AnalyseChildResult];
  await once(child, 'exit');
  return { ...message, wallSeconds: (performance.now() - started) / 1000, stdout };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Seconds for base R to read the file and test each arm against control, or null without Rscript. */
async function baseR(file: string): Promise<number | null> {
  const script = `d <- read.csv(${JSON.stringify(file)}); t <- table(d$arm, d$attended); for (a in c("letter", "phone", "text")) prop.test(t[c(a, "control"), "1"], rowSums(t)[c(a, "control")], correct = FALSE)`;
  const started = performance.now();
  try {
    await new Promise<void>((resolve, reject) => execFile('Rscript', ['-e', script], (error) => (error ? reject(error) : resolve())));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return (performance.now() - started) / 1000;
}

export const analyseSection: BenchSection = {
  key: 'analyse',
  title: 'eiu analyse on a large CSV (streaming counts with --by, --cluster and the duplicate-id check)',
  usesDatabase: false,
  async run({ log, quick }) {
    const people = quick ? 200_000 : 1_000_000;
    const runs = quick ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'eiu-bench-analyse-'));
    try {
      const file = join(dir, 'trial.csv');
      await writeTrialCsv(file, people);
      log(`  wrote ${formatNumber(people)} rows (${(statSync(file).size / 1_048_576).toFixed(1)} MB)`);
      const args = ['--outcome', 'attended', '--by', 'health_group', '--cluster', 'coach', '--json'];

      // Alternate the two so a busy moment on the machine hits both alike.
      const parsed: Awaited<ReturnType<typeof runChild>>[] = [];
      const analysed: Awaited<ReturnType<typeof runChild>>[] = [];
      for (let run = 0; run < runs; run++) {
        parsed.push(await runChild(['parse', file]));
        analysed.push(await runChild(['analyse', file, ...args]));
      }
      for (const result of parsed) if (result.records !== people + 1) throw new Error(`csv-parse gave ${result.records} records`);
      for (const result of analysed) {
        const total = result.exitCode === 0 ? JSON.parse(result.stdout).arms.reduce((sum: number, arm: { n: number }) => sum + arm.n, 0) : -1;
        if (total !== people) throw new Error(`eiu analyse exited ${result.exitCode} having counted ${total} people`);
      }
      const parseSeconds = median(parsed.map((result) => result.seconds));
      const analyseSeconds = median(analysed.map((result) => result.seconds));
      const ratio = analyseSeconds / parseSeconds;
      const cpuRatio = median(analysed.map((result) => result.cpuSeconds)) / median(parsed.map((result) => result.cpuSeconds));
      const analyseRss = Math.max(...analysed.map((result) => result.maxRssMb));
      const parseRss = Math.max(...parsed.map((result) => result.maxRssMb));
      const describe = (results: typeof parsed) =>
        `${results.map((result) => result.seconds.toFixed(2)).join(', ')} s; CPU ${results.map((result) => result.cpuSeconds.toFixed(2)).join(', ')} s; ` +
        `whole process ${median(results.map((result) => result.wallSeconds)).toFixed(2)} s with start-up`;
      log(`  csv-parse alone: ${describe(parsed)}`);
      log(`  eiu analyse:     ${describe(analysed)}`);
      const rSeconds = await baseR(file);
      log(rSeconds === null ? '  base R: Rscript not installed, not compared' : `  base R read.csv + table + prop.test: ${rSeconds.toFixed(2)} s (process wall time)`);

      const rows = formatNumber(people);
      return [
        {
          name: `csv-parse streaming alone, ${rows} rows`,
          value: parseSeconds,
          unit: 's',
          comparison: 'the floor: the same file read and parsed with nothing done per row',
        },
        {
          name: `eiu analyse, ${rows} rows`,
          value: analyseSeconds,
          unit: 's',
          comparison: `csv-parse alone: ${parseSeconds.toFixed(2)} s${rSeconds === null ? '' : `; base R read.csv + table + prop.test: ${rSeconds.toFixed(2)} s`}`,
        },
        {
          name: 'eiu analyse ÷ csv-parse alone',
          value: ratio,
          unit: '×',
          comparison: `median of ${runs} alternating runs; in CPU time ${cpuRatio.toFixed(2)}×`,
          goal: { text: '≤ 1.5', met: ratio <= 1.5 },
        },
        {
          name: `peak RSS of eiu analyse, ${rows} rows`,
          value: analyseRss,
          unit: 'MB',
          comparison: `csv-parse alone in the same kind of process (node --import tsx): ${parseRss.toFixed(0)} MB`,
          goal: { text: '< 200 MB', met: analyseRss < 200 },
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
