import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { seedTrial, TEST_PASSWORD } from './browser/support/fixtures.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';
import { column, scalar } from './support/sql.ts';

/** The fixture's raw learning note, written by a member of the team during the week ending 22 November 2026. */
const RAW_NOTE = 'People who got the warm text often replied asking whether it would affect their payments.';
const WEEK = '2026-11-22';
const SUMMARY_PAGE = `/learning-log/summaries/${WEEK}`;
const APPROVE_PAGE = `${SUMMARY_PAGE}/approve`;
const SAFE_SUMMARY = 'People sent the warm, voluntary text often asked whether taking part would affect their benefits. Reassurance early on mattered more than the channel.';

let server: TestServer;
let analystId: number;

beforeEach(async () => {
  server = await startTestServer();
  const { analyst } = await seedTrial(server, { people: 40, unassigned: 0 });
  analystId = analyst.id;
});
afterEach(() => server.close());

async function signedIn(username: string) {
  const client = pageClient(server.baseUrl);
  expect((await client.signIn(username, TEST_PASSWORD)).status).toBe(303);
  return client;
}

async function saveDraft(analyst: ReturnType<typeof pageClient>, text: string) {
  const response = await analyst.submit(SUMMARY_PAGE, SUMMARY_PAGE, { action: 'save', text });
  expect(response.status).toBe(303);
  expect(response.location).toBe(`${SUMMARY_PAGE}?saved=1`);
}

async function approve(analyst: ReturnType<typeof pageClient>, fields: Record<string, string> = {}) {
  const page = await analyst.get(APPROVE_PAGE);
  expect(page.status).toBe(200);
  return analyst.post(APPROVE_PAGE, { _csrf: hiddenField(page.html, '_csrf')!, digest: hiddenField(page.html, 'digest')!, ...fields });
}

async function ministerReads() {
  const minister = await signedIn('minister');
  const page = await minister.get(`/report/weeks/${WEEK}`);
  const csv = await minister.get(`/report/weeks/${WEEK}.csv`);
  expect(page.status).toBe(200);
  expect(csv.status).toBe(200);
  return { page: pageText(page.html), csv: csv.html };
}

describe('what ministers read about the unit’s learning', () => {
  it('never shows a coach’s raw note, on the page or in the CSV', async () => {
    const minister = await signedIn('minister');
    const latest = pageText((await minister.get('/report')).html);
    const current = pageText((await minister.get('/report/current')).html);
    const { page, csv } = await ministerReads();
    for (const text of [latest, current, page, csv]) expect(text).not.toContain('often replied asking whether');
    expect(page).toContain('No learning summary was approved for this week.');
  });

  it('does not show a draft', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    const { page, csv } = await ministerReads();
    expect(page).not.toContain('Reassurance early on mattered');
    expect(csv).not.toContain('Reassurance early on mattered');
    expect(page).toContain('No learning summary was approved for this week.');
  });

  it('shows the approved summary on the page and in the CSV, even when the week froze before it was approved', async () => {
    const before = await ministerReads();
    expect(before.page).toContain('No learning summary was approved for this week.');
    const frozenBefore = await server.db.all('SELECT week_ending, content FROM report_snapshots ORDER BY week_ending');
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    const approved = await approve(analyst);
    expect(approved.status).toBe(303);
    expect(approved.location).toBe(`${SUMMARY_PAGE}?approved=1`);
    const after = await ministerReads();
    expect(after.page).toContain(SAFE_SUMMARY);
    expect(after.page).toMatch(/approved by the unit’s analysts on 23 November 2026/);
    expect(after.page).not.toContain('No learning summary was approved');
    expect(after.csv).toContain(`${WEEK},(all experiments),learning,,approved summary,`);
    expect(after.csv).not.toContain('often replied asking whether');
    // The figures stay frozen: only the learning section changed.
    expect(await server.db.all('SELECT week_ending, content FROM report_snapshots ORDER BY week_ending')).toEqual(frozenBefore);
  });

  it('shows the approved summary in the analysts’ preview of this week as soon as it is approved', async () => {
    const analyst = await signedIn('analyst');
    const currentWeek = '2026-11-29';
    const preview = await signedIn('analyst');
    expect(pageText((await preview.get('/report/current')).html)).toContain('No learning summary was approved for this week.');
    await analyst.submit(`/learning-log/summaries/${currentWeek}`, `/learning-log/summaries/${currentWeek}`, { action: 'save', text: 'So far this week, phone meetings suited people having a bad day.' });
    const page = await analyst.get(`/learning-log/summaries/${currentWeek}/approve`);
    await analyst.post(`/learning-log/summaries/${currentWeek}/approve`, { _csrf: hiddenField(page.html, '_csrf')!, digest: hiddenField(page.html, 'digest')! });
    expect(pageText((await preview.get('/report/current')).html)).toContain('So far this week, phone meetings suited people having a bad day.');
  });

  it('keeps showing the approved text while a later change waits for approval, then shows the new one', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    await approve(analyst);
    await saveDraft(analyst, `${SAFE_SUMMARY}\n\nA later thought: easy-read invitations helped.`);
    const page = pageText((await analyst.get(SUMMARY_PAGE)).html);
    expect(page).toContain('Changes not approved');
    expect(page).toMatch(/The report still shows the version approved on/);
    expect((await ministerReads()).page).not.toContain('A later thought');
    expect((await ministerReads()).page).toContain(SAFE_SUMMARY);
    await approve(analyst);
    expect((await ministerReads()).page).toContain('A later thought: easy-read invitations helped.');
    const approvals = await column(server.db, 'SELECT text FROM learning_summary_approvals ORDER BY id');
    expect(approvals).toEqual([SAFE_SUMMARY, `${SAFE_SUMMARY}\n\nA later thought: easy-read invitations helped.`]);
    await expect(server.db.run("UPDATE learning_summary_approvals SET text = 'changed'")).rejects.toThrow(/cannot be changed/);
  });
});

describe('writing and approving the summary', () => {
  it('records each draft and the approval in the audit log with the analyst’s id', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    await approve(analyst);
    const audit = await server.db.all(`SELECT user_id AS "userId", action, entity_id AS "entityId" FROM audit_log WHERE entity = 'learning-summary' ORDER BY id`);
    expect(audit).toEqual([
      { userId: analystId, action: 'save-draft', entityId: WEEK },
      { userId: analystId, action: 'approve', entityId: WEEK },
    ]);
    const row = await server.db.get('SELECT status, created_by, updated_by, approved_by FROM learning_summaries');
    expect(row).toEqual({ status: 'approved', created_by: analystId, updated_by: analystId, approved_by: analystId });
  });

  it('copies the chosen notes into the editable draft without saving them', async () => {
    const analyst = await signedIn('analyst');
    const noteId = await scalar<number>(server.db, 'SELECT id FROM learning_notes');
    const page = await analyst.get(SUMMARY_PAGE);
    expect(pageText(page.html)).toContain(RAW_NOTE);
    const copied = await analyst.post(SUMMARY_PAGE, { _csrf: hiddenField(page.html, '_csrf')!, action: 'copy-notes', text: 'Opening line.', notes: String(noteId) });
    expect(copied.status).toBe(200);
    expect(copied.html).toMatch(new RegExp(`<textarea[^>]*name="text"[^>]*>Opening line.\\n\\n${RAW_NOTE}</textarea>`));
    expect(pageText(copied.html)).toContain('Copied 1 note into the draft. They are not saved yet');
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summaries')).toBe(0);
  });

  it('asks which notes to copy when none is selected, keeping the text', async () => {
    const analyst = await signedIn('analyst');
    const response = await analyst.submit(SUMMARY_PAGE, SUMMARY_PAGE, { action: 'copy-notes', text: 'Kept text' });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#notes"');
    expect(response.html).toContain('Kept text');
  });

  it('shows the disclosure warnings on the draft, and approves it only once the analyst says they checked them', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, 'The 58-year-old Black woman with MS who cares for her son, seen at Riverside, said two letters scared her. EIU - 12 34 rang back.');
    const page = pageText((await analyst.get(SUMMARY_PAGE)).html);
    for (const heading of ['A reference or National Insurance number', 'A person described by ethnicity or sex with other details', 'Ages', 'Health conditions', 'Places', 'Numbers under 10'])
      expect(page).toContain(heading);
    expect(page).toContain('Found: “EIU - 12 34”');

    const unticked = await approve(analyst);
    expect(unticked.status).toBe(400);
    expect(unticked.html).toContain('href="#checked"');
    expect(pageText(unticked.html)).toContain('Confirm that you have checked the warnings');
    expect((await ministerReads()).page).toContain('No learning summary was approved for this week.');

    const ticked = await approve(analyst, { checked: 'yes' });
    expect(ticked.status).toBe(303);
    expect(await scalar(server.db, 'SELECT status FROM learning_summaries')).toBe('approved');
  });

  it('approves a clean draft without the tick, and a second click changes nothing', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    const page = await analyst.get(APPROVE_PAGE);
    expect(pageText(page.html)).toContain('The check found nothing that looks like it could identify someone');
    const fields = { _csrf: hiddenField(page.html, '_csrf')!, digest: hiddenField(page.html, 'digest')! };
    expect((await analyst.post(APPROVE_PAGE, fields)).status).toBe(303);
    expect((await analyst.post(APPROVE_PAGE, fields)).status).toBe(303);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summary_approvals')).toBe(1);
  });

  it('refuses to approve a draft that changed after the confirmation page was opened', async () => {
    const analyst = await signedIn('analyst');
    await saveDraft(analyst, SAFE_SUMMARY);
    const page = await analyst.get(APPROVE_PAGE);
    await saveDraft(analyst, 'A different draft, saved by a colleague meanwhile.');
    const response = await analyst.post(APPROVE_PAGE, { _csrf: hiddenField(page.html, '_csrf')!, digest: hiddenField(page.html, 'digest')! });
    expect(response.status).toBe(409);
    expect(pageText(response.html)).toContain('The draft changed since you opened this page');
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summary_approvals')).toBe(0);
  });

  it('shows what to fix when the draft is empty', async () => {
    const analyst = await signedIn('analyst');
    const response = await analyst.submit(SUMMARY_PAGE, SUMMARY_PAGE, { action: 'save', text: '   ' });
    expect(response.status).toBe(400);
    expect(response.html).toContain('href="#text"');
    expect(pageText(response.html)).toContain('Enter the summary of what the unit learned this week');
  });

  it('has no page for a week that has not started or a date that is not a Sunday', async () => {
    const analyst = await signedIn('analyst');
    expect((await analyst.get('/learning-log/summaries/2026-12-06')).status).toBe(404);
    expect((await analyst.get('/learning-log/summaries/2026-11-21')).status).toBe(404);
    expect((await analyst.get('/learning-log/summaries/not-a-date')).status).toBe(404);
  });

  it('is linked from the learning log and the analyst’s navigation, and lists the recent weeks', async () => {
    const analyst = await signedIn('analyst');
    const log = await analyst.get('/learning-log');
    expect(log.html).toContain('href="/learning-log/summaries"');
    expect(log.html).toMatch(/<a[^>]*href="\/learning-log\/summaries"[^>]*>\s*Learning summaries/);
    const list = pageText((await analyst.get('/learning-log/summaries')).html);
    expect(list).toContain('Week ending 22 November 2026');
    expect(list).toContain('Week ending 29 November 2026 (this week, not over yet)');
  });
});

describe('who may write and approve', () => {
  it('gives coaches, ministers and admins the 403 page for every summary page and form', async () => {
    for (const username of ['coach', 'minister', 'admin']) {
      const client = await signedIn(username);
      const token = hiddenField((await client.get(username === 'minister' ? '/report' : username === 'coach' ? '/learning-log' : '/admin')).html, '_csrf')!;
      for (const path of ['/learning-log/summaries', SUMMARY_PAGE, APPROVE_PAGE])
        expect({ username, path, status: (await client.get(path)).status }).toEqual({ username, path, status: 403 });
      const save = await client.post(SUMMARY_PAGE, { _csrf: token, action: 'save', text: 'Not allowed' });
      const approval = await client.post(APPROVE_PAGE, { _csrf: token, digest: 'x', checked: 'yes' });
      expect({ username, save: save.status, approval: approval.status }).toEqual({ username, save: 403, approval: 403 });
    }
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summaries')).toBe(0);
  });

  it('does not show ministers or coaches a link to the summaries', async () => {
    const coach = await signedIn('coach');
    expect((await coach.get('/learning-log')).html).not.toContain('/learning-log/summaries');
    const minister = await signedIn('minister');
    expect((await minister.get('/report')).html).not.toContain('/learning-log');
  });

  it('refuses the summary forms without the session’s CSRF token, or with another session’s', async () => {
    const analyst = await signedIn('analyst');
    const other = await signedIn('analyst');
    const otherToken = hiddenField((await other.get(SUMMARY_PAGE)).html, '_csrf')!;
    expect((await analyst.post(SUMMARY_PAGE, { action: 'save', text: SAFE_SUMMARY })).status).toBe(403);
    expect((await analyst.post(SUMMARY_PAGE, { _csrf: otherToken, action: 'save', text: SAFE_SUMMARY })).status).toBe(403);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summaries')).toBe(0);

    await saveDraft(analyst, SAFE_SUMMARY);
    const page = await analyst.get(APPROVE_PAGE);
    const digest = hiddenField(page.html, 'digest')!;
    expect((await analyst.post(APPROVE_PAGE, { digest })).status).toBe(403);
    expect((await analyst.post(APPROVE_PAGE, { _csrf: otherToken, digest })).status).toBe(403);
    expect(await scalar(server.db, 'SELECT COUNT(*) AS n FROM learning_summary_approvals')).toBe(0);
  });
});

describe('the learning log’s note filter', () => {
  it('refuses a note with a person’s reference or NI number however it is spaced or punctuated, and keeps the text', async () => {
    const coach = await signedIn('coach');
    for (const note of ['P 0011 said the letter scared them', 'p.00.11 said the letter scared them', 'P - 00 11 rang back', 'Their NI number QQ 12 34 56 C was on the form', 'qq-123-456-c rang']) {
      const response = await coach.submit('/learning-log', '/learning-log', { note, tag: '' });
      expect({ note, status: response.status }).toEqual({ note, status: 400 });
      expect(response.html).toContain('href="#note"');
    }
    const fine = await coach.submit('/learning-log', '/learning-log', { note: 'Texts sent after 6pm got quicker replies', tag: '' });
    expect(fine.status).toBe(303);
  });
});
