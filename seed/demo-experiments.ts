import { experimentInputSchema, type ExperimentInput } from '../experiments/experiment/experiment-schema.ts';
import { EXPERIMENT_KEYS } from './journeys.ts';

/**
 * The three demo experiments, in the shape an analyst posts to
 * POST /api/experiments (parsed by the same schema, so defaults apply).
 */
export const DEMO_EXPERIMENTS: Record<keyof typeof EXPERIMENT_KEYS, ExperimentInput> = {
  channelTone: experimentInputSchema.parse({
    key: EXPERIMENT_KEYS.channelTone,
    name: 'First contact: channel and tone',
    hypothesis:
      'A warm invitation that says plainly the support is voluntary and will not affect benefits gets more people to agree a first meeting than the standard formal wording, and a text more than a letter.',
    journeyPhase: 1,
    factors: [
      { key: 'channel', label: 'Message channel', levels: ['letter', 'text'] },
      { key: 'tone', label: 'Tone of the message', levels: ['standard', 'warm_voluntary'] },
    ],
    controlArm: 'letter-standard',
    // People who have told us how they want to be contacted get that channel, so they are not randomised on it.
    eligibility: { preferredChannel: null },
    primaryMetric: 'meeting_agreed',
    secondaryMetrics: ['responded', 'meeting_attended'],
    plannedSampleSize: 1600,
    randomisation: 'hash',
  }),
  meetingPlace: experimentInputSchema.parse({
    key: EXPERIMENT_KEYS.meetingPlace,
    name: 'Where the first meeting is offered',
    hypothesis:
      'Offering the first meeting at a community venue or by phone, instead of the jobcentre, means more people attend it.',
    journeyPhase: 1,
    factors: [{ key: 'place', label: 'Meeting place offered', levels: ['jobcentre', 'community_venue', 'phone'] }],
    controlArm: 'jobcentre',
    // People whose reasonable adjustments already say where they meet are not randomised on it.
    eligibility: { adjustments: { $nin: ['phone_meeting', 'home_meeting'] } },
    primaryMetric: 'meeting_attended',
    secondaryMetrics: ['meeting_agreed'],
    plannedSampleSize: 900,
    randomisation: 'blocks',
    strata: ['healthGroup'],
  }),
  firstMeeting: experimentInputSchema.parse({
    key: EXPERIMENT_KEYS.firstMeeting,
    name: 'Format of the first meeting',
    hypothesis:
      'An extended, getting-to-know-you first meeting (about an hour, led by what the person wants to talk about) makes more people want to continue than the standard first meeting.',
    journeyPhase: 2,
    factors: [{ key: 'format', label: 'First meeting format', levels: ['standard', 'extended'] }],
    controlArm: 'standard',
    primaryMetric: 'wants_to_continue',
    secondaryMetrics: ['found_useful', 'more_optimistic', 'engaged_8w'],
    plannedSampleSize: 300,
    randomisation: 'hash',
  }),
};
