import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../server/clock.ts';
import { createApp } from '../server/app.ts';
import { CONTACT_CSV_COLUMNS, importContactsCsv } from '../experiments/contacts/contact-import.ts';
import { generateCohort } from '../seed/cohort.ts';
import { createRandom } from '../seed/random.ts';
import { addSiteAndCoaches, formatNumber, type BenchFigure, type BenchSection } from './core.ts';

/**
 * Does a large cohort import stall everyone else? GET /health is asked every
 * 10 ms from another process while 50,000 rows (10,000 with --quick) are
 * imported through POST /api/contacts/import (parsed, checked and saved in a
 * worker thread), and the same is done with the import run on the server's
 * event loop, as it was before, for comparison. The goal is a /health p99
 * under 100 ms during the import.
 */
const PROBE_INTERVAL_MS = 10;

function cohortCsv(count: number, prefix: string): string {
  const coaches = Array.from({ length: 10 }, (_, i) => `WC${String(i + 1).padStart(2, '0')}`);
  const rows = generateCohort(createRandom(`import-bench|${prefix}`), count, coaches, 'JC-EIU').map((c, i) =>
    [`${prefix}-${String(i).padStart(7, '0')}`, c.coach, c.site, c.healthGroup, c.ageBand, c.sex, c.ethnicityGroup, c.caring, c.timeOnBenefits, c.previousWork, c.benefitType, c.preferredChannel ?? '', c.adjustments.join(';')].join(','),
  );
  return `${CONTACT_CSV_COLUMNS.join(',')}\n${rows.join('\n')}\n`;
}

async function startProber(url: string) {
  const child = fork(fileURLToPath(new URL('./health-prober.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = await once(child, 'message');
  if (ready !== 'ready') throw new Error('The /health prober did not start');
  child.send({ url, intervalMs: PROBE_INTERVAL_MS });
  return async (): Promise<number[]> => {
    const reply = once(child, 'message');
    child.send('stop');
    const [latencies] = (await reply) as [number[]];
    child.kill();
    return latencies.sort((a, b) => a - b);
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const describe = (sorted: number[]) => `${formatNumber(sorted.length)} probes, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`;

export const importStallSection: BenchSection = {
  key: 'import-stall',
  title: 'Other users during a large cohort import (/health p99 while importing)',
  async run(context) {
    const { log, quick } = context;
    const rows = quick ? 10_000 : 50_000;
    const db = await context.openDatabase('import-stall');
    let server: Server | undefined;
    try {
      const app = createApp({ db, clock: systemClock });
      server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const services = app.locals.services;
      await addSiteAndCoaches(services);
      const analyst = await services.auth.createUser({ username: 'analyst', displayName: 'Bench analyst', role: 'analyst', password: 'bench-password-123' });
      const token = await services.auth.createApiToken(analyst.id, 'bench');
      const viaWorker = cohortCsv(rows, 'WRK');
      const onLoop = cohortCsv(rows, 'LOOP');

      const stopIdle = await startProber(`${baseUrl}/health`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idle = await stopIdle();
      log(`  idle: ${describe(idle)}`);

      // Warm the worker's modules once, so the figure is about importing, not first start-up.
      await fetch(`${baseUrl}/api/contacts/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: cohortCsv(10, 'WARM') });

      const stopWorker = await startProber(`${baseUrl}/health`);
      // The server's own event-loop delay, to tell a stalled loop from a busy machine.
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
      const started = performance.now();
      const response = await fetch(`${baseUrl}/api/contacts/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: viaWorker });
      const report = (await response.json()) as { imported: number };
      if (response.status !== 200 && response.status !== 201) throw new Error(`The import answered ${response.status}: ${JSON.stringify(report).slice(0, 300)}`);
      const workerSeconds = (performance.now() - started) / 1000;
      loopDelay.disable();
      const during = await stopWorker();
      if (report.imported !== rows) throw new Error(`Imported ${report.imported} of ${rows} rows`);
      log(`  worker thread: ${formatNumber(rows)} rows in ${workerSeconds.toFixed(2)} s; ${describe(during)}`);
      log(`  server event-loop delay meanwhile: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`);

      // As before: the same import on the server's event loop.
      const stopLoop = await startProber(`${baseUrl}/health`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const loopStarted = performance.now();
      const loopReport = await importContactsCsv(services.contacts, Readable.from([onLoop]));
      const loopSeconds = (performance.now() - loopStarted) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const blocked = await stopLoop();
      if (loopReport.imported !== rows) throw new Error(`Imported ${loopReport.imported} of ${rows} rows on the event loop`);
      log(`  on the event loop: ${formatNumber(rows)} rows in ${loopSeconds.toFixed(2)} s; ${describe(blocked)}`);

      const p99 = quantile(during, 0.99);
      const figures: BenchFigure[] = [
        {
          name: `/health p99 during a ${formatNumber(rows)}-row import`,
          value: p99,
          unit: 'ms',
          comparison: `import on the event loop as before: p99 ${quantile(blocked, 0.99).toFixed(0)} ms, max ${(blocked.at(-1) ?? 0).toFixed(0)} ms; idle p99 ${quantile(idle, 0.99).toFixed(1)} ms`,
          goal: { text: '< 100 ms', met: p99 < 100 },
        },
        {
          name: `seconds to import ${formatNumber(rows)} contacts through the API (worker thread)`,
          value: workerSeconds,
          unit: 's',
          comparison: `on the event loop, in process: ${loopSeconds.toFixed(2)} s`,
        },
      ];
      return figures;
    } finally {
      if (server) {
        const open = server;
        open.closeAllConnections();
        await new Promise((resolve) => open.close(resolve));
      }
      await db.close();
    }
  },
};
