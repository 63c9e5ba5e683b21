import type { ContactInput } from '../experiments/contacts/contact-schema.ts';
import type {
  ADJUSTMENTS,
  AGE_BANDS,
  BENEFIT_TYPES,
  CHANNELS,
  ETHNICITY_GROUPS,
  HEALTH_GROUPS,
  PREVIOUS_WORK,
  SEXES,
  TIME_ON_BENEFITS_BANDS,
} from '../experiments/vocabulary.ts';
import type { Random } from './random.ts';

type Mix<T extends readonly string[]> = Record<T[number], number>;

/**
 * The make-up of the simulated LCWRA / ESA support group cohort. Shares are
 * rough and for illustration, shaped by the research in context/: mental health
 * conditions about half, musculoskeletal about a fifth, multiple conditions
 * common; an older group (50–64 the largest band); most people on benefits for
 * years and last in work long ago, if ever.
 */
export const COHORT_MIX = {
  healthGroup: {
    mental_health: 0.48,
    musculoskeletal: 0.2,
    multiple_conditions: 0.16,
    neurological: 0.05,
    cardiovascular_respiratory: 0.04,
    learning_disability_autism: 0.04,
    other: 0.03,
  } satisfies Mix<typeof HEALTH_GROUPS>,
  ageBand: { '16-24': 0.07, '25-34': 0.16, '35-49': 0.3, '50-64': 0.47 } satisfies Mix<typeof AGE_BANDS>,
  sex: { female: 0.51, male: 0.49 } satisfies Mix<typeof SEXES>,
  /** Roughly England's mix (Census 2021), with some people not stating it. */
  ethnicityGroup: { white: 0.78, asian: 0.08, black: 0.04, mixed: 0.03, other: 0.02, not_stated: 0.05 } satisfies Mix<typeof ETHNICITY_GROUPS>,
  caring: 0.2,
  timeOnBenefits: { under_1y: 0.08, '1-2y': 0.12, '2-5y': 0.35, over_5y: 0.45 } satisfies Mix<typeof TIME_ON_BENEFITS_BANDS>,
  /** Previous work depends on how long the person has been on benefits. */
  previousWorkByTimeOnBenefits: {
    under_1y: { never: 0.1, over_5y_ago: 0.15, within_5y: 0.35, within_1y: 0.4 },
    '1-2y': { never: 0.12, over_5y_ago: 0.2, within_5y: 0.5, within_1y: 0.18 },
    '2-5y': { never: 0.15, over_5y_ago: 0.4, within_5y: 0.4, within_1y: 0.05 },
    over_5y: { never: 0.22, over_5y_ago: 0.73, within_5y: 0.05, within_1y: 0 },
  } satisfies Record<(typeof TIME_ON_BENEFITS_BANDS)[number], Mix<typeof PREVIOUS_WORK>>,
  benefitType: { uc_lcwra: 0.8, esa_support_group: 0.2 } satisfies Mix<typeof BENEFIT_TYPES>,
  /** Most people have not told us a preferred channel. */
  preferredChannel: { none: 0.65, text: 0.12, phone: 0.1, letter: 0.06, email: 0.05, in_person: 0.02 } satisfies Mix<readonly ['none', ...typeof CHANNELS]>,
  adjustmentsShare: 0.25,
  adjustment: { extra_time: 0.3, private_room: 0.2, phone_meeting: 0.2, easy_read: 0.12, home_meeting: 0.1, interpreter: 0.08 } satisfies Mix<typeof ADJUSTMENTS>,
} as const;

/** Crockford's base32: no I, L, O or U, so references are easy to read out. */
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A pseudonymous reference such as EIU-7K2Q9D: never derived from anything about the person. */
export function pseudonymousReference(random: Random): string {
  let code = '';
  for (let i = 0; i < 6; i++) code += BASE32[random.int(32)];
  return `EIU-${code}`;
}

/** `count` people with distinct references, spread evenly at random over the coaches. */
export function generateCohort(random: Random, count: number, coachCodes: readonly string[], siteCode: string): ContactInput[] {
  const references = new Set<string>();
  const people: ContactInput[] = [];
  while (people.length < count) {
    const reference = pseudonymousReference(random);
    if (references.has(reference)) continue;
    references.add(reference);
    const timeOnBenefits = random.weighted(COHORT_MIX.timeOnBenefits);
    const channel = random.weighted(COHORT_MIX.preferredChannel);
    const adjustments = new Set<(typeof ADJUSTMENTS)[number]>();
    if (random.chance(COHORT_MIX.adjustmentsShare)) {
      adjustments.add(random.weighted(COHORT_MIX.adjustment));
      if (random.chance(0.3)) adjustments.add(random.weighted(COHORT_MIX.adjustment));
    }
    people.push({
      reference,
      coach: coachCodes[random.int(coachCodes.length)],
      site: siteCode,
      healthGroup: random.weighted(COHORT_MIX.healthGroup),
      ageBand: random.weighted(COHORT_MIX.ageBand),
      sex: random.weighted(COHORT_MIX.sex),
      ethnicityGroup: random.weighted(COHORT_MIX.ethnicityGroup),
      caring: random.chance(COHORT_MIX.caring),
      timeOnBenefits,
      previousWork: random.weighted(COHORT_MIX.previousWorkByTimeOnBenefits[timeOnBenefits]),
      benefitType: random.weighted(COHORT_MIX.benefitType),
      preferredChannel: channel === 'none' ? null : channel,
      adjustments: [...adjustments].sort(),
    });
  }
  return people;
}
