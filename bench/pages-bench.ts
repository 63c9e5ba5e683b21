import type { AddressInfo } from 'node:net';
import { createApp } from '../server/app.ts';
import { seedDemoData } from '../seed/demo.ts';
import { createSeedStore } from '../seed/seed-store.ts';
import { dashboardBenchPages, signInForBench } from '../dashboard/bench-pages.ts';
import type { BenchFigure, BenchSection } from './core.ts';

/**
 * Each dashboard page's render time over HTTP on a demo database of 100,000
 * people (10,000 with --quick): the median of several warm requests, against
 * the 200 ms goal. The demo data is seeded through the real services on the
 * engine measured, so both engines serve the same people and history.
 */
// One end of the simulated history for every engine measured in this run.
const HISTORY_ENDS = new Date();

export const pagesSection: BenchSection = {
  key: 'pages',
  title: 'Dashboard pages',
  async run(context) {
    const { log, quick } = context;
    const people = quick ? 10_000 : 100_000;
    const db = await context.openDatabase('pages');
    try {
      log(`  seeding ${people.toLocaleString('en-GB')} people of demo data…`);
      const seeded = Date.now();
      const { credentials } = await seedDemoData(db, { contacts: people, seed: 3, now: HISTORY_ENDS });
      // As `npm run seed` does: the planner's statistics on the new data.
      await createSeedStore(db).refreshStatistics();
      log(`  seeded in ${((Date.now() - seeded) / 1000).toFixed(0)} s`);
      const app = createApp({ db });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const cookies = new Map<string, string>();
        const passwordOf = (username: string) => credentials.find((c) => c.username === username)?.password ?? '';
        const figures: BenchFigure[] = [];
        for (const page of await dashboardBenchPages(db, { coach: 'coach01' })) {
          if (!cookies.has(page.username)) cookies.set(page.username, await signInForBench(baseUrl, page.username, passwordOf(page.username)));
          const get = async () => {
            const started = performance.now();
            const response = await fetch(baseUrl + page.path, { headers: { cookie: cookies.get(page.username)! } });
            await response.text();
            if (response.status !== 200) throw new Error(`${page.path} answered ${response.status}`);
            return performance.now() - started;
          };
          await get(); // templates compile; the weekly report freezes on its first view
          const times: number[] = [];
          for (let i = 0; i < 7; i++) times.push(await get());
          const median = times.sort((a, b) => a - b)[3];
          figures.push({
            name: `${page.name} (${page.path.split('?')[0]})`,
            value: median,
            unit: 'ms',
            comparison: `median of 7 warm requests at ${people.toLocaleString('en-GB')} people`,
            goal: { text: '< 200 ms', met: median < 200 },
          });
        }
        return figures;
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await db.close();
    }
  },
};
