import { describe, expect, it } from 'vitest';
import { armInstructions } from '../dashboard/contact/arm-instructions.ts';
import { nextStep } from '../dashboard/contact/next-step.ts';
import { outcomeInputFromForm, outcomeValuesFromBody } from '../dashboard/contact/outcome-form.ts';
import { joinableExperiments } from '../dashboard/contact/contact-controller.ts';
import { contactQuickActions, dueFollowUp } from '../dashboard/contact/quick-actions.ts';

describe('what a coach does for an arm', () => {
  it('gives the channel, a warm script that says it is voluntary and safe for benefits, and the place to offer', () => {
    const instructions = armInstructions({ channel: 'text', tone: 'warm_voluntary', place: 'community_venue' });
    expect(instructions.channel).toBe('text');
    expect(instructions.meetingPlace).toBe('community_venue');
    expect(instructions.summary).toBe('Contact them by text, use the warm, voluntary wording, offer a meeting at the community venue.');
    expect(instructions.script?.title).toBe('Warm, voluntary text script');
    expect(instructions.script?.text).toMatch(/voluntary/);
    expect(instructions.script?.text).toMatch(/will not affect your benefits/);
  });

  it('has a warm script for every channel that says it is voluntary and will not affect benefits', () => {
    for (const channel of ['letter', 'text', 'phone', 'email', 'in_person']) {
      const text = armInstructions({ channel, tone: 'warm' }).script!.text;
      expect(text, channel).toMatch(/voluntary/);
      expect(text, channel).toMatch(/(will not|won’t) affect your benefits/);
    }
  });

  it('uses the standard wording for the standard tone', () => {
    const instructions = armInstructions({ channel: 'letter', tone: 'standard' });
    expect(instructions.script?.title).toBe('Standard letter script');
    expect(instructions.script?.text).toMatch(/Department for Work and Pensions/);
  });

  it('recognises factors by their levels when the key is unfamiliar, and explains phase 2 formats', () => {
    expect(armInstructions({ how: 'email' }).channel).toBe('email');
    expect(armInstructions({ where: 'online' }).meetingPlace).toBe('online');
    expect(armInstructions({ format: 'extended' }).steps).toEqual([{ heading: 'First meeting', text: expect.stringMatching(/about an hour/) }]);
  });

  it('falls back to stating the level for anything it does not know', () => {
    const instructions = armInstructions({ biscuits: 'chocolate_digestive' });
    expect(instructions.steps).toEqual([{ heading: 'Biscuits', text: 'This arm’s biscuits is “chocolate digestive”. Ask the analyst on the team if you are not sure what to do differently.' }]);
    expect(instructions.script).toBeNull();
    expect(instructions.summary).toBe('Follow the steps for this arm below.');
  });
});

describe('what is due next', () => {
  const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T10:00:00.000Z`;
  it('walks through phase 1', () => {
    expect(nextStep([], null)).toMatchObject({ title: 'Make first contact', suggestedStages: ['outreach_attempted'] });
    const contacted = [{ stage: 'outreach_attempted', occurredAt: at(2), detail: { channel: 'text' } }];
    expect(nextStep(contacted, null)).toMatchObject({ title: 'Wait for a reply, or try again', suggestedStages: ['responded', 'meeting_agreed', 'outreach_attempted'] });
    const responded = [...contacted, { stage: 'responded', occurredAt: at(3), detail: null }];
    expect(nextStep(responded, null)).toMatchObject({ title: 'Agree a first meeting', suggestedStages: ['meeting_agreed'] });
    const agreed = [...responded, { stage: 'meeting_agreed', occurredAt: at(4), detail: { place: 'jobcentre', time: '2026-11-30T10:30:00.000Z' } }];
    expect(nextStep(agreed, null)).toMatchObject({ title: 'First meeting on 30 November 2026 at 10:30am', suggestedStages: ['meeting_attended', 'meeting_not_attended'] });
    const missed = [...agreed, { stage: 'meeting_not_attended', occurredAt: at(30), detail: { reason: 'travel_cost' } }];
    expect(nextStep(missed, null).title).toBe('Offer another meeting');
    const attended = [...agreed, { stage: 'meeting_attended', occurredAt: at(30), detail: null }];
    expect(nextStep(attended, null)).toMatchObject({ title: 'Record how the first meeting went' });
    expect(nextStep(attended, null).suggestedStages).toContain('wants_to_continue');
  });

  it('offers nothing once someone has opted out', () => {
    expect(nextStep([], '2026-11-20T10:00:00.000Z')).toEqual({
      title: 'Do not contact',
      detail: 'They asked not to be contacted again on 20 November 2026.',
      suggestedStages: [],
      doNotContact: true,
    });
  });
});

describe('the record-an-outcome form', () => {
  const now = new Date('2026-11-23T09:00:00.000Z');
  it('builds the outcome with the detail the stage needs', () => {
    const values = outcomeValuesFromBody({ stage: 'meeting_agreed', place: 'community_venue', meetingDay: '30', meetingMonth: '11', meetingYear: '2026', meetingTime: '2pm', when: 'today', idempotencyKey: 'abcdefgh-1234' });
    expect(outcomeInputFromForm(values, 'P-0001', now)).toEqual({
      input: { contact: 'P-0001', stage: 'meeting_agreed', value: undefined, detail: { place: 'community_venue', time: '2026-11-30T14:00:00.000Z' }, occurredAt: undefined, idempotencyKey: 'abcdefgh-1234' },
      errors: [],
    });
  });

  it('reads UK summer time as UK time', () => {
    const values = outcomeValuesFromBody({ stage: 'meeting_agreed', place: 'phone', meetingDay: '1', meetingMonth: '7', meetingYear: '2026', meetingTime: '10:30', idempotencyKey: 'abcdefgh-1234' });
    expect(outcomeInputFromForm(values, 'P-0001', now).input?.detail).toEqual({ place: 'phone', time: '2026-07-01T09:30:00.000Z' });
  });

  it('says what to do when something is missing', () => {
    const check = (body: Record<string, string>) => outcomeInputFromForm(outcomeValuesFromBody({ idempotencyKey: 'abcdefgh-1234', ...body }), 'P-0001', now).errors;
    expect(check({})).toEqual([{ field: 'stage', message: 'Select what happened' }]);
    expect(check({ stage: 'outreach_attempted' })).toEqual([{ field: 'channel', message: 'Select the channel you used' }]);
    expect(check({ stage: 'found_useful' })).toEqual([{ field: 'value-found_useful', message: 'Enter the usefulness score' }]);
    expect(check({ stage: 'found_useful', 'value-found_useful': '7' })).toEqual([{ field: 'value-found_useful', message: 'Enter the usefulness score as a whole number from 1 to 5' }]);
    expect(check({ stage: 'responded', when: 'earlier', whenDay: '31', whenMonth: '2', whenYear: '2026' })).toEqual([{ field: 'whenDate-day', message: 'Enter the date it happened, for example 27 3 2026' }]);
    expect(check({ stage: 'responded', when: 'earlier', whenDay: '1', whenMonth: '12', whenYear: '2026' })).toEqual([{ field: 'whenDate-day', message: 'The date it happened must be today or in the past' }]);
  });

  it('checks the meeting time in its own field, apart from the date', () => {
    const check = (body: Record<string, string>) => outcomeInputFromForm(outcomeValuesFromBody({ idempotencyKey: 'abcdefgh-1234', stage: 'meeting_agreed', place: 'jobcentre', ...body }), 'P-0001', now).errors;
    expect(check({ meetingDay: '30', meetingMonth: '11', meetingYear: '2026', meetingTime: '25:99' })).toEqual([{ field: 'meetingTime', message: 'Enter a real time, for example 09:30' }]);
    expect(check({ meetingDay: '30', meetingMonth: '11', meetingYear: '2026', meetingTime: '13pm' })).toEqual([{ field: 'meetingTime', message: 'Enter a real time, for example 09:30' }]);
    expect(check({ meetingDay: '31', meetingMonth: '2', meetingYear: '2027', meetingTime: '10:30' })).toEqual([{ field: 'meetingDate-day', message: 'Enter the meeting date as a real date, for example 27 3 2026' }]);
    expect(check({ meetingDay: '31', meetingMonth: '2', meetingYear: '2027', meetingTime: '25:99' }).map((e) => e.field)).toEqual(['meetingDate-day', 'meetingTime']);
    expect(check({ meetingTime: '10:30' })).toEqual([{ field: 'meetingDate-day', message: 'Enter the date of the meeting, or leave the time blank' }]);
  });

  it('takes attendance recorded on the day of the meeting to be at the meeting, not before it', () => {
    const values = outcomeValuesFromBody({ idempotencyKey: 'abcdefgh-1234', stage: 'meeting_attended', when: 'yesterday' });
    const context = { meetingTime: '2026-11-22T15:00:00.000Z' };
    expect(outcomeInputFromForm(values, 'P-0001', now, context).input?.occurredAt).toBe('2026-11-22T15:00:00.000Z');
    const earlier = outcomeValuesFromBody({ idempotencyKey: 'abcdefgh-1234', stage: 'meeting_attended', when: 'earlier', whenDay: '22', whenMonth: '11', whenYear: '2026' });
    expect(outcomeInputFromForm(earlier, 'P-0001', now, context).input?.occurredAt).toBe('2026-11-22T15:00:00.000Z');
    // Any other stage that day keeps the time the form gives it ("yesterday" is noon UK time, so a resent form matches).
    expect(outcomeInputFromForm({ ...values, stage: 'responded' }, 'P-0001', now, context).input?.occurredAt).toBe('2026-11-22T12:00:00.000Z');
  });

  it('accepts today as a date it happened, even before noon', () => {
    const values = outcomeValuesFromBody({ idempotencyKey: 'abcdefgh-1234', stage: 'responded', when: 'earlier', whenDay: '23', whenMonth: '11', whenYear: '2026' });
    expect(outcomeInputFromForm(values, 'P-0001', now)).toMatchObject({ errors: [], input: { occurredAt: now.toISOString() } });
  });

  it('cannot be used to record an opt-out without the opt-out button', () => {
    expect(outcomeInputFromForm(outcomeValuesFromBody({ stage: 'opted_out', idempotencyKey: 'abcdefgh-1234' }), 'P-0001', now).errors[0].field).toBe('stage');
  });
});

describe('the one-click buttons at the top of a person’s page', () => {
  const now = new Date('2026-11-23T11:00:00.000Z');
  const event = (stage: string, occurredAt: string, detail: Record<string, unknown> | null = null) => ({ stage, occurredAt, detail });
  const texts = (events: ReturnType<typeof event>[], channel: string | null = 'text') => contactQuickActions(events, false, channel, now).map((a) => a.text);
  it('offers the usual next step, filled in, whenever it needs no detail', () => {
    expect(texts([])).toEqual(['Outreach attempted by text today']);
    expect(texts([], null)).toEqual([]);
    const contacted = [event('outreach_attempted', '2026-11-20T10:00:00.000Z', { channel: 'text' })];
    expect(texts(contacted)).toEqual(['Responded today', 'Tried again by text today']);
    const responded = [...contacted, event('responded', '2026-11-21T10:00:00.000Z')];
    expect(texts(responded)).toEqual([]);
    const agreed = [...responded, event('meeting_agreed', '2026-11-21T10:05:00.000Z', { place: 'jobcentre', time: '2026-11-23T10:30:00.000Z' })];
    expect(texts(agreed)).toEqual(['Attended today']);
    const later = [...responded, event('meeting_agreed', '2026-11-21T10:05:00.000Z', { place: 'jobcentre', time: '2026-11-23T14:00:00.000Z' })];
    expect(texts(later)).toEqual([]);
    const attended = [...agreed, event('meeting_attended', '2026-11-23T10:30:00.000Z')];
    expect(texts(attended)).toEqual(['Wants to continue', 'Informal plan', 'Written plan', 'Signed plan', 'Next meeting only', 'No plan']);
    expect(contactQuickActions(attended, false, 'text', now).find((a) => a.text === 'Written plan')?.fields).toEqual({ stage: 'plan_agreed', planKind: 'written', when: 'today' });
  });

  it('records attendance at a meeting on an earlier day on that day', () => {
    const agreed = [event('outreach_attempted', '2026-11-10T10:00:00.000Z', { channel: 'text' }), event('responded', '2026-11-11T10:00:00.000Z'), event('meeting_agreed', '2026-11-11T10:05:00.000Z', { place: 'jobcentre', time: '2026-11-20T14:00:00.000Z' })];
    expect(contactQuickActions(agreed, false, 'text', now)).toEqual([{ text: 'Attended on 20 November', fields: { stage: 'meeting_attended', when: 'earlier', whenDay: '20', whenMonth: '11', whenYear: '2026' } }]);
  });

  it('asks for the follow-ups 4, 8 and 13 weeks after the first meeting, each until the next is due', () => {
    const reached = (...stages: string[]) => new Set(stages);
    const met = '2026-08-01T10:00:00.000Z';
    const weeksOn = (weeks: number) => new Date(new Date(met).getTime() + weeks * 7 * 86_400_000);
    expect(dueFollowUp(met, reached(), weeksOn(3.9))).toBeNull();
    expect(dueFollowUp(met, reached(), weeksOn(4))?.stage).toBe('engaged_4w');
    expect(dueFollowUp(met, reached('engaged_4w'), weeksOn(5))).toBeNull();
    expect(dueFollowUp(met, reached(), weeksOn(9))?.stage).toBe('engaged_8w');
    expect(dueFollowUp(met, reached('engaged_8w'), weeksOn(14))?.stage).toBe('engaged_13w');
    expect(dueFollowUp(met, reached('engaged_13w'), weeksOn(14))).toBeNull();
    expect(dueFollowUp(met, reached(), weeksOn(17))).toBeNull();
  });

  it('offers nothing once they have opted out or stopped engaging', () => {
    expect(contactQuickActions([], true, 'text', now)).toEqual([]);
    expect(texts([event('outreach_attempted', '2026-11-01T10:00:00.000Z', { channel: 'text' }), event('disengaged', '2026-11-02T10:00:00.000Z', { reason: 'other' })])).toEqual([]);
  });
});

describe('which experiments a coach can add someone to', () => {
  const experiments = [
    { key: 'channel-tone', status: 'running', journeyPhase: 1 },
    { key: 'meeting-place', status: 'running', journeyPhase: 1 },
    { key: 'first-meeting', status: 'running', journeyPhase: 2 },
    { key: 'old', status: 'concluded', journeyPhase: 1 },
  ];
  it('offers phase 1 experiments before first contact, one at a time', () => {
    expect(joinableExperiments(experiments, [], new Set()).map((e) => e.key)).toEqual(['channel-tone', 'meeting-place']);
    expect(joinableExperiments(experiments, ['channel-tone'], new Set()).map((e) => e.key)).toEqual([]);
    expect(joinableExperiments(experiments, [], new Set(['outreach_attempted'])).map((e) => e.key)).toEqual([]);
  });
  it('offers phase 2 experiments once a first meeting is agreed, before it happens', () => {
    expect(joinableExperiments(experiments, ['channel-tone'], new Set(['outreach_attempted', 'meeting_agreed'])).map((e) => e.key)).toEqual(['first-meeting']);
    expect(joinableExperiments(experiments, ['channel-tone'], new Set(['meeting_agreed', 'meeting_attended'])).map((e) => e.key)).toEqual([]);
  });
});
