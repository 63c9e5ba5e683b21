import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Db } from '../server/db/database.ts';
import { createApp } from '../server/app.ts';
import { fixedClock } from '../server/clock.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import type { Services } from '../server/services.ts';
import { seedDemoData } from '../seed/demo.ts';
import { pageClient } from './browser/support/page-client.ts';
import type { MinisterReport } from '../dashboard/report/weekly-report-builder.ts';
import type { ShownCount } from '../dashboard/report/suppression.ts';
import { openTestDatabase } from './support/test-database.ts';
import { column } from './support/sql.ts';

/**
 * What ministers see, checked as a whole over every frozen week of the demo
 * data (decision 0016): no count in 1–9, every count a multiple of 5, totals
 * that add up, journeys that never grow from one step to the next without
 * saying why, and no figure that changes when a coach records a handful of events.
 */
const NOW = '2026-11-25T10:00:00.000Z';

let db: Db;
let services: Services;
let server: Server;
let baseUrl: string;
let clock: ReturnType<typeof fixedClock>;
let minister: ReturnType<typeof pageClient>;
let ministerPassword: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const { credentials } = await seedDemoData(db, { contacts: 3000, seed: 1, now: new Date(NOW) });
  clock = fixedClock(NOW);
  const app = await createApp({ db, clock });
  services = app.locals.services;
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  minister = pageClient(baseUrl);
  ministerPassword = credentials.find((c) => c.username === 'minister')!.password;
  const signIn = await minister.signIn('minister', ministerPassword);
  expect(signIn.status).toBe(303);
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.close();
});

const frozenReports = async () =>
  (await column<string>(db, 'SELECT content FROM report_snapshots ORDER BY week_ending')).map((c) => JSON.parse(c) as MinisterReport);

/** Every {value, text} count anywhere in a report. */
function countsIn(value: unknown, path = '$', found: { path: string; count: ShownCount }[] = []) {
  if (Array.isArray(value)) value.forEach((v, i) => countsIn(v, `${path}[${i}]`, found));
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('value' in record && 'text' in record && Object.keys(record).length === 2) found.push({ path, count: record as unknown as ShownCount });
    else for (const [key, v] of Object.entries(record)) countsIn(v, `${path}.${key}`, found);
  }
  return found;
}

/** A total beside parts: their sum when all are shown; otherwise withheld, or at least 10 more than the shown parts. */
function expectAddsUp(total: ShownCount, parts: ShownCount[], where: string) {
  const shownSum = parts.reduce((sum, p) => sum + (p.value ?? 0), 0);
  if (parts.every((p) => p.value !== null)) expect(total.value, where).toBe(shownSum);
  else if (total.value !== null) expect(total.value - shownSum, where).toBeGreaterThanOrEqual(10);
}

describe('every frozen week of the demo data', () => {
  it('has a report for every week from the first launch, each stamped with when it was frozen', async () => {
    const weeks = await db.all<{ weekEnding: string; frozenAt: string }>('SELECT week_ending AS "weekEnding", created_at AS "frozenAt" FROM report_snapshots ORDER BY week_ending');
    expect(weeks.length).toBeGreaterThanOrEqual(9);
    expect(weeks.at(-1)!.weekEnding).toBe('2026-11-22');
    for (const [i, week] of weeks.entries()) {
      if (i > 0) expect(Date.parse(week.weekEnding) - Date.parse(weeks[i - 1].weekEnding)).toBe(7 * 86_400_000);
      // Frozen shortly after the week's cut-off (Monday 00:00 UTC), never before it.
      const cutOff = Date.parse(week.weekEnding) + 86_400_000;
      expect(Date.parse(week.frozenAt)).toBeGreaterThanOrEqual(cutOff);
      expect(Date.parse(week.frozenAt) - cutOff).toBeLessThan(3_600_000);
    }
  });

  it('shows no count between 1 and 9, and rounds every count to a multiple of 5', async () => {
    for (const report of await frozenReports()) {
      const counts = countsIn(report);
      expect(counts.length).toBeGreaterThan(20);
      for (const { path, count } of counts) {
        if (count.value === null) expect(['fewer than 10', 'withheld (small numbers)'], `${report.weekEnding} ${path}`).toContain(count.text);
        else {
          expect(count.value % 5, `${report.weekEnding} ${path}`).toBe(0);
          expect(count.value, `${report.weekEnding} ${path}`).toBeGreaterThanOrEqual(10);
          expect(count.text).toBe(count.value.toLocaleString('en-GB'));
        }
      }
    }
  });

  it('has totals that add up and journeys that never grow from one step to the next unless the report says why', async () => {
    for (const report of await frozenReports()) {
      for (const e of report.experiments) {
        const where = `${report.weekEnding} ${e.key}`;
        expect(e.journey.steps[0].key).toBe('assigned');
        if (e.journeyPhase > 1) expect(e.journey.steps.map((s) => s.key)).not.toContain('outreach_attempted');
        e.journey.steps.forEach((step, i) => expectAddsUp(e.journey.total.counts[i], e.journey.arms.map((a) => a.counts[i]), `${where} ${step.key}`));
        expectAddsUp(e.journey.total.joinedThisWeek, e.journey.arms.map((a) => a.joinedThisWeek), `${where} joined`);
        for (const g of e.guardrails) expectAddsUp(g.total, g.arms.map((a) => a.count), `${where} ${g.key}`);
        for (const row of [...e.journey.arms, e.journey.total]) {
          const shown = row.counts.map((c) => c.value);
          // A step grows when it shows more than the one before, or is shown after one withheld as "fewer than 10".
          const grows = shown.some((value, i) => i > 0 && value !== null && (shown[i - 1] === null ? row.counts[i - 1].text === 'fewer than 10' : value > shown[i - 1]!));
          if (grows) expect(e.journey.note, where).toMatch(/later step/);
          // Joined this week never exceeds taking part in total.
          if (row.joinedThisWeek.value !== null && shown[0] !== null) expect(row.joinedThisWeek.value).toBeLessThanOrEqual(shown[0]);
        }
        // The primary-metric table and the journey agree on who is taking part.
        e.arms.forEach((arm, i) => expect(arm.people).toEqual(e.journey.arms[i].counts[0]));
        // A guardrail says "no sign" only when its numbers can be shown.
        for (const g of e.guardrails) if (g.arms.some((a) => a.count.value === null)) expect(g.sentence).not.toMatch(/No sign/);
      }
      const unit = report.unit;
      const order = [unit.people, unit.attended].map((c) => c.value);
      if (order.every((v) => v !== null)) expect(order[1]!).toBeLessThanOrEqual(order[0]!);
    }
  });

  it('prints the same rounded and withheld counts in the page tables and the CSV', async () => {
    for (const report of await frozenReports()) {
      const page = await minister.get(`/report/weeks/${report.weekEnding}`);
      expect(page.status).toBe(200);
      const cells = [...page.html.matchAll(/<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)<\/td>/g)].map((m) => m[1].trim());
      expect(cells.length).toBeGreaterThan(20);
      for (const cell of cells) expect(cell, report.weekEnding).toMatch(/^(&lt;10|withheld|\d{1,3}(,\d{3})*( \(\d+%\))?)$/);
      for (const cell of cells.filter((c) => /^\d/.test(c))) {
        const value = Number(cell.split(' ')[0].replace(/,/g, ''));
        expect(value % 5).toBe(0);
        expect(value).toBeGreaterThanOrEqual(10);
      }
      const csv = await minister.get(`/report/weeks/${report.weekEnding}.csv`);
      expect(csv.headers.get('cache-control')).toBe('no-store');
      for (const line of csv.html.trim().split('\n').slice(1)) {
        const value = line.split(',').at(-2)!;
        if (/^"?\d[\d,]*"?$/.test(value)) {
          const n = Number(value.replace(/[",]/g, ''));
          expect(n % 5).toBe(0);
          expect(n).toBeGreaterThanOrEqual(10);
        }
      }
    }
  });
});

describe('differencing what ministers can open', () => {
  const views = async () => {
    const weeks = await column<string>(db, 'SELECT week_ending FROM report_snapshots ORDER BY week_ending');
    const paths = ['/report', '/report/weeks', ...weeks.flatMap((w) => [`/report/weeks/${w}`, `/report/weeks/${w}.csv`])];
    const pages = new Map<string, string>();
    for (const path of paths) {
      const response = await minister.get(path);
      expect(response.status, path).toBe(200);
      pages.set(path, response.html);
    }
    return pages;
  };
  const numbersIn = (html: string) => [...html.replace(/<[^>]+>/g, ' ').matchAll(/\d[\d,]*/g)].map((m) => Number(m[0].replace(/,/g, '')));

  async function coachAndPeople(count: number): Promise<{ coach: CurrentUser; references: string[] }> {
    const row = (await db.get<CurrentUser & { coachId: number }>(
      `SELECT u.id AS id, u.username AS username, u.display_name AS "displayName", w.id AS "coachId" FROM users u JOIN work_coaches w ON w.user_id = u.id WHERE u.username = 'coach01'`,
    ))!;
    const references = await column<string>(
      db,
      `SELECT c.reference AS reference FROM contacts c JOIN assignments a ON a.contact_id = c.id
         WHERE c.coach_id = ? AND c.opted_out_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.stage = 'responded')
         GROUP BY c.id ORDER BY c.id LIMIT ?`,
      [row.coachId, count],
    );
    return { coach: { ...row, role: 'coach' }, references };
  }

  it('finds no figure whose change reveals the 1 to 9 events a coach has just recorded', async () => {
    const before = await views();
    let recorded = 0;
    for (const batch of [1, 3, 9]) {
      const { coach, references } = await coachAndPeople(batch);
      expect(references).toHaveLength(batch);
      for (const [i, reference] of references.entries()) {
        const stage = i % 3 === 0 ? 'opted_out' : i % 3 === 1 ? 'responded' : 'complaint';
        await services.outcomes.record(coach, { contact: reference, stage, occurredAt: clock.now().toISOString(), idempotencyKey: `difference-${recorded++}` } as never);
      }
      const after = await views();
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [path, html] of after) {
        const old = numbersIn(before.get(path)!);
        const now = numbersIn(html);
        expect(now.length, path).toBe(old.length);
        const changes = now.map((n, i) => Math.abs(n - old[i])).filter((d) => d !== 0);
        expect(changes.filter((d) => d >= 1 && d <= 9), `${path} after ${batch} events`).toEqual([]);
      }
    }
  });

  it('shows a new week only once it is frozen, and every change from the week before is a multiple of 5', async () => {
    const latestBefore = (await frozenReports()).at(-1)!;
    clock.set('2026-11-30T00:10:00.000Z');
    const signIn = await minister.signIn('minister', ministerPassword);
    expect(signIn.status).toBe(303);
    const page = await minister.get('/report');
    expect(page.status).toBe(200);
    const latest = (await frozenReports()).at(-1)!;
    expect(latest.weekEnding).toBe('2026-11-29');
    const previous = new Map(countsIn(latestBefore).map(({ path, count }) => [path, count.value]));
    for (const { path, count } of countsIn(latest)) {
      const old = previous.get(path);
      if (old !== undefined && old !== null && count.value !== null) expect(Math.abs(count.value - old) % 5, path).toBe(0);
    }
  });
});
