import type { Db } from '../server/db/database.ts';
import type { Role } from '../experiments/vocabulary.ts';
import { createBenchPagesReadModel } from './bench-pages-read-model.ts';

/**
 * For bench/: which dashboard pages to time, and how to sign in to them.
 *
 *   const cookie = await signInForBench(baseUrl, 'coach01', password);
 *   for (const page of await dashboardBenchPages(db)) {
 *     // warm up once (templates compile, the weekly report freezes), then time GET baseUrl + page.path
 *     // with { headers: { cookie: cookies[page.username] } } and expect 200.
 *   }
 *
 * The pages are picked from what is in the database: the coach with the
 * largest caseload (or `options.coach`: demo mode stores only coach01's password), one of their people with the longest history, and the
 * running experiment with the most people. Targets: under 200 ms each at
 * 100,000 contacts. Notes:
 * - `/report` freezes any completed week not yet frozen (the schedule normally
 *   has); later views read the snapshot. Time the views after the first.
 * - `/report/current` builds every experiment's report live on each view, so
 *   it is the slowest page; its cost is buildExperimentReport's.
 * - `/experiments/:key/results` is one buildExperimentReport plus rendering.
 */
export interface BenchPage {
  name: string;
  role: Role;
  /** A user who can open the page. */
  username: string;
  path: string;
}

/** `options.coach`: the coach username to use (default: the coach with the largest caseload). */
export async function dashboardBenchPages(db: Db, options: { coach?: string } = {}): Promise<BenchPage[]> {
  const wanted = options.coach ?? null;
  const readModel = createBenchPagesReadModel(db);
  const coach = await readModel.busiestCoach(wanted);
  const contact = coach ? await readModel.longestHistory(coach.coachId) : undefined;
  const experiment = await readModel.largestExperiment();
  const userWithRole = async (role: Role) => (await readModel.firstUserWithRole(role)) ?? role;
  const analyst = await userWithRole('analyst');
  const minister = await userWithRole('minister');

  const pages: BenchPage[] = [
    { name: 'experiments list', role: 'analyst', username: analyst, path: '/experiments' },
    { name: 'define an experiment', role: 'analyst', username: analyst, path: '/experiments/new' },
    { name: 'data', role: 'analyst', username: analyst, path: '/data' },
    { name: 'learning log', role: 'analyst', username: analyst, path: '/learning-log' },
    { name: 'weekly report (frozen)', role: 'minister', username: minister, path: '/report' },
    { name: 'weekly report (this week so far)', role: 'analyst', username: analyst, path: '/report/current' },
  ];
  if (experiment) {
    pages.push({ name: 'experiment design', role: 'analyst', username: analyst, path: `/experiments/${experiment}` });
    pages.push({ name: 'experiment results', role: 'analyst', username: analyst, path: `/experiments/${experiment}/results` });
  }
  if (coach) {
    pages.push({ name: 'today', role: 'coach', username: coach.username, path: '/today' });
    pages.push({ name: 'caseload', role: 'coach', username: coach.username, path: '/caseload' });
    pages.push({ name: 'caseload search', role: 'coach', username: coach.username, path: '/caseload?search=7' });
    if (contact) pages.push({ name: 'contact page', role: 'coach', username: coach.username, path: `/contacts/${encodeURIComponent(contact)}` });
  }
  return pages;
}

/** Signs in through the real form (as a browser would) and returns the `Cookie` header for later requests. */
export async function signInForBench(baseUrl: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${baseUrl}/sign-in`);
  const formCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const response = await fetch(`${baseUrl}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, username, password }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith('eiu_session='));
  if (response.status !== 303 || !session) throw new Error(`Could not sign in as ${username} (status ${response.status})`);
  return session.split(';')[0];
}
