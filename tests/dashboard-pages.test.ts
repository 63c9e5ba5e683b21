import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD, TRIAL_KEY } from './browser/support/fixtures.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';
import { setUpDashboard } from '../dashboard/index.ts';
import { dashboardBenchPages, signInForBench } from '../dashboard/bench-pages.ts';
import { setUpAuthentication } from '../server/middleware/authentication.ts';
import { setUpSecurityHeaders } from '../server/middleware/security-headers.ts';
import { errorHandler } from '../server/middleware/error-handler.ts';
import { column } from './support/sql.ts';

let server: TestServer;
const analystView = { id: 0, username: 'x', displayName: 'x', role: 'analyst' as const, coachId: null };

beforeAll(async () => {
  server = await startTestServer();
  await seedTrial(server);
});
afterAll(() => server.close());

async function signedIn(username: string) {
  const client = pageClient(server.baseUrl);
  const response = await client.signIn(username, TEST_PASSWORD);
  expect(response.status).toBe(303);
  return client;
}

const BENEFITS_NOTICE = 'Nothing you record here affects anyone’s benefits.';

/** The record form of a contact page (the one-click buttons above it carry keys of their own). */
const recordForm = (html: string) => html.slice(html.indexOf('id="record"'));

describe('signing in and out', () => {
  it('sends a signed-out visitor to sign in, and back to the page they wanted afterwards', async () => {
    const client = pageClient(server.baseUrl);
    const page = await client.get('/experiments');
    expect(page.status).toBe(303);
    expect(page.location).toBe('/sign-in?next=%2Fexperiments');
    const form = await client.get(page.location!);
    const response = await client.post(page.location!, { _csrf: hiddenField(form.html, '_csrf')!, username: 'analyst', password: TEST_PASSWORD });
    expect(response.location).toBe('/experiments');
  });

  it.each([
    ['analyst', '/experiments'],
    ['coach', '/today'],
    ['minister', '/report'],
    ['admin', '/admin'],
  ])('puts the %s on their own start page', async (username, start) => {
    const client = pageClient(server.baseUrl);
    const response = await client.signIn(username, TEST_PASSWORD);
    expect(response.location).toBe(start);
    expect((await client.get(start)).status).toBe(200);
  });

  it('keeps the session in an HttpOnly, SameSite=Lax cookie', async () => {
    const client = pageClient(server.baseUrl);
    const form = await client.get('/sign-in');
    const response = await client.post('/sign-in', { _csrf: hiddenField(form.html, '_csrf')!, username: 'coach', password: TEST_PASSWORD });
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('eiu_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
  });

  it('shows a wrong password as an error summary, keeping the username', async () => {
    const client = pageClient(server.baseUrl);
    const response = await client.signIn('analyst', 'not the password');
    expect(response.status).toBe(401);
    expect(response.html).toContain('govuk-error-summary');
    expect(response.html).toContain('href="#username"');
    expect(pageText(response.html)).toContain('Enter a correct username and password');
    expect(response.html).toContain('value="analyst"');
    expect(response.html).toMatch(/<title>Error: /);
  });

  it('refuses a sign-in form that did not come from the sign-in page', async () => {
    const response = await pageClient(server.baseUrl).post('/sign-in', { username: 'analyst', password: TEST_PASSWORD });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie().some((c) => c.startsWith('eiu_session='))).toBe(false);
  });

  it('ends the session on the server when signing out', async () => {
    const client = await signedIn('analyst');
    const stolen = client.cookies.get('eiu_session')!;
    const page = await client.get('/experiments');
    const response = await client.post('/sign-out', { _csrf: hiddenField(page.html, '_csrf')! });
    expect(response.location).toBe('/sign-in?signedOut=1');
    const replay = await fetch(`${server.baseUrl}/experiments`, { headers: { cookie: `eiu_session=${stolen}` }, redirect: 'manual' });
    expect(replay.status).toBe(303);
  });
});

describe('every page checks the role on the server', () => {
  const pages: [string, Record<string, number>][] = [
    ['/experiments', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/experiments/new', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    [`/experiments/${TRIAL_KEY}`, { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    [`/experiments/${TRIAL_KEY}/results`, { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    [`/experiments/${TRIAL_KEY}/conclude`, { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/data', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    [`/data/${TRIAL_KEY}/outcomes.csv`, { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/today', { analyst: 403, coach: 200, minister: 403, admin: 403 }],
    ['/caseload', { analyst: 403, coach: 200, minister: 403, admin: 403 }],
    ['/contacts/P-0001', { analyst: 403, coach: 200, minister: 403, admin: 403 }],
    ['/contacts/P-0001/preferences', { analyst: 403, coach: 200, minister: 403, admin: 403 }],
    ['/learning-log', { analyst: 200, coach: 200, minister: 403, admin: 403 }],
    ['/learning-log/summaries', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/learning-log/summaries/2026-11-22', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/report', { analyst: 200, coach: 403, minister: 200, admin: 403 }],
    ['/report/current', { analyst: 200, coach: 403, minister: 403, admin: 403 }],
    ['/report/weeks', { analyst: 200, coach: 403, minister: 200, admin: 403 }],
    ['/admin', { analyst: 403, coach: 403, minister: 403, admin: 200 }],
  ];
  const clients: Record<string, ReturnType<typeof pageClient>> = {};
  beforeAll(async () => {
    for (const role of ['analyst', 'coach', 'minister', 'admin']) clients[role] = await signedIn(role);
  });

  it.each(pages)('%s', async (path, expected) => {
    for (const [role, status] of Object.entries(expected)) {
      const response = await clients[role].get(path);
      expect({ role, status: response.status }).toEqual({ role, status });
      if (status === 403) expect(pageText(response.html)).toContain('You do not have permission to see this page');
    }
    expect((await pageClient(server.baseUrl).get(path)).status).toBe(303);
  });

  it('does not let a coach open someone on another coach’s caseload', async () => {
    const response = await clients.coach.get('/contacts/P-0010');
    expect(response.status).toBe(404);
    expect(pageText(response.html)).toContain('Page not found');
  });

  it('shows a coach only their own caseload', async () => {
    const text = pageText((await clients.coach.get('/caseload?search=P-001')).html);
    expect(text).toContain('P-0011');
    expect(text).not.toContain('P-0010');
  });

  it('never shows a coach results, rates or the weekly report', async () => {
    const contact = await clients.coach.get('/contacts/P-0005');
    expect(contact.status).toBe(200);
    expect(pageText(contact.html)).not.toMatch(/\d+(\.\d)?%/);
    expect(pageText(contact.html)).not.toMatch(/interval|p-value|better than control/i);
    expect(contact.html).not.toContain('href="/report');
    expect(contact.html).not.toContain('/results');
  });

  it('states on every coach page that nothing recorded affects benefits', async () => {
    for (const path of ['/today', '/caseload', '/contacts/P-0001', '/contacts/P-0001/preferences', '/learning-log']) {
      expect(pageText((await clients.coach.get(path)).html)).toContain(BENEFITS_NOTICE);
    }
  });
});

describe('forms need the session’s CSRF token', () => {
  it('refuses a form without the token, and records nothing', async () => {
    const client = await signedIn('coach');
    const before = (await server.services.outcomes.forContact({ id: 0, username: 'x', displayName: 'x', role: 'analyst', coachId: null }, 'P-0003')).length;
    const response = await client.post('/contacts/P-0003/outcomes', { stage: 'complaint', idempotencyKey: 'no-token-0001' });
    expect(response.status).toBe(403);
    expect(pageText(response.html)).toContain('This form has expired or did not come from this service');
    const after = (await server.services.outcomes.forContact({ id: 0, username: 'x', displayName: 'x', role: 'analyst', coachId: null }, 'P-0003')).length;
    expect(after).toBe(before);
  });

  it('refuses a token from another session', async () => {
    const coach = await signedIn('coach');
    const other = await signedIn('coach');
    const otherToken = hiddenField((await other.get('/learning-log')).html, '_csrf')!;
    const response = await coach.post('/learning-log', { _csrf: otherToken, note: 'A note', tag: '' });
    expect(response.status).toBe(403);
  });

  it('refuses a cohort upload without the token', async () => {
    const analyst = await signedIn('analyst');
    const body = '--b\r\nContent-Disposition: form-data; name="cohortFile"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\nreference\r\n--b--\r\n';
    const response = await analyst.raw('POST', '/data/import', body, { 'content-type': 'multipart/form-data; boundary=b' });
    expect(response.status).toBe(403);
  });
});

describe('defining an experiment in the browser', () => {
  it('shows every problem in an error summary linking to its field', async () => {
    const analyst = await signedIn('analyst');
    const response = await analyst.submit('/experiments/new', '/experiments/new', { action: 'save' });
    expect(response.status).toBe(400);
    for (const [field, message] of [
      ['name', 'Enter a name for the experiment'],
      ['hypothesis', 'Enter the hypothesis: what you expect to change, and why'],
      ['journeyPhase', 'Select the journey phase the experiment tests'],
      ['factor1Key', 'Enter at least one factor and its levels, for example channel: letter, text'],
      ['primaryMetric', 'Select a primary metric'],
    ]) {
      expect(response.html).toContain(`href="#${field}"`);
      expect(response.html).toContain(message);
    }
    expect(response.html).toContain('id="journeyPhase"');
  });

  it('keeps what the analyst typed when it re-shows the form', async () => {
    const analyst = await signedIn('analyst');
    const response = await analyst.submit('/experiments/new', '/experiments/new', {
      action: 'save',
      name: 'Messenger test',
      hypothesis: 'A charity letterhead gets more replies',
      journeyPhase: '1',
      factor1Key: 'messenger',
      factor1Levels: 'dwp',
      primaryMetric: 'responded',
    });
    expect(response.status).toBe(400);
    expect(response.html).toContain('value="Messenger test"');
    expect(response.html).toContain('A charity letterhead gets more replies');
    expect(response.html).toContain('value="dwp"');
    expect(response.html).toContain('Enter at least two levels for factor 1, separated by commas');
    expect(response.html).toContain('href="#factor1Levels"');
  });

  it('works out the sample size beside the form without saving anything', async () => {
    const analyst = await signedIn('analyst');
    const count = async () => (await server.services.experiments.list()).length;
    const before = await count();
    const response = await analyst.submit('/experiments/new', '/experiments/new', {
      action: 'calculate',
      factor1Key: 'channel',
      factor1Levels: 'letter, text',
      powerBaseline: '20',
      powerUplift: '5',
      powerIntake: '100',
    });
    expect(response.status).toBe(200);
    const text = pageText(response.html);
    // R: power.prop.test(p1 = 0.20, p2 = 0.25, power = 0.8)$n = 1093.7 → 1,094 per arm
    expect(text).toContain('People per arm with a single final look 1,094');
    // Weekly looks need a few more (tests/dashboard-design-plan.test.ts checks how many); the plan gets that total.
    const total = Number(/People needed in all ([\d,]+) across 2 arms/.exec(text)![1].replace(/,/g, ''));
    expect(total).toBeGreaterThan(2 * 1094);
    expect(text).toContain(`${Math.ceil(total / 100)} weeks at 100 a week`);
    expect(response.html).toMatch(new RegExp(`id="plannedSampleSize" name="plannedSampleSize" type="text" [^>]*value="${total}"`));
    expect(await count()).toBe(before);
  });

  it('saves a draft, launches it after a confirmation, and then shows the design locked', async () => {
    const analyst = await signedIn('analyst');
    const arms = await analyst.submit('/experiments/new', '/experiments/new', { action: 'arms', factor1Key: 'place', factor1Levels: 'jobcentre, community venue, phone' });
    expect(arms.html).toContain('value="jobcentre community_venue phone"');
    const saved = await analyst.post('/experiments/new', {
      _csrf: hiddenField(arms.html, '_csrf')!,
      action: 'save',
      name: 'Where we offer the first meeting',
      hypothesis: 'Community venues feel safer than the jobcentre',
      journeyPhase: '1',
      factor1Key: 'place',
      factor1Levels: 'jobcentre, community venue, phone',
      armsShown: 'jobcentre community_venue phone',
      arms: ['jobcentre', 'community_venue'],
      controlArm: 'jobcentre',
      'weight-jobcentre': '1',
      'weight-community_venue': '1',
      'eligibility-ageBand': ['25-34', '35-49'],
      primaryMetric: 'meeting_attended',
      secondaryMetrics: ['meeting_agreed'],
      randomisation: 'blocks',
      strata: ['healthGroup'],
      plannedSampleSize: '400',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/experiments/where-we-offer-the-first-meeting?saved=1');
    const design = await server.services.experiments.get('where-we-offer-the-first-meeting');
    expect(design.arms.map((a) => a.key)).toEqual(['jobcentre', 'community_venue']);
    expect(design.eligibility).toEqual({ ageBand: { $in: ['25-34', '35-49'] } });
    expect(design.strata).toEqual(['healthGroup']);

    const confirm = await analyst.get('/experiments/where-we-offer-the-first-meeting/launch');
    expect(pageText(confirm.html)).toContain('Once launched, the design and analysis plan are locked');
    const launched = await analyst.post('/experiments/where-we-offer-the-first-meeting/launch', { _csrf: hiddenField(confirm.html, '_csrf')! });
    expect(launched.location).toBe('/experiments/where-we-offer-the-first-meeting?changed=launch');
    // A second click finds it launched already: no error.
    const again = await analyst.post('/experiments/where-we-offer-the-first-meeting/launch', { _csrf: hiddenField(confirm.html, '_csrf')! });
    expect(again.status).toBe(303);
    const page = await analyst.get('/experiments/where-we-offer-the-first-meeting');
    expect(pageText(page.html)).toContain('Design locked');
    expect(page.html).not.toContain('/edit');
    expect((await analyst.get('/experiments/where-we-offer-the-first-meeting/edit')).location).toBe('/experiments/where-we-offer-the-first-meeting');
  });
});

describe('data and users', () => {
  const header = 'reference,coach,site,health_group,age_band,sex,ethnicity_group,caring,time_on_benefits,previous_work,benefit_type,preferred_channel,adjustments';
  const upload = async (client: ReturnType<typeof pageClient>, csv: string) => {
    const token = hiddenField((await client.get('/data')).html, '_csrf')!;
    const body =
      `--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
      `--b\r\nContent-Disposition: form-data; name="cohortFile"; filename="cohort.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--b--\r\n`;
    return client.raw('POST', '/data/import', body, { 'content-type': 'multipart/form-data; boundary=b' });
  };

  it('imports a cohort CSV uploaded from the data page', async () => {
    const analyst = await signedIn('analyst');
    const csv = [header, 'U-0001,WC01,JC1,mental_health,25-34,female,white,no,1-2y,never,uc_lcwra,text,', 'U-0002,WC02,JC1,other,50-64,male,asian,yes,over_5y,within_1y,esa_support_group,,interpreter;extra_time'].join('\n');
    const response = await upload(analyst, csv);
    expect(response.location).toBe('/data?imported=2');
    expect(pageText((await analyst.get(response.location!)).html)).toContain('2 people imported');
  });

  it('imports nothing from a file with problems, and lists each problem with its line', async () => {
    const analyst = await signedIn('analyst');
    const csv = [header, 'U-0003,WC01,JC1,mental_health,25-34,female,white,no,1-2y,never,uc_lcwra,,', 'U-0004,WC99,JC1,unknown,25-34,female,white,no,1-2y,never,uc_lcwra,,'].join('\n');
    const response = await upload(analyst, csv);
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#cohortFile"');
    const text = pageText(response.html);
    expect(text).toContain('Nothing was imported: 1 row has problems');
    expect(text).toMatch(/Rows with problems Line Problem 3 /);
  });

  it('lets an admin add a work coach, who can then sign in to their caseload', async () => {
    const admin = await signedIn('admin');
    const form = await admin.get('/admin');
    const response = await admin.post('/admin/users', {
      _csrf: hiddenField(form.html, '_csrf')!,
      username: 'new.coach',
      displayName: 'New Coach',
      role: 'coach',
      coachCode: 'WC77',
      site: 'JC1',
      password: 'a long enough password',
    });
    expect(response.location).toBe('/admin?added=new.coach');
    const coach = pageClient(server.baseUrl);
    expect((await coach.signIn('new.coach', 'a long enough password')).location).toBe('/today');
    expect(pageText((await coach.get('/caseload')).html)).toContain('0 people on your caseload');
  });

  it('shows an admin what to fix in the add-user form', async () => {
    const admin = await signedIn('admin');
    const response = await admin.submit('/admin', '/admin/users', { username: 'X', displayName: '', role: 'coach', coachCode: '', site: '', password: 'short' });
    expect(response.status).toBe(400);
    for (const field of ['username', 'displayName', 'coachCode', 'site', 'password']) expect(response.html).toContain(`href="#${field}"`);
    expect(response.html).toContain('value="X"');
  });
});

describe('recording outcomes', () => {
  it('records an outcome once when the form is sent twice, then confirms it', async () => {
    const coach = await signedIn('coach');
    const page = await coach.get('/contacts/N-0001');
    // Not in an experiment yet: add them first (one click).
    const added = await coach.post('/contacts/N-0001/assignments', { _csrf: hiddenField(page.html, '_csrf')!, experiment: TRIAL_KEY });
    expect(added.location).toBe(`/contacts/N-0001?assigned=${TRIAL_KEY}`);
    const form = await coach.get('/contacts/N-0001');
    expect(pageText(form.html)).toContain('Due next: Make first contact');
    const fields = { _csrf: hiddenField(form.html, '_csrf')!, idempotencyKey: hiddenField(recordForm(form.html), 'idempotencyKey')!, stage: 'outreach_attempted', channel: 'text', when: 'today' };
    const [first, second] = await Promise.all([coach.post('/contacts/N-0001/outcomes', fields), coach.post('/contacts/N-0001/outcomes', fields)]);
    expect(first.status).toBe(303);
    expect(second.location).toBe(first.location);
    const outcomes = await server.services.outcomes.forContact({ id: 0, username: 'x', displayName: 'x', role: 'analyst', coachId: null }, 'N-0001');
    expect(outcomes.filter((o) => o.stage === 'outreach_attempted')).toHaveLength(1);
    const confirmation = pageText((await coach.get(first.location!)).html);
    expect(confirmation).toContain('Outreach attempted recorded');
    expect(confirmation).toContain('Next: Wait for a reply, or try again');
  });

  it('re-shows the form with the problem and the choice made when a detail is missing', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/P-0004');
    const response = await coach.post('/contacts/P-0004/outcomes', {
      _csrf: hiddenField(form.html, '_csrf')!,
      idempotencyKey: hiddenField(recordForm(form.html), 'idempotencyKey')!,
      stage: 'meeting_not_attended',
      when: 'today',
    });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#notAttendedReason"');
    expect(pageText(response.html)).toContain('Select why they could not come');
    expect(response.html).toMatch(/value="meeting_not_attended" checked/);
    expect(hiddenField(recordForm(response.html), 'idempotencyKey')).toBe(hiddenField(recordForm(form.html), 'idempotencyKey'));
  });

  it('records an opt-out from its confirmation page, after which no contact is offered', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/P-0006/opt-out');
    const response = await coach.post('/contacts/P-0006/opt-out', { _csrf: hiddenField(form.html, '_csrf')!, idempotencyKey: 'opt-out-p-0006' });
    expect(response.location).toBe('/contacts/P-0006?optedOut=1');
    const page = await coach.get(response.location!);
    const text = pageText(page.html);
    expect(text).toContain('Opt-out recorded');
    expect(text).toContain('Do not contact this person.');
    expect(page.html).not.toContain('name="stage"');
    expect(page.html).not.toContain('/assignments"');
    expect(text).not.toContain('script');
    // Even a hand-made request cannot record contact now.
    const outreach = await coach.post('/contacts/P-0006/outcomes', { _csrf: hiddenField(page.html, '_csrf')!, idempotencyKey: 'after-opt-out-1', stage: 'outreach_attempted', channel: 'text' });
    expect(outreach.status).toBe(409);
    expect(pageText((await coach.get('/caseload?search=P-000')).html)).toMatch(/P-0006 .*? Do not contact/);
  });

  it('chooses the outcome when it is the only one possible', async () => {
    const coach = await signedIn('coach');
    const page = await coach.get('/contacts/N-0005');
    expect(page.html).toMatch(/value="outreach_attempted" checked/);
    expect([...page.html.matchAll(/name="stage" type="radio"/g)]).toHaveLength(1);
  });

  it('asks the coach to confirm a stage that skips the one before it, then records it once', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/N-0004');
    const fields = { _csrf: hiddenField(form.html, '_csrf')!, idempotencyKey: hiddenField(recordForm(form.html), 'idempotencyKey')!, stage: 'meeting_attended', when: 'today' };
    const check = await coach.post('/contacts/N-0004/outcomes', fields);
    expect(check.status).toBe(200);
    const text = pageText(check.html);
    expect(text).toContain('Check before you record');
    expect(text).toContain("You are recording ’First meeting attended’ but no meeting was agreed. Continue?");
    expect(await server.services.outcomes.forContact(analystView, 'N-0004')).toEqual([]);
    const confirmed = await coach.post('/contacts/N-0004/outcomes', { ...fields, confirmSkip: '1' });
    expect(confirmed.status).toBe(303);
    expect(hiddenField(check.html, 'confirmSkip')).toBe('1');
    expect(hiddenField(check.html, 'stage')).toBe('meeting_attended');
    expect((await server.services.outcomes.forContact(analystView, 'N-0004')).map((o) => o.stage)).toEqual(['meeting_attended']);
  });

  it('highlights a time that is not a real time in its own field', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/P-0008');
    const response = await coach.post('/contacts/P-0008/outcomes', {
      _csrf: hiddenField(form.html, '_csrf')!,
      idempotencyKey: hiddenField(recordForm(form.html), 'idempotencyKey')!,
      stage: 'meeting_agreed',
      place: 'jobcentre',
      meetingDay: '30',
      meetingMonth: '11',
      meetingYear: '2026',
      meetingTime: '25:99',
      when: 'today',
    });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#meetingTime"');
    expect(response.html).not.toContain('href="#meetingDate-day"');
    expect(pageText(response.html)).toContain('Enter a real time, for example 09:30');
    expect(response.html).toMatch(/class="govuk-input govuk-input--width-5 govuk-input--error" id="meetingTime"/);
    expect(response.html).not.toMatch(/govuk-input--error" id="meetingDate-day"/);
    expect(response.html).toContain('value="25:99"');
  });

  it('refuses a meeting agreed for a day already past, and so never says it is due', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/P-0008');
    const before = (await server.services.outcomes.forContact(analystView, 'P-0008')).length;
    const response = await coach.post('/contacts/P-0008/outcomes', {
      _csrf: hiddenField(form.html, '_csrf')!,
      idempotencyKey: hiddenField(recordForm(form.html), 'idempotencyKey')!,
      stage: 'meeting_agreed',
      place: 'jobcentre',
      meetingDay: '8',
      meetingMonth: '12',
      meetingYear: '2019',
      when: 'today',
    });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#meetingDate-day"');
    expect(pageText(response.html)).toContain('The meeting must be today or later');
    expect(pageText(response.html)).not.toContain('8 December 2019');
    expect(await server.services.outcomes.forContact(analystView, 'P-0008')).toHaveLength(before);
  });

  it('keeps the history of changes to preferences and adjustments', async () => {
    const coach = await signedIn('coach');
    const form = await coach.get('/contacts/P-0007/preferences');
    const saved = await coach.post('/contacts/P-0007/preferences', { _csrf: hiddenField(form.html, '_csrf')!, preferredChannel: 'phone', adjustments: ['interpreter', 'extra_time'] });
    expect(saved.location).toBe('/contacts/P-0007');
    const text = pageText((await coach.get('/contacts/P-0007')).html);
    expect(text).toContain('Preferred channel Phone');
    expect(text).toMatch(/Changes .*Preferred channel phone/);
    expect(text).toMatch(/Adjustments extra time, interpreter/);
  });
});

/** Every id attribute of the page's elements, read from their start tags (not from text, comments or scripts). */
function idsOf(html: string): string[] {
  const markup = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '');
  const ids: string[] = [];
  for (const tag of markup.matchAll(/<[a-zA-Z][a-zA-Z0-9-]*((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g))
    for (const attribute of tag[1].matchAll(/\s([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g))
      if (attribute[1].toLowerCase() === 'id') ids.push(attribute[2] ?? attribute[3] ?? attribute[4] ?? '');
  return ids;
}

describe('ids on coach pages', () => {
  it('finds ids in start tags only, however the attributes are written', () => {
    expect(idsOf(`<div id="a" class='x'><input type=text id=b disabled><!-- <p id="c"> --><script>const s = '<p id="d">';</script><p data-id="e">id="f"</p></div>`)).toEqual(['a', 'b']);
  });

  it('gives every element on every coach page its own id, and every in-page link a target', async () => {
    const coach = await signedIn('coach');
    const contact = await coach.get('/contacts/P-0009');
    const badForm = {
      _csrf: hiddenField(contact.html, '_csrf')!,
      idempotencyKey: hiddenField(recordForm(contact.html), 'idempotencyKey')!,
      stage: 'meeting_agreed',
      place: '',
      meetingDay: '31',
      meetingMonth: '2',
      meetingYear: '2027',
      meetingTime: '25:99',
      when: 'earlier',
      whenDay: '40',
    };
    const pages: [string, () => Promise<{ status: number; html: string }>][] = [
      ['Today', () => coach.get('/today')],
      ['Today, filtered', () => coach.get(`/today?experiment=${TRIAL_KEY}&stage=outreach_attempted`)],
      ['caseload', () => coach.get('/caseload')],
      ['caseload search', () => coach.get('/caseload?search=P-00')],
      ['contact', () => coach.get('/contacts/P-0001')],
      ['contact, all outcomes', () => coach.get('/contacts/P-0001?all=1')],
      ['contact, not attended chosen', () => coach.get('/contacts/P-0001?stage=meeting_not_attended')],
      ['contact, not in an experiment', () => coach.get('/contacts/N-0003')],
      ['contact, opted out', () => coach.get('/contacts/P-0002')],
      ['contact, every field in error', () => coach.post('/contacts/P-0009/outcomes', badForm)],
      ['confirm a skipped stage', () => coach.post('/contacts/N-0003/outcomes', { ...badForm, stage: 'plan_agreed', planKind: 'written', when: 'today' })],
      ['preferences', () => coach.get('/contacts/P-0001/preferences')],
      ['learning log', () => coach.get('/learning-log')],
    ];
    for (const [name, request] of pages) {
      const { status, html } = await request();
      expect({ name, status: status === 200 || status === 400 }).toEqual({ name, status: true });
      const ids = idsOf(html);
      expect(ids.length, name).toBeGreaterThan(1);
      expect({ name, duplicates: [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))] }).toEqual({ name, duplicates: [] });
      const targets = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
      expect({ name, missing: targets.filter((t) => !ids.includes(t)) }).toEqual({ name, missing: [] });
    }
  });
});

describe('the learning log', () => {
  it('refuses a note that names a person’s reference, and keeps the text', async () => {
    const coach = await signedIn('coach');
    const response = await coach.submit('/learning-log', '/learning-log', { note: 'P-0011 said the letter scared them', tag: '' });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#note"');
    expect(response.html).toContain('P-0011 said the letter scared them');
  });

  it('shares a tagged note with the team', async () => {
    const coach = await signedIn('coach');
    const saved = await coach.submit('/learning-log', '/learning-log', { note: 'Texts sent after 6pm got quicker replies', tag: `${TRIAL_KEY}/text-warm_voluntary` });
    expect(saved.location).toBe('/learning-log?added=1');
    const analyst = await signedIn('analyst');
    const text = pageText((await analyst.get('/learning-log')).html);
    expect(text).toContain('Texts sent after 6pm got quicker replies');
    expect(text).toContain('First contact: channel and tone: Text, warm voluntary');
  });
});

describe('the weekly report for ministers', () => {
  it('shows ministers the latest frozen week, which never changes afterwards', async () => {
    const minister = await signedIn('minister');
    const first = await minister.get('/report');
    expect(first.status).toBe(200);
    const text = pageText(first.html);
    expect(text).toContain('Weekly uplift report: week ending 22 November 2026');
    expect(text).toMatch(/Text, warm voluntary: \d+ more people in every 100 agreed to a meeting than with letter, standard \(between \d+ and \d+ more\)/);
    expect(text).toContain('fewer than 10');
    expect(text).toContain('What the unit learned this week');
    // The fixture's raw learning note stays in the learning log: ministers see only an approved summary.
    expect(text).not.toContain('often replied asking whether it would affect their payments');
    expect(text).toContain('No learning summary was approved for this week.');
    const snapshots = await column(server.db, 'SELECT week_ending FROM report_snapshots ORDER BY week_ending DESC');
    expect(snapshots[0]).toBe('2026-11-22');
    const again = await minister.get('/report/weeks/2026-11-22');
    expect(pageText(again.html).replace(/Signed in as .*? Sign out/, '')).toBe(text.replace(/Signed in as .*? Sign out/, ''));
  });

  it('shows no person-level data and no count below 10 in the page or the CSV', async () => {
    const minister = await signedIn('minister');
    const page = await minister.get('/report');
    expect(page.html).not.toMatch(/P-\d{4}|N-\d{4}/);
    const csv = await minister.get('/report/weeks/2026-11-22.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.html.trim().split('\n');
    expect(lines[0]).toBe('week_ending,experiment,section,arm,measure,value,interval');
    for (const line of lines.slice(1)) {
      const value = line.split(',').at(-2)!;
      if (/^\d[\d,]*$/.test(value)) expect(Number(value.replace(/,/g, ''))).toBeGreaterThanOrEqual(10);
    }
    expect(csv.html).toContain('fewer than 10');
  });

  it('links a print stylesheet for A4', async () => {
    const minister = await signedIn('minister');
    const page = await minister.get('/report');
    expect(page.html).toContain('<link rel="stylesheet" href="/static/print.css" media="print">');
    const css = await minister.get('/static/print.css');
    expect(css.html).toContain('size: A4');
  });
});

describe('pages and errors', () => {
  it('shows a GOV.UK 404 page for an unknown page, and JSON for an unknown API route', async () => {
    const analyst = await signedIn('analyst');
    const page = await analyst.get('/no-such-page');
    expect(page.status).toBe(404);
    expect(page.html).toContain('govuk-template');
    expect(pageText(page.html)).toContain('Page not found');
    const api = await analyst.get('/api/no-such-route');
    expect(api.headers.get('content-type')).toContain('application/json');
  });

  it('shows an unexpected error as a GOV.UK page with a reference and no stack trace', async () => {
    const app = express();
    app.use(setUpSecurityHeaders());
    app.use(setUpAuthentication(server.services));
    const dashboard = await setUpDashboard(app, server.services, {
      buildReport: () => {
        throw new Error('database exploded at /secret/path.ts:12');
      },
    });
    app.use(errorHandler(dashboard.renderErrorPage));
    const broken: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const client = pageClient(`http://127.0.0.1:${(broken.address() as AddressInfo).port}`);
      await client.signIn('analyst', TEST_PASSWORD);
      const quiet = console.error;
      console.error = () => {};
      const page = await client.get(`/experiments/${TRIAL_KEY}/results`).finally(() => (console.error = quiet));
      expect(page.status).toBe(500);
      const text = pageText(page.html);
      expect(text).toContain('Sorry, there is a problem with the service');
      expect(text).toMatch(/quote the reference [0-9a-f]{8}/);
      expect(page.html).not.toContain('exploded');
      expect(page.html).not.toContain('.ts:');
    } finally {
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  });

  it('needs no inline script or style beyond the one the CSP allows by hash', async () => {
    const analyst = await signedIn('analyst');
    const coach = await signedIn('coach');
    const minister = await signedIn('minister');
    const pages = [
      await analyst.get('/experiments/new'),
      await analyst.get(`/experiments/${TRIAL_KEY}/results`),
      await coach.get('/contacts/P-0001'),
      await minister.get('/report'),
    ];
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.html).not.toMatch(/\sstyle="/);
      const inline = [...page.html.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/g)];
      expect(inline).toHaveLength(1);
      const policy = page.headers.get('content-security-policy')!;
      expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(policy).toContain("style-src 'self'");
    }
  });

  it('gives the benchmark a list of pages that each open for the user it names', async () => {
    const pages = await dashboardBenchPages(server.db);
    expect(pages.map((p) => p.name)).toEqual(expect.arrayContaining(['experiments list', 'experiment results', 'caseload', 'contact page', 'weekly report (frozen)']));
    const cookies = new Map<string, string>();
    for (const page of pages) {
      if (!cookies.has(page.username)) cookies.set(page.username, await signInForBench(server.baseUrl, page.username, TEST_PASSWORD));
      const response = await fetch(`${server.baseUrl}${page.path}`, { headers: { cookie: cookies.get(page.username)! }, redirect: 'manual' });
      expect({ page: page.name, status: response.status }).toEqual({ page: page.name, status: 200 });
    }
  });
});
