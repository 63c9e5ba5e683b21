import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, createPeople, contactFixture, TEST_NOW, TEST_PASSWORD, type TestServer } from './support/test-server.ts';
import { hiddenField, pageClient, pageText } from './browser/support/page-client.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import type { ContactInput } from '../experiments/contacts/contact-schema.ts';
import type { ExperimentInput } from '../experiments/experiment/experiment-schema.ts';
import { experimentInputSchema } from '../experiments/experiment/experiment-schema.ts';
import { referencesFromCsv } from '../dashboard/experiments/experiment-enrolment-controller.ts';
import { formatPercentagePoints } from '../dashboard/format.ts';
import { plannedSizeWarning } from '../dashboard/experiments/results-view.ts';
import { column, scalar } from './support/sql.ts';

/**
 * The analyst's launch and steering (docs/decisions/0036): enrolling people
 * with a preview, arm instructions with versions, changing the allocation
 * after a confirmation, and an admin's caseload moves; over a real server.
 */

let server: TestServer;
let analyst: CurrentUser;
const HOUR = 3_600_000;

function design(key: string, overrides: Partial<Record<keyof ExperimentInput, unknown>> = {}): ExperimentInput {
  return experimentInputSchema.parse({
    key,
    name: `Experiment ${key}`,
    hypothesis: 'Something changes for someone.',
    journeyPhase: 1,
    factors: [{ key: 'channel', levels: ['letter', 'text'] }],
    primaryMetric: 'responded',
    // A fixed seed, so who falls inside coverage (and in which arm) is the same on every run; new seeds are random.
    seed: `${key}-test-seed`,
    ...overrides,
  });
}

const contacts = (prefix: string, n: number, overrides: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({ preferredChannel: null, adjustments: [], ...contactFixture(`${prefix}-${String(i + 1).padStart(3, '0')}`, overrides) }) as ContactInput);

async function armCounts(key: string): Promise<Record<string, number>> {
  const rows = await server.db.all<{ key: string; n: number }>(
    'SELECT r.key AS key, count(*) AS n FROM assignments a JOIN experiment_arms r ON r.id = a.arm_id JOIN experiments e ON e.id = a.experiment_id WHERE e.key = ? GROUP BY r.key',
    [key],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.n]));
}

async function signedIn(username: string) {
  const client = pageClient(server.baseUrl);
  expect((await client.signIn(username, TEST_PASSWORD)).status).toBe(303);
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
  await createPeople(server.services);
  const row = (await server.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!;
  analyst = { id: row.id, username: 'analyst', displayName: 'Test analyst', role: 'analyst', coachId: null };
  const created = await server.services.contacts.createMany([
    ...contacts('A', 40),
    ...contacts('CARER', 6, { caring: true }),
    ...contacts('HUB', 5, { site: 'CV1' }),
    ...contacts('B', 12, { coach: 'WC02' }),
  ]);
  expect(created.rejected).toEqual([]);
});
afterAll(() => server.close());

describe('enrolling people from the analyst’s screens', () => {
  it('previews who would join, by arm with the real hash and by reason for the rest, and enrols exactly that', async () => {
    const { services } = server;
    await services.experiments.create(design('enrol-hash', { eligibility: { caring: false }, coverage: 0.9 }), analyst.id);
    await services.experiments.transition('enrol-hash', 'launch');
    // One already in, one opted out, one in another phase-1 experiment, one past first contact.
    await services.assignments.assign(analyst, 'enrol-hash', 'A-001');
    await services.outcomes.record(analyst, { contact: 'A-002', stage: 'opted_out', idempotencyKey: 'optout-a-002' });
    await services.experiments.create(design('other-phase-one'), analyst.id);
    await services.experiments.transition('other-phase-one', 'launch');
    await services.assignments.assign(analyst, 'other-phase-one', 'A-003');
    await services.outcomes.record(analyst, { contact: 'A-004', stage: 'outreach_attempted', detail: { channel: 'letter' }, idempotencyKey: 'outreach-a-004' });

    const site = (await services.staff.sites()).find((s) => s.code === 'JC1')!;
    const selection = { siteIds: [site.id], coachIds: [], references: [] };
    const before = await armCounts('enrol-hash');
    const preview = await services.enrolments.preview('enrol-hash', selection);
    expect(await armCounts('enrol-hash')).toEqual(before); // the preview writes nothing
    expect(preview.selected).toBe(58);
    expect(preview.armCounts).toBe('predicted');
    expect(preview.excluded).toMatchObject({ already_in: 1, opted_out: 1, in_other_experiment: 1, past_this_point: 1, not_eligible: 6, not_found: 0 });
    expect(preview.excluded.outside_coverage).toBeGreaterThan(0);
    const leftOut = Object.values(preview.excluded).reduce((a, b) => a + b, 0);
    expect(preview.toEnrol + leftOut).toBe(58);

    const batch = await services.enrolments.prepare('enrol-hash', selection, 'Test Jobcentre', analyst.id, preview.toEnrol);
    const result = await services.enrolments.start(batch, analyst, { chunkSize: 7 });
    expect(result).toMatchObject({ status: 'finished', assigned: preview.toEnrol, done: preview.toEnrol, total: preview.toEnrol });
    const after = await armCounts('enrol-hash');
    for (const arm of preview.byArm) expect(after[arm.key] - (before[arm.key] ?? 0), arm.key).toBe(arm.count);
    // Everyone is assigned by the analyst who confirmed, through the assignment service.
    const by = await column(server.db, "SELECT DISTINCT a.assigned_by AS assigned_by FROM assignments a JOIN experiments e ON e.id = a.experiment_id WHERE e.key = 'enrol-hash'");
    expect(by).toEqual([analyst.id]);
  });

  it('gives the split the weights expect for permuted blocks, instead of predicting who gets which arm', async () => {
    const { services } = server;
    await services.experiments.create(design('enrol-blocks', { journeyPhase: 3, randomisation: 'blocks', arms: [{ levels: { channel: 'letter' }, weight: 2 }, { levels: { channel: 'text' }, weight: 1 }] }), analyst.id);
    await services.experiments.transition('enrol-blocks', 'launch');
    const coach = (await services.staff.coaches()).find((c) => c.code === 'WC02')!;
    for (let i = 1; i <= 12; i++)
      await services.outcomes.record(analyst, { contact: `B-${String(i).padStart(3, '0')}`, stage: 'meeting_attended', idempotencyKey: `attended-b-${i}` });
    const preview = await services.enrolments.preview('enrol-blocks', { siteIds: [], coachIds: [coach.id], references: [] });
    expect(preview.armCounts).toBe('expected');
    expect(preview.toEnrol).toBe(12);
    expect(preview.byArm.map((a) => a.count)).toEqual([8, 4]);
  });

  it('runs a large enrolment in chunks, letting other work in between, until all are in', async () => {
    const { services } = server;
    await services.experiments.create(design('enrol-chunks', { journeyPhase: 2 }), analyst.id);
    await services.experiments.transition('enrol-chunks', 'launch');
    for (let i = 1; i <= 23; i++) await services.outcomes.record(analyst, { contact: `A-${String(i + 10).padStart(3, '0')}`, stage: 'meeting_agreed', detail: { place: 'jobcentre' }, idempotencyKey: `agreed-a-${i}` });
    const references = Array.from({ length: 23 }, (_, i) => `A-${String(i + 11).padStart(3, '0')}`);
    const selection = { siteIds: [], coachIds: [], references };
    const batch = await services.enrolments.prepare('enrol-chunks', selection, '23 references', analyst.id, 23);
    const work = services.enrolments.start(batch, analyst, { chunkSize: 5 });
    // Our own reads run while the enrolment is under way: it gives way between chunks.
    let midway = await services.enrolments.get(batch);
    while (midway.done === 0 && midway.status !== 'finished') midway = await services.enrolments.get(batch);
    expect(midway.status).toBe('running');
    expect(midway.done % 5).toBe(0);
    expect(midway.done).toBeGreaterThan(0);
    expect(midway.done).toBeLessThan(23);
    expect(await work).toMatchObject({ status: 'finished', assigned: 23, done: 23 });
    expect(Object.values(await armCounts('enrol-chunks')).reduce((a, b) => a + b, 0)).toBe(23);
  });

  it('reads references from a CSV by its reference column, or its first column', () => {
    expect(referencesFromCsv('reference,note\nA-001,x\nA-002,y\n')).toEqual(['A-001', 'A-002']);
    expect(referencesFromCsv('A-001\nA-002\n\n')).toEqual(['A-001', 'A-002']);
  });

  it('takes the analyst from choosing a site to a preview, then to a finished enrolment, and audits it', async () => {
    const { services } = server;
    await services.experiments.create(design('enrol-pages'), analyst.id);
    await services.experiments.transition('enrol-pages', 'launch');
    const client = await signedIn('analyst');
    const form = await client.get('/experiments/enrol-pages/enrol');
    expect(form.status).toBe(200);
    const hub = (await services.staff.sites()).find((s) => s.code === 'CV1')!;
    const preview = await client.post('/experiments/enrol-pages/enrol', { _csrf: hiddenField(form.html, '_csrf')!, sites: String(hub.id) });
    expect(preview.status).toBe(200);
    expect(pageText(preview.html)).toContain('Enrol 5 people?');
    expect(pageText(preview.html)).toContain('Worked out with the experiment’s own hashing');
    const action = /action="(\/experiments\/enrol-pages\/enrolments\/\d+\/confirm)"/.exec(preview.html)![1];
    const confirmed = await client.post(action, { _csrf: hiddenField(preview.html, '_csrf')! });
    expect(confirmed.status).toBe(303);
    const progress = await client.get(confirmed.location!);
    expect(pageText(progress.html)).toContain('5 people enrolled in Experiment enrol-pages');
    expect(Object.values(await armCounts('enrol-pages')).reduce((a, b) => a + b, 0)).toBe(5);
    const audited = await column(server.db, "SELECT action FROM audit_log WHERE action IN ('preview-enrolment', 'enrol')");
    expect(audited).toEqual(expect.arrayContaining(['preview-enrolment', 'enrol']));
    // The experiment page shows the people in its arms.
    const page = await client.get('/experiments/enrol-pages');
    expect(pageText(page.html)).toMatch(/People assigned/);
  });

  it('says which uploaded references match nobody', async () => {
    const client = await signedIn('analyst');
    const form = await client.get('/experiments/enrol-pages/enrol');
    const body = new FormData();
    body.append('_csrf', hiddenField(form.html, '_csrf')!);
    body.append('referencesFile', new Blob(['reference\nHUB-001\nNOBODY-1\n'], { type: 'text/csv' }), 'refs.csv');
    const response = await fetch(`${server.baseUrl}/experiments/enrol-pages/enrol/upload`, { method: 'POST', body, headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    const text = pageText(await response.text());
    expect(text).toContain('Nobody to enrol');
    expect(text).toContain('Already in this experiment 1');
    expect(text).toContain('References that match nobody: NOBODY-1');
  });
});

describe('what coaches are told for each arm', () => {
  it('keeps the version in force when each person was assigned, and adds a version for a change after launch', async () => {
    const { services, clock } = server;
    clock.set(new Date(new Date(TEST_NOW).getTime() - 10 * HOUR).toISOString());
    await services.experiments.create(
      design('scripts', {
        journeyPhase: 1,
        factors: [{ key: 'tone', levels: ['standard', 'friendly'] }],
        arms: [
          { levels: { tone: 'standard' }, instructions: 'Send the standard letter.', script: 'Dear [reference], standard.' },
          { levels: { tone: 'friendly' }, instructions: 'Send the friendly letter.', script: 'Hello [reference], friendly version one.' },
        ],
      }),
      analyst.id,
    );
    await services.experiments.transition('scripts', 'launch');
    await services.contacts.createMany(contacts('S', 30));
    const first = [];
    for (let i = 0; i < 15; i++) first.push(await services.assignments.assign(analyst, 'scripts', `S-${String(i + 1).padStart(3, '0')}`));
    clock.set(new Date(new Date(TEST_NOW).getTime() - 5 * HOUR).toISOString());
    await expect(async () => services.experiments.changeInstructions('scripts', [{ armKey: 'friendly', instructions: 'Send the friendly letter.', script: 'Version two.' }], '', analyst.id)).rejects.toThrow();
    const { changed } = await services.experiments.changeInstructions(
      'scripts',
      [
        { armKey: 'standard', instructions: 'Send the standard letter.', script: 'Dear [reference], standard.' },
        { armKey: 'friendly', instructions: 'Send the friendly letter.', script: 'Hello [reference], friendly version two.' },
      ],
      'Coaches asked for plainer words',
      analyst.id,
    );
    expect(changed).toEqual(['friendly']);
    clock.set(new Date(new Date(TEST_NOW).getTime() - 1 * HOUR).toISOString());
    const later = [];
    for (let i = 0; i < 15; i++) later.push(await services.assignments.assign(analyst, 'scripts', `S-${String(i + 16).padStart(3, '0')}`));
    clock.set(TEST_NOW);
    const experiment = await services.experiments.get('scripts');
    const friendly = experiment.arms.find((a) => a.key === 'friendly')!;
    expect(friendly.instructions).toMatchObject({ version: 2, reason: 'Coaches asked for plainer words' });
    expect((await services.experiments.instructionHistory(friendly.id)).map((v) => v.version)).toEqual([1, 2]);

    const coach = await signedIn('coach');
    const earlyFriendly = first.find((r) => r.assigned && r.assignment.arm.key === 'friendly')!;
    const lateFriendly = later.find((r) => r.assigned && r.assignment.arm.key === 'friendly')!;
    if (!earlyFriendly.assigned || !lateFriendly.assigned) throw new Error('expected both');
    const early = pageText((await coach.get(`/contacts/${earlyFriendly.assignment.contact}`)).html);
    const late = pageText((await coach.get(`/contacts/${lateFriendly.assignment.contact}`)).html);
    expect(early).toContain('friendly version one');
    expect(early).not.toContain('friendly version two');
    expect(late).toContain('friendly version two');
    // The analyst's words, not the built-in warm script guessed from "friendly".
    expect(early).not.toContain('completely voluntary');
  });

  it('rewrites version 1 while the experiment is a draft', async () => {
    const { services } = server;
    await services.experiments.create(design('draft-scripts', { arms: [{ levels: { channel: 'letter' }, instructions: 'One.' }, { levels: { channel: 'text' }, instructions: 'Two.' }] }), analyst.id);
    await services.experiments.changeInstructions('draft-scripts', [{ armKey: 'letter', instructions: 'One, rewritten.', script: '' }], null, analyst.id);
    const arm = (await services.experiments.get('draft-scripts')).arms.find((a) => a.key === 'letter')!;
    expect(arm.instructions).toMatchObject({ version: 1, instructions: 'One, rewritten.' });
    expect(await services.experiments.instructionHistory(arm.id)).toHaveLength(1);
  });

  it('saves the instructions an analyst writes in the design form, prefilled from the arm’s levels', async () => {
    const client = await signedIn('analyst');
    const fields = {
      name: 'Form scripts',
      key: 'form-scripts',
      hypothesis: 'Scripts work.',
      journeyPhase: '1',
      factor1Key: 'channel',
      factor1Levels: 'letter, text',
      primaryMetric: 'responded',
      caring: 'any',
      randomisation: 'hash',
      decisionRule: 'confidence_sequence',
    };
    const arms = await client.submit('/experiments/new', '/experiments/new', { ...fields, action: 'arms' });
    expect(arms.html).toContain('id="instructions-text"');
    expect(pageText(arms.html)).toContain('Send a text message.');
    const saved = await client.submit('/experiments/new', '/experiments/new', {
      ...fields,
      armsShown: 'letter text',
      arms: ['letter', 'text'],
      controlArm: 'letter',
      'weight-letter': '1',
      'weight-text': '1',
      'instructions-letter': 'Post the letter.',
      'script-letter': 'Dear [reference]',
      'instructions-text': 'Text them once.',
      'script-text': 'Hello from [your name]',
      action: 'save',
    });
    expect(saved.status).toBe(303);
    const arm = (await server.services.experiments.get('form-scripts')).arms.find((a) => a.key === 'text')!;
    expect(arm.instructions).toMatchObject({ version: 1, instructions: 'Text them once.', script: 'Hello from [your name]' });
  });
});

describe('the coach is offered only experiments the person is eligible for', () => {
  it('offers none it would refuse, and says why', async () => {
    const { services } = server;
    await services.experiments.create(design('texters', { name: 'Text first', journeyPhase: 1, eligibility: { preferredChannel: 'text' } }), analyst.id);
    await services.experiments.transition('texters', 'launch');
    await services.contacts.createMany([{ ...contactFixture('LETTER-1'), preferredChannel: 'letter', adjustments: [] } as ContactInput]);
    const coach = await signedIn('coach');
    const page = await coach.get('/contacts/LETTER-1');
    expect(page.html).not.toContain('Add to experiment: Text first');
    expect(pageText(page.html)).toContain('Not eligible for Text first: preferred channel is not text.');
  });
});

describe('steering a launched experiment from the screens', () => {
  it('confirms a change of weights with what it means, then starts a new phase with a new seed', async () => {
    const { services } = server;
    const before = await services.experiments.get('enrol-pages');
    const client = await signedIn('analyst');
    const form = await client.get('/experiments/enrol-pages/allocation');
    expect(form.status).toBe(200);
    const fields = { _csrf: hiddenField(form.html, '_csrf')!, 'weight-letter': '1', 'weight-text': '3', reason: 'Text is cheaper' };
    const review = await client.post('/experiments/enrol-pages/allocation', { ...fields, action: 'review' });
    const text = pageText(review.html);
    expect(text).toContain('People already assigned keep their arm');
    expect(text).toContain('New people are assigned with the new weights');
    expect(text).toContain('The sample-ratio check restarts for the new phase');
    expect(text).toContain(`This starts allocation phase ${before.phase.number + 1}, with a new seed.`);
    expect((await services.experiments.get('enrol-pages')).phases).toHaveLength(before.phases.length); // nothing written yet
    const confirmed = await client.post('/experiments/enrol-pages/allocation', { ...fields, action: 'confirm' });
    expect(confirmed.location).toBe('/experiments/enrol-pages?changed=allocation');
    const after = await services.experiments.get('enrol-pages');
    expect(after.phases).toHaveLength(before.phases.length + 1);
    expect(after.phase.seed).not.toBe(before.phase.seed);
    expect(after.phase.weights).toEqual([0.25, 0.75]);
    expect(await scalar(server.db, "SELECT count(*) AS n FROM audit_log WHERE action = 'change-allocation'")).toBe(1);
  });

  it('adds an arm with its own instructions, and refuses to close the control', async () => {
    const { services } = server;
    await services.experiments.create(design('add-arm', { factors: [{ key: 'channel', levels: ['letter', 'text', 'email'] }], arms: [{ levels: { channel: 'letter' } }, { levels: { channel: 'text' } }] }), analyst.id);
    await services.experiments.transition('add-arm', 'launch');
    const client = await signedIn('analyst');
    const form = await client.get('/experiments/add-arm/allocation');
    const csrf = hiddenField(form.html, '_csrf')!;
    const refused = await client.post('/experiments/add-arm/allocation', { _csrf: csrf, 'weight-letter': '0', 'weight-text': '1', reason: 'x', action: 'review' });
    expect(refused.status).toBe(400);
    expect(pageText(refused.html)).toContain('The control arm must keep a weight above 0');
    const fields = { _csrf: csrf, 'weight-letter': '1', 'weight-text': '1', 'add-channel': 'email', addWeight: '1', reason: 'Try email too' };
    const review = await client.post('/experiments/add-arm/allocation', { ...fields, action: 'review' });
    expect(review.html).toContain('id="addInstructions"');
    await client.post('/experiments/add-arm/allocation', { ...fields, addInstructions: 'Email them.', addScript: 'Subject: hello', action: 'confirm' });
    const email = (await services.experiments.get('add-arm')).arms.find((a) => a.key === 'email')!;
    expect(email.weight).toBeCloseTo(1 / 3);
    expect(email.instructions).toMatchObject({ version: 1, instructions: 'Email them.' });
  });
});

describe('results pages', () => {
  it('shows a short empty state for an experiment with no one in it yet', async () => {
    await server.services.experiments.create(design('empty-results'), analyst.id);
    await server.services.experiments.transition('empty-results', 'launch');
    const client = await signedIn('analyst');
    const page = await client.get('/experiments/empty-results/results');
    expect(page.status).toBe(200);
    expect(pageText(page.html)).toContain('No results yet');
    expect(page.html).not.toContain('<canvas');
    expect(page.html).not.toContain('govuk-table');
    expect(page.html).not.toContain('not available');
  });

  it('warns once more people are assigned than planned, on the results and the list', async () => {
    expect(plannedSizeWarning(1050, 900)).toContain('More people have been assigned (1,050) than the planned 900');
    expect(plannedSizeWarning(900, 900)).toBeNull();
    await server.services.experiments.create(design('overfull', { journeyPhase: 3, plannedSampleSize: 2 }), analyst.id);
    await server.services.experiments.transition('overfull', 'launch');
    for (const ref of ['B-001', 'B-002', 'B-003']) await server.services.assignments.assign(analyst, 'overfull', ref);
    const client = await signedIn('analyst');
    expect(pageText((await client.get('/experiments/overfull/results')).html)).toContain('More people have been assigned (3) than the planned 2');
    expect(pageText((await client.get('/experiments')).html)).toContain('Past the planned size: 3 assigned of 2 planned');
  });

  it('never writes a difference that rounds to zero with a sign', () => {
    expect(formatPercentagePoints(-0.0004)).toBe('0.0 points');
    expect(formatPercentagePoints(0.0004)).toBe('0.0 points');
    expect(formatPercentagePoints(-0.031)).toBe('−3.1 points');
  });

  it('offers later-phase metrics by an earlier experiment’s arms', async () => {
    const client = await signedIn('analyst');
    const page = await client.get('/experiments/enrol-hash/results?metric=engaged_8w');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<option value="engaged_8w" selected>/);
    expect(page.html).toContain('id="metric-engaged_8w"');
  });
});

describe('an admin moves people between caseloads', () => {
  it('moves one person after a confirmation, keeping the history', async () => {
    const client = await signedIn('admin');
    const form = await client.get('/admin/moves');
    const fields = { _csrf: hiddenField(form.html, '_csrf')!, kind: 'person', reference: 'a-040', toCoach: 'WC02', reason: 'Closer to home' };
    const review = await client.post('/admin/moves', { ...fields, action: 'review' });
    expect(pageText(review.html)).toContain('Move this person?');
    const moved = await client.post('/admin/moves', { ...fields, action: 'confirm' });
    expect(moved.location).toBe('/admin/moves?moved=1&to=WC02');
    const coach2 = await signedIn('coach2');
    expect((await coach2.get('/contacts/A-040')).status).toBe(200);
    expect((await (await signedIn('coach')).get('/contacts/A-040')).status).toBe(404);
    expect(pageText((await client.get('/admin/moves')).html)).toContain('A-040 Coach One Coach Two Closer to home');
  });

  it('asks for the exact reference when two people\'s differ only by hyphens or capitals', async () => {
    const { services } = server;
    await services.contacts.createMany(['NEAR-12', 'NEAR12', 'FAR-7'].map((reference) => ({ preferredChannel: null, adjustments: [], ...contactFixture(reference) }) as ContactInput));
    const planFor = (reference: string) => services.caseloadMoves.plan({ reference, fromCoach: null, toCoach: 'WC02', reason: 'Closer to home' });
    expect((await planFor('NEAR12')).reference).toBe('NEAR12');
    expect((await planFor('NEAR-12')).reference).toBe('NEAR-12');
    let problem: unknown;
    try {
      await planFor('near-12');
    } catch (error) {
      problem = error;
    }
    expect((problem as { errors: { message: string }[] }).errors[0].message).toContain('More than one person has a reference like that');
    // Only one near match: the typed reference finds them however it is written.
    expect((await planFor('far7')).reference).toBe('FAR-7');
  });

  it('moves a whole caseload in one go, with one history row for each person', async () => {
    const { services } = server;
    const size = await scalar<number>(server.db, "SELECT count(*) AS n FROM contacts WHERE coach_id = (SELECT id FROM work_coaches WHERE code = 'WC02')");
    const result = await services.caseloadMoves.move({ reference: null, fromCoach: 'WC02', toCoach: 'WC01', reason: 'Coach leaving' }, null);
    expect(result.people).toBe(size);
    expect(await scalar(server.db, 'SELECT count(*) AS n FROM caseload_moves WHERE move_group = ?', [result.moveGroup])).toBe(size);
    let problem: unknown;
    try {
      await services.caseloadMoves.plan({ reference: null, fromCoach: 'WC02', toCoach: 'WC01', reason: 'Again' });
    } catch (error) {
      problem = error;
    }
    expect((problem as { errors: { message: string }[] }).errors[0].message).toBe('Coach Two has nobody on their caseload to move');
  });
});
