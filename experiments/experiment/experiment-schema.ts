import { z } from 'zod';
import { CHARACTERISTICS, DECISION_RULES, JOURNEY_PHASES, RANDOMISATION_METHODS, RANDOMISATION_UNITS, SPENDING_FUNCTIONS } from '../vocabulary.ts';
import { isMetricKey } from '../metrics.ts';

const slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'Use lower-case letters, digits, hyphens or underscores (up to 63 characters)');

const metricKey = z.string().refine(isMetricKey, { message: 'Choose a metric from the funnel stages' });
const STRATUM_KEYS = [...Object.keys(CHARACTERISTICS), 'caring', 'coachId', 'siteId'] as unknown as [string, ...string[]];

export const factorSchema = z.object({
  key: slug,
  label: z.string().trim().min(1).max(80).optional(),
  levels: z.array(slug).min(2, 'A factor needs at least two levels').max(12),
});

export const armInputSchema = z.object({
  key: slug.optional(),
  name: z.string().trim().min(1).max(120).optional(),
  levels: z.record(z.string(), z.string()),
  control: z.boolean().optional(),
  weight: z.number().positive('Weights must be greater than 0').optional(),
  /** What coaches are told to do for this arm, and the message script (docs/decisions/0036). */
  instructions: z.string().trim().max(4000, 'Keep the instructions to 4,000 characters').optional(),
  script: z.string().trim().max(4000, 'Keep the script to 4,000 characters').optional(),
});

/** The analysis-relevant design: locked once the experiment launches. */
export const experimentInputSchema = z
  .object({
    key: slug,
    name: z.string().trim().min(1, 'Enter a name').max(120),
    hypothesis: z.string().trim().min(1, 'Enter the hypothesis').max(2000),
    journeyPhase: z.union(JOURNEY_PHASES.map((p) => z.literal(p)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>], {
      error: 'Journey phase must be 1, 2 or 3',
    }),
    factors: z.array(factorSchema).min(1, 'Add at least one factor').max(4),
    /** Omit for the full factorial with equal weights. */
    arms: z.array(armInputSchema).min(2, 'An experiment needs at least two arms').max(24).optional(),
    /** Key of the control arm when arms are generated (default: the first). */
    controlArm: slug.optional(),
    coverage: z.number().gt(0, 'Coverage must be above 0').max(1, 'Coverage must be at most 1').default(1),
    eligibility: z.record(z.string(), z.unknown()).default({}),
    primaryMetric: metricKey,
    secondaryMetrics: z.array(metricKey).default([]),
    guardrailMetrics: z.array(metricKey).default([]),
    plannedSampleSize: z.number().int().positive().optional(),
    /** How verdicts are reached (decision 0020); default: group-sequential with a planned size, else the confidence sequence. */
    decisionRule: z.enum(DECISION_RULES, { error: 'Decision rule must be group_sequential or confidence_sequence' }).optional(),
    alphaSpending: z.enum(SPENDING_FUNCTIONS, { error: 'Alpha spending must be obf or pocock' }).optional(),
    randomisation: z.enum(RANDOMISATION_METHODS).default('hash'),
    /** Randomise each person (the default when omitted), or whole coaches' caseloads or sites (decision 0037). */
    randomisationUnit: z.enum(RANDOMISATION_UNITS, { error: 'Randomisation unit must be person, coach or site' }).optional(),
    strata: z.array(z.enum(STRATUM_KEYS)).max(3).default([]),
    seed: z.string().trim().min(1).max(120).optional(),
  })
  .strict()
  .refine((input) => input.decisionRule !== 'group_sequential' || input.plannedSampleSize !== undefined, {
    message: 'A group-sequential design needs a planned sample size',
    path: ['plannedSampleSize'],
  });

export type ExperimentInput = z.infer<typeof experimentInputSchema>;

/** A change of allocation after launch: starts a new experiment phase. */
export const allocationInputSchema = z
  .object({
    weights: z.record(z.string(), z.number().min(0, 'Weights cannot be negative')),
    addArms: z.array(armInputSchema).default([]),
    coverage: z.number().gt(0).max(1).optional(),
    reason: z.string().trim().min(1, 'Say why the allocation is changing').max(500),
  })
  .strict();

export type AllocationInput = z.infer<typeof allocationInputSchema>;
