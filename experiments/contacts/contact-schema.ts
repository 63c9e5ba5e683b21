import { z } from 'zod';
import {
  ADJUSTMENTS,
  AGE_BANDS,
  BENEFIT_TYPES,
  CHANNELS,
  ETHNICITY_GROUPS,
  HEALTH_GROUPS,
  PREVIOUS_WORK,
  SEXES,
  TIME_ON_BENEFITS_BANDS,
} from '../vocabulary.ts';

/**
 * Characters that make a spreadsheet treat a cell as a formula (or, for tab and
 * carriage return, that some spreadsheets strip before doing so). Exports are
 * neutralised anyway (server/csv.ts), but a reference or code is copied into
 * other tools and files by hand, so these are refused where they come in.
 */
const FORMULA_LEADING = /^[=+\-@\t\r]/;
const formulaMessage = (what: string) => `${what} cannot start with =, +, -, @, a tab or a carriage return: spreadsheets would read it as a formula`;

/** A work coach or site code: any text that cannot be mistaken for a spreadsheet formula. */
export const staffCode = (what: string, emptyMessage: string) =>
  z
    .string()
    .refine((value) => !FORMULA_LEADING.test(value), { message: formulaMessage(what), abort: true })
    .trim()
    .min(1, emptyMessage)
    .refine((value) => !FORMULA_LEADING.test(value), { message: formulaMessage(what) });

/**
 * A pseudonymous reference: letters, digits and hyphens, 4–32 characters.
 * Anything shaped like a National Insurance number is refused, so real
 * identifiers cannot be stored by mistake.
 */
export const contactReference = z
  .string()
  .refine((ref) => !FORMULA_LEADING.test(ref), { message: formulaMessage('A reference'), abort: true })
  .trim()
  .refine((ref) => !FORMULA_LEADING.test(ref), { message: formulaMessage('A reference'), abort: true })
  .regex(/^[A-Za-z0-9-]{4,32}$/, 'Use a pseudonymous reference of 4 to 32 letters, digits or hyphens')
  .refine((ref) => !/^[A-Za-z]{2}\d{6}[A-Da-d]?$/.test(ref.replace(/-/g, '')), {
    message: 'This looks like a National Insurance number: use the pseudonymous reference instead',
  })
  // Tombstones of erased people start ERASED- (docs/decisions/0033); no new reference may look like one.
  .refine((ref) => !/^erased-/i.test(ref), { message: 'References starting ERASED- are kept for erased records: use another reference' });

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: `Select ${what}: one of ${values.join(', ')}` });

export const contactInputSchema = z
  .object({
    reference: contactReference,
    coach: staffCode('A work coach code', 'Enter the work coach code'),
    site: staffCode('A site code', 'Enter the site code'),
    healthGroup: oneOf(HEALTH_GROUPS, 'a health condition group'),
    ageBand: oneOf(AGE_BANDS, 'an age band'),
    sex: oneOf(SEXES, 'a sex'),
    ethnicityGroup: oneOf(ETHNICITY_GROUPS, 'an ethnicity group'),
    caring: z.boolean({ error: 'Say whether the person has caring responsibilities (true or false)' }),
    timeOnBenefits: oneOf(TIME_ON_BENEFITS_BANDS, 'a time on benefits band'),
    previousWork: oneOf(PREVIOUS_WORK, 'previous work'),
    benefitType: oneOf(BENEFIT_TYPES, 'a benefit type'),
    preferredChannel: oneOf(CHANNELS, 'a preferred channel').nullable().default(null),
    adjustments: z.array(oneOf(ADJUSTMENTS, 'reasonable adjustments')).default([]),
  })
  .strict();

export type ContactInput = z.infer<typeof contactInputSchema>;

export const contactPreferencesSchema = z
  .object({
    preferredChannel: oneOf(CHANNELS, 'a preferred channel').nullable().optional(),
    adjustments: z.array(oneOf(ADJUSTMENTS, 'reasonable adjustments')).optional(),
    coach: staffCode('A work coach code', 'Enter the work coach code').optional(),
  })
  .strict();

export type ContactPreferences = z.infer<typeof contactPreferencesSchema>;
