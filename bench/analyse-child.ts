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
let result: AnalyseChildResult;
if (mode === 'parse') {
  const started = performance.now();
  const records = await parseAlone(file);
  result = { seconds: (performance.now() - started) / 1000, maxRssMb: 0, records };
} else {
  const { main } = await import('../cli/main.ts');
  const started = performance.now();
  const exitCode = await main(['node', 'eiu', 'analyse', file, ...args]);
  result = { seconds: (performance.now() - started) / 1000, maxRssMb: 0, exitCode };
}
result.maxRssMb = process.resourceUsage().maxRSS / 1024;
process.send!(result);
