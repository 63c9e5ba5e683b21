import { TEST_NOW, TEST_PASSWORD, contactFixture, createPeople, type TestServer } from '../../support/test-server.ts';
import type { CurrentUser } from '../../../server/auth/auth-service.ts';
import type { ContactInput } from '../../../experiments/contacts/contact-schema.ts';
import { mulberry32 as random } from '../../../seed/mulberry32.ts';

export { TEST_PASSWORD };

const DAY = 86_400_000;


export const TRIAL_KEY = 'channel-tone';

/**
 * A running channel × tone trial, launched six weeks before TEST_NOW, with
 * `people` contacts on coach WC01's caseload (and a few on WC02's), each
 * assigned and with phase-1 outcomes drawn so that warm texts clearly do better.
 * Also some contacts not yet in any experiment, and a learning note.
 * Users are those of createPeople (password TEST_PASSWORD).
 */
export async function seedTrial(server: TestServer, options: { people?: number; unassigned?: number } = {}) {
  const { services, clock } = server;
  const people = options.people ?? 400;
  const unassigned = options.unassigned ?? 5;
  const now = new Date(TEST_NOW).getTime();
  clock.set(new Date(now - 50 * DAY).toISOString());
  await createPeople(services);
  const analystRow = (await services.db.get<{ id: number }>("SELECT id FROM users WHERE username = 'analyst'"))!;
  const analyst: CurrentUser = { id: analystRow.id, username: 'analyst', displayName: 'Test analyst', role: 'analyst', coachId: null };

  const inputs = [
    ...Array.from({ length: people }, (_, i) => contactFixture(`P-${String(i + 1).padStart(4, '0')}`, i % 10 === 9 ? { coach: 'WC02' } : {})),
    ...Array.from({ length: unassigned }, (_, i) => contactFixture(`N-${String(i + 1).padStart(4, '0')}`)),
  ].map((contact) => ({ preferredChannel: null, adjustments: [], ...contact }) as ContactInput);
  const created = await services.contacts.createMany(inputs);
  if (created.rejected.length) throw new Error(JSON.stringify(created.rejected));

  await services.experiments.create(
    {
      key: TRIAL_KEY,
      name: 'First contact: channel and tone',
      hypothesis: 'Warm texts that say support is voluntary get more people to agree a meeting than standard letters.',
      journeyPhase: 1,
      factors: [
        { key: 'channel', levels: ['letter', 'text'] },
        { key: 'tone', levels: ['standard', 'warm_voluntary'] },
      ],
      coverage: 1,
      eligibility: {},
      primaryMetric: 'meeting_agreed',
      secondaryMetrics: ['responded', 'meeting_attended'],
      guardrailMetrics: [],
      plannedSampleSize: 800,
      randomisation: 'hash',
      strata: [],
      // A fixed seed (the one this fixture has always had), so every test sees the same people in the
      // same arms; real experiments get random seeds.
      seed: 'channel-tone-1',
    },
    analyst.id,
  );
  clock.set(new Date(now - 42 * DAY).toISOString());
  await services.experiments.transition(TRIAL_KEY, 'launch');

  const draw = random(7);
  const agreeRate: Record<string, number> = { 'letter-standard': 0.22, 'letter-warm_voluntary': 0.26, 'text-standard': 0.24, 'text-warm_voluntary': 0.5 };
  let key = 0;
  // Records an outcome if it has happened by now; false when it is still in the future.
  const record = async (reference: string, stage: string, at: number, extra: object = {}) => {
    if (at > now) return false;
    clock.set(new Date(now).toISOString());
    await services.outcomes.record(analyst, { contact: reference, stage: stage as never, occurredAt: new Date(at).toISOString(), idempotencyKey: `fixture-${++key}`, ...extra });
    return true;
  };
  for (let i = 0; i < people; i++) {
    const reference = `P-${String(i + 1).padStart(4, '0')}`;
    // Spread assignments over the six weeks, leaving the last few people fresh.
    const assignedAt = now - 42 * DAY + Math.floor((i / people) * 40 * DAY) + 3_600_000;
    clock.set(new Date(assignedAt).toISOString());
    const result = await services.assignments.assign(analyst, TRIAL_KEY, reference);
    if (!result.assigned) continue;
    if (i >= people - 6) continue; // assigned, not yet contacted
    const arm = result.assignment.arm.key;
    const channel = arm.startsWith('text') ? 'text' : 'letter';
    await record(reference, 'outreach_attempted', assignedAt + 3_600_000, { detail: { channel } });
    if (!(draw() < agreeRate[arm] + 0.1 && (await record(reference, 'responded', assignedAt + 2 * DAY)))) continue;
    if (!(draw() < agreeRate[arm] / (agreeRate[arm] + 0.1) && (await record(reference, 'meeting_agreed', assignedAt + 3 * DAY, { detail: { place: 'jobcentre' } })))) continue;
    if (draw() < 0.7) await record(reference, 'meeting_attended', assignedAt + 8 * DAY);
    else await record(reference, 'meeting_not_attended', assignedAt + 8 * DAY, { detail: { reason: 'travel_cost' } });
  }
  // One opt-out, so the guardrail has something to count.
  await record('P-0002', 'opted_out', now - 2 * DAY);
  clock.set(new Date(now - 3 * DAY).toISOString());
  await services.db.run('INSERT INTO learning_notes (author_id, note, created_at) VALUES (?, ?, ?)', [
    analyst.id,
    'People who got the warm text often replied asking whether it would affect their payments.',
    new Date(now - 3 * DAY).toISOString(),
  ]);
  clock.set(TEST_NOW);
  return { analyst };
}
