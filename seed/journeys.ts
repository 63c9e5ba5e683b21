import type { CurrentUser } from '../server/auth/auth-service.ts';
import type { Services } from '../server/services.ts';
import type { ContactInput, ContactPreferences } from '../experiments/contacts/contact-schema.ts';
import type { OutcomeInput } from '../experiments/outcomes/outcome-schema.ts';
import type { CHANNELS, MEETING_PLACES, MEETING_TOPICS, PLAN_KINDS } from '../experiments/vocabulary.ts';
import { createRandom, type Random } from './random.ts';
import { normalCdf } from '../analysis/normal-distribution.ts';
import type { Timeline } from './timeline.ts';
import { TRUE_EFFECTS } from './true-effects.ts';

/**
 * One person's simulated journey through the funnel: outreach, response,
 * meeting, first meeting, weeks of engagement, as the person's coach would
 * record it. Every draw comes from TRUE_EFFECTS; every record goes through the
 * real services at the simulated time, so validation and scoping apply. Steps
 * run one at a time (each finishes before the next starts), so the same seed
 * gives the same history whichever engine stores it.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Channel = (typeof CHANNELS)[number];
type Place = (typeof MEETING_PLACES)[number];
type Format = 'standard' | 'extended';

/** Share of people who respond and then tell their coach a preferred channel or a new adjustment. */
const PREFERENCE_UPDATE_SHARE = 0.15;

export const EXPERIMENT_KEYS = { channelTone: 'channel-tone', meetingPlace: 'meeting-place', firstMeeting: 'first-meeting-format' } as const;

export interface Person {
  input: ContactInput;
  /** Relative propensity to respond, averaging 1 over the cohort. */
  propensity: number;
  coachIndex: number;
}

export interface SimulationCounts {
  assignments: Record<string, number>;
  notAssigned: number;
  events: number;
}

export interface JourneyContext {
  services: Services;
  timeline: Timeline;
  coachUsers: CurrentUser[];
  seed: number;
  /** When the first-meeting experiment opened: people meeting from then on join it. */
  firstMeetingLaunch: number;
  counts: SimulationCounts;
}

/** Moves a time forward, if needed, into daytime hours [fromHour, toHour) UTC. */
function daytime(at: number, random: Random, fromHour = 8, toHour = 20): number {
  const dayStart = Math.floor(at / DAY) * DAY;
  const hour = (at - dayStart) / HOUR;
  if (hour >= fromHour && hour < toHour) return at;
  const nextDay = hour < fromHour ? dayStart : dayStart + DAY;
  return nextDay + fromHour * HOUR + random.between(0, 3 * HOUR);
}

const later = (from: number, random: Random, minDays: number, maxDays: number) => daytime(from + random.between(minDays, maxDays) * DAY, random);

/** A score 1..k from a distribution over 1..k, reading a uniform as a quantile (higher uniform, higher score). */
function scoreFromUniform(uniform: number, distribution: readonly number[]): number {
  let cumulative = 0;
  for (let i = 0; i < distribution.length; i++) {
    cumulative += distribution[i];
    if (uniform < cumulative) return i + 1;
  }
  return distribution.length;
}

const clampProbability = (p: number) => Math.min(1, Math.max(0, p));

export function createJourneys(context: JourneyContext) {
  const { services, timeline, coachUsers, counts } = context;

  /** Records an event as the person's coach, a little after it happened (never after the end of the history). */
  function record(person: Person, random: Random, occurredAt: number, input: Omit<OutcomeInput, 'contact' | 'occurredAt' | 'idempotencyKey'>) {
    const recordedAt = daytime(occurredAt + random.between(5 * MINUTE, 3 * HOUR), random, 9, 18);
    const run = async () => {
      await services.outcomes.record(coachUsers[person.coachIndex], {
        ...input,
        contact: person.input.reference,
        occurredAt: new Date(occurredAt).toISOString(),
        idempotencyKey: `demo-${person.input.reference}-${input.stage}`,
      });
      counts.events++;
    };
    // Something that happened but is not yet typed in by the end is recorded at the end.
    timeline.at(Math.max(occurredAt, Math.min(recordedAt, timeline.end)), run);
  }

  async function assign(person: Person, experimentKey: string) {
    const result = await services.assignments.assign(coachUsers[person.coachIndex], experimentKey, person.input.reference);
    if (!result.assigned) {
      counts.notAssigned++;
      return null;
    }
    if (result.created) {
      counts.assignments[experimentKey] = (counts.assignments[experimentKey] ?? 0) + 1;
      await services.audit.record(coachUsers[person.coachIndex].id, 'assign', 'experiment', experimentKey);
    }
    return result.assignment;
  }

  function meetingPlaceFor(person: Person): Place {
    if (person.input.adjustments.includes('home_meeting')) return 'home';
    if (person.input.adjustments.includes('phone_meeting')) return 'phone';
    return 'jobcentre';
  }

  interface Offer {
    channel: Channel;
    place: Place;
    responded: number;
    meetingAgreed: number;
  }

  /** Outreach and everything that follows from it. */
  function outreach(person: Person, random: Random, assignedAt: number, offer: Offer) {
    const sentAt = assignedAt + random.between(10 * MINUTE, 3 * HOUR);
    record(person, random, sentAt, { stage: 'outreach_attempted', detail: { channel: offer.channel } });

    if (random.chance(TRUE_EFFECTS.harms.complaint)) record(person, random, later(sentAt, random, 2, 20), { stage: 'complaint' });
    const optOut = offer.channel === 'letter' || offer.channel === 'text' ? TRUE_EFFECTS.harms.optedOut[offer.channel] : TRUE_EFFECTS.harms.optedOut.other;
    if (random.chance(optOut)) {
      record(person, random, later(sentAt, random, 1, 10), { stage: 'opted_out' });
      return;
    }
    if (!random.chance(clampProbability(offer.responded * person.propensity))) return;
    const delay = offer.channel === 'letter' ? [2, 14] : offer.channel === 'phone' || offer.channel === 'in_person' ? [0, 1] : [0.02, 5];
    const respondedAt = later(sentAt, random, delay[0], delay[1]);
    record(person, random, respondedAt, { stage: 'responded' });
    if (random.chance(PREFERENCE_UPDATE_SHARE)) {
      // Some people tell their coach how they would like to be contacted, or what would help; kept with its history.
      const changes: ContactPreferences = person.input.preferredChannel
        ? { adjustments: [...new Set([...person.input.adjustments, random.pick(['extra_time', 'private_room', 'easy_read'] as const)])] }
        : { preferredChannel: random.weighted({ phone: 0.4, text: 0.35, email: 0.25 }) };
      timeline.at(respondedAt + random.between(10, 60) * MINUTE, async () => {
        await services.contacts.updatePreferences(coachUsers[person.coachIndex], person.input.reference, changes);
      });
    }
    if (!random.chance(offer.meetingAgreed / offer.responded)) return;

    const agreedAt = respondedAt + random.between(10 * MINUTE, 2 * DAY);
    const meetingAt = Math.floor((agreedAt + random.between(3, 14) * DAY) / DAY) * DAY + (9 + random.int(8)) * HOUR;
    record(person, random, agreedAt, { stage: 'meeting_agreed', detail: { place: offer.place, time: new Date(meetingAt).toISOString() } });

    const attended = random.chance(clampProbability(TRUE_EFFECTS.attendedGivenAgreed[offer.place as keyof typeof TRUE_EFFECTS.attendedGivenAgreed] + TRUE_EFFECTS.coachEffects.attended[person.coachIndex]));
    if (!attended) {
      const reasons: Record<string, number> = { ...TRUE_EFFECTS.notAttendedReasons };
      if (offer.place === 'phone' || offer.place === 'home') delete reasons.travel_cost;
      record(person, random, meetingAt + 30 * MINUTE, { stage: 'meeting_not_attended', detail: { reason: random.weighted(reasons) } });
      return;
    }
    record(person, random, meetingAt, { stage: 'meeting_attended' });
    if (meetingAt >= context.firstMeetingLaunch) {
      // Joins the first-meeting experiment on arrival, after attendance is recorded.
      timeline.at(meetingAt + random.between(2, 10) * MINUTE, async () => {
        const assignment = await assign(person, EXPERIMENT_KEYS.firstMeeting);
        const format = (assignment?.arm.levels.format ?? 'standard') as Format;
        firstMeeting(person, random, Date.parse(assignment?.assignedAt ?? new Date(meetingAt).toISOString()), format);
      });
    } else {
      firstMeeting(person, random, meetingAt, 'standard');
    }
  }

  const PLAN_MIX: Record<Format, Partial<Record<(typeof PLAN_KINDS)[number], number>>> = {
    standard: { none: 0.2, next_meeting_only: 0.45, informal: 0.25, written: 0.1 },
    extended: { none: 0.12, next_meeting_only: 0.38, informal: 0.32, written: 0.15, signed: 0.03 },
  };
  const OTHER_TOPICS: (typeof MEETING_TOPICS)[number][] = ['previous_work', 'support_needs', 'health', 'skills_and_training', 'housing_and_money', 'job_search'];

  /** The first meeting (phase 2) and the weeks after it (phase 3). */
  function firstMeeting(person: Person, random: Random, startedAt: number, format: Format) {
    const effects = TRUE_EFFECTS.firstMeeting;
    const endedAt = startedAt + random.between(45, format === 'extended' ? 100 : 70) * MINUTE;
    // Gaussian copula: one shared "how it went" draw links the answers without changing their margins.
    const rho = effects.scoreCorrelation;
    const shared = random.normal();
    const uniform = () => normalCdf(rho * shared + Math.sqrt(1 - rho * rho) * random.normal());
    const pContinue = clampProbability(effects.wantsToContinue[format] + TRUE_EFFECTS.coachEffects.wantsToContinue[person.coachIndex]);
    const wantsToContinue = uniform() > 1 - pContinue;
    if (wantsToContinue) record(person, random, endedAt, { stage: 'wants_to_continue' });
    record(person, random, endedAt, { stage: 'found_useful', value: scoreFromUniform(uniform(), effects.foundUseful[format]) });
    record(person, random, endedAt, { stage: 'more_optimistic', value: scoreFromUniform(uniform(), effects.moreOptimistic[format]) });
    record(person, random, endedAt, { stage: 'health_self_rating', value: scoreFromUniform(random.next(), TRUE_EFFECTS.engagement.healthSelfRating) });
    record(person, random, endedAt, { stage: 'plan_agreed', detail: { kind: random.weighted(PLAN_MIX[format] as Record<string, number>) } });
    const topics = random.shuffle([...OTHER_TOPICS]).slice(0, format === 'extended' ? 2 + random.int(3) : 1 + random.int(3));
    record(person, random, endedAt, { stage: 'topics_covered', detail: { topics: format === 'extended' ? ['getting_to_know_you', ...topics] : topics } });

    const engagement = TRUE_EFFECTS.engagement;
    const checkpoints = [
      { weeks: 4, stage: 'engaged_4w' as const, p: wantsToContinue ? engagement.engaged4wGivenContinue : engagement.engaged4wGivenNotContinue },
      { weeks: 8, stage: 'engaged_8w' as const, p: engagement.engaged8wGiven4w },
      { weeks: 13, stage: 'engaged_13w' as const, p: engagement.engaged13wGiven8w },
    ];
    let engagedUntil = wantsToContinue ? Number.POSITIVE_INFINITY : startedAt;
    let previousWeeks = 0;
    for (const checkpoint of checkpoints) {
      const at = daytime(startedAt + checkpoint.weeks * 7 * DAY, random, 9, 17);
      if (!random.chance(checkpoint.p)) {
        // Anyone who had been engaging and stopped is recorded as disengaged, with the reason they gave.
        if (wantsToContinue || previousWeeks > 0) {
          engagedUntil = later(startedAt + previousWeeks * 7 * DAY, random, 3, (checkpoint.weeks - previousWeeks) * 7);
          record(person, random, engagedUntil, { stage: 'disengaged', detail: { reason: random.weighted(engagement.disengagedReasons) } });
        }
        break;
      }
      record(person, random, at, { stage: checkpoint.stage });
      if (checkpoint.weeks === 4) {
        const alliance = engagement.workingAlliance[format];
        const score = Math.round(Math.min(60, Math.max(12, alliance.mean + alliance.sd * random.normal())) * 10) / 10;
        record(person, random, at, { stage: 'working_alliance', value: score });
      }
      engagedUntil = Number.POSITIVE_INFINITY;
      previousWeeks = checkpoint.weeks;
    }

    const jobs = TRUE_EFFECTS.jobStarts;
    const startAt = daytime(startedAt + (-Math.log(1 - random.next()) / jobs.yearlyRateWhileEngaged) * 365 * DAY, random, 9, 17);
    if (startAt < engagedUntil) {
      record(person, random, startAt, { stage: 'started_work' });
      if (random.chance(jobs.stillInWorkAt13w)) {
        record(person, random, startAt + 91 * DAY, { stage: 'in_work_13w' });
        if (random.chance(jobs.stillInWorkAt26w / jobs.stillInWorkAt13w)) record(person, random, startAt + 182 * DAY, { stage: 'in_work_26w' });
      }
    }
  }

  return {
    /** Assigns the person to a phase-1 experiment at their intake time, then simulates what follows. */
    enterPhaseOne(person: Person, experimentKey: string, at: number) {
      timeline.at(at, async () => {
        const assignment = await assign(person, experimentKey);
        if (!assignment) return;
        const random = createRandom(`${context.seed}|${person.input.reference}`);
        const assignedAt = Date.parse(assignment.assignedAt);
        if (experimentKey === EXPERIMENT_KEYS.channelTone) {
          const armKey = assignment.arm.key as keyof typeof TRUE_EFFECTS.channelTone.responded;
          outreach(person, random, assignedAt, {
            channel: assignment.arm.levels.channel as Channel,
            place: meetingPlaceFor(person),
            responded: TRUE_EFFECTS.channelTone.responded[armKey],
            meetingAgreed: TRUE_EFFECTS.channelTone.meetingAgreed[armKey],
          });
        } else {
          const place = assignment.arm.levels.place as keyof typeof TRUE_EFFECTS.meetingPlace.meetingAgreed;
          outreach(person, random, assignedAt, {
            channel: person.input.preferredChannel ?? 'text',
            place,
            responded: TRUE_EFFECTS.meetingPlace.responded,
            meetingAgreed: TRUE_EFFECTS.meetingPlace.meetingAgreed[place],
          });
        }
      });
    },
  };
}
