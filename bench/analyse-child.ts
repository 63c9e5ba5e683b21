import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse';

/**
 * One measured run for bench/analyse-bench.ts, in its own process so its peak
 * RSS is its own: `parse FILE` streams the file through csv-parse doing nothing
 * per row (the floor), `analyse FILE ARGS…` runs `eiu analyse FILE ARGS…`.
 * Sends { seconds, maxRssMb, records } to the parent over IPC.
 */
export interface AnalyseChildResult {
  /** The work alone: module loading and start-up are not counted. */
  seconds: number;
  /** CPU time (user + system, all threads) over the same span: steadier than seconds on a busy machine. */
  cpuSeconds: number;
  maxRssMb: number;
  /** Records csv-parse produced (parse), or the exit code of the command (analyse). */
  records?: number;
  exitCode?: number;
}

async function parseAlone(file: string): Promise<number> {
  // The same options and reading loop as cli/analyse-counts.ts, with no per-row work.
  const parser = createReadStream(file).pipe(parse({ bom: true, skip_empty_lines: true }));
  let records = 0;
  parser.on('readable', () => {
    while (parser.read() !== null) records++;
  });
  await once(parser, 'end');
  return records;
}

const [mode, file, ...args] = process.argv.slice(2);
// The command loads the subgroup and clustering modules when asked for them; load them
// first so the timing is the work on the file, not tsx compiling modules.
const { main } = mode === 'parse' ? { main: undefined } : await import('../cli/main.ts');
if (main !== undefined) await Promise.all([import('../analysis/subgroups.ts'), import('../analysis/clustering.ts')]);
const started = performance.now();
const cpuStarted = process.cpuUsage();
const outcome = main === undefined ? { records: await parseAlone(file) } : { exitCode: await main(['node', 'eiu', 'analyse', file, ...args]) };
const cpu = process.cpuUsage(cpuStarted);
const result: AnalyseChildResult = {
  seconds: (performance.now() - started) / 1000,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  ...outcome,
};
process.send!(result);
